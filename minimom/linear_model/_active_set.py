"""The lasso subproblem from a good start: primal-dual active-set (semismooth Newton) iterations, verified exact.

On a working set the subproblem is ``min_w 0.5 w^T H w - c^T w + l1 ||w||_1`` (``w >= 0`` when ``positive``;
``H = G + l2 I``). Its solution is fixed by its support ``A`` and signs ``s``: ``H_AA w_A = c_A - l1 s_A``,
with ``sign(w_A) = s_A`` and ``|q_j| <= l1`` off ``A`` (``q = c - H w``). From a guess of ``(A, s)`` (the support
of a coordinate-descent start) each iteration solves that system once (one Cholesky factorization) and
corrects the guess all at once: coordinates whose sign came out wrong leave, coordinates violating
``|q_j| <= l1`` enter with the sign of ``q_j`` -- the primal-dual active-set method (Hintermueller, Ito and
Kunisch, 2002; a semismooth Newton method), which ends in very few iterations from a start near the
solution, where the homotopy of :mod:`._homotopy` needs one event per coordinate that enters or leaves.

It is not globally convergent: :func:`solve` gives up (``None``) on a cycle, a singular ``H_AA`` or after
``max_iter`` iterations, and the caller runs the homotopy. A returned point is verified exactly as the
homotopy verifies its own (signs of the solved system, KKT conditions off the support, the same slack).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg.lapack import dpotrf, dtrtrs

_KKT_SLACK = 1e-10  # as in _homotopy: the relative slack on |q_j| <= l1 off the support
_MAX_ITER = 8
_STEPS = 30  # proximal-gradient steps before the iterations (on a working set of at least _SMALL features)
_SMALL, _SMALL_STEPS = 200, 20  # on a smaller one, these many: the iterations there cost little
_POWER_STEPS = 10  # power iterations for the step length
_COLLINEAR = 1e-10  # as in _homotopy: a pivot below this fraction of H_jj means a (numerically) collinear support


def solve(H, c, l1, positive, w0, max_iter=_MAX_ITER):
    """The minimizer from the support and signs of ``w0``, or ``None``.

    Returns ``(w, iterations, (order, factor))`` like :func:`._homotopy.solve`: ``w`` verified optimal and the
    lower Cholesky factor of ``H`` on the coordinates ``order`` (the support of ``w``).
    """
    c = np.asarray(c, dtype=np.float64)
    active = np.flatnonzero(w0)
    signs = np.ones(len(active)) if positive else np.sign(w0[active])
    slack = l1 * (1 + _KKT_SLACK) + 1e-14 * float(np.max(np.abs(c), initial=0.0))
    seen = set()
    outside = np.ones(len(c), dtype=bool)
    w = np.zeros(len(c))
    for iteration in range(1, max_iter + 1):
        key = (active.tobytes(), signs.tobytes())
        if key in seen:  # a cycle: the method will not end here
            return None
        seen.add(key)
        factor, w_active = _solve_support(H[active][:, active], c[active] - l1 * signs)  # faster than np.ix_
        if w_active is None:
            return None
        w[:] = 0.0
        w[active] = w_active
        q = c - H @ w  # one product with all of H: cheaper than gathering the rows of the support
        outside[:] = True
        outside[active] = False
        entering = np.flatnonzero(outside & ((q if positive else np.abs(q)) > slack))
        kept = w_active * signs > 0
        if len(entering) == 0 and kept.all():
            return w, iteration, (active, factor)
        # the next guess, in the order of the coordinates (a stable key for the cycle test)
        order = np.argsort(np.concatenate([active[kept], entering]), kind="stable")
        active = np.concatenate([active[kept], entering])[order]
        signs = np.concatenate([signs[kept], np.ones(len(entering)) if positive else np.sign(q[entering])])[order]
    return None


def proximal_gradient(H, c, l1, positive, w, steps=None):
    """``steps`` accelerated proximal-gradient steps (FISTA, Beck and Teboulle 2009) from ``w``: a start for
    :func:`solve` whose support and signs are close to the solution's, in matrix-vector products only
    (by default 20 steps on fewer than 200 coordinates, else 30).

    The step is ``1 / L`` with ``L`` 1.1 times a power-iteration estimate of ``H``'s largest eigenvalue; the
    start ``w`` is returned instead when the last iterate is not lower (an estimate too small for a step).
    """
    k = len(c)
    steps = (_SMALL_STEPS if k < _SMALL else _STEPS) if steps is None else steps
    if k == 0 or steps <= 0:
        return w
    v = np.full(k, 1.0 / math.sqrt(k))
    for _ in range(_POWER_STEPS):
        v = H @ v
        top = math.sqrt(float(v @ v))
        if not top > 0:
            return w
        v /= top
    step = 1.0 / (1.1 * float(v @ (H @ v)))
    scaled, shift, threshold = H * -step, c * step, l1 * step  # z = y - step (H y - c) = (I - step H) y + step c
    x, y, t = w, w.copy(), 1.0
    for _ in range(steps):
        z = scaled @ y
        z += y
        z += shift
        if positive:
            new = np.maximum(z - threshold, 0.0, out=z)
        else:
            new = z - np.minimum(np.maximum(z, -threshold), threshold)  # np.clip costs several times as much
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        y = new - x
        y *= (t - 1.0) / t_next
        y += new
        x, t = new, t_next

    def objective(u):
        return 0.5 * float(u @ (H @ u)) - float(c @ u) + l1 * float(np.abs(u).sum())

    return x if objective(x) <= objective(w) else w


def _solve_support(H_AA, b):
    """``(L, x)``: the lower Cholesky factor of ``H_AA`` and ``H_AA^{-1} b``, or ``(None, None)`` if singular."""
    if len(b) == 0:
        return np.zeros((0, 0), order="F"), np.zeros(0)
    factor, info = dpotrf(H_AA.T, lower=1, clean=1)  # symmetric: its transpose is the F-ordered copy
    pivots = np.diagonal(factor)
    if info or not np.all(pivots**2 > _COLLINEAR * np.diagonal(H_AA)):  # as the homotopy refuses a coordinate
        return None, None
    half, info = dtrtrs(factor, b, lower=1)
    if info:
        return None, None
    solution, info = dtrtrs(factor, half, lower=1, trans=1)
    if info or not np.all(np.isfinite(solution)):
        return None, None
    return factor, solution
