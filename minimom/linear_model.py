"""scikit-learn-compatible linear models fitted by :func:`minimom.minimize`.

Each model minimizes scikit-learn's own objective (divided by a constant), so
the optimum is scikit-learn's. Two changes of variables that leave the optimum
where it is make the problem easy for momentum:

- centring X (and y) with the sample weights, recovering the intercept after;
- whitening: the coefficients are ``w = P v`` with
  ``P = (h0 * Cov(X) + penalty * I)^(-1/2)``, ``h0`` the loss's curvature at
  the start. The objective's Hessian in ``v`` is then the identity at the start
  (and exactly so for least squares), whatever the scale of the features.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import losses
from ._checks import _check_protocol
from ._chunked import _is_dask
from ._out_of_core import is_out_of_core
from ._out_of_core_models import fit_least_squares, fit_logistic, predict_lazily
from .optimize import minimize
from .optimizers import Momentum

__all__ = ["LinearRegression", "Ridge", "LogisticRegression"]

_FULL_WHITENING_MAX_FEATURES = 2000  # beyond this, whiten each feature on its own


def _check_hyperparameters(estimator, **bounds):
    """Raise scikit-learn-style errors for out-of-range hyperparameters."""
    name = type(estimator).__name__
    for param, (low, inclusive) in bounds.items():
        value = getattr(estimator, param)
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)
        if ok:
            ok = value >= low if inclusive else value > low
        if not ok:
            sign = ">=" if inclusive else ">"
            raise ValueError(f"The '{param}' parameter of {name} must be a number {sign} {low}. Got {value!r} instead.")
    max_iter = estimator.max_iter
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"The 'max_iter' parameter of {name} must be an int >= 1. Got {max_iter!r} instead.")
    if estimator.optimizer is not None:
        _check_protocol(estimator.optimizer)


def _whitening(X, weights, fit_intercept, curvature, penalty):
    """Centre ``X`` with ``weights`` (summing to one) and return ``(Z, P, mean)``, ``Z = (X - mean) @ P``.

    ``P`` is the full inverse square root up to ``_FULL_WHITENING_MAX_FEATURES``
    features, and beyond that a vector: each feature whitened on its own.
    """
    mean = weights @ X if fit_intercept else np.zeros(X.shape[1])
    centred = X - mean
    d = X.shape[1]
    if d <= _FULL_WHITENING_MAX_FEATURES:
        second_moment = (centred * weights[:, None]).T @ centred
        eigenvalues, vectors = np.linalg.eigh(curvature * second_moment + penalty * np.eye(d))
        top = max(eigenvalues[-1], 0.0)
        # Directions without curvature get no weight: w stays the minimum-norm solution there.
        inv_sqrt = np.where(eigenvalues > 1e-12 * top, 1 / np.sqrt(np.maximum(eigenvalues, 1e-300)), 0.0)
        P = (vectors * inv_sqrt) @ vectors.T
        return centred @ P, P, mean
    diagonal = curvature * (weights @ centred**2) + penalty
    P = np.where(diagonal > 1e-12 * diagonal.max(), 1 / np.sqrt(np.maximum(diagonal, 1e-300)), 0.0)
    return centred * P, P, mean


def _weights(sample_weight, X):
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    sw_sum = float(sample_weight.sum())
    if not sw_sum > 0:
        raise ValueError("The sample weights sum to zero; at least one sample needs a positive weight.")
    return sample_weight / sw_sum, sw_sum


def _minimize(estimator, loss, params, args):
    optimizer = estimator.optimizer if estimator.optimizer is not None else estimator._default_optimizer()
    res = minimize(loss, params, args=args, optimizer=optimizer, maxiter=estimator.max_iter, tol=estimator.tol,
                   verbose=bool(estimator.verbose))
    if res.status != "converged":
        warnings.warn(f"{type(estimator).__name__} did not converge: {res.message}", ConvergenceWarning,
                      stacklevel=3)
    estimator.loss_curve_ = res.history
    estimator.optimizer_ = res.optimizer
    return res


class _LeastSquares(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Least squares with an L2 penalty ``alpha``, fitted by ``minimize``."""

    def _alpha(self) -> float:
        return self.alpha

    def _default_optimizer(self):
        return Momentum()

    def fit(self, X, y, sample_weight=None):
        """Fit the model; ``y`` may have one column per target. Returns ``self``."""
        _check_hyperparameters(self, tol=(0.0, True), **self._bounds)
        if is_out_of_core(X):  # a dask array or a memmap: fitted chunk by chunk
            return fit_least_squares(self, X, y, sample_weight)
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, multi_output=True)
        weights, sw_sum = _weights(sample_weight, X)
        Y = y.reshape(len(y), -1).astype(np.float64)
        y_mean = weights @ Y if self.fit_intercept else np.zeros(Y.shape[1])
        # Unit-scale targets: tol then means the same on every dataset.
        y_scale = np.sqrt(weights @ (Y - y_mean) ** 2)
        y_scale[~(y_scale > 0)] = 1.0
        penalty = self._alpha() / sw_sum
        Z, P, x_mean = _whitening(X, weights, self.fit_intercept, 1.0, penalty)
        params = {"coef": np.zeros((X.shape[1], Y.shape[1]))}
        res = _minimize(self, losses.squared_error, params, (Z, (Y - y_mean) / y_scale, weights, P, penalty))
        coef = losses.unwhiten(P, res.x["coef"]) * y_scale  # (features, targets)
        intercept = y_mean - x_mean @ coef if self.fit_intercept else None
        if y.ndim == 1:
            self.coef_ = coef[:, 0]
            self.intercept_ = intercept[0] if self.fit_intercept else 0.0
        else:
            # scikit-learn's Ridge, unlike LinearRegression, gives a single column of y a 1-D coef_.
            single = self._ravel_single_target and Y.shape[1] == 1
            self.coef_ = coef[:, 0] if single else coef.T.copy()
            self.intercept_ = intercept if self.fit_intercept else 0.0
        self.n_iter_ = res.nit
        return self

    def predict(self, X):
        """Predict with the fitted linear model: ``X @ coef_.T + intercept_``."""
        if _is_dask(X):
            return predict_lazily(self, X, "predict")
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_.T + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class LinearRegression(_LeastSquares):
    """Ordinary least squares, ``min ||y - X w - b||^2``, fitted by momentum.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Fit ``b``; otherwise the data are assumed centred.
    optimizer : optimizer, default=None
        Any minimom optimizer; ``None`` means ``Momentum()``, tuned from the curvature.
    max_iter : int, default=5000
        The most iterations.
    tol : float, default=1e-12
        Stop when the gradient's infinity norm of the internal (centred,
        whitened, unit-target-scale, mean-weighted) objective is ``<= tol``.
    verbose : bool, default=False
        Show progress.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.
    loss_curve_ : ndarray, the internal objective after every iteration.
    optimizer_ : the optimizer used, with "auto" resolved.

    Examples
    --------
    >>> import numpy as np
    >>> from minimom import LinearRegression
    >>> X = np.array([[1.0], [2.0], [3.0]]); y = 2 * X[:, 0] + 1
    >>> reg = LinearRegression().fit(X, y)
    >>> round(float(reg.coef_[0]), 6), round(float(reg.intercept_), 6)
    (2.0, 1.0)
    """

    _bounds = {}
    _ravel_single_target = False

    def __init__(self, *, fit_intercept: bool = True, optimizer=None, max_iter: int = 5000, tol: float = 1e-12,
                 verbose: bool = False):
        self.fit_intercept = fit_intercept
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def _alpha(self) -> float:
        return 0.0


