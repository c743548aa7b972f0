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

import math
from typing import NamedTuple

import numpy as np
from scipy.linalg.blas import idamax as _idamax
from scipy.linalg.lapack import dgesv as _gesv

ZERO = np.zeros(())  # 0 as a 0-d array: numpy compares arrays with it faster than with a Python number
ZERO.flags.writeable = False


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


class BoxSlopes(NamedTuple):
    """Bounds alone, at one point: what a step of the projected method reads, from one pass over ``x``."""

    pg: np.ndarray  # the pseudo-gradient: the gradient where a downhill move is feasible, else 0
    gap: np.ndarray  # how far each coordinate can move downhill: to lo where grad > 0, else to hi
    size: np.ndarray  # |pg|
    down: np.ndarray  # grad > 0: the coordinate moves down, towards lo
    free: np.ndarray  # pg != 0: the coordinates the step moves
    free_count: int
    pinned: np.ndarray | None  # free coordinates at a bound (downhill leads away from it); None when there are none
    residual: float  # max |x - P(x - grad)| = max min(|pg|, gap): the projected gradient's infinity norm


def box_slopes(x, grad, lo, hi) -> BoxSlopes:
    """The projected method's view of ``x`` in the box ``[lo, hi]`` without a penalty (``pseudo_gradient``'s
    ``pg`` with ``l1=None``, and the residual ``max |x - P(x - g)|`` coordinate by coordinate:
    ``min(g, x - lo)`` moving down, ``min(-g, hi - x)`` moving up).

    A step runs on small arrays, where each numpy call costs more than its arithmetic: counts and BLAS's
    ``idamax`` stand in for numpy's reductions (``any``, ``all``, ``max``), which cost several calls each,
    and comparisons are with the array ``ZERO`` (a Python ``0`` is converted anew at every call).
    """
    down = grad > ZERO
    below, above = x - lo, hi - x  # x is in the box: both >= 0
    gap = np.where(down, below, above)  # 0 exactly at the bound that holds the coordinate
    pg = np.where(gap > ZERO, grad, ZERO)
    size = np.abs(pg)
    free = pg != ZERO
    reach = np.minimum(size, gap)
    residual = float(reach[_idamax(reach)]) if x.size else 0.0
    # A free coordinate cannot sit at its downhill bound (gap > 0), so one at a bound sits at the uphill one.
    pinned = np.minimum(below, above) == ZERO
    pinned &= free
    return BoxSlopes(pg, gap, size, down, free, int(np.count_nonzero(free)),
                     pinned if np.count_nonzero(pinned) else None, residual)


def arc_point(x, d, t, orthant, lo, hi):
    """``P(x + t d)``: coordinates that would cross zero out of their orthant stop at zero; then the box."""
    trial = x + d if t == 1.0 else x + t * d  # the same numbers; one operation fewer on the common path
    if orthant is not None:
        trial = np.where(trial * orthant < 0, 0.0, trial)
    if lo is not None:
        np.maximum(trial, lo, out=trial)
        np.minimum(trial, hi, out=trial)
    return trial


