r"""The loop for ``fun(x) + h(x)`` subject to ``lo <= x <= hi``: ``minimize(..., penalty=, bounds=)``.

Three ways to take the steps, chosen by the optimizer that ``calibrate`` resolved to:

- a line-search optimizer (``ConjugateMomentum``, what ``Momentum()`` resolves to in
  full batch) with a separable penalty (``L1``, ``ElasticNet``) or none: orthant-wise
  projected L-BFGS (:mod:`minimom.optimizers._projected`), searching along the
  projection arc ``x(t) = P(x + t d)`` until ``F(x(t)) <= F(x) + c1 pg.(x(t) - x)``
  (Armijo, the form of Andrew & Gao's OWL-QN and of projected Newton methods);
- ``ProximalMomentum()`` with "auto" in full batch (and any penalty that is not
  separable): FISTA, the proximal Nesterov step with a backtracked ``1/L``;
- any other optimizer: its own steps, through ``proximal_update(grad, state, params, prox)``
  when it has one, else ``update`` followed by the projection onto the box.

Every point ``fun`` sees is in the box: trial points are clipped, never shifted.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..optimizers._projected import (
    ZERO,
    ReducedMemory,
    arc_point,
    at_kinks,
    box_slopes,
    near_bounds,
    near_kinks,
    pseudo_gradient,
)
from ..optimizers._proximal import ProximalMomentum
from ._checks import _checked_update
from ._linesearch import _C1, _curvature_constant, _relative_ftol
from ._run import _Run

_MAX_TRIALS = 40  # halvings (or more) of the arc step before the search gives up
_ROUNDOFF = 1e-12  # the relative rise in F forgiven when the residual still falls (rounding near a minimum)
_RESIDUAL = "the proximal-gradient residual's infinity norm, max|x - prox(x - g)|,"


class _QuasiNewtonState(NamedTuple):
    x: None  # the last pair is in the memory already (ConjugateState's fields, for readers of run.state)
    grad: None
    memory: ReducedMemory


class _CompositeRun(_Run):
    """A run of ``minimize`` with a penalty or bounds: ``loss`` is the whole objective, ``gnorm`` the residual."""

    def __init__(self, *args, composite):
        super().__init__(*args)
        self.composite = composite
        self.smooth = self.loss
        self.loss = self.smooth + composite.value(self.x)
        self.gnorm = composite.residual(self.x, self.grad)

    def _loop(self) -> str:
        optimizer, composite = self.optimizer, self.composite
        searching = _curvature_constant(optimizer) is not None
        if searching and self.batches is not None:
            raise ValueError(f"{optimizer!r} searches along its steps, which needs full-batch gradients. Use "
                             "ProximalMomentum() in mini-batch mode (the default there), or drop batch_size.")
        if searching and composite.separable:
            return self._quasi_newton(_pairs(self.base_optimizer, optimizer), _relative_ftol(optimizer))
        if searching or isinstance(optimizer, ProximalMomentum) and optimizer.learning_rate == "auto":
            return self._fista()
        return self._steps()

    def _take(self, x, smooth, grad):
        """Make a finite feasible point the current one; return a status if the run should end there."""
        self.smooth = float(smooth)
        return self._accept(x, self.smooth + self.composite.value(x), grad, self.composite.residual(x, grad))

    def _move_to(self, x):
        """Evaluate at the feasible ``x`` and make it the current point; a status if the run ends there."""
        smooth, grad = self._evaluate(x)
        if not (math.isfinite(smooth) and np.isfinite(grad).all()):
            return "diverged"  # the current point stays the last finite one
        return self._take(x, smooth, grad)

    # -- orthant-wise projected L-BFGS --------------------------------------------------------------------------
    def _quasi_newton(self, m: int, ftol: float) -> str:
        composite = self.composite
        l1, l2 = composite.weights if composite.weights is not None else (None, None)
        l1 = l1 if l1 is not None and np.any(l1) else None
        l2 = l2 if l2 is not None and np.any(l2) else None
        lo, hi = composite.lo, composite.hi
        box = composite.penalty is None and lo is not None  # bounds alone: slopes, gaps and residual in one pass
        memory = ReducedMemory(m, self.x.size)
        self.state = _QuasiNewtonState(None, None, memory)  # scipy_method's hess_inv reads the pairs from it
        smooth_grad = self.grad if l2 is None else self.grad + l2 * self.x  # f + l2 x^2 / 2 is the smooth part
        slopes = box_slopes(self.x, self.grad, lo, hi) if box else None
        n = self.x.size
        while self.nit < self.maxiter:
            x = self.x
            if box:
                pg, free, edge = slopes.pg, slopes.free, slopes.pinned  # pinned: the free ones at a bound
            else:
                pg = pseudo_gradient(x, smooth_grad, l1, lo, hi)
                free, edge = pg != 0, at_kinks(x, l1, lo, hi)
            found = None
            for _attempt in (0, 1):  # the quasi-Newton step; then, if it finds no decrease, steepest descent
                if box:
                    near, landing = near_bounds(x, slopes, lo, hi, memory)
                    every = near is None and slopes.free_count == n
                else:
                    near, landing = near_kinks(x, pg, l1, lo, hi, memory)
                solved = free if landing is None else free & ~near
                d = memory.direction(pg, None if (every if box else solved.all()) else solved)
                if landing is not None:  # what a Cauchy step would carry onto its bound or zero lands there
                    np.copyto(d, landing, where=near)
                # Inside its orthant and box a coordinate moves as the metric says; one at zero or at a bound
                # must move the way -pg points, into the piece where F is smooth (OWL-QN's alignment).
                if edge is not None:
                    uphill = d * pg > ZERO
                    uphill &= edge
                    d[uphill] = 0.0
                slope = float(pg.dot(d))
                if not slope < 0:
                    d[d * pg >= 0] = 0.0
                    slope = float(pg.dot(d))
                    if not slope < 0:
                        memory.clear()
                        continue
                found = self._arc_search(pg, d, slope, l1, l2, lo, hi)
                if found is not None or memory.count == 0:
                    break
                memory.clear()
            if found is None:
                return "no_decrease"
            if isinstance(found, str):
                return found
            x, smooth, grad, s = found
            new_grad = grad if l2 is None else grad + l2 * x
            y = new_grad - smooth_grad
            sy, yy = float(s.dot(y)), float(y.dot(y))
            if sy > 2.2e-16 * yy and yy > 0:  # curvature along the step (L-BFGS-B's test): a pair the metric can use
                memory.add(s, y, sy, yy)
            previous = self.loss
            if box:  # no penalty: F is f, and the residual comes with the next step's slopes
                slopes = box_slopes(x, grad, lo, hi)
                self.smooth = smooth
                status = self._accept(x, smooth, grad, slopes.residual)
            else:
                status = self._take(x, smooth, grad)
            smooth_grad = new_grad
            if status is not None:
                return status
            if ftol and previous - self.loss <= ftol * max(abs(previous), abs(self.loss), 1.0):
                return "ftol"
        return "maxiter"

    def _arc_search(self, pg, d, slope, l1, l2, lo, hi):
        """Backtrack along ``P(x + t d)`` from ``t = 1`` (``slope = pg.d``): ``(x, f, g, x - x_k)`` of an
        accepted point, a status, or None.

        A point is accepted by Armijo's test, or, when its value is within rounding of ``F(x)`` (where
        values cannot tell a decrease), by its slope: unless the slope along the move has turned
        steeply uphill (the step overshot), as Hager & Zhang's approximate Wolfe conditions do.
        """
        x, loss, composite = self.x, self.loss, self.composite
        orthant = None
        if l1 is not None:  # coordinates at zero may enter the orthant of -pg; unpenalized ones are free
            orthant = np.where(x != 0, np.sign(x), np.sign(-pg))
            if np.ndim(l1):
                orthant[l1 == 0] = 0.0
        t, roundoff = 1.0, _ROUNDOFF * abs(loss)
        for _ in range(_MAX_TRIALS):
            trial = arc_point(x, d, t, orthant, lo, hi)
            move = trial - x
            start_slope = float(pg.dot(move))  # the slope of F along the move, at x and at the trial point
            if start_slope == 0 and not move.any():
                return None
            smooth, grad = self._evaluate(trial)
            smooth = float(smooth)
            value = smooth if composite.penalty is None else smooth + composite.value(trial)
            if value == -math.inf:
                return "unbounded"
            if not (math.isfinite(value) and _finite(grad)):
                t *= 0.1
                continue
            if abs(value - loss) <= roundoff:
                end_slope = float((grad if l2 is None else grad + l2 * trial) @ move)
                end_slope += 0.0 if l1 is None else float((l1 * orthant) @ move)
                if end_slope <= -0.8 * start_slope:
                    return trial, smooth, grad, move
                t *= min(max(start_slope / (start_slope - end_slope), 0.01), 0.9)  # the slopes' secant
                continue
            if value <= loss + _C1 * start_slope:
                return trial, smooth, grad, move
            change = value - loss - slope * t  # the quadratic's curvature term along the (linear) arc
            t_next = -slope * t * t / (2.0 * change) if change > 0 else 0.5 * t
            t = min(max(t_next, 0.1 * t), 0.5 * t)
        return None

    # -- FISTA --------------------------------------------------------------------------------------------------
    def _fista(self) -> str:
        composite, args = self.composite, self.args
        lipschitz = self._lipschitz_probe()
        stepper = ProximalMomentum(learning_rate=1.0 / lipschitz, momentum="adaptive", nesterov=True, restart=True)
        self.optimizer = stepper
        state = stepper.init(self.x)
        while self.nit < self.maxiter:
            y, smooth, grad = self.x, self.smooth, self.grad
            for _ in range(_MAX_TRIALS + 20):
                stepper.learning_rate = 1.0 / lipschitz
                step, new_state = stepper.proximal_update(grad, state, y, composite.prox)
                point = new_state.point
                diff = point - y
                self.nfev += 1
                self.value_only += 1
                value = float(np.reshape(self.flat_fun(point, *args), ()))
                bound = smooth + float(grad @ diff) + 0.5 * lipschitz * float(diff @ diff)
                if value <= bound:
                    shrink = 0.9  # let the step grow back (Scheinberg, Goldfarb & Bai's backtracking)
                    break
                if value <= bound + _ROUNDOFF * abs(smooth):  # within rounding of f: take it, keep L
                    shrink = 1.0
                    break
                lipschitz *= 2.0
            else:
                return "no_decrease"
            state = new_state
            status = self._move_to(composite.project(y + step))
            if status is not None:
                return status
            lipschitz *= shrink
        return "maxiter"

    def _lipschitz_probe(self) -> float:
        """A first ``L``: the secant slope of the gradient along a short projected gradient step."""
        x, grad = self.x, self.grad
        size = 1e-4 * max(float(np.max(np.abs(x))), 1.0) / max(float(np.max(np.abs(grad))), 1e-300)
        probe = self.composite.project(x - size * grad)
        move = probe - x
        if not np.any(move):
            return max(float(np.sqrt(grad @ grad)), 1e-12)
        _, probe_grad = self._evaluate(probe)
        ratio = float(np.sqrt(np.sum((probe_grad - grad) ** 2) / (move @ move)))
        return ratio if math.isfinite(ratio) and ratio > 1e-12 else max(float(np.sqrt(grad @ grad)), 1e-12)

    # -- the optimizer's own steps ------------------------------------------------------------------------------
    def _steps(self) -> str:
        optimizer, composite = self.optimizer, self.composite
        proximal_update = getattr(optimizer, "proximal_update", None)
        if proximal_update is not None:
            def update(grad, state, x):
                return proximal_update(grad, state, x, composite.prox)
        elif composite.penalty is not None:
            raise TypeError(f"{optimizer!r} has no proximal_update(grad, state, params, prox), so it cannot take "
                            "a penalty's proximal step; use mm.ProximalMomentum(...) or the default optimizer, or "
                            "give the optimizer a proximal_update (see the optimizer protocol).")
        else:
            update = optimizer.update  # then the step is projected onto the box
        update = _checked_update(optimizer, update, self.x)
        state = optimizer.init(self.x)
        while self.nit < self.maxiter:
            x = self.x
            if self.batches is not None:
                for batch_args in self.batches.epoch():
                    _, grad = self.value_and_grad(x, *batch_args)
                    self.nfev += 1
                    if not np.isfinite(grad).all():
                        return "diverged"
                    step, state = update(grad, state, x)
                    x = composite.project(x + step)
            else:
                step, state = update(self.grad, state, x)
                x = composite.project(x + step)
            status = self._move_to(x)
            if status is not None:
                return status
        return "maxiter"

    def _result(self, status, intermediate=False):
        result = super()._result(status, intermediate)
        if not intermediate and (self.composite.penalty is not None or self.composite.lo is not None):
            result["message"] = result["message"].replace("the gradient's infinity norm", _RESIDUAL)
        return result


def _finite(grad) -> bool:
    """Whether every entry is finite: a sum of squares is (one BLAS call), or else, if it overflowed, each entry."""
    return math.isfinite(grad.dot(grad)) or bool(np.isfinite(grad).all())


def _pairs(given, resolved) -> int:
    """The projected method's memory: 10 pairs (L-BFGS-B's) unless the optimizer was given a number.

    ``memory="auto"``'s many pairs help unconstrained ill-conditioned losses; across active sets they
    carry curvature of coordinates since held and the reduced ``2m x 2m`` solve grows with ``m``.
    """
    memory = getattr(given, "memory", "auto")
    if isinstance(memory, str):
        return 10
    return max(int(getattr(resolved, "memory", memory)), 1)