class Ridge(_LeastSquares):
    """Ridge regression, ``min ||y - X w - b||^2 + alpha ||w||^2`` (intercept unpenalized), fitted by momentum.

    Parameters
    ----------
    alpha : float >= 0, default=1.0
        Strength of the L2 penalty.
    fit_intercept, optimizer, max_iter, tol, verbose
        As in :class:`LinearRegression`.

    Attributes
    ----------
    coef_, intercept_, n_iter_, n_features_in_, feature_names_in_, loss_curve_, optimizer_
        As in :class:`LinearRegression`.
    """

    _bounds = {"alpha": (0.0, True)}
    _ravel_single_target = True

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True, optimizer=None, max_iter: int = 5000,
                 tol: float = 1e-12, verbose: bool = False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """L2-penalized logistic regression, scikit-learn's objective, fitted by momentum.

    Minimizes ``0.5 ||W||^2 + C * sum_i sample_weight_i * log_loss_i`` with the
    intercept unpenalized: the binomial loss for two classes (one row of
    coefficients), the multinomial (softmax) loss for three or more, as
    scikit-learn's lbfgs and newton-cholesky solvers do.

    Parameters
    ----------
    C : float > 0, default=1.0
        Inverse strength of the penalty; ``np.inf`` means no penalty.
    fit_intercept : bool, default=True
    class_weight : dict, "balanced" or None, default=None
        Multiplies the sample weights per class, as in scikit-learn.
    optimizer : optimizer, default=None
        ``None`` means ``Momentum(momentum="adaptive", nesterov=True)`` with
        the learning rate from the curvature at the start (the largest there
        is for this loss) and restarts, since the smallest curvature falls
        as the fit improves and cannot be known in advance.
    max_iter : int, default=5000
    tol : float, default=1e-12
        Stop when the gradient's infinity norm of the internal (centred,
        whitened, weight-averaged) objective is ``<= tol``.
    verbose : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
    n_features_in_, feature_names_in_, loss_curve_, optimizer_
        As in :class:`LinearRegression`.
    """

    def __init__(self, *, C: float = 1.0, fit_intercept: bool = True, class_weight=None, optimizer=None,
                 max_iter: int = 5000, tol: float = 1e-12, verbose: bool = False):
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def _default_optimizer(self):
        return Momentum(momentum="adaptive", nesterov=True)

    def fit(self, X, y, sample_weight=None):
        """Fit the model. Returns ``self``."""
        _check_hyperparameters(self, C=(0.0, False), tol=(0.0, True))
        if is_out_of_core(X):  # a dask array or a memmap: fitted chunk by chunk
            return fit_logistic(self, X, y, sample_weight)
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        encoder = LabelEncoder()
        labels = encoder.fit_transform(y)
        self.classes_ = encoder.classes_
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"This solver needs samples of at least 2 classes in the data, but the data contains only one "
                f"class: {self.classes_[0]!r}."
            )
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if self.class_weight is not None:
            per_class = compute_class_weight(self.class_weight, classes=self.classes_, y=y,
                                             sample_weight=sample_weight)
            sample_weight = sample_weight * per_class[labels]
        weights, sw_sum = _weights(sample_weight, X)
        penalty = 0.0 if math.isinf(self.C) else 1.0 / (self.C * sw_sum)
        binary = n_classes == 2
        curvature = 0.25 if binary else 1.0 / n_classes  # the loss's curvature at zero
        Z, P, x_mean = _whitening(X, weights, self.fit_intercept, curvature, penalty)
        intercept_scale = 1 / math.sqrt(curvature)
        width = 1 if binary else n_classes - 1
        params = {"coef": np.zeros((X.shape[1], width))}
        if self.fit_intercept:
            params["intercept"] = np.zeros(width)
        if binary:
            res = _minimize(self, losses.binary_log_loss, params,
                            (Z, (labels == 1).astype(np.float64), weights, P, penalty, intercept_scale))
            coef = losses.unwhiten(P, res.x["coef"])  # (features, 1)
            intercept = intercept_scale * res.x.get("intercept", np.zeros(1))
        else:
            basis = _sum_zero_basis(n_classes)
            one_hot = np.eye(n_classes)[labels]
            res = _minimize(self, losses.multinomial_log_loss, params,
                            (Z, one_hot, weights, P, penalty, intercept_scale, basis))
            coef = losses.unwhiten(P, res.x["coef"]) @ basis.T  # (features, classes)
            intercept = intercept_scale * res.x.get("intercept", np.zeros(width)) @ basis.T
        self.coef_ = coef.T.copy()
        self.intercept_ = intercept - x_mean @ coef if self.fit_intercept else np.zeros(coef.shape[1])
        self.n_iter_ = np.array([res.nit], dtype=np.int32)
        return self

    def decision_function(self, X):
        """Class scores ``X @ coef_.T + intercept_``: shape (n,) for two classes, else (n, n_classes)."""
        if _is_dask(X):
            return predict_lazily(self, X, "decision_function")
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The most probable class of each sample."""
        if _is_dask(X):
            return predict_lazily(self, X, "predict")
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def predict_log_proba(self, X):
        """Log-probabilities of the classes, shape (n, n_classes), computed stably."""
        if _is_dask(X):
            return predict_lazily(self, X, "predict_log_proba")
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return -np.logaddexp(0.0, np.column_stack([scores, -scores]))
        return log_softmax(scores, axis=1)

    def predict_proba(self, X):
        """Probabilities of the classes, shape (n, n_classes)."""
        if _is_dask(X):
            return predict_lazily(self, X, "predict_proba")
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return softmax(scores, axis=1)


def _sum_zero_basis(n_classes: int) -> np.ndarray:
    """An orthonormal basis (n_classes, n_classes - 1) of the vectors whose entries sum to zero."""
    centring = np.eye(n_classes) - 1.0 / n_classes
    vectors, _, _ = np.linalg.svd(centring)
    return vectors[:, : n_classes - 1]
