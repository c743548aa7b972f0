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


def pseudo_gradient(x, grad, l1, lo, hi):
    """The minimum-norm slope of ``f + l1 |x|`` at ``x`` along feasible coordinate moves (0: held there).

    ``grad`` is ``f``'s gradient; ``l1`` a number or array (or None); ``lo``/``hi`` arrays or None.
    """
    if l1 is None or not np.any(l1):
        right = left = grad
    else:
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

    ``B = theta I - W M W'``, ``W = [Y  theta S]``, ``M^-1 = [[-D, L'], [L, theta S'S]]`` with ``D``
    the diagonal and ``L`` the strict lower triangle of ``S'Y`` (pairs oldest first); on the free set
    ``F``, ``(B_FF)^-1 = I / theta + W_F (M^-1 - W_F'W_F / theta)^-1 W_F' / theta^2``. The pairs stay in
    the slots of a ring (any order of the pairs gives the same ``B``, with ``L`` taken by age), and the
    products ``S'Y`` and ``Y'Y`` (``S'S`` cancels out of the system) are updated by one row and column
    per pair: a step costs a few products of the ``2m x n`` buffer with a vector, and the ``2m x 2m`` system.
    """

    def __init__(self, m: int, n: int):
        self.m = m
        self.rows = np.zeros((2 * m, n))  # S in rows 0..m-1, Y in rows m..2m-1, by slot
        self.sy, self.yy = np.zeros((m, m)), np.zeros((m, m))
        self.age = np.zeros(m)
        self.clear()

    def clear(self):
        self.count, self.next, self.added = 0, 0, 0

    def add(self, s, y, sy, yy):
        slot, m = self.next, self.m
        self.next, self.count, self.added = (slot + 1) % m, min(self.count + 1, m), self.added + 1
        self.rows[slot], self.rows[m + slot] = s, y
        k = self.count  # filled slots are 0..k-1
        y_with_s = self.rows[m:m + k] @ s  # y_j.s
        with_y = self.rows[:k] @ y if k < m else None
        s_with_y, y_with_y = (with_y, self.rows[m:m + k] @ y) if k < m else np.split(self.rows @ y, 2)
        self.sy[slot, :k], self.sy[:k, slot] = y_with_s, s_with_y  # s_slot.y_j and s_j.y_slot
        self.yy[slot, :k] = self.yy[:k, slot] = y_with_y
        self.age[slot] = self.added
        self.theta = yy / sy

    def pairs(self):
        """``(S, Y)``: the stored pairs as rows, oldest first."""
        order = np.argsort(self.age[: self.count])
        return self.rows[: self.count][order], self.rows[self.m:self.m + self.count][order]

    def direction(self, pg, free):
        """``-(B_FF)^-1 pg_F`` on the free coordinates (``free`` a boolean mask or None for all), 0 elsewhere."""
        if self.count == 0:
            return -pg / max(float(np.sqrt(pg @ pg)), 1e-300)  # the first step: one unit long, as L-BFGS-B's
        theta, k, m = self.theta, self.count, self.m
        s_rows, y_rows = self.rows[:k], self.rows[m:m + k]
        sy, yy = self.sy[:k, :k], self.yy[:k, :k]
        age = self.age[:k]
        lower = np.where(age[:, None] > age[None, :], sy, 0.0)  # s_i.y_j for pair i newer than pair j
        inner = np.empty((2 * k, 2 * k))
        inner[:k, :k] = -np.diag(np.diag(sy)) - yy / theta  # M^-1 - W'W / theta, block by block
        inner[k:, :k] = lower - sy  # L - S'Y
        inner[:k, k:] = lower.T - sy.T
        inner[k:, k:] = 0.0  # theta S'S - theta^2 S'S / theta
        if free is not None:  # W_F'W_F = W'W - W_A'W_A, from the held coordinates
            held = ~free
            w_held = np.concatenate([y_rows[:, held], theta * s_rows[:, held]])
            inner += (w_held @ w_held.T) / theta
            g = np.where(free, pg, 0.0)
        else:
            g = pg
        rhs = np.concatenate([y_rows @ g, theta * (s_rows @ g)])
        try:
            z = np.linalg.solve(inner, rhs)
        except np.linalg.LinAlgError:
            return -g / theta
        step = -(g / theta + (z[:k] @ y_rows + theta * (z[k:] @ s_rows)) / theta**2)
        if free is not None:
            step[held] = 0.0
        return step
