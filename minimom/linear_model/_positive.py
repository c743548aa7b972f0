"""``positive=True`` for ``LinearRegression`` and ``Ridge``: non-negative least squares on working sets.

``min 0.5 sum_i s_i (y_c,i - x_c,i w)^2 + 0.5 (alpha / sum(s)) ||w||^2`` subject to ``w >= 0`` is the
elastic net of :mod:`._enet_solver` with no L1 term, so it shares its solver: the active-set Newton steps
there are Lawson and Hanson's NNLS (what scikit-learn's ``LinearRegression(positive=True)`` calls through
``scipy.optimize.nnls``), run on working sets and started by coordinate descent. The fit stops when the
KKT conditions hold on every feature to rounding (``|x_j^T r - l2 w_j|`` at rounding level on the support,
``<= 0`` off it).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._base import set_fitted
from ._enet_solver import solve_enet
from ._sparse_models import centred_problems

__all__ = ["fit_positive"]


def fit_positive(estimator, design, y, sample_weight, alphas):
    """Fit ``estimator`` (LinearRegression or Ridge) with ``coef_ >= 0``; one L2 penalty per target in ``alphas``.

    ``design`` is the fit's in-memory :class:`~minimom.data._design.Design` (dense, sparse or memmap).
    """
    problems, x_mean, y_mean, sw_sum = centred_problems(design, y, sample_weight, estimator.fit_intercept)
    n_targets, d = len(problems), len(x_mean)
    coef, n_iter = np.zeros((n_targets, d)), 0
    for k, problem in enumerate(problems):
        coef[k], _, epochs, converged = solve_enet(problem, 0.0, alphas[k] / sw_sum, True, np.zeros(d), 0.0,
                                                   max(estimator.max_iter, 1))
        n_iter = max(n_iter, epochs)
        if not converged:
            warnings.warn(f"{type(estimator).__name__}(positive=True) did not converge: the KKT conditions do not "
                          f"hold to rounding after max_iter={estimator.max_iter} epochs; raise max_iter.",
                          ConvergenceWarning, stacklevel=4)
    intercept = y_mean - coef @ x_mean if estimator.fit_intercept else np.zeros(n_targets)
    coef, intercept = coef.astype(design.dtype), intercept.astype(design.dtype)
    if y.ndim == 1:
        coef, intercept = coef[0], (intercept[0] if estimator.fit_intercept else 0.0)
    else:
        coef = coef[0] if estimator._ravel_single_target and n_targets == 1 else coef
        intercept = intercept if estimator.fit_intercept else 0.0
    vars(estimator).pop("optimizer_", None)  # a smooth fit's: this one runs no optimizer
    set_fitted(estimator, coef_=coef, intercept_=intercept, n_iter_=n_iter, loss_curve_=np.zeros(0),
               n_passes_=design.passes)
    return estimator
