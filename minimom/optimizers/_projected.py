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
    the diagonal and ``L`` the strict lower triangle of ``S'Y``; on the free set ``F``,
    ``(B_FF)^-1 = I / theta + W_F (M^-1 - W_F'W_F / theta)^-1 W_F' / theta^2``.
    """

    def __init__(self, m: int, n: int):
        self.m = m
        self.s, self.y = np.zeros((m, n)), np.zeros((m, n))
        self.clear()

    def clear(self):
        self.count, self.next = 0, 0

    def add(self, s, y, sy, yy):
        self.s[self.next], self.y[self.next] = s, y
        self.next = (self.next + 1) % self.m
        self.count = min(self.count + 1, self.m)
        self.theta = yy / sy

    def _pairs(self):
        """The stored pairs, oldest first."""
        order = [(self.next - self.count + i) % self.m for i in range(self.count)]
        if order == list(range(self.count)):
            return self.s[: self.count], self.y[: self.count]
        return self.s[order], self.y[order]

    def direction(self, pg, free):
        """``-(B_FF)^-1 pg_F`` on the free coordinates (``free`` a boolean mask or None for all), 0 elsewhere."""
        if self.count == 0:
            return -pg / max(float(np.sqrt(pg @ pg)), 1e-300)  # the first step: one unit long, as L-BFGS-B's
        s, y = self._pairs()
        theta, k = self.theta, self.count
        sy = s @ y.T
        minv = np.empty((2 * k, 2 * k))
        minv[:k, :k] = -np.diag(np.diag(sy))
        lower = np.tril(sy, -1)
        minv[k:, :k], minv[:k, k:] = lower, lower.T
        if free is None:
            w, g = np.vstack([y, theta * s]), pg
        else:
            w, g = np.vstack([y[:, free], theta * s[:, free]]), pg[free]
        minv[k:, k:] = theta * (s @ s.T)
        inner = minv - (w @ w.T) / theta
        try:
            z = np.linalg.solve(inner, w @ g)
        except np.linalg.LinAlgError:
            return -pg / theta
        step = -(g / theta + (z @ w) / theta**2)
        if free is None:
            return step
        d = np.zeros_like(pg)
        d[free] = step
        return d
