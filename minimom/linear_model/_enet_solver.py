"""The elastic net on working sets: scikit-learn's objective, its duality gap, and exact polished solutions.

For centred data (weights ``s_i`` summing to one, ``X_c = X - 1 m^T``, ``y_c = y - s^T y``) the fit minimizes

    P(w) = 0.5 sum_i s_i (y_c,i - x_c,i w)^2 + l1 ||w||_1 + 0.5 l2 ||w||^2,

which is scikit-learn's ``1/(2 n) ||y - X w - b||^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio)/2 ||w||^2``
with ``l1 = alpha l1_ratio`` and ``l2 = alpha (1 - l1_ratio)``. A dense in-memory ``X`` is centred once in a
column-major copy; any other ``X`` is never centred: the mean acts on d-vectors, so sparse ``X`` stays sparse.

The solver (celer / skglm's working sets, Massias et al. 2018, Bertrand et al. 2022):

1. one pass ``g = X_c^T (s * r)`` gives the duality gap (the stopping rule) and each feature's KKT violation;
2. the working set is the support plus the most violating features (the first ``max(10, sqrt(d))``, on dense
   ``X`` at least ``min(d, 2 n) / 8``; then at least twice the support, at least 10,
   at most three times the support while that is under a third of the samples, twice beyond; all features
   once that is over half of them);
3. its Gram matrix ``G = X_ws,c^T diag(s) X_ws,c`` is formed once (each feature's column products once per
   fit; all of it in one symmetric product when the working set is every feature) and the subproblem solved
   there exactly: 20-30 accelerated proximal-gradient steps (matrix-vector products) bring the support and signs
   close, then the primal-dual active-set iterations of :mod:`._active_set` (one Cholesky factorization each,
   all wrong signs and violations corrected at once) end at the exact solution, typically in 1-5 iterations;
   when they do not, the homotopy of :mod:`._homotopy` (warm-started, one Cholesky update per event; when few
   features enter, from the previous working set's final factor) does, and :mod:`._quadratic_cd`
   (coordinate descent and active-set Newton steps) is the last fallback and the solver when ``l1 = 0``
   (``positive=True`` without L1);
4. repeat until the gap is ``<= tol * sum_i s_i y_c,i^2`` (scikit-learn's own test, in its scale).
"""

from __future__ import annotations

import numpy as np

from . import _active_set, _homotopy, _quadratic_cd
from ._enet_problem import GramCache, column_square_norms

_MIN_WORKING_SET = 10
_FIRST_SCALE = 1.0  # the first working set: max(10, sqrt(d)) features, its Gram about one pass over X
_FIRST_SHARE, _FIRST_RANK = 0.125, 2  # on dense X, at least an eighth of min(d, 2 n) (a support is at most n)
_GROW = 2  # a working set grows by at most this many times its support, while it is under a third of the samples
_GROW_NEAR_RANK = 1  # ... and by at most its support beyond: supports near the rank make the subproblems singular
_ALL = 0.5  # a working set of more than this share of the features takes them all
_HINT_RATIO = 10  # the previous factor is carried over when at most support / this many features enter


def duality_gap(problem, w, residual, gradient, l1, l2, positive) -> float:
    """scikit-learn's duality gap (``_cd_fast.gap_enet``) in the weight-normalized scale of ``dual_gap_``."""
    r_norm2 = float(problem.weights @ residual**2)
    r_y = float(problem.weights @ (residual * problem.y))
    w_norm2 = float(w @ w)
    xta = gradient - l2 * w
    if l1 > 0:
        dual_norm = float(np.max(xta)) if positive else float(np.max(np.abs(xta)))
        scale = l1 / dual_norm if dual_norm > l1 else 1.0
        primal = 0.5 * (r_norm2 + l2 * w_norm2) + l1 * float(np.abs(w).sum())
        dual = -0.5 * scale**2 * (r_norm2 + l2 * w_norm2) + scale * r_y
        return primal - dual
    if positive:  # no dual of this form: the squared projected gradient, zero exactly at the optimum
        return float(np.sum(np.where(w > 0, xta, np.maximum(xta, 0.0)) ** 2))
    if l2 > 0:  # a ridge: scikit-learn's formulation B, with X^T r (not X^T r - l2 w)
        return r_norm2 + 0.5 * l2 * w_norm2 - r_y + float(gradient @ gradient) / (2 * l2)
    return float(xta @ xta)


def _violations(gradient, w, l1, positive, norms):
    """How far each zero feature is from entering (celer's ``1 - |x_j^T theta|`` over ``||x_j||``).

    ``+inf`` on the support (always kept), ``-inf`` for constant features (never useful).
    """
    magnitude = gradient if positive else np.abs(gradient)
    score = (magnitude - l1) / np.where(norms > 0, norms, 1.0)
    score[norms == 0] = -np.inf
    score[w != 0] = np.inf
    return score


