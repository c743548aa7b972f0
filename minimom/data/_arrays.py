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
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = ["Moments", "moments", "column_extremes", "weighted_mean", "gram", "matmul", "rmatmul", "loss_pass"]

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


class Moments(NamedTuple):
    """What one pass of :func:`moments` returns (``S = diag(scale)``, ``m`` the mean, ``c`` the centred targets)."""

    mean: np.ndarray  # (d,) weighted column means (zeros when not centred)
    second: np.ndarray  # (d, d) S (X - m)^T W (X - m) S
    cross: np.ndarray  # (d, k) S (X - m)^T W c, k = 0 without targets
    low: np.ndarray  # (d,) per-column min of X - shift (constant columns: low == high)
    high: np.ndarray  # (d,) per-column max of X - shift
    shift: np.ndarray  # (d,) the provisional centre the extremes are taken about


def moments(X, weights: np.ndarray, targets: np.ndarray | None = None, centre: bool = True,
            scale: np.ndarray | None = None, full: bool = True) -> Moments:
    """The weighted mean, second moment and cross moment with ``targets``, and column extremes, in ONE pass.

    Dense ``X``: every row block is taken about a provisional centre (the
    first block's mean), so ``Sum w (x - c)(x - c)^T - (m - c)(m - c)^T`` loses
    no digits to large offsets; one symmetric product (syrk) per block, and
    ``(x - c)^T W targets`` while the block is in cache. ``targets`` (n, k)
    must already be centred by their weighted mean when ``centre``. Sparse
    ``X``: sparse products about zero. ``weights`` sum to one. ``scale``
    multiplies the columns (for data whose squares would overflow or underflow).
    ``full=False`` gives only the diagonal of the second moment (a d-vector), for very wide data.
    """
    n, d = X.shape
    k = 0 if targets is None else targets.shape[1]
    uniform = bool(np.all(weights == weights[0]))
    if sp.issparse(X):
        Xs = X if scale is None else X @ sp.diags(scale)
        low, high = column_extremes(X)
        mean = np.asarray(Xs.T @ weights).ravel() if centre else np.zeros(d)
        weighted = Xs.multiply(weights[:, None]).tocsr()
        if full:
            second = Xs.T @ weighted
            second = (second.toarray() if sp.issparse(second) else np.asarray(second)) - np.outer(mean, mean)
        else:
            second = np.asarray(Xs.multiply(weighted).sum(axis=0)).ravel() - mean**2
        cross = np.asarray(weighted.T @ targets) if k else np.zeros((d, 0))
        mean = mean if scale is None else mean / np.where(scale > 0, scale, 1.0)
        return Moments(mean, second, cross, low, high, np.zeros(d))
    blocks = _row_blocks(X)
    shift = weights[blocks[0]] @ _block(X, blocks[0]) / max(weights[blocks[0]].sum(), 1e-300) if centre \
        else np.zeros(d)
    total, second, cross = np.zeros(d), np.zeros((d, d) if full else d), np.zeros((d, k))
    low, high = np.full(d, np.inf), np.full(d, -np.inf)
    root = np.sqrt(weights)
    for rows in blocks:
        block = np.subtract(X[rows], shift)  # a new float64 block
        np.minimum(low, block.min(axis=0), out=low)
        np.maximum(high, block.max(axis=0), out=high)
        if scale is not None:
            block *= scale
        if centre:
            total += weights[rows] @ block
        if k:
            cross += block.T @ (weights[rows, None] * targets[rows])
        if not full:
            second += weights[rows] @ (block * block)
            continue
        if not uniform:
            block *= root[rows, None]
        second += block.T @ block
    if uniform and full:
        second *= weights[0]
    offset = total  # the mean minus the shift, in scaled units
    second -= np.outer(offset, offset) if full else offset**2
    if k and centre:
        cross -= np.outer(offset, weights @ targets)
    unscaled = offset if scale is None else offset / np.where(scale > 0, scale, 1.0)
    return Moments(shift + unscaled if centre else np.zeros(d), second, cross, low, high, shift)


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


def loss_pass(X, coef: np.ndarray, offset, mean: np.ndarray | None, row_loss: RowLoss, row_data: tuple = (),
              with_total: bool = False):
    """One pass computing a loss summed over rows and its gradient in the linear scores' parameters.

    For each row block, ``scores = X_b @ coef + offset`` (shape (rows, k)) and
    ``value_b, residual_b = row_loss(scores, *(a[rows] for a in row_data))``
    (``row_data``: per-row arrays such as targets and weights, sliced with the
    block). ``residual_b`` has shape (rows, m), ``m`` may differ from ``k`` (a
    Hessian-vector product passes ``[coef, direction]`` stacked). Returns
    ``(sum_b value_b, (X - mean)^T R, 1^T R)``: with ``offset = c - mean @ coef``,
    the scores are ``(X - mean) @ coef + c`` and these are the gradient of the
    summed loss with respect to ``coef`` and ``c``. ``mean=None`` means zero.
    ``with_total=True`` returns ``(value, [X^T R; 1^T R])`` instead, one (d + 1, m) array.
    """
    d = X.shape[1]
    if sp.issparse(X) or (X.dtype == np.float64 and X.size <= _BLOCK_BYTES // 8):  # one block: the lean path
        scores = X @ coef
        scores += offset
        value, residual = row_loss(scores, *row_data)
        out = np.empty((d + 1, residual.shape[1]))
        if sp.issparse(X):
            out[:d] = X.T @ residual
        else:
            np.matmul(X.T, residual, out=out[:d])
        np.add.reduce(residual, axis=0, out=out[d])
    else:
        value, out = 0.0, None
        for rows in _row_blocks(X):
            block = _block(X, rows)
            scores = block @ coef
            scores += offset
            block_value, residual = row_loss(scores, *(a[rows] for a in row_data))
            value += block_value
            if out is None:
                out = np.zeros((d + 1, residual.shape[1]))
            out[:d] += block.T @ residual
            out[d] += residual.sum(axis=0)
    if with_total:
        return value, out
    product, total = out[:d], out[d]
    if mean is not None:
        product -= mean[:, None] * total
    return value, product, total