class ReducedMemory:
    """The last ``m`` pairs ``(s, y)``; the L-BFGS step restricted to a set of free coordinates.

    ``B = theta I - W M W'`` with ``W = [theta S  Y]`` and ``M^-1 = [[theta S'S, L], [L', -D]]``, ``D`` the
    diagonal and ``L`` the strict lower triangle of ``S'Y`` (pairs by age: ``L_ij = s_i.y_j`` for ``i``
    newer than ``j``); on the free set ``F``,
    ``(B_FF)^-1 = I / theta + W_F (M^-1 - W_F'W_F / theta)^-1 W_F' / theta^2`` (Byrd, Nocedal & Schnabel
    1994), whose ``theta S'S`` blocks cancel: the system is ``[[0, L - S'Y], [L' - Y'S, -D - Y'Y / theta]]``
    plus the held coordinates' ``W_A'W_A / theta``. The pairs stay in the slots of a ring (a free slot is
    an identity row of the system), and ``Y'Y`` gains one row and column per pair: a step costs
    two products of the ``2m x n`` buffer with a vector and a ``2m x 2m`` solve. Every scale that
    depends on ``theta`` alone is set once per pair, so a direction is a handful of array operations.
    """

    def __init__(self, m: int, n: int):
        self.m = m
        self.rows = np.zeros((2 * m, n))  # S in rows 0..m-1, Y in rows m..2m-1, by slot
        self.squares = np.zeros((2 * m, 2 * m))  # Y'Y in the lower right block, 0 elsewhere
        self.yy = self.squares[m:, m:]
        self.age = np.zeros(m)
        self.system = np.eye(2 * m)  # the solve's matrix without -Y'Y / theta; every slot free: identity rows
        self.scaled = np.empty((2 * m, 2 * m))  # the system with -Y'Y / theta: what direction copies
        self.scale = np.ones(2 * m)  # W = scale * rows: theta on the S rows, 1 on the Y rows
        self.gram_scale = np.ones((2 * m, 2 * m))  # theta on the S'S block, 1 / theta on the Y'Y block
        # Blocks as views made once (slicing costs a call each time), and whole-matrix operations rather than
        # in-place ones on blocks: numpy walks a strided block of a small matrix several times slower.
        self._upper, self._lower = self.system[:m, m:], self.system[m:, :m]
        self._gram_ss, self._gram_yy = self.gram_scale[:m, :m], self.gram_scale[m:, m:]
        self.count, self.next, self.added, self.theta = 0, 0, 0, 1.0

    def clear(self):
        self.count, self.next, self.added, self.theta = 0, 0, 0, 1.0
        self.rows[...] = 0.0
        self.yy[...] = 0.0
        self.age[...] = 0.0
        self.system[...] = 0.0
        np.fill_diagonal(self.system, 1.0)  # every slot free

    def add(self, s, y, sy, yy):
        """Store the pair in the oldest slot: one row and column of ``Y'Y`` and of the system each."""
        slot, m = self.next, self.m
        self.next, self.count, self.added = (slot + 1) % m, min(self.count + 1, m), self.added + 1
        rows = self.rows
        rows[slot], rows[m + slot] = s, y
        with_y = rows.dot(y)  # s_j.y and y_j.y (free slots' rows are zero)
        self.yy[slot, :] = self.yy[:, slot] = with_y[m:]
        self.age[slot] = self.added
        # The new pair is the newest: its row of L is its row of S'Y (so L - S'Y has a zero row, but for
        # -s.y on the diagonal), its column of L is zero (so L - S'Y has the column -s_j.y_slot). The
        # other pairs keep their order, so nothing else changes.
        system, upper, lower = self.system, self._upper, self._lower
        if self.added > m:  # the slot held an older pair (a fresh slot's row and column are still zero)
            upper[slot, :] = lower[:, slot] = 0.0
        upper[:, slot] = lower[slot, :] = -with_y[:m]
        system[slot, slot] = 0.0  # a filled slot: no identity row
        system[m + slot, m + slot] = -with_y[slot]  # -D
        self.theta = theta = yy / sy
        inverse = 1.0 / theta
        np.subtract(system, np.multiply(self.squares, inverse, out=self.scaled), out=self.scaled)
        self.scale[:m] = self._gram_ss[...] = theta
        self._gram_yy[...] = inverse
        self.unscale = self.scale * (-1.0 / theta**2)  # z -> W z: the solution's scale in the step

    def pairs(self):
        """``(S, Y)``: the stored pairs as rows, oldest first."""
        order = np.argsort(self.age)[self.m - self.count:]
        return self.rows[: self.m][order], self.rows[self.m:][order]

    def direction(self, pg, free):
        """``-(B_FF)^-1 pg_F`` on the free coordinates (``free`` a boolean mask or None for all), 0 elsewhere."""
        if self.count == 0:
            return pg * (-1.0 / max(math.sqrt(pg.dot(pg)), 1e-300))  # the first step: one unit long, as L-BFGS-B's
        rows, theta = self.rows, self.theta
        if free is None:
            g, system = pg, self.scaled.copy()
        else:  # W_F'W_F = W'W - W_A'W_A, from the held coordinates
            held_rows = rows.compress(~free, axis=1)
            gram = held_rows.dot(held_rows.T)  # [[S_A'S_A, S_A'Y_A], [Y_A'S_A, Y_A'Y_A]]
            gram *= self.gram_scale
            gram += self.scaled
            system, g = gram, pg * free
        rhs = rows.dot(g)
        rhs *= self.scale
        _, _, z, info = _gesv(system, rhs, overwrite_a=True, overwrite_b=True)  # LAPACK: a 2m x 2m solve
        if info != 0:
            return g * (-1.0 / theta)
        z *= self.unscale
        step = z.dot(rows)
        step -= g * (1.0 / theta)
        if free is not None:
            step *= free
        return step


def near_kinks(x, pg, l1, lo, hi, memory):
    """Free coordinates that the scaled gradient step ``-pg / theta`` would carry onto a bound or onto zero,
    and the move that lands them there: they join the held ones at once (Bertsekas's epsilon-active set,
    with L-BFGS-B's Cauchy step for epsilon), instead of creeping towards the kink over many steps."""
    if memory.count == 0 or (lo is None and l1 is None):
        return np.zeros(x.shape, dtype=bool), None
    reach = np.abs(pg) / memory.theta
    down = np.full(x.shape, -np.inf) if lo is None else lo
    up = np.full(x.shape, np.inf) if hi is None else hi
    if l1 is not None:
        penalized = np.asarray(l1) > 0
        down = np.where(penalized & (x > 0), np.maximum(down, 0.0), down)
        up = np.where(penalized & (x < 0), np.minimum(up, 0.0), up)
    near_down = (pg > 0) & (x - down <= reach)
    near_up = (pg < 0) & (up - x <= reach)
    near = near_down | near_up
    if not near.any():
        return near, None
    return near, np.where(near_down, down - x, np.where(near_up, up - x, 0.0))


def near_bounds(x, slopes, lo, hi, memory):
    """``near_kinks`` for bounds alone, from the point's slopes: the free coordinates whose gap to the bound
    downhill is within the scaled gradient step ``|pg| / theta``, and the move onto that bound (None, None
    when there are none)."""
    if memory.count == 0:
        return None, None
    near = slopes.gap <= slopes.size * (1.0 / memory.theta)
    near &= slopes.free
    if not np.count_nonzero(near):
        return None, None
    return near, np.where(slopes.down, lo - x, hi - x)


def at_kinks(x, l1, lo, hi):
    """Coordinates at a kink of ``F``: at zero with an L1 weight, or at a bound."""
    at_bound = None if lo is None else (x <= lo) | (x >= hi)
    if l1 is None:
        return np.zeros(x.shape, dtype=bool) if at_bound is None else at_bound
    at_zero = (x == 0) & (np.asarray(l1) > 0)
    return at_zero if at_bound is None else at_zero | at_bound
