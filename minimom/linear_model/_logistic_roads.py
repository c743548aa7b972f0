"""The two roads of the smooth logistic fit, after the whitening: Newton steps, and ``minimize`` in rounds.

- Newton steps (:mod:`._newton`) while the Newton system is small: one pass per step for the value, the
  gradient and the Hessian.
- Otherwise :func:`minimom.minimize` with the default optimizer (line-search momentum in an L-BFGS metric),
  in rounds: the whitening made at the start is the Hessian at zero, and the logistic curvature falls as
  the fit improves, so between rounds the objective is whitened again for its Hessian at the iterate. Where
  a Hessian pass is still cheap (:func:`._newton.hands_off`), the first-order road hands off to Newton
  steps once it has cut the gradient ``1 / _HANDOFF`` times below its value after the first step: near
  the optimum the L-BFGS metric, built from a few dozen secant pairs, still lags the Hessian that has
  stopped changing, while Newton's steps from that Hessian, then BFGS-updated, finish in three to five
  loss passes (200000 x 100 collinear: 24 passes in 21 iterations before, 15 in 13 with the hand-off).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..data._design import ScoreWeights
from ..optimize._minimize import minimize
from ..optimize._result import _inf_norm
from ._newton import NewtonProblem, NewtonResult, newton, quasi_updates
from ._objectives import LinearObjective
from ._row_losses import BinaryLogLoss
from ._whitening import FULL_MAX_FEATURES, _round_length, _WhitenedMomentum, blend, inverse_apply, whitening

__all__ = ["newton_road", "first_order_road"]

_COLLAPSED = 1e-8  # re-whiten only while the curvature is above this fraction of its value at zero
_ROUNDING_GRADIENT = 1e-10  # an internal gradient this small is at float64's resolution of this objective
_HANDOFF = 1e-2  # hand off to Newton once the gradient is this far below its value after the first step


def newton_road(estimator, objective, white, x0, first, max_iter: int, near: bool = False, stacklevel: int = 4):
    """Newton steps (:mod:`._newton`): the result, or ``(x, n_iter, history)`` to continue from if they stalled.

    ``stacklevel`` points a ConvergenceWarning at the user's call of ``fit``."""
    problem = NewtonProblem(objective, white, quasi=quasi_updates(objective.design, objective.width))
    found = newton(problem, x0, max_iter, estimator.tol, first, near=near)
    if found.status == "stalled" and _inf_norm(found.gradient) > _ROUNDING_GRADIENT:
        return found.x, found.n_iter, found.history
    if found.status == "maxiter":
        warnings.warn(f"LogisticRegression did not converge: Stopped after max_iter={estimator.max_iter} "
                      f"iterations with the internal gradient's infinity norm {_inf_norm(found.gradient):.3g} "
                      f"still above tol={estimator.tol:.3g}; raise max_iter or loosen tol.", ConvergenceWarning,
                      stacklevel=stacklevel)
    return found


def first_order_road(estimator, objective, white, x0, n_iter, history, penalty, rows, curvature_at_zero,
                     handoff: bool):
    """``minimize`` in rounds from ``x0`` (``n_iter`` iterations done), and with ``handoff`` Newton's last steps.

    Returns ``(objective, x, n_iter, history, optimizer)``: the objective (re-whitened between rounds) that
    ``x`` is a point of. ``white`` is the whitening of ``objective``.
    """
    first = white  # the whitening at the start: its units and moments, for every re-whitening
    objective, white, res, n_iter, history = _rounds(estimator, objective, white, first, x0, n_iter, history,
                                                     penalty, rows, curvature_at_zero, handoff)
    if res.status != "callback":  # not handed off
        return objective, res.x, n_iter, history, res.optimizer
    found = newton_road(estimator, objective, white, res.x, None, estimator.max_iter - n_iter, near=True,
                        stacklevel=5)
    if isinstance(found, NewtonResult):
        return objective, found.x, n_iter + found.n_iter, np.concatenate([history, found.history]), res.optimizer
    x, steps, more = found  # Newton's line search stalled above rounding: back to the first-order road
    objective, white, res, n_iter, tail = _rounds(estimator, objective, white, first, x, n_iter + steps, more,
                                                  penalty, rows, curvature_at_zero, False)
    return objective, res.x, n_iter, np.concatenate([history, tail]), res.optimizer


