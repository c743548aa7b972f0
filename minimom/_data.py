"""Every pass over the data ``X`` of the linear models, in one place.

The estimators never copy, centre or whiten ``X``: they call these functions,
which read ``X`` as it is and dispatch on its type. Dense arrays (ndarray or
memmap, float64 or float32) are read in row blocks of about
``_BLOCK_BYTES`` bytes, so temporaries stay small and float32 blocks are
converted to float64 one block at a time; scipy.sparse matrices (CSR or CSC)
go through scipy's sparse products and are never densified.

Conventions: ``weights`` are per-row and sum to one where a mean is taken;
``mean`` and ``scale`` are d-vectors applied to d-vectors, never to ``X``
(``(X - mean) @ v = X @ v - mean @ v``); results are float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

__all__ = ["column_extremes", "weighted_mean", "second_moment", "second_moment_diagonal", "gram",
           "matmul", "rmatmul", "loss_pass"]

_BLOCK_BYTES = 8 * 2**20  # float64 bytes per row block: a few blocks of this stay well below 0.1 x X


def _row_blocks(X) -> list[slice]:
    """Row slices covering ``X``: one slice for sparse or small ``X``, else blocks of about ``_BLOCK_BYTES``."""
    n, d = X.shape
    if sp.issparse(X):
        return [slice(0, n)]
    rows = max(1, _BLOCK_BYTES // (8 * max(d, 1)))
    return [slice(start, min(start + rows, n)) for start in range(0, n, rows)] or [slice(0, 0)]


def _block(X, rows: slice) -> np.ndarray:
    """Rows ``rows`` of dense ``X`` as float64 (a view when ``X`` is float64 already)."""
    block = X[rows]
    return block if block.dtype == np.float64 else block.astype(np.float64)


def column_extremes(X) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of ``X`` (implicit zeros of sparse ``X`` included)."""
    if sp.issparse(X):
        return (np.asarray(X.min(axis=0).todense(), dtype=np.float64).ravel(),
                np.asarray(X.max(axis=0).todense(), dtype=np.float64).ravel())
    return np.asarray(X.min(axis=0), dtype=np.float64), np.asarray(X.max(axis=0), dtype=np.float64)


def weighted_mean(X, weights: np.ndarray) -> np.ndarray:
    """``sum_i weights_i x_i``: the weighted column means when ``weights`` sum to one."""
    if sp.issparse(X):
        return np.asarray(X.T @ weights, dtype=np.float64).ravel()
    total = np.zeros(X.shape[1])
    for rows in _row_blocks(X):
        total += weights[rows] @ _block(X, rows)
    return total


def second_moment(X, weights: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``S (X - mean)^T diag(weights) (X - mean) S`` with ``S = diag(scale)``, a d x d matrix.

    Dense ``X``: centred and scaled one row block at a time, then a symmetric
    product (BLAS syrk) per block. Sparse ``X``: ``S (X^T W X - m m^T) S``
    from sparse products (``weights`` must then sum to one).
    """
    d = X.shape[1]
    if sp.issparse(X):
        scaled = X @ sp.diags(scale)
        moment = scaled.T @ scaled.multiply(weights[:, None]).tocsr()
        moment = moment.toarray() if sp.issparse(moment) else np.asarray(moment)
        centre = mean * scale
        return moment - np.outer(centre, centre)
    moment = np.zeros((d, d))
    root = np.sqrt(weights)
    for rows in _row_blocks(X):
        block = np.subtract(X[rows], mean)  # a new float64 block: safe to scale in place
        block *= scale
        block *= root[rows, None]
        moment += block.T @ block
    return moment


def second_moment_diagonal(X, weights: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The diagonal of :func:`second_moment`, without forming the d x d matrix."""
    if sp.issparse(X):
        squares = np.asarray(X.multiply(X).T @ weights, dtype=np.float64).ravel()
        return (squares - mean**2) * scale**2
    total = np.zeros(X.shape[1])
    for rows in _row_blocks(X):
        block = np.subtract(X[rows], mean)
        block *= scale
        total += weights[rows] @ (block * block)
    return total


def gram(X, weights: np.ndarray, mean: np.ndarray, factor: float) -> np.ndarray:
    """``A A^T`` for ``A = factor * diag(sqrt(weights)) (X - mean)``, an n x n matrix (for n < d).

    Formed as ``X X^T`` corrected by the mean, so ``X`` is not copied.
    """
    if sp.issparse(X):
        product = X @ X.T
        product = product.toarray() if sp.issparse(product) else np.asarray(product)
    else:
        product = np.zeros((X.shape[0], X.shape[0]))
        blocks = _row_blocks(X)
        for rows in blocks:
            for cols in blocks:
                product[rows, cols] = _block(X, rows) @ _block(X, cols).T
    projected = matmul(X, mean[:, None], np.zeros(1))[:, 0]  # X m
    product += mean @ mean - projected[:, None] - projected[None, :]
    root = np.sqrt(weights) * factor
    return product * root[:, None] * root[None, :]


def matmul(X, coef: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``X @ coef + offset`` for ``coef`` of shape (d, k): the n x k linear scores, as float64."""
    if sp.issparse(X):
        return np.asarray(X @ coef, dtype=np.float64) + offset
    out = np.empty((X.shape[0], coef.shape[1]))
    for rows in _row_blocks(X):
        np.add(_block(X, rows) @ coef, offset, out=out[rows])
    return out


def rmatmul(X, residual: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``(X - mean)^T @ residual = X^T R - mean (1^T R)`` for ``residual`` of shape (n, k): (d, k)."""
    if sp.issparse(X):
        product = np.asarray(X.T @ residual, dtype=np.float64)
    else:
        product = np.zeros((X.shape[1], residual.shape[1]))
        for rows in _row_blocks(X):
            product += _block(X, rows).T @ residual[rows]
    return product - np.outer(mean, residual.sum(axis=0))


RowLoss = Callable[..., tuple[float, np.ndarray]]


def loss_pass(X, coef: np.ndarray, offset: np.ndarray, mean: np.ndarray, row_loss: RowLoss, row_data: tuple = ()):
    """One pass computing a loss summed over rows and its gradient in the linear scores' parameters.

    For each row block, ``scores = X_b @ coef + offset`` (shape (rows, k)) and
    ``value_b, residual_b = row_loss(scores, *(a[rows] for a in row_data))``
    (``row_data``: per-row arrays such as targets and weights, sliced with the
    block). ``residual_b`` has shape (rows, m), ``m`` may differ from ``k`` (a
    Hessian-vector product passes ``[coef, direction]`` stacked). Returns
    ``(sum_b value_b, (X - mean)^T R, 1^T R)``: with ``offset = c - mean @ coef``,
    the scores are ``(X - mean) @ coef + c`` and these are the gradient of the
    summed loss with respect to ``coef`` and ``c``.
    """
    if sp.issparse(X):
        scores = np.asarray(X @ coef, dtype=np.float64) + offset
        value, residual = row_loss(scores, *row_data)
        total = residual.sum(axis=0)
        return value, np.asarray(X.T @ residual, dtype=np.float64) - np.outer(mean, total), total
    value, product, total = 0.0, None, None
    for rows in _row_blocks(X):
        block = _block(X, rows)
        scores = block @ coef
        scores += offset
        block_value, residual = row_loss(scores, *(a[rows] for a in row_data))
        value += block_value
        block_product = block.T @ residual
        block_total = residual.sum(axis=0)
        product = block_product if product is None else product + block_product
        total = block_total if total is None else total + block_total
    return value, product - np.outer(mean, total), total
