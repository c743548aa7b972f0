"""The block kernels of the linear models' passes over ``X``: what one block of rows contributes, and the sum.

A pass over ``X`` (see :mod:`minimom.data._design`) cuts it into row blocks,
applies one of these kernels to every block where the block is (here, or on a
dask worker) and adds the blocks' small results up: the weighted moments
(:func:`moment_part`, summed and finished by :func:`finish_moments`), a loss
and its gradient (:func:`loss_part`). Dense blocks are converted to float64
one block at a time; scipy.sparse ``X`` is one block, through scipy's sparse
products, never densified.

Conventions: ``mean`` and ``scale`` are d-vectors applied to d-vectors, never
to ``X`` (``(X - mean) @ v = X @ v - mean @ v``); results are float64. The
module-level functions (:func:`moments`, :func:`matmul`, ...) are the same
passes on a bare array, through :func:`minimom.data._design.as_design`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = ["Moments", "moments", "column_extremes", "weighted_mean", "gram", "matmul", "rmatmul", "loss_pass"]

_BLOCK_BYTES = 8 * 2**20  # float64 bytes per row block: a few blocks of this stay well below 0.1 x X
_SUB_BYTES = 1 << 20  # float64 bytes per sub-block of a block's second moment (kept in cache)


def _row_blocks(X, block_bytes: int = _BLOCK_BYTES) -> list[slice]:
    """Row slices covering ``X``: one slice for sparse or small ``X``, else blocks of about ``block_bytes``."""
    n, d = X.shape
    if sp.issparse(X):
        return [slice(0, n)]
    rows = max(1, block_bytes // (8 * max(d, 1)))
    return [slice(start, min(start + rows, n)) for start in range(0, n, rows)] or [slice(0, 0)]


def _block(X, rows: slice) -> np.ndarray:
    """Rows ``rows`` of dense ``X`` as float64 (a view when ``X`` is float64 already)."""
    block = X[rows]
    return block if block.dtype == np.float64 else block.astype(np.float64)


class Moments(NamedTuple):
    """What one pass of :meth:`Design.moments` returns (``S = diag(scale)``, ``m`` the mean, ``c`` the targets)."""

    mean: np.ndarray  # (d,) weighted column means (zeros when not centred)
    second: np.ndarray  # (d, d) S (X - m)^T W (X - m) S / sum(W), or its diagonal
    cross: np.ndarray  # (d, k) S (X - m)^T W c / sum(W), k = 0 without targets
    low: np.ndarray  # (d,) per-column min of X - shift (constant columns: low == high)
    high: np.ndarray  # (d,) per-column max of X - shift
    shift: np.ndarray  # (d,) the provisional centre the extremes are taken about
    total: float = 1.0  # the sum of the weights
    target_mean: np.ndarray | None = None  # (k,) w^T c / sum(W), the targets' weighted mean (None without targets)


class ScoreWeights(NamedTuple):
    """Row weights computed block by block: ``fn(X_b @ coef + offset, *row_data_b)`` (e.g. a loss's curvature)."""

    coef: np.ndarray
    offset: np.ndarray
    fn: Callable
    row_data: tuple


def moment_part(shift, scale, full: bool, k: int, score_weights, check: bool, stride: int, X, *rows) -> tuple:
    """One dense block's sums about ``shift``: ``(sum w, sum w x, sum w x x^T (or its diagonal), sum w x c^T,
    sum w c, min x, max x, finite, exact)``, with ``x = (row - shift) * scale``. ``rows`` are the weights and the
    targets, or the row data of ``score_weights``. ``stride > 1``: ``sum w x x^T`` from every ``stride``-th row
    (:func:`_sampled_gram`) and ``exact`` its diagonal from every row (0.0 otherwise); the rest from every row."""
    about_zero = scale is None and not np.any(shift)  # then X itself is the block: no copy
    if score_weights is not None:
        raw = _as_float(X)
        weights = score_weights.fn(raw @ score_weights.coef + score_weights.offset, *rows).ravel()
        block, targets = raw if about_zero else np.subtract(raw, shift), None
    else:
        weights, targets = rows[0], (rows[1] if k else None)
        block = _as_float(X) if about_zero else np.subtract(X, shift)  # (else a new float64 block)
    finite = bool(np.isfinite(block).all()) if check else True
    low, high = _extremes(block)
    if scale is not None:
        block *= scale
    first = weights @ block
    cross = block.T @ (weights[:, None] * targets) if k else np.zeros((X.shape[1], 0))
    target_sum = weights @ targets if k else np.zeros(0)
    exact = 0.0
    if not full:
        second = weights @ (block * block)
    elif stride > 1:
        second, exact = _sampled_gram(block, weights, stride), weights @ (block * block)
    elif np.all(weights == weights[0]):
        second = weights[0] * _gram(block)
    else:
        second = _gram(block * np.sqrt(weights)[:, None])
    return np.array(weights.sum()), first, second, cross, target_sum, low, high, np.array(finite), exact


_WIDE_ROWS = 64  # rows per wide row of :func:`_extremes`


def _extremes(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of a dense block. A C-ordered block is read as rows of ``_WIDE_ROWS``
    rows each (a view): numpy's reduction over rows runs its inner loop along a row, slow for a few columns."""
    n, d = block.shape
    whole = (n // _WIDE_ROWS) * _WIDE_ROWS
    if not (block.flags.c_contiguous and whole and d < 256):
        return block.min(axis=0), block.max(axis=0)
    wide = block[:whole].reshape(-1, _WIDE_ROWS * d)
    low = wide.min(axis=0).reshape(_WIDE_ROWS, d).min(axis=0)
    high = wide.max(axis=0).reshape(_WIDE_ROWS, d).max(axis=0)
    if whole < n:
        np.minimum(low, block[whole:].min(axis=0), out=low)
        np.maximum(high, block[whole:].max(axis=0), out=high)
    return low, high


def _gram(block: np.ndarray) -> np.ndarray:
    """``block^T block`` summed over sub-blocks of about 1 MB (in cache: faster than one product over 8 MB)."""
    step = max(1, _SUB_BYTES // (8 * max(block.shape[1], 1)))
    if len(block) <= step:
        return block.T @ block
    second = np.zeros((block.shape[1], block.shape[1]))
    for start in range(0, len(block), step):
        part = block[start:start + step]
        second += part.T @ part
    return second


def _sampled_gram(block: np.ndarray, weights: np.ndarray, stride: int) -> np.ndarray:
    """``block^T W block`` estimated from every ``stride``-th row (``stride`` times fewer multiply-adds).

    The sampled rows' Gram matrix, scaled by the block's weight over theirs: an exact linear relation among
    the columns holds on every sampled row, so exact null directions stay exactly null. A block too short to
    sample, or whose sampled rows carry under a quarter of their share of its weight (zero weights there),
    takes every row. A sketch, for choosing a preconditioner; :func:`finish_moments` restores the sums of
    squares of columns the whole sample under-represents.
    """
    sampled = weights[::stride]
    total, whole = float(sampled.sum()), float(weights.sum())
    if len(block) < 2 * stride or not total > 0.25 * whole * len(sampled) / len(weights):
        return _gram(block * np.sqrt(weights)[:, None])
    second = _gram(block[::stride] * np.sqrt(sampled)[:, None])
    second *= whole / total
    return second


def _restore_rare(second: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """A sketched ``sum w x x^T`` whose column ``j`` sums under a quarter of its exact ``exact_j`` (a rare feature
    the sample missed) rescaled on that row and column to it, so no varying column looks constant; the others
    keep the sample's estimate. ``S G S`` with ``S = sqrt(exact / seen)`` there: zero correlations if unseen."""
    seen = np.diagonal(second)
    low = seen < 0.25 * exact
    if np.any(low):
        ratio = np.where(low, np.sqrt(exact / np.where(seen > 0, seen, np.inf)), 1.0)
        second = second * ratio[:, None] * ratio[None, :]
        second[np.flatnonzero(low), np.flatnonzero(low)] = exact[low]
    return second


def add_parts(a: tuple, b: tuple) -> tuple:
    """Two blocks' :func:`moment_part` sums added (extremes merged, finiteness and-ed)."""
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], np.minimum(a[5], b[5]),
            np.maximum(a[6], b[6]), a[7] & b[7], a[8] + b[8])


def finish_moments(parts: tuple, shift, scale, centre: bool, full: bool) -> Moments:
    """The :class:`Moments` from the summed parts: sums about ``shift`` turned into centred, normalized moments."""
    total, first, second, cross, target_sum, low, high, finite, exact = parts
    if not finite:
        raise ValueError("Input X contains NaN or infinity.")
    if np.ndim(exact):  # sketched: every column that varies keeps its weight
        second = _restore_rare(second, exact)
    total = float(total)
    norm = 1.0 / total if total > 0 else 0.0
    offset = first * norm if centre else np.zeros_like(first)  # the mean minus the shift, in scaled units
    second = second * norm - (np.outer(offset, offset) if full else offset**2)
    cross = cross * norm
    if cross.shape[1] and centre:
        cross -= np.outer(offset, target_sum * norm)
    unscaled = offset if scale is None else offset / np.where(scale > 0, scale, 1.0)
    return Moments(shift + unscaled if centre else np.zeros(len(first)), second, cross, low, high, shift, total,
                   target_sum * norm if cross.shape[1] else None)


def sparse_moments(X, weights, targets, centre: bool, scale, full: bool) -> Moments:
    """:class:`Moments` of scipy.sparse ``X`` about zero, with sparse products (weights of any positive sum)."""
    d = X.shape[1]
    total = float(weights.sum())
    w = weights / total
    Xs = X if scale is None else X @ sp.diags(scale)
    low, high = column_extremes_sparse(X)
    mean = np.asarray(Xs.T @ w).ravel() if centre else np.zeros(d)
    weighted = Xs.multiply(w[:, None]).tocsr()
    if full:
        second = Xs.T @ weighted
        second = (second.toarray() if sp.issparse(second) else np.asarray(second)) - np.outer(mean, mean)
    else:
        second = np.asarray(Xs.multiply(weighted).sum(axis=0)).ravel() - mean**2
    k = 0 if targets is None else targets.shape[1]
    cross = np.asarray(weighted.T @ targets) if k else np.zeros((d, 0))
    if k and centre:
        cross -= np.outer(mean, w @ targets)
    mean = mean if scale is None else mean / np.where(scale > 0, scale, 1.0)
    return Moments(mean, second, cross, low, high, np.zeros(d), total, w @ targets if k else None)


def column_extremes_sparse(X) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of sparse ``X`` (implicit zeros included)."""
    return (np.asarray(X.min(axis=0).todense(), dtype=np.float64).ravel(),
            np.asarray(X.max(axis=0).todense(), dtype=np.float64).ravel())


def _as_float(block):
    return block if sp.issparse(block) or block.dtype == np.float64 else block.astype(np.float64)


RowLoss = Callable[..., tuple[float, np.ndarray]]


def loss_part(coef: np.ndarray, offset, row_loss: RowLoss, X, *row_data) -> tuple:
    """One block's ``(value, [X_b^T R_b; 1^T R_b])`` for ``value, R_b = row_loss(X_b @ coef + offset, *row_data_b)``.

    The (d + 1, m) array is written in place (``np.matmul(..., out=)``): no temporaries beyond the scores.
    """
    X = _as_float(X)
    scores = X @ coef
    scores += offset
    value, residual = row_loss(scores, *row_data)
    out = np.empty((X.shape[1] + 1, residual.shape[1]))
    if sp.issparse(X):
        out[:-1] = X.T @ residual
    else:
        np.matmul(X.T, residual, out=out[:-1])
    np.add.reduce(residual, axis=0, out=out[-1])
    return np.asarray(value, dtype=np.float64), out


def extremes_part(X) -> tuple:
    X = _as_float(X)
    return _extremes(X) if not sp.issparse(X) else (X.min(axis=0), X.max(axis=0))


def merge_extremes(a, b) -> tuple:
    return np.minimum(a[0], b[0]), np.maximum(a[1], b[1])


def rmatmul_part(X, residual) -> tuple:
    return (_as_float(X).T @ residual, residual.sum(axis=0))


def mean_part(X, weights) -> tuple:
    return (weights @ _as_float(X),)


# The same passes on a bare array (the data layer's tests and the benchmarks call these).
def _design(X):
    from ._design import as_design

    return as_design(X)


def moments(X, weights: np.ndarray, targets: np.ndarray | None = None, centre: bool = True,
            scale: np.ndarray | None = None, full: bool = True) -> Moments:
    """:meth:`Design.moments` of ``X``: weighted mean, second and cross moments and column extremes in one pass."""
    return _design(X).moments(weights, targets, centre, scale, full)


def column_extremes(X) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of ``X`` (implicit zeros of sparse ``X`` included)."""
    return _design(X).column_extremes()


def weighted_mean(X, weights: np.ndarray) -> np.ndarray:
    """``sum_i weights_i x_i``: the weighted column means when ``weights`` sum to one."""
    return _design(X).weighted_mean(weights)


def gram(X, weights: np.ndarray, mean: np.ndarray, factor: float) -> np.ndarray:
    """``A A^T`` for ``A = factor * diag(sqrt(weights)) (X - mean)``, an n x n matrix (for n < d)."""
    return _design(X).gram(weights, mean, factor)


def matmul(X, coef: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``X @ coef + offset`` for ``coef`` of shape (d, k): the n x k linear scores, as float64."""
    return _design(X).matmul(coef, offset)


def rmatmul(X, residual: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``(X - mean)^T @ residual = X^T R - mean (1^T R)`` for ``residual`` of shape (n, k): (d, k)."""
    return _design(X).rmatmul(residual, mean)


def loss_pass(X, coef: np.ndarray, offset, mean: np.ndarray | None, row_loss: RowLoss, row_data: tuple = (),
              with_total: bool = False):
    """:meth:`Design.loss_pass` of ``X``: a loss summed over rows and its gradient in the scores' parameters."""
    return _design(X).loss_pass(coef, offset, mean, row_loss, row_data, with_total)
