"""Dask inputs of the estimators: checked, weighted and label-encoded where they live, on the workers.

Nothing here gathers ``X`` or ``y`` to the client: every function builds a dask
graph whose results are a few numbers (or one per class), computed on the
active scheduler (a ``distributed.Client`` when one is running); ``y``-sized
results (encoded labels, per-row weights) stay lazy dask arrays with ``X``'s
row chunks. dask is imported only when dask input arrives (:func:`_dask`).
"""

from __future__ import annotations

import warnings

import numpy as np

from ._blocks import _block_reduce, _dask, _dask_row_chunks
from ._design import Design, _add

__all__ = ["DaskDesign"]


def check_dask_data(estimator, X, y, sample_weight, *, y_2d: bool = False):
    """Check dask ``X``, ``y`` and ``sample_weight`` for ``fit``; returns them (X with one column chunk) and X's dtype.

    ``y`` and ``sample_weight`` must be dask arrays with ``X``'s row chunks: the
    per-row data stay on the workers with the rows of ``X`` they belong to.
    """
    from sklearn.utils.validation import _check_feature_names, _check_n_features

    _dask()
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D dask array X of shape (n_samples, n_features), got shape {X.shape}.")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must hold numbers; got a dask array of dtype {X.dtype}.")
    if any(c != c for c in X.shape):
        raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() (or pass lengths=True to "
                         "to_dask_array) first.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"Found array with shape {X.shape}; at least one sample and one feature are required.")
    names, arrays = ["X", "y"], [X, y]
    if sample_weight is not None and np.ndim(sample_weight) > 0:
        names, arrays = [*names, "sample_weight"], [*arrays, sample_weight]
    _dask_row_chunks(arrays, [True] * len(arrays), names)
    for name, a in zip(names[1:], arrays[1:]):
        if a.shape[0] != X.shape[0]:
            raise ValueError(f"{name} has {a.shape[0]} rows but X has {X.shape[0]}; give one per row of X.")
        if name == "y" and a.ndim == 2 and a.shape[1] == 1 and not y_2d:  # as scikit-learn does in memory
            from sklearn.exceptions import DataConversionWarning

            warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape of y "
                          "to (n_samples, ), for example using ravel().", DataConversionWarning, stacklevel=4)
            y = a = y[:, 0]
        if a.ndim > (2 if name == "y" and y_2d else 1):
            raise ValueError(f"{name} must be 1-D{' or 2-D' if name == 'y' and y_2d else ''}, got shape {a.shape}.")
    _check_n_features(estimator, X, reset=True)
    _check_feature_names(estimator, X, reset=True)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})  # whole rows in every chunk: a block's scores need all its features
    return X, y, sample_weight, dtype


def dask_weights(X, sample_weight):
    """Per-row weights as a dask array with X's row chunks, divided by their sum; and the sum.

    A scalar (or None) weight is the same for every row.
    """
    dask, da = _dask()
    if sample_weight is None or np.ndim(sample_weight) == 0:
        value = 1.0 if sample_weight is None else float(sample_weight)
        sample_weight = da.full(X.shape[0], value, chunks=(X.chunks[0],))
    sample_weight = sample_weight.astype(np.float64)
    total, low, nan, inf = dask.compute(sample_weight.sum(), sample_weight.min(), da.isnan(sample_weight).any(),
                                        da.isinf(sample_weight).any())
    if nan or inf:  # scikit-learn's messages for the same weights in memory
        raise ValueError("Input sample_weight contains NaN." if nan else
                         "Input sample_weight contains infinity or a value too large for dtype('float64').")
    if not low >= 0:
        raise ValueError("Negative values in data passed to `sample_weight`")
    if not (total > 0 and np.isfinite(total)):
        raise ValueError(f"The sample weights sum to {total}; they must be finite with a positive sum.")
    return sample_weight / total, float(total)


