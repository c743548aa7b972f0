"""scikit-learn-compatible least squares (``LinearRegression``, ``Ridge``) fitted by :func:`minimom.minimize`.

Each model minimizes scikit-learn's own objective divided by the sum of the
sample weights, so the optimum is scikit-learn's. Changes of variables that
leave the optimum where it is make the problem easy, and none of them copies
``X`` (every pass goes through :class:`minimom.data._design.Design`, whatever kind of data ``X`` is):

- centring: the weighted means of ``X`` and ``y`` are applied to d-vectors, and
  the intercept is recovered afterwards;
- whitening: ``w = P v`` with ``P = (Cov(X) + penalty * I)^(-1/2)`` built from
  second moments (see :mod:`minimom.linear_model._whitening`), so the Hessian in ``v`` is
  exactly the identity.

With the default ``optimizer=None`` the minimizer in ``v`` is one unit step
from zero along minus the gradient, so the fit starts there (the exact
solution from the second moments) and ``minimize`` runs ``GradientDescent(1.0)``
from it: at most a few steps of iterative refinement, with the gradient computed
from ``X`` itself. With fewer rows than features (and ``d > 2000``) the same
solution comes from the n x n Gram matrix instead. Rank-deficient problems get
the minimum-norm solution, as ``lstsq`` does.

"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from ..data._design import fit_design
from ..optimizers._momentum import GradientDescent
from ._base import COMMON_CONSTRAINTS, blas_threads, by_rows, linear_scores, run_minimize, set_fitted, whole_or_previous
from ._dual import gram_solve
from ._objectives import LinearObjective
from ._positive import fit_positive
from ._row_losses import SquaredError
from ._sparse_models import require_in_memory
from ._whitening import FULL_MAX_FEATURES, minimum_norm, safe_moments, whitening

__all__ = ["LinearRegression", "Ridge"]

_REFINE_ABOVE = 1e-10  # refine the exact solve when eps * condition (of the scaled problem) exceeds this


def _targets(design, Y, weights, fit_intercept):
    """``(y_mean, T, scale, T2)``: the centred targets ``T`` at unit weighted scale (overflow-safe; 1 where a target
    is constant), and ``T2 = weights @ T**2`` per target. Two passes over ``y`` (not ``X``)."""
    y_mean, low, high = design.compute(weights @ Y if fit_intercept else np.zeros(Y.shape[1]), Y.min(axis=0),
                                       Y.max(axis=0))
    Yc = Y - y_mean
    magnitude = np.maximum(high - y_mean, y_mean - low)  # max |Yc| (subtraction is monotone)
    if not np.all(np.isfinite(magnitude)):
        raise ValueError("Input y contains NaN or infinity.")
    magnitude = np.where(magnitude > 0, magnitude, 1.0)
    (second,) = design.compute(weights @ (Yc / magnitude) ** 2)
    scale = magnitude * np.sqrt(second)
    scale[~(scale > 0)] = 1.0
    return y_mean, Yc / scale, scale, second * (magnitude / scale) ** 2


class _LeastSquares(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Least squares with an L2 penalty (one per target), fitted by ``minimize``."""

    _parameter_constraints = {**COMMON_CONSTRAINTS, "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
                              "positive": ["boolean"]}

    def _alphas(self, n_targets: int) -> np.ndarray:
        return np.zeros(n_targets)

    def fit(self, X, y, sample_weight=None):
        """Fit the model; ``X`` dense, sparse, a memmap or a dask array, ``y`` with one column per target.

        Returns ``self``; the fitted attributes are set together at the end (an interrupted fit keeps the last ones).
        """
        self._validate_params()
        if self.positive:  # a constrained problem: the working-set NNLS of the sparse models (see _positive)
            require_in_memory(self, X, "(positive=True)")
        with whole_or_previous(self):
            design, y, sample_weight = fit_design(self, X, y, sample_weight, y_numeric=True, multi_output=True)
            with blas_threads(design):
                if self.positive:
                    return fit_positive(self, design, y, sample_weight, self._alphas(1 if y.ndim == 1 else y.shape[1]))
                return self._fit(design, y, sample_weight)

    def _fit(self, design, y, sample_weight):
        weights, sw_sum = design.normalized_weights(sample_weight)
        Y = y.reshape((y.shape[0], -1)).astype(np.float64)
        alphas = self._alphas(Y.shape[1])
        y_mean, targets, y_scale, target_second = _targets(design, Y, weights, self.fit_intercept)
        n, d = design.shape
        fit = {"n_iter_": 0, "loss_curve_": []}
        coef = np.zeros((d, Y.shape[1]))
        if self.optimizer is None and n < d and d > FULL_MAX_FEATURES:
            x_mean = design.weighted_mean(weights) if self.fit_intercept else np.zeros(d)
            weights, targets = design.compute(weights, targets)
            for alpha in np.unique(alphas):
                columns = np.flatnonzero(alphas == alpha)
                coef[:, columns] = gram_solve(design, weights, x_mean, targets[:, columns], alpha / sw_sum)
            fit["n_iter_"] = 1
        else:
            # One pass over X for every target and every alpha: mean, second and cross moments.
            moments, prescale = safe_moments(design, weights, targets, self.fit_intercept,
                                             full=self.optimizer is None or d <= FULL_MAX_FEATURES)
            x_mean = moments.mean
            for alpha in np.unique(alphas):  # usually one, for all the targets at once
                columns = np.flatnonzero(alphas == alpha)
                white = whitening(moments, prescale, 1.0, alpha / sw_sum, self.fit_intercept)
                coef[:, columns] = self._solve(design, weights, targets, target_second, columns, alpha / sw_sum,
                                               white, fit)
        coef *= y_scale
        intercept = y_mean - x_mean @ coef if self.fit_intercept else np.zeros(Y.shape[1])
        coef, intercept = coef.astype(design.dtype), intercept.astype(design.dtype)
        if y.ndim == 1:
            fit["coef_"] = coef[:, 0]
            fit["intercept_"] = intercept[0] if self.fit_intercept else 0.0
        else:
            # scikit-learn's Ridge, unlike LinearRegression, gives a single column of y a 1-D coef_.
            single = self._ravel_single_target and Y.shape[1] == 1
            fit["coef_"] = coef[:, 0] if single else coef.T.copy()
            fit["intercept_"] = intercept if self.fit_intercept else 0.0
        fit["loss_curve_"] = np.asarray(fit["loss_curve_"], dtype=np.float64)
        set_fitted(self, n_passes_=design.passes, **fit)
        return self

    def _solve(self, design, weights, targets, target_second, columns, penalty, white, fit):
        """Coefficients (d, k) of ``0.5 ||T - (X - m) W||_w^2 + 0.5 penalty ||W||^2`` for targets ``columns``."""
        moments = white.moments
        cross = moments.cross[:, columns]
        if white.prescale is not None:
            cross = cross / np.where(white.prescale > 0, white.prescale, 1.0)[:, None]
        objective = LinearObjective(design, moments.mean, white.P, penalty, len(columns), None,
                                    SquaredError(targets[:, columns], weights))
        if self.optimizer is not None:
            res = run_minimize(self, objective, np.zeros(objective.size), self.optimizer)
            return self._record(res, objective, white, res.nit, fit)
        # The whitened Hessian is the identity: the solution is one unit step from zero, V = P^T b.
        x0 = (white.P.T @ cross if white.P.ndim == 2 else white.P[:, None] * cross).ravel()
        kept = white.eigenvalues[white.eigenvalues > 0]
        condition = kept[-1] / kept[0] if len(kept) else 1.0
        if condition * np.finfo(float).eps <= _REFINE_ABOVE or self.max_iter == 0:
            W = objective.coefficients(x0)[0]
            value = 0.5 * float(np.sum(target_second[columns]) - np.sum(cross * W))
            fit["loss_curve_"] = fit["loss_curve_"] if len(fit["loss_curve_"]) else [value]
            fit["optimizer_"] = GradientDescent(learning_rate=1.0)
            if self.max_iter == 0:  # the starting point, as documented: not an iteration
                warnings.warn(f"{type(self).__name__} did not converge: max_iter=0 returns the starting point (the "
                              "solution from the second moments, not refined); raise max_iter.", ConvergenceWarning,
                              stacklevel=4)
            else:
                fit["n_iter_"] = max(fit["n_iter_"], 1)  # the one unit step, taken exactly
            return minimum_norm(W, white.null_basis)
        # Ill-conditioned: iterative refinement, the gradient computed from X itself.
        res = run_minimize(self, objective, x0, GradientDescent(learning_rate=1.0))
        return self._record(res, objective, white, res.nit + 1, fit)

    def _record(self, res, objective, white, n_iter, fit):
        fit["n_iter_"] = max(fit["n_iter_"], n_iter)
        fit["loss_curve_"] = fit["loss_curve_"] if len(fit["loss_curve_"]) else res.history
        fit["optimizer_"] = res.optimizer
        return minimum_norm(objective.coefficients(res.x)[0], white.null_basis)

    @by_rows
    def predict(self, X):
        """Predict with the fitted linear model: ``X @ coef_.T + intercept_`` (dense or sparse ``X``)."""
        return linear_scores(self, X)

    def score(self, X, y, sample_weight=None) -> float:
        """The coefficient of determination of ``predict(X)``: ``R^2 = 1 - sum w (y - y_hat)^2 / sum w (y - ybar)^2``.

        scikit-learn's ``RegressorMixin.score`` (``ybar`` the weighted mean): averaged uniformly over the
        targets; 1 is a perfect fit.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags


class LinearRegression(_LeastSquares):
    """Ordinary least squares, ``min ||y - X w - b||^2``, fitted by :func:`minimom.minimize`.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Fit ``b``; otherwise the data are assumed centred.
    optimizer : optimizer, default=None
        Any minimom optimizer, run from zero in whitened coordinates. ``None``
        starts at the exact solution from the second moments of ``X`` and runs
        ``GradientDescent(1.0)`` (iterative refinement) from there.
    max_iter : int >= 0, default=5000
        The most iterations.
    tol : float >= 0, default=1e-12
        Stop when the gradient's infinity norm of the internal (centred,
        whitened, unit-target-scale, weight-averaged) objective is ``<= tol``.
    verbose : bool, default=False
        Show progress.
    positive : bool, default=False
        Constrain the coefficients to be ``>= 0``: non-negative least squares (scikit-learn calls
        ``scipy.optimize.nnls``), solved by the working-set active-set solver of :class:`minimom.Lasso`
        (``optimizer`` is then unused; ``n_iter_`` counts its epochs; ``loss_curve_`` is empty).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.
    loss_curve_ : ndarray, the internal objective after every iteration.
    optimizer_ : the optimizer used, with "auto" resolved (``GradientDescent(1.0)`` for the exact solve;
        absent for the Gram-matrix solve).

    Notes
    -----
    ``X`` may be dense or scipy.sparse (CSR, CSC; other formats are converted
    to CSR); it is never copied, centred or densified. float32 ``X`` gives
    float32 ``coef_``, ``intercept_`` and predictions; the fit itself runs in
    float64 (float32 rows are converted one block at a time). Rank-deficient
    data get the minimum-norm solution, as ``numpy.linalg.lstsq`` gives.

    Examples
    --------
    >>> import numpy as np
    >>> from minimom import LinearRegression
    >>> X = np.array([[1.0], [2.0], [3.0]]); y = 2 * X[:, 0] + 1
    >>> reg = LinearRegression().fit(X, y)
    >>> round(float(reg.coef_[0]), 6), round(float(reg.intercept_), 6)
    (2.0, 1.0)
    """

    _ravel_single_target = False

    def __init__(self, *, fit_intercept: bool = True, optimizer=None, max_iter: int = 5000, tol: float = 1e-12,
                 verbose: bool = False, positive: bool = False):
        self.positive = positive
        self.fit_intercept = fit_intercept
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose


class Ridge(_LeastSquares):
    """Ridge regression, ``min ||y - X w - b||^2 + alpha ||w||^2`` (intercept unpenalized), fitted by minimize.

    Parameters
    ----------
    alpha : float >= 0 or array of shape (n_targets,), default=1.0
        Strength of the L2 penalty; an array gives one per target, as in scikit-learn.
    fit_intercept, optimizer, max_iter, tol, verbose, positive
        As in :class:`LinearRegression` (``max_iter >= 1``, as scikit-learn's Ridge).

    Attributes
    ----------
    coef_, intercept_, n_iter_, n_features_in_, feature_names_in_, loss_curve_, optimizer_
        As in :class:`LinearRegression`.
    """

    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        "alpha": [Interval(numbers.Real, 0, None, closed="left"), "array-like"],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "positive": ["boolean"],
    }
    _ravel_single_target = True

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True, optimizer=None, max_iter: int = 5000,
                 tol: float = 1e-12, verbose: bool = False, positive: bool = False):
        self.positive = positive
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def _alphas(self, n_targets: int) -> np.ndarray:
        alpha = np.asarray(self.alpha, dtype=np.float64).ravel()
        if alpha.size not in (1, n_targets):
            raise ValueError(f"Number of targets and number of penalties do not correspond: {alpha.size} != "
                             f"{n_targets}; give one alpha, or one per target.")
        if not np.all(np.isfinite(alpha) & (alpha >= 0)):
            raise ValueError(f"The 'alpha' parameter of Ridge must be finite and >= 0 for every target. "
                             f"Got {self.alpha!r} instead.")
        return np.broadcast_to(alpha, (n_targets,)).copy()
