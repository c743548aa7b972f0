"""The estimators' ``fit`` and predictions for dask arrays and memmaps (see :mod:`minimom.linear_model._out_of_core`).

The estimators call :func:`fit_least_squares` or :func:`fit_logistic` when
``is_out_of_core(X)``, and :func:`predict_lazily` for dask ``X`` in their
prediction methods. ``y`` and ``sample_weight`` stay where ``X`` is: dask
arrays with ``X``'s row chunks for dask ``X`` (their statistics are computed
on the workers), numpy arrays for a memmap.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_n_features, _check_sample_weight, check_is_fitted, validate_data

from ..data import _dask as _dask_data
from ..data._blocks import _dask, _is_dask
from ._objectives import _sum_zero_basis
from ._out_of_core import whitened_fit

__all__ = ["fit_least_squares", "fit_logistic", "lazy_on_dask", "predict_lazily"]


def _check(estimator, X, y, sample_weight, **kwargs):
    """``(X, y, sample_weight, dtype)``; a memmap is checked without reading it (NaN is caught in the first pass)."""
    if _is_dask(X):
        return _dask_data.check_dask_data(estimator, X, y, sample_weight, y_2d=kwargs.get("multi_output", False))
    X, y = validate_data(estimator, X, y, dtype=None, ensure_all_finite=False, **kwargs)
    if X.dtype.kind not in "fiub":
        raise ValueError(f"X must hold numbers; got dtype {X.dtype}.")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    return X, y, sample_weight, dtype


def _weights(X, sample_weight):
    if _is_dask(X):
        return _dask_data.dask_weights(X, sample_weight)
    if sample_weight is None:  # one n-vector, not two
        return np.full(X.shape[0], 1.0 / X.shape[0]), float(X.shape[0])
    total = float(sample_weight.sum())
    if not (total > 0 and np.isfinite(total)):
        raise ValueError(f"The sample weights sum to {total}; they must be finite with a positive sum.")
    return sample_weight / total, total


def _compute(*values):
    """Small results of ``y``-sized expressions: computed on the workers when they are dask."""
    if any(_is_dask(v) for v in values):
        dask, _ = _dask()
        return tuple(np.asarray(v) for v in dask.compute(*values))
    return tuple(np.asarray(v) for v in values)


def fit_least_squares(estimator, X, y, sample_weight):
    """``fit`` of LinearRegression and Ridge on a dask array or memmap ``X``."""
    X, y, sample_weight, dtype = _check(estimator, X, y, sample_weight, y_numeric=True, multi_output=True)
    weights, sw_sum = _weights(X, sample_weight)
    Y = y.reshape((y.shape[0], -1)).astype(np.float64)
    k = Y.shape[1]
    (y_mean,) = _compute(weights @ Y) if estimator.fit_intercept else (np.zeros(k),)
    (spread, finite) = _compute(weights @ (Y - y_mean) ** 2, abs(Y).max())
    if not np.isfinite(finite):
        raise ValueError("Input y contains NaN or infinity.")
    y_scale = np.sqrt(spread)
    y_scale[~(y_scale > 0)] = 1.0  # unit-scale targets: tol means the same on every dataset
    alphas = estimator._alphas(k) if hasattr(estimator, "_alphas") else np.full(k, float(estimator._alpha()))
    coef, x_mean, estimator.n_iter_, estimator.n_passes_ = np.zeros((X.shape[1], k)), None, 0, 1
    for alpha in np.unique(alphas):
        targets = np.flatnonzero(alphas == alpha)
        T = (Y[:, targets] - y_mean[targets]) / y_scale[targets]
        W, _, x_mean, res, passes = whitened_fit(estimator, X, T, weights, loss="squared_error",
                                                 penalty=alpha / sw_sum, width=len(targets), curvature=1.0,
                                                 fit_intercept=estimator.fit_intercept)
        coef[:, targets] = W * y_scale[targets]
        estimator.n_iter_ = max(estimator.n_iter_, res.nit + (estimator.optimizer is None))
        estimator.n_passes_ += passes
        estimator.loss_curve_, estimator.optimizer_ = res.history, res.optimizer
    intercept = y_mean - x_mean @ coef if estimator.fit_intercept else np.zeros(k)
    coef, intercept = coef.astype(dtype), intercept.astype(dtype)
    if y.ndim == 1:
        estimator.coef_ = coef[:, 0]
        estimator.intercept_ = intercept[0] if estimator.fit_intercept else 0.0
    else:
        single = getattr(estimator, "_ravel_single_target", False) and k == 1
        estimator.coef_ = coef[:, 0] if single else coef.T.copy()
        estimator.intercept_ = intercept if estimator.fit_intercept else 0.0
    return estimator


def fit_logistic(estimator, X, y, sample_weight):
    """``fit`` of LogisticRegression on a dask array or memmap ``X``."""
    X, y, sample_weight, dtype = _check(estimator, X, y, sample_weight)
    if _is_dask(X):
        classes, labels = _dask_data.dask_classes(y)
        check_classification_targets(classes)
    else:
        check_classification_targets(y)
        encoder = LabelEncoder()
        labels = encoder.fit_transform(y)
        classes = encoder.classes_
    n_classes = len(classes)
    if n_classes < 2:
        raise ValueError(f"This solver needs samples of at least 2 classes in the data, but the data contains only "
                         f"one class: {classes[0]!r}.")
    if estimator.class_weight is not None:
        if _is_dask(X):
            _, da = _dask()
            raw = sample_weight if sample_weight is not None else da.ones(X.shape[0], chunks=(X.chunks[0],))
            if estimator.class_weight == "balanced":  # scikit-learn's, with weighted class counts
                totals = _dask_data.class_totals(labels, raw, n_classes)
                per_class = totals.sum() / (n_classes * totals)
            else:
                per_class = compute_class_weight(estimator.class_weight, classes=classes, y=classes)
            sample_weight = raw * _dask_data.take_per_class(labels, per_class)
        else:
            raw = np.ones(len(labels)) if sample_weight is None else sample_weight
            per_class = compute_class_weight(estimator.class_weight, classes=classes, y=y, sample_weight=raw)
            sample_weight = raw * per_class[labels]
    weights, sw_sum = _weights(X, sample_weight)
    penalty = 0.0 if math.isinf(estimator.C) else 1.0 / (estimator.C * sw_sum)
    binary = n_classes == 2
    one_hot = np.eye(n_classes)
    if binary:
        T = (labels == 1).astype(np.float64)
    else:
        T = _dask_data.take_per_class(labels, one_hot) if _is_dask(X) else one_hot[labels]
    del labels, y, sample_weight  # only T and weights are needed from here on: n-vectors not kept twice
    basis = None if binary else _sum_zero_basis(n_classes)
    W, b, mean, res, passes = whitened_fit(estimator, X, T, weights, loss="binary" if binary else "multinomial",
                                           penalty=penalty, width=1 if binary else n_classes - 1,
                                           curvature=0.25 if binary else 1.0 / n_classes,
                                           fit_intercept=estimator.fit_intercept, basis=basis,
                                           start=_warm_start(estimator, X.shape[1], n_classes, basis))
    intercept = b - mean @ W
    if not binary:
        W, intercept = W @ basis.T, intercept @ basis.T
    estimator.classes_ = classes
    estimator.coef_ = W.T.astype(dtype)
    estimator.intercept_ = (intercept if estimator.fit_intercept else np.zeros(W.shape[1])).astype(dtype)
    estimator.n_iter_ = np.array([res.nit], dtype=np.int32)
    estimator.loss_curve_, estimator.optimizer_, estimator.n_passes_ = res.history, res.optimizer, passes
    return estimator


def _warm_start(estimator, n_features, n_classes, basis):
    """``(W, b)`` of the previous fit for ``X W + b`` (in the sum-zero basis for 3+ classes), or None."""
    if not (estimator.warm_start and hasattr(estimator, "coef_")):
        return None
    coef = estimator.coef_.toarray() if sp.issparse(estimator.coef_) else np.asarray(estimator.coef_)
    rows = 1 if n_classes == 2 else n_classes
    if coef.shape != (rows, n_features):
        raise ValueError(f"warm_start: the previous coef_ has shape {coef.shape}, but these data need "
                         f"{(rows, n_features)}; fit with warm_start=False first.")
    W, b = coef.T.astype(np.float64), np.asarray(estimator.intercept_, dtype=np.float64)
    return (W, b) if basis is None else (W @ basis, b @ basis)


def lazy_on_dask(method):
    """Decorate a prediction method so that dask ``X`` gives a lazy dask array, computed chunk by chunk."""

    @functools.wraps(method)
    def wrapper(self, X):
        if _is_dask(X):
            return predict_lazily(self, X, method.__name__)
        return method(self, X)

    return wrapper


def predict_lazily(estimator, X, method: str):
    """``estimator.method`` on every row chunk of dask ``X``: a lazy dask array, computed where X is."""
    check_is_fitted(estimator)
    _check_n_features(estimator, X, reset=False)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D dask array X, got shape {X.shape}.")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    if sample.ndim == 1:
        return X.map_blocks(_call, estimator, method, dtype=sample.dtype, drop_axis=1, chunks=(X.chunks[0],))
    return X.map_blocks(_call, estimator, method, dtype=sample.dtype, chunks=(X.chunks[0], (sample.shape[1],)))


def _call(block, estimator, method):
    return getattr(estimator, method)(block)
