"""scikit-learn-compatible ``Lasso`` and ``ElasticNet``: working-set coordinate descent with an exact polish.

Both minimize scikit-learn's objective exactly,

    1/(2 sum(s)) sum_i s_i (y_i - x_i w - b)^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio)/2 ||w||^2,

(``s`` the sample weights, all ones by default; ``l1_ratio = 1`` for the Lasso), so
integer weights equal repeated rows and the solution is scikit-learn's. The
solver is :func:`._enet_solver.solve_enet` (numpy and scipy only).

Why coordinate descent and not ``minimize``: an L1 penalty is separable by
coordinate, which makes one-coordinate updates exact; the whitening that makes
the smooth models easy is a dense rotation of the coefficients, under which the
L1 norm is no longer separable. A diagonal scaling would keep separability, but
coordinate descent is already invariant to it (each update divides by the
coordinate's curvature), so none is applied. See docs/sparse_models.md for the
measured speed.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from ..data._design import fit_design
from ..optimizers._penalties import SeparablePenalty, _check_alpha, check_l1_ratio
from ._base import COMMON_CONSTRAINTS, blas_threads, linear_scores, set_fitted, whole_or_previous
from ._enet_problem import EnetProblem, centred_design
from ._enet_solver import solve_enet

__all__ = ["ElasticNet", "Lasso"]


def require_in_memory(estimator, X, what: str = "") -> None:
    """A clear error for dask arrays, which the working-set solvers cannot read column by column.

    Called on ``fit``'s raw ``X``, before validation; ``what`` qualifies the estimator (e.g. ``"(positive=True)"``).
    """
    if type(X).__module__.startswith("dask"):
        name = type(estimator).__name__ + what
        raise TypeError(
            f"{name} does not take dask arrays: its working-set solver reads columns of X on every working set, "
            f"which a row-chunked dask array cannot give without gathering it. Compute X (X.compute()) or save "
            f"it as a numpy memmap (np.lib.format.open_memmap), which {name} reads in place."
        )


def centred_problems(design, y, sample_weight, fit_intercept: bool):
    """The least-squares setup shared by :class:`ElasticNet` and ``positive=True`` (:mod:`._positive`).

    Returns ``(problems, x_mean, y_mean, sw_sum)``: one :class:`~._enet_problem.EnetProblem` per column of
    ``y`` (``X`` copied and centred once for all of them, see :func:`~._enet_problem.centred_design`), the
    weighted means of ``X`` and ``y`` (zeros without intercept) and the sum of the sample weights.
    """
    weights, sw_sum = design.normalized_weights(sample_weight)
    Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    y_mean = weights @ Y if fit_intercept else np.zeros(Y.shape[1])
    X, x_mean, centred = centred_design(design.X, weights, fit_intercept, design.weighted_mean)
    problems = [EnetProblem(X, x_mean, Y[:, k] - y_mean[k], weights, centred) for k in range(Y.shape[1])]
    return problems, x_mean, y_mean, sw_sum


class ElasticNet(SeparablePenalty, MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Linear regression with combined L1 and L2 penalties, scikit-learn's objective, exact to rounding.

    Minimizes ``1/(2 n) ||y - X w - b||^2 + alpha * l1_ratio * ||w||_1 + 0.5 * alpha * (1 - l1_ratio) * ||w||^2``
    (``n`` the sum of the sample weights, each squared error weighted), intercept unpenalized.

    It is also the elastic-net *penalty* ``h(x) = alpha (l1_ratio |x|_1 + (1 - l1_ratio)/2 ||x||^2)`` of
    :func:`minimom.minimize` (``penalty=mm.ElasticNet(0.1, l1_ratio=0.5)``; ``alpha`` may then be a pytree
    shaped like ``x0``): it has the protocol's ``value(x)`` and ``prox(z, step)``. As an estimator it
    validates ``alpha`` and ``l1_ratio`` when ``fit`` or ``minimize`` reads them, not in ``__init__``
    (scikit-learn's rule).

    Parameters
    ----------
    alpha : float >= 0, default=1.0
        Strength of the penalty.
    l1_ratio : float in [0, 1], default=0.5
        The L1 share of the penalty (1 is the Lasso, 0 a ridge).
    fit_intercept : bool, default=True
    max_iter : int >= 1, default=10000
        The most coordinate-descent epochs (passes over the working set), summed over working sets.
    tol : float >= 0, default=1e-12
        Stop when the duality gap is ``<= tol * sum_i s_i (y_i - ybar)^2 / sum_i s_i``: scikit-learn's
        test, in the scale of ``dual_gap_``. A solution whose support and signs are proven optimal by
        the exact polish also stops (the gap is then at rounding level).
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    positive : bool, default=False
        Constrain the coefficients to be ``>= 0``.
    optimizer : None, default=None
        Reserved: the solver is coordinate descent (see Notes); any other value raises.
    verbose : bool, default=False
        Unused, accepted for symmetry with the other estimators.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    sparse_coef_ : scipy.sparse CSR matrix of shape (1, n_features) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int or list of int
        Coordinate-descent epochs per target.
    dual_gap_ : float or ndarray of shape (n_targets,)
        The duality gap at the solution, in scikit-learn's scale.
    n_features_in_, feature_names_in_

    Notes
    -----
    The solver works on *working sets* (celer, skglm): one pass ``X^T r`` gives
    the duality gap and the features violating optimality; the support and the
    worst violators form a working set whose weighted, centred Gram matrix is
    formed once; accelerated proximal-gradient steps on it bring the support
    and signs close, and primal-dual active-set iterations solve the linear
    system on the support exactly, checked against the optimality conditions
    (a warm-started homotopy when they do not end). ``X`` may be dense (float32 is converted to float64
    once; fitted attributes are float32) or scipy.sparse (never densified:
    centring acts on d-vectors). Memory-mapped arrays are read in place; dask
    arrays raise a TypeError.
    """

    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="both")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
    }

    def __init__(self, alpha: float = 1.0, l1_ratio: float = 0.5, *, fit_intercept: bool = True,
                 max_iter: int = 10000, tol: float = 1e-12, warm_start: bool = False, positive: bool = False,
                 optimizer=None, verbose: bool = False):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.optimizer = optimizer
        self.verbose = verbose

    def _l1_ratio(self) -> float:
        return float(self.l1_ratio)

    def _check_penalty(self) -> None:
        """Validate ``alpha`` and ``l1_ratio`` as a penalty (``minimize`` calls it once, before the run)."""
        check_l1_ratio(self._l1_ratio())
        _check_alpha(self.alpha)

    def _weights(self):
        """``(l1, l2)`` of the penalty: ``alpha l1_ratio`` and ``alpha (1 - l1_ratio)``."""
        ratio = self._l1_ratio()
        return self.alpha * ratio, self.alpha * (1.0 - ratio)

    def fit(self, X, y, sample_weight=None):
        """Fit on dense or sparse ``X`` and 1-D or 2-D ``y``. Returns ``self``."""
        self._validate_params()
        if self.optimizer is not None:
            raise ValueError(f"{type(self).__name__}(optimizer={self.optimizer!r}): the sparse models are fitted "
                             f"by coordinate descent on working sets; leave optimizer=None.")
        require_in_memory(self, X)
        with whole_or_previous(self):
            design, y, sample_weight = fit_design(self, X, y, sample_weight, y_numeric=True, multi_output=True)
            with blas_threads(design):
                return self._fit(design, y, sample_weight)

    def _fit(self, design, y, sample_weight):
        if isinstance(sample_weight, numbers.Number):
            sample_weight = None  # scikit-learn ignores a scalar weight
        problems, x_mean, y_mean, _ = centred_problems(design, y, sample_weight, self.fit_intercept)
        n_targets, d = len(problems), len(x_mean)
        start = self._start(n_targets, d)
        l1 = self.alpha * self._l1_ratio()
        l2 = self.alpha * (1.0 - self._l1_ratio())
        coef, gaps, n_iters = np.zeros((n_targets, d)), np.zeros(n_targets), []
        for k, problem in enumerate(problems):
            coef[k], gaps[k], n_iter, converged = solve_enet(problem, l1, l2, self.positive, start[k], self.tol,
                                                             self.max_iter)
            n_iters.append(n_iter)
            if not converged:
                warnings.warn(f"Objective did not converge. You might want to increase the number of iterations. "
                              f"{type(self).__name__}: the duality gap {gaps[k]:.3g} is above "
                              f"tol * var(y) = {self.tol * float(problem.weights @ problem.y ** 2):.3g} after "
                              f"max_iter={self.max_iter} epochs; raise max_iter or loosen tol.",
                              ConvergenceWarning, stacklevel=3)
        intercept = y_mean - coef @ x_mean
        if n_targets == 1:
            coef, gaps, n_iters = coef[0], gaps[0], n_iters[0]
            intercept = intercept if y.ndim == 2 else intercept[0]
        set_fitted(self, coef_=coef.astype(design.dtype), dual_gap_=gaps, n_iter_=n_iters,
                   intercept_=np.asarray(intercept, dtype=design.dtype)[()] if self.fit_intercept else 0.0)
        return self

    def _start(self, n_targets, d):
        """Zeros, or (warm start) the previous ``coef_`` when its shape fits."""
        if self.warm_start and hasattr(self, "coef_"):
            previous = np.atleast_2d(np.asarray(self.coef_, dtype=np.float64))
            if previous.shape == (n_targets, d):
                return previous.copy()
        return np.zeros((n_targets, d))

    def score(self, X, y, sample_weight=None):
        """The coefficient of determination R^2 of ``predict(X)`` against ``y`` (scikit-learn's ``score``)."""
        return super().score(X, y, sample_weight=sample_weight)

    @property
    def sparse_coef_(self):
        """``coef_`` as a scipy.sparse CSR matrix (one row per target)."""
        return sp.csr_matrix(np.atleast_2d(self.coef_))

    def predict(self, X):
        """``X @ coef_.T + intercept_`` for dense or sparse ``X``."""
        return linear_scores(self, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags


class Lasso(ElasticNet):
    """Linear regression with an L1 penalty: ``1/(2 n) ||y - X w - b||^2 + alpha ||w||_1``, exact to rounding.

    :class:`ElasticNet` with ``l1_ratio=1``; parameters, attributes and solver as there.

    Examples
    --------
    >>> import numpy as np
    >>> from minimom import Lasso
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]); y = np.array([0.0, 1.0, 2.0])
    >>> reg = Lasso(alpha=0.1).fit(X, y)
    >>> reg.coef_.round(6).tolist(), round(float(reg.intercept_), 6)
    ([0.85, 0.0], 0.15)
    """

    _parameter_constraints = {k: v for k, v in ElasticNet._parameter_constraints.items() if k != "l1_ratio"}

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True, max_iter: int = 10000,
                 tol: float = 1e-12, warm_start: bool = False, positive: bool = False, optimizer=None,
                 verbose: bool = False):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.optimizer = optimizer
        self.verbose = verbose

    def _l1_ratio(self) -> float:
        return 1.0

    def _check_penalty(self) -> None:
        _check_alpha(self.alpha)