def solve_enet(problem, l1, l2, positive, w0, tol, max_iter):
    """Working-set elastic net from ``w0``. Returns ``(w, gap, n_iter, converged)``.

    ``n_iter`` counts coordinate-descent epochs over the working sets (0 when ``w0`` already meets the stopping
    rule, as scikit-learn checks the gap before its first epoch); ``converged`` means the gap reached
    ``tol * sum s y_c^2`` or the last polish was exact on all features.
    """
    d = problem.X.shape[1]
    w = np.array(w0, dtype=np.float64)
    target = tol * float(problem.weights @ problem.y**2)
    norms = np.sqrt(np.maximum(column_square_norms(problem), 0.0))
    if not np.all(np.isfinite(norms)):
        raise ValueError("Coordinate descent iterations resulted in non-finite parameter values: the squared norms "
                         "of X's columns overflow float64, so no finite solution can be computed. Rescale X (for "
                         "example with sklearn.preprocessing.StandardScaler).")
    positive_mask = np.full(d, bool(positive))
    # |x_j^T s y_c| <= ||x_j|| ||y_c||: the scale of the KKT conditions where no l1 sets one (positive least squares)
    floor = float(np.max(norms, initial=0.0)) * float(np.sqrt(problem.weights @ problem.y**2))
    ws_size, n_iter = 0, 0
    # Gram ~ one pass over X; on dense X at least an eighth of min(d, 2 n) (fewer rounds when both are many)
    share = _FIRST_SHARE * min(d, _FIRST_RANK * problem.X.shape[0]) if problem.centred else 0
    first_size = max(_MIN_WORKING_SET, int(_FIRST_SCALE * np.sqrt(d)), int(share))
    gram_cache = GramCache(problem)
    hint = (np.zeros(0, dtype=np.intp), None)  # the last homotopy's active features and their Cholesky factor
    local = np.full(d, -1, dtype=np.intp)
    while True:
        residual = problem.residual(w)
        gradient = problem.gradient(residual)
        gap = duality_gap(problem, w, residual, gradient, l1, l2, positive)
        score = _violations(gradient - l2 * w, w, l1, positive, norms)
        entering = int(np.sum((score > 0) & (w == 0)))
        if gap <= target or _exact_everywhere(gradient - l2 * w, w, l1, positive, floor):
            return w, gap, n_iter, True
        if n_iter >= max_iter:
            return w, gap, max(n_iter, 1), False
        support_size = int(np.count_nonzero(w))
        grow = _GROW if 3 * support_size <= problem.X.shape[0] else _GROW_NEAR_RANK
        ws_size = min(d, max(first_size, 2 * support_size, ws_size if entering == 0 else 0,
                             support_size + min(entering, max(grow * support_size, _MIN_WORKING_SET))))
        if ws_size <= support_size and ws_size < d:
            ws_size = min(d, 2 * ws_size)
        if ws_size > _ALL * d:  # the next working set would have been all of them: one Gram, one subproblem fewer
            ws_size = d
        if ws_size < d:
            columns = np.sort(np.argpartition(-score, ws_size - 1)[:ws_size])
        else:
            columns = np.arange(d)
        outside = np.ones(d, dtype=bool)
        outside[columns] = False
        columns = columns[norms[columns] > 0]
        columns, G = gram_cache.get(columns)
        w_ws = w[columns]
        c = gradient[columns] + G @ w_ws
        # Solve the subproblem well below what still violates outside it (celer's rule), exactly when nothing does.
        xta = gradient - l2 * w
        rest = ((xta if positive else np.abs(xta)) - l1)[outside & (norms > 0)]
        inner_tol = 0.3 * float(np.max(rest, initial=0.0))
        found = None
        if l1 > 0:  # the exact homotopy from the current point, else from zero, else coordinate descent
            H = G + l2 * np.eye(len(columns)) if l2 else G
            start = _active_set.proximal_gradient(H, c, l1, positive, w_ws)
            found = _active_set.solve(H, c, l1, positive, start)
            if found is None:
                carried = _local_hint(hint, columns, local) if _HINT_RATIO * entering <= support_size else None
                found = _homotopy.solve(H, c, l1, positive, start, hint=carried)
            if found is None and np.any(start):
                found = _homotopy.solve(H, c, l1, positive)
        if found is not None:  # exact on the working set
            w_ws, epochs = found[0], 1
            hint = (columns[found[2][0]], found[2][1])
        else:
            w_ws, epochs, _ = _quadratic_cd.solve(G, c, w_ws.copy(), np.full(len(columns), l1), l2,
                                                   positive_mask[columns], inner_tol, max_iter - n_iter)
        n_iter += epochs
        w[:] = 0.0
        w[columns] = w_ws


def _local_hint(hint, columns, local):
    """The carried ``(features, factor)`` in the working set's coordinates, or None when one is not in it."""
    local[:] = -1
    local[columns] = np.arange(len(columns))
    order = local[hint[0]]
    return (order, hint[1]) if np.all(order >= 0) else None


def _exact_everywhere(xta, w, l1, positive, floor=0.0) -> bool:
    """KKT on every feature up to rounding: ``|x_j^T r - l2 w_j| <= l1`` off the support and ``= l1`` on it.

    Rounding is ``1e-10`` of the largest of ``l1``, ``|x_j^T r - l2 w_j|`` and ``floor`` (``max ||x_j|| ||y_c||``,
    without which a positive least-squares fit whose every feature is active never meets the test).
    """
    scale = max(l1, float(np.max(np.abs(xta), initial=0.0)), floor, 1e-300)
    slack = 1e-10 * scale
    nonzero = w != 0
    if positive and np.any(w < 0):
        return False
    on = np.abs(xta[nonzero] - l1 * np.sign(w[nonzero]))
    off = (xta if positive else np.abs(xta))[~nonzero] - l1
    return bool(np.all(on <= slack) and np.all(off <= slack))
