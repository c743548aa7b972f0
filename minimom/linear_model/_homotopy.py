"""The lasso subproblem on a working set, solved exactly by a warm-started homotopy on its Gram matrix.

On a working set of ``k`` coordinates the elastic net is the penalized quadratic

    min_w  0.5 w^T H w - c^T w + l1 ||w||_1         (w >= 0 when ``positive``; ``H = G + l2 I``)

Any start ``w0`` with support ``S`` and signs ``s`` is the exact solution for a modified linear term ``c0``:
``c0_S = H_S w0 + l1 s`` and, off ``S``, ``c0_j = c_j`` where ``|q_j| <= l1`` (``q = c - H w0``) and
``c0_j = c_j - q_j`` where it is violated. Along ``c(t) = c0 + t (c - c0)``, ``t`` from 0 to 1, the solution is
piecewise linear (the homotopy of Osborne et al., 2000, and of LARS with the lasso modification, Efron et al.
2004, which is the case ``w0 = 0``): on the active set ``A`` with signs ``s_A``,
``w_A(t) = H_AA^{-1} (c_A(t) - l1 s_A)`` moves along ``d_A = H_AA^{-1} (c - c0)_A`` and the correlations
along ``a = (c - c0) - H[:, A] d_A``; a coordinate enters when its ``|q_j|`` reaches ``l1`` and leaves when its
``w_j`` reaches zero. Each event costs one Cholesky update of ``H_AA`` (``O(|A|^2)``) and one product with the
rows ``H[A]`` (``O(k |A|)``). The number of events is about the number of coordinates that enter or leave:
a good start (the previous working set's solution) leaves few, and unlike coordinate descent it does not
grow with the conditioning of ``H`` (the slow case of coordinate descent: more features than samples).

The path is followed in floating point; :func:`solve` returns its end only when the last active set, solved
directly (``H_AA w_A = c_A - l1 s_A``), keeps its signs and satisfies ``|q_j| <= l1`` off it, i.e. the point
is optimal to rounding. Otherwise (collinear features, rounding) it returns ``None`` and the caller falls
back to :func:`._quadratic_cd.solve`.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import qr_insert
from scipy.linalg.lapack import dpotrf, dtrtrs

_KKT_SLACK = 1e-10
_SMALL_UPDATE = 48  # a trailing block up to this size is updated by forming and factoring it
_COLLINEAR = 1e-10  # a new pivot below this fraction of H_jj: the coordinate is (numerically) in span(H_A)


class _Active:
    """The active set: its coordinates, signs, rows ``H[A]`` (a buffer) and the lower Cholesky factor of ``H_AA``.

    The factor is an F-contiguous view into one of two flat buffers (LAPACK reads it without a copy); an event
    writes the next factor into the other buffer, so no event allocates. ``hint = (order, factor)`` is a
    factor of ``H`` on coordinates ``order`` (the previous working set's final active set): its longest prefix
    still in the support of ``w0`` is kept and the rest of the support appended as one block.
    """

    def __init__(self, H, w0, positive, hint=None):
        self.H = H
        nonzero = w0 != 0
        prefix, earlier, kept = np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), None
        if hint is not None and len(hint[0]):
            order, factor = hint
            inside = nonzero[order]
            p = len(order) if inside.all() else int(np.argmin(inside))
            prefix, kept = order[:p], factor[:p, :p]
            earlier = order[p:][inside[p:]]
        fresh = nonzero.copy()
        fresh[prefix] = False
        fresh[earlier] = False
        fresh = np.flatnonzero(fresh)
        # Largest first: the marginal coordinates, the likeliest to leave, sit at the end of the factor,
        # where removing one only updates a small trailing block.
        fresh = fresh[np.argsort(-np.abs(w0[fresh]) * np.sqrt(H.diagonal()[fresh]), kind="stable")]
        index = np.concatenate([prefix, earlier, fresh])
        self.m = m = len(index)
        capacity = max(2 * m, 16)
        self._index, self._signs = np.empty(capacity, dtype=np.intp), np.empty(capacity)
        self._index[:m] = index
        self._signs[:m] = 1.0 if positive else np.sign(w0[index])
        self.buffer = np.empty((capacity, H.shape[1]))
        self.buffer[:m] = H[index]
        self.flat, self.which = (np.empty(capacity * capacity), np.empty(capacity * capacity)), 0
        self.ok = self._factorize(kept)

    @property
    def index(self):
        return self._index[: self.m]

    @property
    def signs(self):
        return self._signs[: self.m]

    @property
    def rows(self):
        return self.buffer[: self.m]

    def _next(self, m):
        """An ``m x m`` F-contiguous view of the buffer not holding the current factor (grown when too small)."""
        self.which = 1 - self.which
        if m * m > len(self.flat[self.which]):
            self.flat = (np.empty(4 * m * m), np.empty(4 * m * m))
        return self.flat[self.which][: m * m].reshape((m, m), order="F")

    def _factorize(self, kept=None) -> bool:
        """The factor of ``H_AA``: ``kept`` (a factor of its leading block, or None) and a Cholesky of the rest."""
        m, p = len(self.index), 0 if kept is None else len(kept)
        L = self._next(m)
        self.factor = L
        if m == p:
            L[:] = kept
            return True
        if p:
            kept = np.asfortranarray(kept)
            L[:p, :p] = kept
            block, info = dtrtrs(kept, self.rows[:p][:, self.index[p:]], lower=1)
            if info:
                return False
            L[p:, :p] = block.T
            schur = self.rows[p:][:, self.index[p:]] - block.T @ block
        else:
            schur = self.rows[:, self.index]
        factor, info = dpotrf(schur.T, lower=1, clean=1)  # symmetric: its transpose is the F-ordered copy
        L[p:, p:] = factor
        return info == 0 and bool(np.all(np.diagonal(factor) > 0))

    def add(self, j, sign) -> bool:
        m = self.m
        H = self.H
        if m:
            row, info = dtrtrs(self.factor, H[self.index, j], lower=1)
            if info:
                return False
        else:
            row = np.zeros(0)
        pivot = H[j, j] - float(row @ row)
        if not pivot > _COLLINEAR * H[j, j]:
            return False
        factor = self._next(m + 1)
        factor[:m, :m] = self.factor
        factor[m, :m] = row
        factor[m, m] = np.sqrt(pivot)
        self.factor = factor
        if m == len(self.buffer):
            self.buffer = np.concatenate([self.buffer, np.empty_like(self.buffer)])
            self._index = np.concatenate([self._index, np.empty_like(self._index)])
            self._signs = np.concatenate([self._signs, np.empty_like(self._signs)])
        self.buffer[m] = H[j]
        self._index[m], self._signs[m] = j, sign
        self.m = m + 1
        return True

    def remove(self, p) -> bool:
        """Drop the ``p``-th coordinate: the trailing block of the factor absorbs its column (a rank-one update)."""
        m = self.m
        self.buffer[p: m - 1] = self.buffer[p + 1: m]
        self._index[p: m - 1] = self._index[p + 1: m]
        self._signs[p: m - 1] = self._signs[p + 1: m]
        self.m = m - 1
        L = self.factor
        factor = self._next(m - 1)
        factor[:p, :p] = L[:p, :p]
        factor[p:, :p] = L[p + 1:, :p]
        if m - 1 > p:
            block = _rank_one_update(L[p + 1:, p + 1:], L[p + 1:, p])
            if block is None:
                self.factor = factor
                return self._factorize()
            factor[p:, p:] = block
        self.factor = factor
        return True

    def solve(self, b):
        if len(b) == 0:
            return np.zeros(0)
        # two triangular solves: scipy's dpotrs wrapper takes several times as long for the same work
        half, info = dtrtrs(self.factor, b, lower=1)
        if info:
            return None
        solution, info = dtrtrs(self.factor, half, lower=1, trans=1)
        return solution if info == 0 and np.all(np.isfinite(solution)) else None


def _rank_one_update(lower, v):
    """The lower Cholesky factor of ``T T^T + v v^T`` for ``T = tril(lower)``, or None.

    Small blocks: form the product and factor it (``O(n^3)``, few calls). Larger ones: ``T^T`` is the R of a QR
    decomposition (with ``Q = I``) and inserting the row ``v^T`` (Givens rotations, compiled in scipy) gives
    the R of the stacked matrix, whose ``R^T R`` is the sum (``O(n^2)``).
    """
    n = len(v)
    trailing = np.tril(lower)
    if n <= _SMALL_UPDATE:
        block, info = dpotrf((trailing @ trailing.T + np.outer(v, v)).T, lower=1, clean=1)
        return None if info else block
    _, R = qr_insert(np.eye(n), trailing.T, v, 0, which="row", overwrite_qru=True, check_finite=False)
    block = R[:n].T
    diagonal = np.diagonal(block)
    if not np.all(np.isfinite(block)) or np.any(diagonal == 0):
        return None
    return block * np.sign(diagonal)


@np.errstate(divide="ignore", invalid="ignore")  # the step lengths divide by zero on purpose (inf: never)
def solve(H, c, l1, positive, w0=None, max_steps=None, hint=None):
    """The minimizer of ``0.5 w^T H w - c^T w + l1 ||w||_1`` (``w >= 0`` if ``positive``) from ``w0``, or ``None``.

    ``H`` must be positive semi-definite and ``l1 > 0`` (a scalar). Returns ``(w, steps, (order, factor))``
    with ``w`` verified optimal (signs and KKT conditions of the directly solved last active set) and the
    lower Cholesky factor of ``H`` on the coordinates ``order`` (the final active set, a ``hint`` for a
    later call on a Gram matrix that contains it), or ``None``.
    """
    k = len(c)
    c = np.asarray(c, dtype=np.float64)
    w = np.zeros(k) if w0 is None else np.array(w0, dtype=np.float64)
    if positive:
        w[w < 0] = 0.0
    active = _Active(H, w, positive, hint)
    if not active.ok and hint is not None:
        active = _Active(H, w, positive)
    if not active.ok:  # the start's support is (numerically) singular: start from zero
        w[:] = 0.0
        active = _Active(H, w, positive)
    q = c - w[active.index] @ active.rows if len(active.index) else c.copy()
    # The linear term for which w is optimal, and the direction towards c.
    c0 = c.copy()
    c0[active.index] = c[active.index] - q[active.index] + l1 * active.signs
    outside = np.ones(k, dtype=bool)
    outside[active.index] = False
    violated = outside & ((q if positive else np.abs(q)) > l1)
    c0[violated] -= q[violated]
    delta = c - c0
    q = q - delta  # the correlations at t = 0: l1 s on A, inside [-l1, l1] elsewhere
    t, steps, blocked = 0.0, 0, -1
    max_steps = 8 * k + 10 if max_steps is None else max_steps
    while steps < max_steps:
        steps += 1
        A = active.index
        d = active.solve(delta[A])
        if d is None:
            return None
        a = delta - d @ active.rows if len(A) else delta.copy()
        gamma, entering, leaving = 1.0 - t, -1, -1
        if positive:
            rise = np.where(a > 0, (l1 - q) / a, np.inf)
        else:  # q moves towards l1 where a > 0, towards -l1 where a < 0
            rise = (np.copysign(l1, a) - q) / a
            rise[a == 0] = np.inf
        rise[A] = np.inf
        if blocked >= 0:  # the coordinate that just left may not re-enter at the side it left from
            side = -1.0 if q[blocked] > 0 else 1.0
            other = (side * l1 - q[blocked]) / a[blocked] if a[blocked] * side > 0 and not positive else np.inf
            rise[blocked] = other if other > 0 else np.inf
        candidate = int(np.argmin(rise))
        if rise[candidate] < 0:  # a coordinate already past l1: the path has left its invariant (rounding)
            if abs(q[candidate]) > l1 * (1 + 1e-9):
                return None
            rise[candidate] = 0.0
        if rise[candidate] < gamma:
            gamma, entering = float(rise[candidate]), candidate
        w_A = w[A]
        crossing = np.where(active.signs * d < 0, np.maximum(-w_A / d, 0.0), np.inf)
        if len(crossing):
            first = int(np.argmin(crossing))
            if crossing[first] < gamma:
                gamma, entering, leaving = float(crossing[first]), -1, first
        w[A] += gamma * d
        q += gamma * a
        t += gamma
        blocked = -1
        if leaving >= 0:
            gone = A[leaving]
            w[gone] = 0.0
            blocked = gone
            if not active.remove(leaving):
                return None
        elif entering >= 0:
            sign = 1.0 if positive or q[entering] > 0 else -1.0
            if not active.add(entering, sign):
                return None
        else:
            return _polished(H, c, l1, positive, active, steps)
    return None


def _polished(H, c, l1, positive, active, steps):
    """The last active set solved directly, returned when it is optimal to rounding."""
    A, s = active.index, active.signs
    w = np.zeros(len(c))
    if len(A):
        w_A = active.solve(c[A] - l1 * s)
        if w_A is None or np.any(w_A * s <= 0):
            return None
        w[A] = w_A
        q = c - w_A @ active.rows
    else:
        q = c
    rest = np.ones(len(c), dtype=bool)
    rest[A] = False
    off = (q if positive else np.abs(q))[rest]
    if np.any(off > l1 * (1 + _KKT_SLACK) + 1e-14 * float(np.max(np.abs(c), initial=0.0))):
        return None
    return w, steps, (A.copy(), active.factor)
