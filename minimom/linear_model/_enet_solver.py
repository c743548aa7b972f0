"""The elastic net on working sets: scikit-learn's objective, its duality gap, and exact polished solutions.

For centred data (weights ``s_i`` summing to one, ``X_c = X - 1 m^T``, ``y_c = y - s^T y``) the fit minimizes

    P(w) = 0.5 sum_i s_i (y_c,i - x_c,i w)^2 + l1 ||w||_1 + 0.5 l2 ||w||^2,

which is scikit-learn's ``1/(2 n) ||y - X w - b||^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio)/2 ||w||^2``
with ``l1 = alpha l1_ratio`` and ``l2 = alpha (1 - l1_ratio)``. A dense in-memory ``X`` is centred once in a
column-major copy; any other ``X`` is never centred: the mean acts on d-vectors, so sparse ``X`` stays sparse.

The solver (celer / skglm's working sets, Massias et al. 2018, Bertrand et al. 2022):

1. one pass ``g = X_c^T (s * r)`` gives the duality gap (the stopping rule) and each feature's KKT violation;
2. the working set is the support plus the most violating features (at least twice the support, at least 10);
3. its Gram matrix ``G = X_ws,c^T diag(s) X_ws,c`` is formed once (each feature's column products once per
   fit) and the subproblem solved there exactly: a few coordinate-descent epochs bring the support close,
   then the homotopy of :mod:`._homotopy` (warm-started, one Cholesky update per event) ends at the exact
   solution (when few features enter, from the previous working set's final Cholesky factor);
   :mod:`._quadratic_cd` (coordinate descent and active-set Newton steps) is the fallback and the solver
   when ``l1 = 0`` (``positive=True`` without L1);
4. repeat until the gap is ``<= tol * sum_i s_i y_c,i^2`` (scikit-learn's own test, in its scale).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from . import _homotopy, _quadratic_cd

_MIN_WORKING_SET = 10
_FIRST_SCALE = 1.0  # the first working set: max(10, sqrt(d)) features, its Gram about one pass over X
_GROW = 1  # a working set grows by at most this many times its support
_CD_EPOCHS = 10  # at most, before each homotopy
_HINT_RATIO = 10  # the previous factor is carried over when at most support / this many features enter


_COPY_LIMIT = 2**30  # bytes (as float64): a dense in-memory X up to this size is centred once into a column-major copy


def centred_design(X, weights, fit_intercept, weighted_mean):
    """``(X, mean, centred)``: the solver's copy of ``X`` and the weighted column means (zero without intercept).

    A dense in-memory ``X`` (an ndarray, not a memmap, at most 1 GiB as float64) is copied once into a
    column-major float64 array, its means taken from that copy (one matrix-vector product) and subtracted in
    place, as scikit-learn's coordinate descent does: working-set columns are then contiguous and the centring
    is paid once, for every target. Any other ``X`` (scipy.sparse as CSC, a memmap) is read as it is and
    ``weighted_mean(weights)`` (the design's pass) gives the means, which the solver applies to d-vectors.
    """
    d = X.shape[1]
    if type(X) is np.ndarray and X.ndim == 2 and X.dtype in (np.float64, np.float32) and 8 * X.size <= _COPY_LIMIT:
        copy = np.array(X, dtype=np.float64, order="F")
        if not fit_intercept:
            return copy, np.zeros(d), True
        mean = weights @ copy
        copy -= mean
        return copy, mean, True
    return solver_data(X), (weighted_mean(weights) if fit_intercept else np.zeros(d)), False


def solver_data(X):
    """``X`` as the solver reads it: CSC for sparse input (column slices), float64 (one copy of float32 data)."""
    if sp.issparse(X):
        return X.tocsc().astype(np.float64, copy=False)
    return X if X.dtype == np.float64 else X.astype(np.float64)


@dataclasses.dataclass
class EnetProblem:
    """Least squares data for one target: ``X`` (dense float64 or CSC) with column means ``mean``, centred ``y``,
    normalized ``weights``; ``centred``: ``X`` is already centred (:func:`centred_design`; ``mean`` is then zero).
    """

    X: object
    mean: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    centred: bool = False

    def __post_init__(self):
        if self.centred:
            self.mean = np.zeros(self.X.shape[1])
        s = self.weights
        self.uniform = len(s) > 0 and bool(np.all(s == s[0]))

    def residual(self, w):
        """``y_c - X_c w``, touching only the columns where ``w`` is non-zero."""
        support = np.flatnonzero(w)
        if len(support) == 0:
            return self.y.copy()
        columns = self.X[:, support]
        scores = columns @ w[support]
        if self.centred:
            return self.y - scores
        return self.y - np.asarray(scores).ravel() + self.mean[support] @ w[support]

    def gradient(self, residual):
        """``X_c^T (s * r)``: one pass over ``X``."""
        weighted = self.weights * residual
        if self.centred:
            return residual @ self.X * self.weights[0] if self.uniform else weighted @ self.X
        return np.asarray(self.X.T @ weighted).ravel() - self.mean * weighted.sum()

    def cross_gram(self, rows, columns):
        """``X_c[:, rows]^T diag(s) X_c[:, columns]``, centred without cancellation for dense ``X``."""
        if self.centred:
            right = self.X[:, columns]
            if not self.uniform:
                right = right * self.weights[:, None]
            product = self.X[:, rows].T @ right
            return product * self.weights[0] if self.uniform else product
        root = np.sqrt(self.weights)[:, None]
        if sp.issparse(self.X):
            left = self.X[:, rows].multiply(root).tocsc()
            right = self.X[:, columns].multiply(root).tocsc()
            product = (left.T @ right).toarray()
            return product - np.outer(self.mean[rows], self.mean[columns])
        left = (self.X[:, rows] - self.mean[rows]) * root
        right = (self.X[:, columns] - self.mean[columns]) * root
        return left.T @ right


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
    norms = np.sqrt(np.maximum(_column_square_norms(problem), 0.0))
    if not np.all(np.isfinite(norms)):
        raise ValueError("Coordinate descent iterations resulted in non-finite parameter values: the squared norms "
                         "of X's columns overflow float64, so no finite solution can be computed. Rescale X (for "
                         "example with sklearn.preprocessing.StandardScaler).")
    positive_mask = np.full(d, bool(positive))
    # |x_j^T s y_c| <= ||x_j|| ||y_c||: the scale of the KKT conditions where no l1 sets one (positive least squares)
    floor = float(np.max(norms, initial=0.0)) * float(np.sqrt(problem.weights @ problem.y**2))
    ws_size, n_iter = 0, 0
    first_size = max(_MIN_WORKING_SET, int(_FIRST_SCALE * np.sqrt(d)))  # Gram ~ one pass over X
    gram_cache = _GramCache(problem)
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
        ws_size = min(d, max(first_size, 2 * support_size, ws_size if entering == 0 else 0,
                             support_size + min(entering, max(int(_GROW * support_size), _MIN_WORKING_SET))))
        if ws_size <= support_size and ws_size < d:
            ws_size = min(d, 2 * ws_size)
        if ws_size < d:
            columns = np.sort(np.argpartition(-score, ws_size - 1)[:ws_size])
        else:
            columns = np.arange(d)
        outside = np.ones(d, dtype=bool)
        outside[columns] = False
        columns = columns[norms[columns] > 0]
        G = gram_cache.get(columns)
        w_ws = w[columns]
        c = gradient[columns] + G @ w_ws
        # Solve the subproblem well below what still violates outside it (celer's rule), exactly when nothing does.
        xta = gradient - l2 * w
        rest = ((xta if positive else np.abs(xta)) - l1)[outside & (norms > 0)]
        inner_tol = 0.3 * float(np.max(rest, initial=0.0))
        found = None
        if l1 > 0:  # the exact homotopy from the current point, else from zero, else coordinate descent
            H = G + l2 * np.eye(len(columns)) if l2 else G
            start = w_ws.copy()
            _cd_warm_start(H, c, start, l1, positive_mask[columns])
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


def _cd_warm_start(H, c, w, l1, positive):
    """Coordinate-descent epochs on ``w`` (in place) until its support stops changing (at most ``_CD_EPOCHS``).

    They bring the support close to the subproblem's, for little: the homotopy that follows then has few events.
    """
    q = c - H @ w
    _quadratic_cd.soft_threshold_epochs(H, q, w, np.full(len(c), l1), H.diagonal(), positive, _CD_EPOCHS,
                                        until_stable=True)


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


def _column_square_norms(problem):
    """``diag(X_c^T diag(s) X_c)`` without forming ``X_c``."""
    X, s, m = problem.X, problem.weights, problem.mean
    if sp.issparse(X):
        squares = np.asarray(X.multiply(X).T @ s).ravel()
    else:
        if getattr(problem, "uniform", False):
            squares = np.einsum("ij,ij->j", X, X) * s[0]
        else:
            squares = np.einsum("ij,ij->j", X, X * s[:, None]) if X.shape[0] * X.shape[1] < 5e7 else (X**2).T @ s
    return squares - m**2


class _GramCache:
    """Gram matrices of working sets, each feature's column products computed once per fit.

    The products live in a square buffer that grows by doubling (positions in order of first use); a new
    working set adds its new features' rows against every cached feature in one product.
    """

    def __init__(self, problem):
        self.problem = problem
        self.features = np.zeros(0, dtype=np.intp)
        self.position = np.full(problem.X.shape[1], -1, dtype=np.intp)
        self.buffer = np.zeros((0, 0))

    def get(self, columns):
        new = columns[self.position[columns] < 0]
        if len(new):
            m, total = len(self.features), len(self.features) + len(new)
            if total > len(self.buffer):
                bigger = np.empty((max(total, min(2 * len(self.buffer), self.problem.X.shape[1])),) * 2)
                bigger[:m, :m] = self.buffer[:m, :m]
                self.buffer = bigger
            self.features = np.concatenate([self.features, new])
            block = self.problem.cross_gram(new, self.features)  # (new, known + new)
            square = block[:, m:]
            square += square.T  # exactly symmetric, as the Cholesky factors read one triangle
            square *= 0.5
            self.buffer[m:total, :total] = block
            self.buffer[:m, m:total] = block[:, :m].T
            self.position[new] = np.arange(m, total)
        index = self.position[columns]
        return self.buffer.take(index, axis=0).take(index, axis=1)