def _rounds(estimator, objective, white, first, x0, n_iter, history, penalty, rows, curvature_at_zero, handoff):
    """``minimize`` in rounds: with the default optimizer and a penalty, re-whiten at the iterate between rounds.

    After ``_round_length`` iterations without convergence, the objective is
    whitened again for its Hessian at the current iterate (row curvatures
    ``w_i p_i (1 - p_i)`` as weights): one pass for the second moments, about
    the cost of ``n_features / 4`` iterations (see ``_round_length``). With
    ``handoff``, a round stops (status ``"callback"``) once the gradient's
    infinity norm is ``_HANDOFF`` times its value after the first step, while
    ``max_iter`` leaves Newton an iteration. ``white`` is the whitening of
    ``objective``, ``first`` the one at the start of the fit.
    Returns the objective and its whitening, the last result, the total iterations and the history.
    """
    design = objective.design
    optimizer = estimator.optimizer if estimator.optimizer is not None else _WhitenedMomentum()
    rewhiten = estimator.optimizer is None and penalty > 0 and design.n_features <= FULL_MAX_FEATURES
    round_length = _round_length(design.n_features, isinstance(rows, BinaryLogLoss))
    remaining, history = estimator.max_iter - n_iter, [np.asarray(history, dtype=float)]
    after_first = []  # the gradient's infinity norm after the first step

    def near_optimum(result) -> bool:
        norm = _inf_norm(result.jac)
        if not after_first:
            after_first.append(norm)
        return estimator.tol < norm <= _HANDOFF * after_first[0] and n_iter + result.nit < estimator.max_iter

    while True:
        maxiter = min(remaining, round_length) if rewhiten else remaining
        res = minimize(objective, x0, optimizer=optimizer, maxiter=maxiter, tol=estimator.tol,
                       verbose=bool(estimator.verbose), callback=near_optimum if handoff else None)
        if res.status == "interrupted":  # minimize keeps the work; a fit stops the script, as scikit-learn's do
            raise KeyboardInterrupt
        n_iter, remaining = n_iter + res.nit, remaining - res.nit
        history.append(res.history)
        if res.status != "maxiter" or remaining <= 0:
            break
        objective, x0, white = _rewhitened(estimator, objective, white, res.x, penalty, rows, curvature_at_zero,
                                           first)
    # A line search that cannot decrease the loss with the gradient at rounding level has converged
    # as far as float64 allows (the message says so): no warning then.
    at_rounding = res.status in ("no_decrease", "step_collapsed") and _inf_norm(res.jac) <= _ROUNDING_GRADIENT
    if res.status == "maxiter":  # the rounds' total, in the estimator's terms (res.message counts one round)
        message = (f"Stopped after max_iter={estimator.max_iter} iterations with the internal gradient's infinity "
                   f"norm {_inf_norm(res.jac):.3g} still above tol={estimator.tol:.3g}; raise max_iter or "
                   f"loosen tol.")
        warnings.warn(f"LogisticRegression did not converge: {message}", ConvergenceWarning, stacklevel=5)
    elif res.status not in ("converged", "callback") and not at_rounding:
        warnings.warn(f"LogisticRegression did not converge: {res.message}", ConvergenceWarning, stacklevel=5)
    return objective, white, res, n_iter, np.concatenate(history)


def _rewhitened(estimator, objective, white, x, penalty, rows, curvature_at_zero, first):
    """The objective whitened for its Hessian at ``x``, its whitening, and ``x`` in the new coordinates.

    ONE pass: each block's rows are weighted by their curvature at the current
    scores as the block's moments are taken (:class:`ScoreWeights`). ``first``
    is the whitening at the start (its units and its moments).
    """
    W, b = objective.coefficients(x)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        moments = objective.design.moments(ScoreWeights(W, b - objective.mean @ W, rows.row_curvature,
                                                        rows.row_data),
                                           centre=estimator.fit_intercept, scale=first.prescale,
                                           shift=objective.mean)
    total = moments.total
    if not (_COLLAPSED * curvature_at_zero < total < np.inf):
        # The curvature has vanished (separated or single-class data): the Hessian is the penalty alone,
        # which no whitening of the data can represent. Keep the current whitening.
        return objective, x, white
    # A trace of the first weights keeps every row's direction alive where the curvature has collapsed.
    moments = blend(moments, first.moments, 1e-9 * total, first.prescale)
    new_white = whitening(moments, first.prescale, total, penalty, estimator.fit_intercept, floor=True)
    intercept_scale = 1 / math.sqrt(total) if estimator.fit_intercept else None
    mean = moments.mean
    new = LinearObjective(objective.design, mean, new_white.P, penalty, objective.width, intercept_scale, rows)
    x0 = np.zeros(new.size)
    x0[: new.n_coef] = inverse_apply(new_white, W).ravel()
    if new.intercept_scale is not None:
        x0[new.n_coef:] = (b + (mean - objective.mean) @ W) / new.intercept_scale
    return new, x0, new_white
