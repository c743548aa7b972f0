r"""The quasi-Newton step for ``f(x) + sum_i l1_i |x_i|`` on a box: orthant-wise and projected L-BFGS.

On the piece of the domain where each coordinate keeps its sign and its bounds
hold, the objective is smooth. At ``x``, the *pseudo-gradient* ``pg`` is the
steepest slope of ``F = f + l1 |x|`` along each coordinate that stays feasible
(Andrew & Gao's, with the box: 0 where no feasible move decreases ``F``). The
coordinates with ``pg_i = 0`` (at a bound and pushed outwards, or at zero with
``|g_i| <= l1_i``) are held; on the free ones the step is the quasi-Newton step in
the *reduced* L-BFGS metric, ``d_F = -(B_FF)^-1 pg_F``, with ``B`` the compact
L-BFGS Hessian ``theta I - W M W'`` (Byrd, Nocedal & Schnabel 1994) and its free
block inverted by Sherman-Morrison-Woodbury, as in L-BFGS-B's subspace step. A
component whose sign disagrees with ``-pg`` is zeroed (OWL-QN), so ``pg.d < 0``;
``minimize`` then searches along the projection arc ``P(x + t d)`` (orthant and box).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import dgesv as _gesv


def pseudo_gradient(x, grad, l1, lo, hi):
    """The minimum-norm slope of ``f + l1 |x|`` at ``x`` along feasible coordinate moves (0: held there).

    ``grad`` is ``f``'s gradient; ``l1`` a number or array (or None); ``lo``/``hi`` arrays or None.
    """
    if l1 is None or not np.any(l1):  # f's own slope where a feasible move lowers it (NaN: held)
        if lo is None:
            return np.where((grad < 0) | (grad > 0), grad, 0.0)
        return np.where(((grad < 0) & (x < hi)) | ((grad > 0) & (x > lo)), grad, 0.0)
    right = grad + np.where(x >= 0, l1, -l1)  # slope moving up
    left = grad + np.where(x > 0, l1, -l1)  # slope moving down (right >= left)
    up = right < 0
    down = left > 0
    if lo is not None:
        up &= x < hi
        down &= x > lo
    return np.where(up, right, np.where(down, left, 0.0))


def arc_point(x, d, t, orthant, lo, hi):
    """``P(x + t d)``: coordinates that would cross zero out of their orthant stop at zero; then the box."""
    trial = x + t * d
    if orthant is not None:
        trial = np.where(trial * orthant < 0, 0.0, trial)
    if lo is not None:
        trial = np.minimum(np.maximum(trial, lo), hi)
    return trial


class ReducedMemory:
    """The last ``m`` pairs ``(s, y)``; the L-BFGS step restricted to a set of free coordinates.

    ``B = theta I - W M W'`` with ``W = [theta S  Y]`` and ``M^-1 = [[theta S'S, L], [L', -D]]``, ``D`` the
    diagonal and ``L`` the strict lower triangle of ``S'Y`` (pairs by age: ``L_ij = s_i.y_j`` for ``i``
    newer than ``j``); on the free set ``F``,
    ``(B_FF)^-1 = I / theta + W_F (M^-1 - W_F'W_F / theta)^-1 W_F' / theta^2`` (Byrd, Nocedal & Schnabel
    1994), whose ``theta S'S`` blocks cancel: the system is ``[[0, L - S'Y], [L' - Y'S, -D - Y'Y / theta]]``
    plus the held coordinates' ``W_A'W_A / theta``. The pairs stay in the slots of a ring (a free slot is
    an identity row of the system), and ``S'Y``, ``Y'Y`` gain one row and column per pair: a step costs
    two products of the ``2m x n`` buffer with a vector and a ``2m x 2m`` solve.
    """

    def __init__(self, m: int, n: int):
        self.m = m
        self.rows = np.zeros((2 * m, n))  # S in rows 0..m-1, Y in rows m..2m-1, by slot
        self.sy, self.yy = np.zeros((m, m)), np.zeros((m, m))
        self.age = np.zeros(m)
        self.system = np.zeros((2 * m, 2 * m))  # the solve's matrix without -Y'Y / theta
        self.clear()

    def clear(self):
        self.count, self.next, self.added, self.theta = 0, 0, 0, 1.0
        self.rows[...] = 0.0
        for array in (self.sy, self.yy, self.age):
            array[...] = 0.0
        self.system[...] = 0.0
        self.system[np.diag_indices(2 * self.m)] = 1.0  # every slot free

    def add(self, s, y, sy, yy):
        """Store the pair in the oldest slot: one row and column of ``S'Y``, ``Y'Y`` and the system each."""
        slot, m = self.next, self.m
        self.next, self.count, self.added = (slot + 1) % m, min(self.count + 1, m), self.added + 1
        rows = self.rows
        rows[slot], rows[m + slot] = s, y
        with_s, with_y = rows @ s, rows @ y  # free slots' rows are zero
        self.sy[slot, :], self.sy[:, slot] = with_s[m:], with_y[:m]  # s_slot.y_j and s_j.y_slot
        self.yy[slot, :] = self.yy[:, slot] = with_y[m:]
        self.age[slot] = self.added
        # The new pair is the newest: its row of L is its row of S'Y (so L - S'Y has a zero row, but for
        # -s.y on the diagonal), its column of L is zero (so L - S'Y has the column -s_j.y_slot). The
        # other pairs keep their order, so nothing else changes.
        upper, lower = self.system[:m, m:], self.system[m:, :m]
        upper[slot, :] = lower[:, slot] = 0.0
        upper[:, slot] = lower[slot, :] = -with_y[:m]
        self.system[slot, slot] = 0.0  # a filled slot: no identity row
        self.system[m + slot, m + slot] = -with_y[slot]  # -D
        self.theta = yy / sy
        self.scaled = self.system.copy()  # the system with -Y'Y / theta: what direction copies
        self.scaled[m:, m:] -= self.yy / self.theta

    def pairs(self):
        """``(S, Y)``: the stored pairs as rows, oldest first."""
        order = np.argsort(self.age)[self.m - self.count:]
        return self.rows[: self.m][order], self.rows[self.m:][order]

    def direction(self, pg, free):
        """``-(B_FF)^-1 pg_F`` on the free coordinates (``free`` a boolean mask or None for all), 0 elsewhere."""
        if self.count == 0:
            return -pg / max(float(np.sqrt(pg @ pg)), 1e-300)  # the first step: one unit long, as L-BFGS-B's
        theta, m = self.theta, self.m
        system = self.scaled.copy()
        if free is not None:  # W_F'W_F = W'W - W_A'W_A, from the held coordinates
            held = ~free
            w_held = self.rows[:, held]
            w_held[:m] *= theta
            system += (w_held @ w_held.T) / theta
            g = np.where(free, pg, 0.0)
        else:
            g = pg
        rhs = self.rows @ g
        rhs[:m] *= theta
        _, _, z, info = _gesv(system, rhs, overwrite_a=True)  # LAPACK directly: a 2m x 2m solve is all it is
        if info != 0:
            return -g / theta
        z[:m] *= theta
        step = z @ self.rows
        step *= -1.0 / theta**2
        step -= g / theta
        if free is not None:
            step[held] = 0.0
        return step
