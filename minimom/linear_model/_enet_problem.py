"""The elastic net's data for one target, centred without densifying: ``X_c = X - 1 m^T``, ``y_c``, weights ``s``.

A dense in-memory ``X`` is centred once into a column-major copy (:func:`centred_design`); any other ``X``
(CSC, a memmap) is read as it is and its means act on d-vectors. :class:`EnetProblem` answers the solver's
three questions -- the residual ``y_c - X_c w``, the gradient ``X_c^T (s * r)`` (one pass), the Gram columns
``X_c[:, a]^T diag(s) X_c[:, b]`` -- and :class:`GramCache` computes each feature's column products once per fit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

__all__ = ["EnetProblem", "GramCache", "centred_design", "column_square_norms", "solver_data"]

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


def column_square_norms(problem):
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


class GramCache:
    """Gram matrices of working sets, each feature's column products computed once per fit.

    The products live in a square buffer that grows by doubling (positions in order of first use); a new
    working set adds its new features' rows against every cached feature in one product. :meth:`get` answers
    ``(columns, G)`` with the columns in the buffer's order, and ``G`` a read-only view of the buffer (no copy of
    ``d^2`` numbers) when they are all the cached features.
    """

    def __init__(self, problem):
        self.problem = problem
        self.features = np.zeros(0, dtype=np.intp)
        self.position = np.full(problem.X.shape[1], -1, dtype=np.intp)
        self.buffer = np.zeros((0, 0))

    def get(self, columns):
        d = self.problem.X.shape[1]
        if len(columns) == d and len(self.features) < d and self.problem.centred:
            self._everything()
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
        index = np.sort(self.position[columns])  # the buffer's order: rows read in sequence, no copy for all
        if len(index) == len(self.features):
            view = self.buffer[: len(index), : len(index)]
            view.flags.writeable = False
            return self.features.copy(), view
        return self.features[index], self.buffer[index][:, index]

    def _everything(self):
        """The whole Gram matrix in one symmetric product (``X^T X``: BLAS syrk, half the work of the rest)."""
        X, s = self.problem.X, self.problem.weights
        if self.problem.uniform:
            self.buffer = X.T @ X
            self.buffer *= s[0]
        else:
            scaled = X * np.sqrt(s)[:, None]
            self.buffer = scaled.T @ scaled
        self.features = np.arange(X.shape[1])
        self.position = self.features.copy()
