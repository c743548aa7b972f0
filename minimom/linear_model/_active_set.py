"""The lasso subproblem from a good start: primal-dual active-set (semismooth Newton) iterations, verified exact.

On a working set the subproblem is ``min_w 0.5 w^T H w - c^T w + l1 ||w||_1`` (``w >= 0`` when ``positive``;
``H = G + l2 I``). Its solution is fixed by its support ``A`` and signs ``s``: ``H_AA w_A = c_A - l1 s_A``,
with ``sign(w_A) = s_A`` and ``|q_j| <= l1`` off ``A`` (``q = c - H w``). From a guess of ``(A, s)`` (the support
of a proximal-gradient start, :func:`proximal_gradient`) each iteration solves that system once (one Cholesky
factorization, its leading block kept from the previous iteration) and corrects the guess all at once:
coordinates whose sign came out wrong leave, coordinates violating ``|q_j| <= l1`` enter with the sign of
``q_j`` -- the primal-dual active-set method (Hintermueller, Ito and Kunisch, 2002; a semismooth Newton
method), which ends in very few iterations from a start near the solution, where the homotopy of
:mod:`._homotopy` needs one event per coordinate that enters or leaves.

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
    lower Cholesky factor of ``H`` on the coordinates ``order`` (the support of ``w``). The factor is kept
    from one iteration to the next up to the first coordinate that leaves (the support is ordered largest
    first, the likeliest to leave last; entering coordinates are appended), and only the rest factored anew.
    """
    c = np.asarray(c, dtype=np.float64)
    active = np.flatnonzero(w0)
    active = active[np.argsort(-np.abs(w0[active]) * np.sqrt(H.diagonal()[active]), kind="stable")]
    signs = np.ones(len(active)) if positive else np.sign(w0[active])
    slack = l1 * (1 + _KKT_SLACK) + 1e-14 * float(np.max(np.abs(c), initial=0.0))
    seen = set()
    outside = np.ones(len(c), dtype=bool)
    w = np.zeros(len(c))
    factor, prefix = None, 0
    for iteration in range(1, max_iter + 1):
        order = np.argsort(active)
        key = (active[order].tobytes(), signs[order].tobytes())
        if key in seen:  # a cycle: the method will not end here
            return None
        seen.add(key)
        factor = _factor(H, active, factor, prefix)
        w_active = None if factor is None else _solve_factored(factor, c[active] - l1 * signs)
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
        prefix = len(active) if kept.all() else int(np.argmin(kept))
        entering = entering[np.argsort(-np.abs(q[entering]), kind="stable")]
        active = np.concatenate([active[kept], entering])
        signs = np.concatenate([signs[kept], np.ones(len(entering)) if positive else np.sign(q[entering])])
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
    threshold = l1 * step
    x, y, t = w, w.copy(), 1.0
    for _ in range(steps):
        z = H @ y  # z = y - step (H y - c), in place (a scaled copy of H would cost an allocation of k^2)
        z -= c
        z *= -step
        z += y
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


def _factor(H, active, previous=None, prefix=0):
    """The lower Cholesky factor of ``H_AA`` (F-ordered), keeping ``previous[:prefix, :prefix]`` (a factor of its
    leading block) and factoring the Schur complement of the rest; ``None`` when singular or collinear (a pivot
    below ``_COLLINEAR`` of ``H_jj``, as the homotopy refuses a coordinate)."""
    m = len(active)
    factor = np.zeros((m, m), order="F")
    rest = active[prefix:]
    if prefix:
        kept = previous[:prefix, :prefix]
        factor[:prefix, :prefix] = kept
        if len(rest) == 0:
            return factor
        coupling, info = dtrtrs(kept, H[active[:prefix]][:, rest], lower=1)  # L_11^{-1} H_12
        if info:
            return None
        factor[prefix:, :prefix] = coupling.T
        block = H[rest][:, rest] - coupling.T @ coupling
    elif m == 0:
        return factor
    else:
        block = H[rest][:, rest]  # rows, then columns: faster than np.ix_
    lower, info = dpotrf(block.T, lower=1, clean=1)  # symmetric: its transpose is the F-ordered copy
    if info or not np.all(np.diagonal(lower) ** 2 > _COLLINEAR * H.diagonal()[rest]):
        return None
    factor[prefix:, prefix:] = lower
    return factor


def _solve_factored(factor, b):
    """``H_AA^{-1} b`` from the lower Cholesky factor of ``H_AA`` (two triangular solves), or ``None``."""
    if len(b) == 0:
        return np.zeros(0)
    half, info = dtrtrs(factor, b, lower=1)
    if info:
        return None
    solution, info = dtrtrs(factor, half, lower=1, trans=1)
    return solution if info == 0 and np.all(np.isfinite(solution)) else None
