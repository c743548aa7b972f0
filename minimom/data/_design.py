"""The design matrix ``X`` of a linear model, wrapped once: one class per kind of data behind one interface.

``fit`` calls :func:`fit_design` once; from there the estimator asks its
:class:`Design` the few questions a linear model asks, never what kind of
``X`` it holds:

- ``shape``, ``dtype`` (of the fitted attributes: float32 stays float32);
- :meth:`Design.moments`: weighted mean, second moment (about the mean),
  cross moment with targets and column extremes, in ONE pass; the weights may
  be computed block by block from the scores (:class:`ScoreWeights`);
- :meth:`Design.loss_pass`: a loss summed over rows and ``[X^T R; 1^T R]``,
  i.e. ``X @ w`` and ``X.T @ r`` block by block, in ONE pass;
- :meth:`Design.newton_pass`: a loss, its gradient and its Hessian (one more
  symmetric product per block, :mod:`minimom.data._hessian`), in ONE pass;
- ``matmul``, ``rmatmul``, ``gram``, ``weighted_mean``, ``column_extremes``;
- the per-row arrays (weights, labels, targets) where the rows live
  (:meth:`Design.rows`, :meth:`Design.compute`, :meth:`Design.take`, ...).

Kinds: ``DenseDesign`` (:mod:`minimom.data._dense_design`: an ndarray in memory, read in row-block views),
``SparseDesign`` (CSR/CSC, one block through sparse products),
``MemmapDesign`` (row blocks copied from the file and their pages
released, so memory stays flat) and ``DaskDesign`` (:mod:`minimom.data._dask`:
one task per row chunk on the active scheduler). Every pass is the same block
kernel (:mod:`minimom.data._arrays`) summed over blocks; a kind only says how to
cut ``X`` into blocks and add their results (``_reduce``). A new kind of data
(zarr, HDF5) is one more subclass of :class:`Design`, chosen in ``_kind``.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from . import _arrays, _hessian
from ._arrays import Moments, ScoreWeights
from ._blocks import _is_dask, _is_memmap

__all__ = ["Design", "ScoreWeights", "apply_by_rows", "as_design", "fit_design", "ACCEPT_SPARSE", "DTYPES"]

ACCEPT_SPARSE = ["csr", "csc"]  # other sparse formats are converted to CSR (a sparse copy, never dense)
DTYPES = [np.float64, np.float32]


def _add(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


class Design:
    """``X`` (n, d) with the passes a linear model makes over it. Subclasses say how blocks are read and summed."""

    _check_finite = False  # validated data (in memory) need no check; memmaps and dask arrays are checked in pass 1
    _lean = True  # a single block is X itself, not a copy
    costly_passes = False  # True where a pass reads a file or a cluster's memory: fewer passes beat fewer flops
    _block_bytes = _arrays._BLOCK_BYTES  # float64 bytes per row block of dense X

    def __init__(self, X, dtype=None):
        self.X = X
        self.shape = tuple(X.shape)
        self.n_rows, self.n_features = self.shape
        self.dtype = np.dtype(dtype) if dtype is not None else (
            X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64))
        self.passes = 0

    # -- how a kind cuts X into row blocks; everything below is written once on top of these ----------------------
    def _reduce(self, func, rows: list, combine=_add) -> tuple:
        """``func(X_b, *rows_b)`` over the row blocks ``b``, merged by ``combine`` (a sum by default)."""
        raise NotImplementedError

    def _shift(self, weights) -> np.ndarray:
        """The first block's weighted mean: the provisional centre of :meth:`moments`."""
        raise NotImplementedError

    # -- per-row arrays, where the rows live ---------------------------------------------------------------------
    def rows(self, a):
        """An n-row array placed with ``X``'s rows (numpy here; chunked like ``X`` for dask)."""
        return a

    def persist(self, arrays: tuple) -> tuple:
        """Per-row arrays kept where they are computed for the passes to come (dask: on the workers)."""
        return arrays

    def compute(self, *values) -> tuple:
        """Small results of row-array expressions, as numpy arrays."""
        return tuple(np.asarray(v) for v in values)

    def take(self, values: np.ndarray, labels):
        """``values[labels]`` row by row (per-class weights, one-hot rows)."""
        return values[labels]

    def encode_labels(self, y) -> tuple[np.ndarray, np.ndarray]:
        """The sorted classes of ``y`` and each row's class index."""
        from sklearn.utils.multiclass import check_classification_targets

        if isinstance(y, np.ndarray) and y.dtype.kind in "biuf":
            classes = np.unique(y)  # once: scikit-learn's check reads it from the dtype's metadata (its own cache)
            check_classification_targets(y.view(np.dtype(y.dtype, metadata={"unique": classes})))
        else:
            check_classification_targets(y)
            classes = np.unique(y)  # LabelEncoder's classes
        return classes, np.searchsorted(classes, y)  # the labels by a search, not unique's inverse (several n-vectors)

    def class_totals(self, labels, weights, n_classes: int) -> np.ndarray:
        return np.bincount(labels, weights=weights, minlength=n_classes)

    def sample_weights(self, sample_weight):
        """Checked per-row weights (ones for None, a scalar for every row), float64, not normalized."""
        from sklearn.utils.validation import _check_sample_weight

        return _check_sample_weight(sample_weight, self.X, dtype=np.float64, ensure_non_negative=True)

    def normalized_weights(self, sample_weight, checked: bool = False) -> tuple[np.ndarray, float]:
        """Sample weights divided by their sum ``sw_sum``, and ``sw_sum`` (``checked``: they come from
        :meth:`sample_weights` already)."""
        sample_weight = sample_weight if checked else self.sample_weights(sample_weight)
        (total,) = self.compute(sample_weight.sum())
        sw_sum = float(total)
        if not (sw_sum > 0 and np.isfinite(sw_sum)):
            raise ValueError(f"The sample weights sum to {sw_sum}; they must be finite with a positive sum.")
        return sample_weight / sw_sum, sw_sum

    # -- the passes -----------------------------------------------------------------------------------------------
    def moments(self, weights, targets=None, centre: bool = True, scale=None, full: bool = True,
                shift=None, stride: int = 1) -> Moments:
        """Weighted mean, second and cross moments (with centred ``targets`` (n, k)) and extremes: ONE pass.

        Every block is taken about one provisional centre (``shift``; by default
        the first block's weighted mean), so ``Sum w (x - c)(x - c)^T - W (m - c)(m - c)^T``
        loses no digits to large offsets; the second moment is divided by the
        weights' sum. ``scale`` multiplies the columns (for data whose squares
        would overflow or underflow); ``full=False`` gives only the diagonal.
        ``weights`` may be :class:`ScoreWeights`, computed from each block's scores.
        ``stride > 1`` takes the second moment from every ``stride``-th row of each dense block
        (:func:`._arrays._sampled_gram`: a sketch, for choosing a preconditioner; every other moment stays
        exact); sparse ``X`` ignores it.
        """
        self.passes += 1
        k = 0 if targets is None else targets.shape[1]
        score = weights if isinstance(weights, ScoreWeights) else None
        if not centre:
            shift = np.zeros(self.n_features)
        elif shift is None:
            shift = self._shift(weights)
        rows = list(score.row_data) if score is not None else [weights] + ([targets] if k else [])
        kernel = functools.partial(_arrays.moment_part, shift, scale, full, k, score, self._check_finite,
                                   stride)
        kernel = functools.partial(_hessian.pinned, kernel)  # thin products: BLAS on one thread for large blocks
        return _arrays.finish_moments(self._reduce(kernel, rows, _arrays.add_parts), shift, scale, centre, full)

    def loss_pass(self, coef: np.ndarray, offset, mean, row_loss, row_data: tuple = (), with_total: bool = False):
        """One pass: ``value = sum_b row_loss(X_b @ coef + offset, *row_data_b)[0]`` and the residuals' products.

        Returns ``(value, (X - mean)^T R, 1^T R)`` (``mean=None`` means zero), or
        with ``with_total=True`` ``(value, [X^T R; 1^T R])``, one (d + 1, m) array.
        """
        self.passes += 1
        value, out = self._reduce(functools.partial(_arrays.loss_part, coef, offset, row_loss), list(row_data))
        value = float(value)
        if with_total:
            return value, out
        product, total = out[:-1], out[-1]
        if mean is not None:
            product -= mean[:, None] * total
        return value, product, total

    def newton_pass(self, coef: np.ndarray, offset, row_fn, row_data: tuple = ()) -> tuple:
        """One pass: ``(value, G, H)`` (:mod:`minimom.data._hessian`) for the scores ``X @ coef + offset``."""
        self.passes += 1
        value, gradient, hessian = self._reduce(functools.partial(_hessian.newton_part, coef, offset, row_fn),
                                                list(row_data))
        return float(value), gradient, hessian

    def weighted_mean(self, weights) -> np.ndarray:
        self.passes += 1
        return self._reduce(_arrays.mean_part, [weights])[0]

    def column_extremes(self) -> tuple[np.ndarray, np.ndarray]:
        self.passes += 1
        return self._reduce(_arrays.extremes_part, [], _arrays.merge_extremes)

    def rmatmul(self, residual: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """``(X - mean)^T @ residual`` for ``residual`` (n, k)."""
        self.passes += 1
        product, total = self._reduce(_arrays.rmatmul_part, [self.rows(residual)])
        return product - np.outer(mean, total)

    def gram(self, weights, mean: np.ndarray, factor: float) -> np.ndarray:
        """``A A^T`` for ``A = factor * diag(sqrt(weights)) (X - mean)`` (n x n, for n < d); ``X`` is not copied."""
        product = self._xxt()
        projected = self.matmul(mean[:, None], np.zeros(1))[:, 0]  # X m
        product += mean @ mean - projected[:, None] - projected[None, :]
        root = np.sqrt(np.asarray(weights)) * factor
        return product * root[:, None] * root[None, :]

    @classmethod
    def apply(cls, X, fn):
        """``fn(X)`` (a prediction); dask arrays apply it chunk by chunk, lazily."""
        return fn(X)


def _kind(X) -> type[Design]:
    """The one place that asks what kind of ``X`` this is."""
    if _is_dask(X):
        from ._dask import DaskDesign

        return DaskDesign
    if sp.issparse(X):
        from ._sparse_design import SparseDesign

        return SparseDesign
    from ._dense_design import DenseDesign, MemmapDesign

    return MemmapDesign if _is_memmap(X) else DenseDesign


def as_design(X, dtype=None) -> Design:
    """``X`` (already validated) wrapped in the :class:`Design` of its kind."""
    return _kind(X)(X, dtype)


def fit_design(estimator, X, y, sample_weight=None, **kwargs) -> tuple[Design, object, object]:
    """Validate ``fit``'s inputs for the kind of ``X`` and wrap ``X`` once: ``(design, y, sample_weight)``.

    In memory: scikit-learn's ``validate_data`` (dense or CSR/CSC, float64 or
    float32 kept; sparse made float64 once). Memmaps are checked without being
    read, dask arrays where they live. ``kwargs``: ``multi_output``, ``y_numeric``.
    """
    if _is_dask(X) or _is_memmap(X):  # they validate themselves, without reading X
        return _kind(X).validate(estimator, X, y, sample_weight, **kwargs)
    from sklearn.utils.validation import validate_data

    X, y = validate_data(estimator, X, y, accept_sparse=ACCEPT_SPARSE, dtype=DTYPES, **kwargs)
    dtype = X.dtype
    if sp.issparse(X) and X.dtype != np.float64:
        X = X.astype(np.float64)  # sparse products in float64 (a copy of the non-zeros only)
    return as_design(X, dtype), y, sample_weight


def apply_by_rows(X, fn):
    """A prediction ``fn(X)``: on a dask ``X`` a lazy dask array computed chunk by chunk, else ``fn(X)``."""
    return _kind(X).apply(X, fn)
