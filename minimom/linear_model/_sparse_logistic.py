"""``LogisticRegression``'s penalty as scikit-learn 1.9 reads it, and the fit when it has an L1 part.

scikit-learn 1.8 made ``l1_ratio`` (with ``C``) the way to state the penalty and deprecated ``penalty``;
:func:`resolve_penalty` reproduces its reading, warnings included, and :func:`fit_l1_logistic` fits with
:func:`._prox_newton.solve_logistic` whenever ``l1_ratio > 0`` and ``C`` is finite.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from ._base import set_fitted
from ._enet_problem import solver_data
from ._prox_newton import solve_logistic

__all__ = ["fit_l1_logistic", "resolve_penalty"]

_PENALTY_DEPRECATED = (
    "'penalty' was deprecated in version 1.8 and will be removed in 1.10. To avoid this warning, leave 'penalty' "
    "set to its default value and use 'l1_ratio' or 'C' instead. Use l1_ratio=0 instead of penalty='l2', "
    "l1_ratio=1 instead of penalty='l1', l1_ratio set to a float between 0 and 1 instead of "
    "penalty='elasticnet', and C=np.inf instead of penalty=None."
)


def resolve_penalty(estimator, warn: bool = True) -> tuple[float, float]:
    """``(C, l1_ratio)`` that the fit uses, read from ``C``, ``l1_ratio`` and ``penalty`` as scikit-learn 1.9 does.

    Emits scikit-learn's FutureWarnings and UserWarnings when ``warn``; raises its ValueError for
    ``penalty='elasticnet'`` with ``l1_ratio=None``.
    """
    C, l1_ratio, penalty = estimator.C, estimator.l1_ratio, estimator.penalty
    messages = []
    if penalty == "deprecated":
        if l1_ratio is None:
            messages.append(("'l1_ratio=None' was deprecated in version 1.8 and will trigger an error in 1.10. "
                             "Use 0<=l1_ratio<=1 instead.", FutureWarning))
        resolved = "l2" if not l1_ratio else ("l1" if l1_ratio == 1 else "elasticnet")
        resolved = None if C == np.inf else resolved
    else:
        resolved = penalty
        messages.append((_PENALTY_DEPRECATED, FutureWarning))
    if resolved != "elasticnet" and l1_ratio is not None and 0 < l1_ratio < 1:
        messages.append((f"l1_ratio parameter is only used when penalty is 'elasticnet'. Got (penalty={resolved})",
                         UserWarning))
    if (penalty == "l2" and l1_ratio != 0) or (penalty == "l1" and l1_ratio != 1):
        messages.append((f"Inconsistent values: penalty={penalty} with l1_ratio={l1_ratio}. penalty is deprecated. "
                         f"Please use l1_ratio only.", UserWarning))
    if resolved == "elasticnet" and l1_ratio is None:
        raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
    if penalty is None:
        if C != 1.0:
            messages.append(("Setting penalty=None will ignore the C and l1_ratio parameters", UserWarning))
        C = np.inf
    if warn:
        for message, category in messages:
            warnings.warn(message, category, stacklevel=4)
    ratio = {"l2": 0.0, "l1": 1.0, None: 0.0}.get(resolved, l1_ratio)
    return float(C), float(ratio)


def fit_l1_logistic(estimator, design, classes, labels, weights, strength, l1_ratio, previous):
    """Fit ``estimator`` with the L1 / elastic-net penalty (``strength = 1/(C sum(s))``, ``l1_ratio > 0``).

    ``weights`` are the normalized sample weights (class weights applied), ``previous`` the warm start's
    ``(coef_, intercept_)`` or None. Returns ``estimator``.
    """
    n_columns = 1 if len(classes) == 2 else len(classes)
    d = design.n_features
    W, b = np.zeros((d, n_columns)), np.zeros(n_columns)
    if previous is not None:
        coef = previous[0].toarray() if sp.issparse(previous[0]) else np.asarray(previous[0])
        if coef.shape != (n_columns, d):
            raise ValueError(f"warm_start: the previous coef_ has shape {coef.shape}, but these data need "
                             f"{(n_columns, d)}; fit with warm_start=False first.")
        W, b = coef.T.astype(np.float64), np.asarray(previous[1], dtype=np.float64).copy()
        if not estimator.fit_intercept:
            b = np.zeros(n_columns)
    W, b, n_iter, converged = solve_logistic(solver_data(design.X), labels, n_columns, weights, strength * l1_ratio,
                                             strength * (1 - l1_ratio), W, b, estimator.fit_intercept,
                                             estimator.tol, estimator.max_iter)
    if not converged:
        warnings.warn(f"LogisticRegression did not converge: the optimality violation is above tol={estimator.tol:g} "
                      f"after max_iter={estimator.max_iter} proximal Newton steps; raise max_iter or loosen tol.",
                      ConvergenceWarning, stacklevel=4)
    if n_columns > 1 and estimator.fit_intercept:
        b = b - b.mean()  # the softmax's free constant: the sum-zero intercepts
    for stale in ("optimizer_", "n_passes_"):  # a smooth fit's; this solver reads columns, not counted passes
        vars(estimator).pop(stale, None)
    set_fitted(estimator, classes_=classes, coef_=W.T.astype(design.dtype), intercept_=b.astype(design.dtype),
               n_iter_=np.array([n_iter], dtype=np.int32), loss_curve_=np.zeros(0))
    return estimator


def is_l1(C, l1_ratio) -> bool:
    """Whether the resolved penalty has an L1 part (and so needs the proximal Newton fit)."""
    return l1_ratio > 0 and not math.isinf(C)
