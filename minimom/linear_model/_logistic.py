"""scikit-learn-compatible L2-penalized logistic regression fitted by :func:`minimom.minimize`.

The internal objective is scikit-learn's divided by ``C * sw_sum``, in centred
(implicitly: the mean acts on d-vectors) and whitened coordinates ``w = P v``,
``P = (h0 Cov(X) + penalty I)^(-1/2)`` with ``h0`` the loss's curvature at zero
(1/4 for two classes, 1/K for K). See :mod:`minimom.linear_model._whitening`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight

from ..data._design import fit_design
from ._base import COMMON_CONSTRAINTS, blas_threads, set_fitted, whole_or_previous
from ._classifier import LinearClassifierOutputs
from ._logistic_roads import first_order_road, newton_road
from ._newton import NewtonResult, first_binary, hands_off, use_newton
from ._objectives import LinearObjective
from ._row_losses import BinaryLogLoss, MultinomialLogLoss, _sum_zero_basis
from ._sparse_logistic import fit_l1_logistic, is_l1, resolve_penalty
from ._sparse_models import require_in_memory
from ._whitening import (
    FULL_MAX_FEATURES,
    isotropic,
    minimum_norm,
    safe_moments,
    sketch_stride,
    warm_start_point,
    whitening,
)

__all__ = ["LogisticRegression"]


class LogisticRegression(LinearClassifierOutputs, BaseEstimator):
    """L2-penalized logistic regression, scikit-learn's objective, fitted by :func:`minimom.minimize`.

    Minimizes ``0.5 ||W||^2 + C * sum_i sample_weight_i * log_loss_i`` with the
    intercept unpenalized: the binomial loss for two classes (one row of
    coefficients), the multinomial (softmax) loss for three or more, as
    scikit-learn's lbfgs and newton-cholesky solvers do.

    Parameters
    ----------
    C : float > 0, default=1.0
        Inverse strength of the penalty; ``np.inf`` means no penalty.
    l1_ratio : float in [0, 1], default=0.0
        The L1 share of the penalty: ``C * sum(log-loss) + (1 - l1_ratio)/2 ||W||^2 + l1_ratio ||W||_1``
        (scikit-learn 1.8+'s parametrisation). ``l1_ratio > 0`` is fitted by proximal Newton on working sets
        (see :mod:`minimom.linear_model._prox_newton`): the stopping rule is then the largest violation of the
        optimality conditions of the objective divided by ``C * sum(sample_weight)``, ``<= tol``, and then
        one more Newton step (unless that violation is at rounding), which lands a loose ``tol`` near the optimum.
    fit_intercept : bool, default=True
    class_weight : dict, "balanced" or None, default=None
        Multiplies the sample weights per class, as in scikit-learn.
    optimizer : optimizer, default=None
        ``None`` means what ``Momentum()`` resolves to in full batch (line-search
        momentum in an L-BFGS metric, :class:`minimom.ConjugateMomentum`), with
        ``-grad`` as its first step: the Newton step in the whitened coordinates.
    max_iter : int >= 0, default=5000
        ``0`` returns the starting point (zeros, or the previous fit with ``warm_start``).
    tol : float >= 0, default=1e-12
        Stop when the gradient's infinity norm of the internal (centred,
        whitened, weight-averaged) objective is ``<= tol``.
    verbose : bool, default=False
    warm_start : bool, default=False
        Start from the previous fit's ``coef_`` and ``intercept_`` when their
        shapes fit the new data, as in scikit-learn.
    penalty : {"l1", "l2", "elasticnet", None}, deprecated
        Read as scikit-learn 1.9 reads it (with its FutureWarning): ``"l2"`` is ``l1_ratio=0``, ``"l1"`` is
        ``l1_ratio=1``, ``"elasticnet"`` uses ``l1_ratio``, ``None`` is ``C=np.inf``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
    n_features_in_, feature_names_in_, loss_curve_, optimizer_
        As in :class:`minimom.LinearRegression`.

    Notes
    -----
    ``X`` may be dense or scipy.sparse, and float32 (kept in the fitted
    attributes and predictions; the fit runs in float64), as in
    :class:`minimom.LinearRegression`. :meth:`sparsify` and :meth:`densify`
    convert ``coef_`` as scikit-learn's do.
    """

    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        "C": [Interval(numbers.Real, 0, None, closed="right")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="both"), None],
        "penalty": [StrOptions({"l1", "l2", "elasticnet", "deprecated"}), None],
    }

    def __init__(self, *, C: float = 1.0, l1_ratio: float | None = 0.0, fit_intercept: bool = True,
                 class_weight=None, optimizer=None, max_iter: int = 5000, tol: float = 1e-12, verbose: bool = False,
                 warm_start: bool = False, penalty="deprecated"):
        self.C = C
        self.l1_ratio = l1_ratio
        self.penalty = penalty
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start

    def fit(self, X, y, sample_weight=None):
        """Fit the model on dense, sparse, memmap or dask ``X``. Returns ``self``.

        The fitted attributes are set together at the end: an interrupted fit (Ctrl-C) keeps the previous model.
        """
        self._validate_params()
        C, l1_ratio = resolve_penalty(self)
        sparse = is_l1(C, l1_ratio)
        if sparse and self.optimizer is not None:
            raise ValueError(f"LogisticRegression(l1_ratio={l1_ratio}, optimizer={self.optimizer!r}): an L1 "
                             f"penalty is fitted by proximal Newton on working sets; leave optimizer=None.")
        if sparse:
            require_in_memory(self, X, f"(l1_ratio={l1_ratio})")
        with whole_or_previous(self):
            design, y, sample_weight = fit_design(self, X, y, sample_weight)
            with blas_threads(design):
                return self._fit(design, y, sample_weight, C, l1_ratio if sparse else 0.0)

    def _fit(self, design, y, sample_weight, C, l1_ratio):
        classes, labels = design.encode_labels(y)
        previous = (self.coef_, self.intercept_) if self.warm_start and hasattr(self, "coef_") else None
        n_classes = len(classes)
        if n_classes < 2:
            raise ValueError(
                f"This solver needs samples of at least 2 classes in the data, but the data contains only one "
                f"class: {classes[0]!r}."
            )
        sample_weight = design.sample_weights(sample_weight)
        if self.class_weight == "balanced":  # scikit-learn's, with weighted class counts
            totals = design.class_totals(labels, sample_weight, n_classes)
            sample_weight = sample_weight * design.take(totals.sum() / (n_classes * totals), labels)
        elif self.class_weight is not None:
            per_class = compute_class_weight(self.class_weight, classes=classes, y=classes)
            sample_weight = sample_weight * design.take(per_class, labels)
        weights, sw_sum = design.normalized_weights(sample_weight, checked=True)  # (n-vectors are few: a memmap
        del sample_weight  # fit's memory is theirs)
        if l1_ratio > 0:  # an L1 part: proximal Newton on working sets (see _sparse_logistic)
            return fit_l1_logistic(self, design, classes, labels, weights, 1.0 / (C * sw_sum), l1_ratio, previous)
        penalty = 0.0 if math.isinf(C) else 1.0 / (C * sw_sum)
        binary = n_classes == 2
        labels = labels == 1 if binary else labels  # one byte per row from here on
        curvature = 0.25 if binary else 1.0 / n_classes  # the loss's curvature at zero
        basis = np.ones((1, 1)) if binary else _sum_zero_basis(n_classes)
        newton_steps = use_newton(design, basis.shape[1], self.optimizer)
        handoff = hands_off(design, basis.shape[1], self.optimizer)
        rows = BinaryLogLoss(labels, weights) if binary else MultinomialLogLoss(labels, weights, basis)
        del labels
        rows.row_data = design.persist(rows.row_data)
        # The signs 2y - 1 as targets of the moments pass give the value, gradient and Hessian at zero without a
        # pass: Newton's first step, or the first-order road's first evaluation.
        full = design.n_features <= FULL_MAX_FEATURES
        targets = rows.row_data[0] if (binary and self.optimizer is None and full and previous is None
                                       and self.fit_intercept) else None
        # Newton's roads take the Hessian at zero from the moments: exact ones. The first-order road only
        # preconditions with them: there a sketch does (see _whitening.sketch_stride).
        stride = 1 if newton_steps or handoff else sketch_stride(design, penalty)
        objective, white = self._whitened(design, weights, curvature, penalty, rows, basis.shape[1], targets=targets,
                                          stride=stride)
        x0 = warm_start_point(previous, objective, white, basis, n_classes)
        units = white.P.ndim == 2 and white.prescale is None  # Newton's road needs a full P in the data's units
        newton_steps, handoff = newton_steps and units, handoff and units
        first = first_binary(objective, white, hessian=newton_steps) if targets is not None else None
        start = (x0, 0, [])
        if newton_steps:
            start = newton_road(self, objective, white, x0, first, self.max_iter)
        elif first is not None:
            objective.at_zero = first[:2]
        if not isinstance(start, NewtonResult):
            objective, x, n_iter, history, optimizer = first_order_road(self, objective, white, *start, penalty, rows,
                                                                        curvature, handoff)
        else:
            x, n_iter, history, optimizer = start.x, start.n_iter, np.asarray(start.history, dtype=float), "newton"
        W, b = objective.coefficients(x)
        W = minimum_norm(W, white.null_basis)
        intercept = b - objective.mean @ W
        if not binary:
            W, intercept = W @ basis.T, intercept @ basis.T
        set_fitted(self, classes_=classes, coef_=W.T.astype(design.dtype),
                   intercept_=(intercept if self.fit_intercept else np.zeros(W.shape[1])).astype(design.dtype),
                   n_iter_=np.array([n_iter], dtype=np.int32), loss_curve_=history, optimizer_=optimizer,
                   n_passes_=design.passes)
        return self

    def _whitened(self, design, weights, curvature, penalty, rows, width, targets=None, stride=1):
        """The internal objective whitened for ``curvature * Cov_weights(X) + penalty``, and its whitening.

        One pass over ``X`` (:func:`._whitening.safe_moments`) gives the weighted mean and second moment;
        ``weights`` may be computed from the scores block by block (:class:`ScoreWeights`). With
        ``stride > 1`` that pass sketches the second moment (every ``stride``-th row) to see whether a scalar
        whitening will do (:func:`._whitening.isotropic`), which skips the ``n d^2`` Gram product; if not,
        a second pass takes every row.
        """
        full = design.n_features <= FULL_MAX_FEATURES
        moments, prescale = safe_moments(design, weights, targets, self.fit_intercept, full=full, stride=stride)
        white = isotropic(moments, prescale, curvature, penalty, self.fit_intercept) if stride > 1 else None
        if white is None and stride > 1 and prescale is None:  # (prescaled moments took every row already)
            moments, prescale = safe_moments(design, weights, targets, self.fit_intercept, full=full)
        if white is None:
            white = whitening(moments, prescale, curvature, penalty, self.fit_intercept)
        intercept_scale = 1 / math.sqrt(curvature) if self.fit_intercept else None
        return LinearObjective(design, moments.mean, white.P, penalty, width, intercept_scale, rows), white

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