def dask_classes(y):
    """The sorted distinct labels of dask ``y`` (a pass over ``y``, never over ``X``), and the encoded labels."""
    dask, da = _dask()
    classes = np.unique(da.unique(y).compute())
    labels = y.map_blocks(_encode, classes, dtype=np.intp)
    return classes, labels


def _encode(block, classes):
    return np.searchsorted(classes, block)


def class_totals(labels, weights, n_classes: int) -> np.ndarray:
    """``sum_i weights_i [label_i == k]`` for every class ``k``."""
    _, da = _dask()
    return da.bincount(labels, weights=weights, minlength=n_classes).compute()


def take_per_class(labels, values: np.ndarray):
    """``values[labels]`` chunk by chunk, e.g. per-class weights or one-hot rows."""
    new_axis = [1] if values.ndim == 2 else None
    chunks = (labels.chunks[0], (values.shape[1],)) if values.ndim == 2 else labels.chunks
    return labels.map_blocks(_take, values, dtype=values.dtype, chunks=chunks, new_axis=new_axis)


def _take(block, values):
    return values[block]


class DaskDesign(Design):
    """A dask array: every pass is one task per row chunk on the active scheduler; only sums come back.

    Per-row arrays (weights, targets, labels) are dask arrays with ``X``'s row
    chunks, so they stay on the workers with the rows they belong to.
    """

    _check_finite = costly_passes = True

    @classmethod
    def validate(cls, estimator, X, y, sample_weight, *, multi_output=False, y_numeric=False):
        X, y, sample_weight, dtype = check_dask_data(estimator, X, y, sample_weight, y_2d=multi_output)
        return cls(X, dtype), y, sample_weight

    def _reduce(self, func, rows, combine=_add):
        return _block_reduce(func, [self.X, *(self.rows(r) for r in rows)], combine=combine)

    def _shift(self, weights):
        w = self.rows(weights).blocks[0]
        total, first = self.compute(w.sum(), w @ self.X.blocks[0].astype(np.float64))  # on the workers
        return first / max(float(total), 1e-300)

    def rows(self, a):
        if isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] == self.n_rows:
            _, da = _dask()
            return da.from_array(a, chunks=(self.X.chunks[0], *a.shape[1:]))
        return a

    def persist(self, arrays):
        dask, _ = _dask()
        return tuple(dask.persist(*arrays))  # on the active scheduler: no pass recomputes them from y

    def compute(self, *values):
        dask, _ = _dask()
        return tuple(np.asarray(v) for v in dask.compute(*values))

    def take(self, values, labels):
        return take_per_class(labels, values)

    def encode_labels(self, y):
        from sklearn.utils.multiclass import check_classification_targets

        classes, labels = dask_classes(y)
        check_classification_targets(classes)
        return classes, labels

    def class_totals(self, labels, weights, n_classes):
        return class_totals(labels, weights, n_classes)

    def sample_weights(self, sample_weight):
        _, da = _dask()
        if sample_weight is None or np.ndim(sample_weight) == 0:
            value = 1.0 if sample_weight is None else float(sample_weight)
            return da.full(self.n_rows, value, chunks=(self.X.chunks[0],))
        return sample_weight.astype(np.float64)

    def normalized_weights(self, sample_weight, checked=False):
        return dask_weights(self.X, sample_weight if checked else self.sample_weights(sample_weight))

    def matmul(self, coef, offset):
        return self.compute(self.X @ coef + offset)[0]

    def _xxt(self):
        return self.compute(self.X @ self.X.T)[0]

    @classmethod
    def apply(cls, X, fn):
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D dask array X, got shape {X.shape}.")
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        sample = fn(np.zeros((1, X.shape[1]), dtype=X.dtype))  # checks the estimator is fitted, and d
        if sample.ndim == 1:
            return X.map_blocks(_call, fn, dtype=sample.dtype, drop_axis=1, chunks=(X.chunks[0],))
        return X.map_blocks(_call, fn, dtype=sample.dtype, chunks=(X.chunks[0], (sample.shape[1],)))


def _call(block, fn):
    return fn(block)
