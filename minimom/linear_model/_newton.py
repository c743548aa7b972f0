"""Newton's method on a linear model's internal objective while its Hessian is small: ONE pass per step.

Every pass over ``X`` (:meth:`minimom.data._design.Design.newton_pass`) returns the value, the gradient and
the Hessian together, at the cost of one more symmetric product per block; the Newton system
``H p = -g`` ((d + 1) k unknowns) is solved on the client by Cholesky. The steps are taken in the same
whitened coordinates ``theta`` as :class:`minimom.linear_model._objectives.LinearObjective`'s, with the
coefficients ``W = P V`` and the offset ``c u - mean @ W`` of the rows as they are (centring is this change
of parameters, never a change of ``X``), so

    g_theta = J^T [G + penalty W; 0],   H_theta = J^T (H + penalty I_W) J,   J = [[P, 0], [-mean P, c]] (x I_k),

where ``G, H`` are the gradient and Hessian in ``(W, offset)``. Directions in which ``P`` is singular (collinear
or constant columns: ``W`` cannot move there) get unit curvature, so the system stays positive definite and
the step has no part in them. A backtracking line search on the loss (Armijo's rule, with the step
interpolated from the value and slope) makes every step a descent; a trial's pass is also the next
iteration's (value, gradient, Hessian), so an accepted unit step costs exactly one pass. Newton's method
converges quadratically near the optimum: a handful of passes where a first-order method needs dozens,
which is what a cluster pays for, and the Hessian's cost ``n (d + 1)^2 k (k + 1) / 2`` stays below a few
gradient passes while ``(d + 1) k`` is small (:func:`use_newton`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg.lapack import dposv

from ..optimize._result import _inf_norm
from ._whitening import FULL_MAX_FEATURES

NEWTON_IN_MEMORY = 24  # unknowns (d + 1)(K - 1) up to which Newton steps beat first-order ones in memory ...
NEWTON_SMALL_DATA = (48, 4_000_000)  # ... and up to 48 unknowns while n * unknowns^2 is below 4e6
NEWTON_OUT_OF_CORE = 400  # ... and on memmaps and dask arrays, where a pass costs more than a d x d solve
NEWTON_HANDOFF = 128  # ... and up to which, in memory, the first-order road hands its last steps to Newton's
_ARMIJO = 1e-4
_SMALLEST_STEP = 1e-10
_QUASI_ABOVE = 2_000_000  # n * unknowns^2 (a Hessian pass's products) above which BFGS updates may replace it
_QUASI_SWITCH = 0.1  # a step cutting the gradient by this factor: BFGS updates of its Hessian from here (quasi=True)
_ROUNDING = 1e-13  # a change of the loss this small (relative) is float64 rounding, not a decrease or an increase


class NewtonResult(NamedTuple):
    x: np.ndarray
    n_iter: int
    history: list
    status: str  # "converged", "maxiter" or "stalled" (the line search found no decrease)
    gradient: np.ndarray


def quasi_updates(design, width: int) -> bool:
    """Whether a Newton run may replace Hessian passes by BFGS updates: in memory, where a pass costs its
    products, once the Hessian's product ``n ((d + 1) k)^2`` is large beside a loss pass's (small data: a pass
    costs its fixed overhead, Hessian or not); never where passes are costly (memmaps, dask)."""
    size = (design.n_features + 1) * width
    return not design.costly_passes and design.n_rows * size * size >= _QUASI_ABOVE


def _newton_in_memory(design, size: int) -> bool:
    """In memory, Newton from the start: up to ``NEWTON_IN_MEMORY`` unknowns, or up to 48 on small data, where a
    fit's cost is per-iteration overhead rather than passes. Beyond, the first-order road with the hand-off takes
    more but cheaper passes (measured at 41-46 unknowns: 1.25-1.55x lbfgs's time with Newton from the start,
    0.87-1.13x with the hand-off; at 50000 x 30, 1.14x -> 0.92x; breast_cancer's 31 stay faster by Newton)."""
    most, rows_product = NEWTON_SMALL_DATA
    return size <= NEWTON_IN_MEMORY or (size <= most and design.n_rows * size * size < rows_product)


def use_newton(design, width: int, optimizer) -> bool:
    """Newton steps for the default optimizer while the system is small (:func:`_newton_in_memory`;
    ``NEWTON_OUT_OF_CORE`` unknowns where passes are costly: memmaps, dask) and ``P`` is a full matrix."""
    size = (design.n_features + 1) * width
    small = size <= NEWTON_OUT_OF_CORE if design.costly_passes else _newton_in_memory(design, size)
    return optimizer is None and design.n_features <= FULL_MAX_FEATURES and small


def hands_off(design, width: int, optimizer) -> bool:
    """Whether the default optimizer's first-order road (in memory, beyond Newton's sizes) hands off to Newton
    steps near the optimum, up to ``NEWTON_HANDOFF`` unknowns: while one Hessian pass, about
    ``1 + unknowns / 50`` loss passes at these sizes, costs less than the first-order tail it replaces
    (measured: 6-12 loss passes)."""
    size = (design.n_features + 1) * width
    return (optimizer is None and not design.costly_passes and design.n_features <= FULL_MAX_FEATURES
            and not _newton_in_memory(design, size) and size <= NEWTON_HANDOFF)


def first_binary(objective, white, hessian: bool = True) -> tuple[float, np.ndarray, np.ndarray | None] | None:
    """``(value, gradient, Hessian)`` of the binary internal objective at zero, from the moments pass (with the
    signs ``s = 2y - 1`` as targets): no pass over ``X``. ``None`` where that pass was prescaled (no Newton then).

    At zero every row has ``p = 1/2``: the value is ``log(2) sum w``, the residual ``-w s / 2``, so the
    gradient is ``-P^T Cov_w(X, s) / 2`` and ``-c sum(w s) / 2``; the Hessian is the identity (that is what
    the whitening makes it), minus the null directions (which :meth:`NewtonProblem.direction` restores).
    """
    moments = white.moments
    if white.prescale is not None or moments.target_mean is None:
        return None
    total, d = moments.total, objective.design.n_features
    gradient = np.zeros(objective.size)
    P = objective.P
    gradient[:d] = -((P.T @ moments.cross[:, 0]) if P.ndim == 2 else P * moments.cross[:, 0]) * (total / 2)
    if objective.intercept_scale is not None:
        gradient[d] = -objective.intercept_scale * total * float(moments.target_mean[0]) / 2
    value = float(np.log(2.0) * total)
    if not hessian:  # (``hessian=False``: the value and the gradient only)
        return value, gradient, None
    matrix = np.eye(objective.size)
    null = NewtonProblem._null_curvature(white, objective.size, 1)
    if null is not None:
        matrix -= null
    return value, gradient, matrix


class NewtonProblem:
    """The internal objective ``objective`` (a :class:`LinearObjective` with a full ``P``) with its Hessian."""

    def __init__(self, objective, white, quasi: bool = False):
        self.objective, self.design, self.quasi = objective, objective.design, quasi
        self.J = objective._map  # [W; offset] = J theta: [[P, 0], [-mean P, c]] (the offset of uncentred rows)
        self.null = self._null_curvature(white, self.J.shape[1], objective.width)

    @staticmethod
    def _null_curvature(white, columns: int, k: int) -> np.ndarray | None:
        """``Z (x) I_k`` on the coefficient block, ``Z`` the projector onto the directions ``P`` maps to zero."""
        d = white.P.shape[0]
        active, vectors, inverse_root, _ = white.factors
        kept = vectors[:, inverse_root > 0]
        if len(active) == d and kept.shape[1] == d:
            return None
        Z = np.eye(d)
        Z[np.ix_(active, active)] -= kept @ kept.T
        full = np.zeros((columns, columns))
        full[:d, :d] = Z
        return np.kron(full, np.eye(k)) if k > 1 else full

    def evaluate(self, theta: np.ndarray, hessian: bool = True) -> tuple[float, np.ndarray, np.ndarray | None]:
        """``(value, gradient, Hessian)`` of the internal objective at ``theta``: one pass over ``X``
        (``hessian=False``: a plain loss pass, about ``d / 4`` times cheaper, and ``None`` for the Hessian)."""
        objective = self.objective
        if not hessian:
            value, gradient = objective.value_and_gradient(theta)
            return value, gradient, None
        d, k = self.design.n_features, objective.width
        coefs = self.J @ theta.reshape(-1, k)
        W, b = coefs[:d], coefs[d]
        rows = objective.rows
        with np.errstate(over="ignore", under="ignore"):
            value, G, H = self.design.newton_pass(W, b, rows.newton_rows, rows.row_data)
        if objective.penalty:
            value += 0.5 * objective.penalty * float(np.vdot(W, W))
            G[:d] += objective.penalty * W
            if k == 1:
                H[np.arange(d), np.arange(d)] += objective.penalty
            else:
                H[np.arange(d), :, np.arange(d), :] += objective.penalty * np.eye(k)
        gradient = (self.J.T @ G).ravel()
        if k == 1:
            hessian = self.J.T @ H @ self.J
        else:
            # J^T H J on the first and third axes: two matrix products (einsum's path search costs more here)
            half = np.tensordot(self.J, H, axes=([0], [0]))  # (m, a, j, b)
            hessian = np.tensordot(half, self.J, axes=([2], [0])).transpose(0, 1, 3, 2)  # (m, a, n, b)
            hessian = np.ascontiguousarray(hessian).reshape(gradient.size, gradient.size)
        return value, gradient, hessian

    def system(self, hessian: np.ndarray) -> np.ndarray:
        """The Newton system's matrix: the Hessian with unit curvature in the null directions."""
        return hessian if self.null is None else hessian + self.null

    @staticmethod
    def solve(system: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """``-system^-1 g`` by Cholesky (a tiny ridge if rounding needs one; steepest descent if nothing helps)."""
        scale = max(float(np.max(np.abs(np.diagonal(system)))), np.finfo(float).tiny)
        for ridge in (0.0, 1e-12, 1e-8):
            if ridge:
                system = system + ridge * scale * np.eye(len(system))
            _, step, info = dposv(system, -gradient)  # LAPACK's Cholesky solve: info > 0 if not positive definite
            if info == 0 and np.all(np.isfinite(step)):
                return step
        return -gradient  # no factorization: steepest descent, whose step the line search sizes

    def direction(self, gradient: np.ndarray, hessian: np.ndarray) -> np.ndarray:
        """``-H^-1 g`` (unit curvature in the null directions)."""
        return self.solve(self.system(hessian), gradient)


def _bfgs(system: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BFGS's update of a Hessian approximation with the step ``s`` and the gradient's change ``y``
    (skipped unless ``s^T y > 0``: the update keeps the matrix positive definite)."""
    sy = float(s @ y)
    Bs = system @ s
    sBs = float(s @ Bs)
    if not (sy > 1e-12 * np.sqrt(float(s @ s) * float(y @ y)) and sBs > 0):
        return system
    return system - np.outer(Bs, Bs / sBs) + np.outer(y, y / sy)


def newton(problem: NewtonProblem, x0: np.ndarray, max_iter: int, tol: float, first=None,
           near: bool = False) -> NewtonResult:
    """Newton's method with a backtracking line search, from ``x0`` until the gradient's infinity norm is ``<= tol``.

    ``first`` may give ``(value, gradient, Hessian)`` at ``x0`` (known without a pass); otherwise it costs one.
    ``problem.quasi`` (in memory, where a Hessian pass costs several loss passes): once a step has cut the
    gradient's infinity norm by ``_QUASI_SWITCH`` or more, the Hessian has stopped changing much; the next
    passes are loss passes and the last Hessian is updated by BFGS from the secant pairs instead of being
    recomputed, which keeps the convergence superlinear. A step that cuts the gradient less asks for the
    Hessian again. ``near=True`` (a hand-off near the optimum, where the Hessian at ``x0`` already is the
    one that stops changing): BFGS updates from the first step on, when ``problem.quasi``.
    """
    x = x0
    value, gradient, hessian = first if first is not None else problem.evaluate(x)
    system = problem.system(hessian)
    history = []
    want = not (near and problem.quasi)  # the next pass computes the Hessian
    for _ in range(max_iter):
        norm = _inf_norm(gradient)
        if norm <= tol:
            return NewtonResult(x, len(history), history, "converged", gradient)
        step = problem.solve(system, gradient)
        slope = float(gradient @ step)
        if not slope < 0:
            step, slope = -gradient, -float(gradient @ gradient)
        t = 1.0
        while True:
            trial = problem.evaluate(x + t * step, want)
            change = trial[0] - value
            if np.isfinite(trial[0]) and (change <= _ARMIJO * t * slope or (
                    abs(change) <= _ROUNDING * abs(value) and _inf_norm(trial[1]) < norm)):
                break
            if not np.isfinite(change):
                t *= 0.1
            else:  # the minimum of the quadratic through the value, the slope and the trial, kept in [0.1 t, 0.5 t]
                t = min(max(-slope * t * t / (2 * (change - slope * t)), 0.1 * t), 0.5 * t)
            if t < _SMALLEST_STEP:
                return NewtonResult(x, len(history), history, "stalled", gradient)
        x = x + t * step
        previous = gradient
        value, gradient, hessian = trial
        system = problem.system(hessian) if hessian is not None else _bfgs(system, t * step, gradient - previous)
        want = not problem.quasi or _inf_norm(gradient) > _QUASI_SWITCH * norm
        history.append(value)
    status = "converged" if _inf_norm(gradient) <= tol else "maxiter"
    return NewtonResult(x, len(history), history, status, gradient)
