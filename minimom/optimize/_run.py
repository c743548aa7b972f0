"""One run of the loop: the last good iterate kept so that nothing is lost, the steps, the result."""

from __future__ import annotations

import math

import numpy as np

from ..optimizers._curvature import Curvature
from ._checks import _callback_stops, _check_calibrated, _checked_update
from ._linesearch import SearchFailed, _curvature_constant, _relative_ftol, wolfe_search
from ._progress import _Progress
from ._result import STATUS_MESSAGES, OptimizeResult, _History, _inf_norm, _read_only
from ._retune import _MAX_RETUNES, _Guard

_BUILD_ATTEMPTS = 3  # interrupts while the result is built that still give a result


class _Run:
    """One run of the loop; holds the last good iterate so nothing is lost."""

    def __init__(self, problem, optimizer, args, maxiter, tol, callback, verbose, batches):
        self.flat_fun, self.value_and_grad, self.hvp_at = problem.flat_fun, problem.value_and_grad, problem.hvp_at
        self.args, self.maxiter, self.tol = args, maxiter, tol
        self.callback, self.restore, self.batches = callback, problem.restore, batches
        x, loss, grad = problem.x, problem.loss, problem.grad
        self.x, self.loss, self.grad, self.gnorm = x, float(loss), grad, _inf_norm(grad)
        self.state = None  # the optimizer's state after the last step (scipy_method reads L-BFGS's pairs from it)
        self.nit, self.nfev, self.history = 0, 1, _History()
        self.value_only = 0  # evaluations of fun without its gradient (FISTA's backtracking): njev = nfev - this
        self.base_optimizer = self.optimizer = optimizer
        self.progress = _Progress(maxiter, verbose)

    def _calibrate(self, safety: float):
        calibrate = getattr(self.base_optimizer, "calibrate", None)
        if calibrate is None:
            return self.base_optimizer
        args = self.batches.sample() if self.batches is not None else self.args
        x, hvp_at_x = self.x, []

        def hvp(v):  # traced on first use: optimizers with numbers given never pay for it
            if not hvp_at_x:
                hvp_at_x.append(self.hvp_at(self.flat_fun, x, args))
                # tracing the Hessian-vector product evaluates fun and its gradient once (an own product does not)
                self.nfev += getattr(self.hvp_at, "evaluations", 1)
            return hvp_at_x[0](v)

        tuned = calibrate(Curvature(hvp, x, safety=safety, stochastic=self.batches is not None))
        return _check_calibrated(tuned, self.base_optimizer)

    def result(self, status: str | None = None, attempts: int = _BUILD_ATTEMPTS) -> OptimizeResult:
        # A Ctrl-C may land anywhere, the building of the result included: then the result is built
        # again, as "interrupted" (the run is never redone). Only repeated Ctrl-Cs get through.
        try:
            return self._run_and_build(status)
        except KeyboardInterrupt:
            if not attempts:
                raise
            return self.result("interrupted", attempts - 1)

    def _run_and_build(self, status) -> OptimizeResult:
        # Overflow and NaN are expected in a diverging run, which is detected and reported.
        with np.errstate(over="ignore", invalid="ignore"):
            status = status or self._run()
            self.progress.close(status)
            return self._result(status)

    def _run(self) -> str:
        if not (math.isfinite(self.loss) and math.isfinite(self.gnorm)):
            return "invalid_start"
        if self.maxiter == 0 and self.gnorm > self.tol:
            return "maxiter"  # no step asked for: nothing to tune
        self.optimizer = self._calibrate(safety=1.0)  # at a converged start no step is needed, but "auto" resolves
        return "converged" if self.gnorm <= self.tol else self._loop()

    def _loop(self) -> str:
        self.c2 = _curvature_constant(self.optimizer)
        searching = self.c2 is not None
        if searching and self.batches is not None:
            raise ValueError(
                f"{self.optimizer!r} searches along its steps, which needs full-batch gradients: line searches "
                "break on noisy mini-batch gradients. Use Momentum() in mini-batch mode, or drop batch_size."
            )
        # A self-tuned step rule (its calibrate returned a tuned copy) is re-tuned from the best
        # iterate when the run diverges or stalls; numbers given run as given, and a line search
        # needs no guard: it only ever accepts a finite, lower point.
        tuned = self.optimizer is not self.base_optimizer and not searching
        guard = _Guard(self.iterate) if tuned else None
        advance = self._search if searching else self._advance
        state, update = self.optimizer.init(self.x), self.optimizer.update
        update = _checked_update(self.optimizer, update, self.x)  # its first step is checked against the protocol
        ftol = _relative_ftol(self.optimizer) if searching else 0.0  # an opt-in f test, scipy's ftol
        while self.nit < self.maxiter:
            previous = self.loss
            try:
                x, state, loss, grad = advance(update, state)
            except SearchFailed as failed:  # keep the lowest point the search found, then stop
                return (failed.point is not None and self._accept(*failed.point, _inf_norm(failed.point[2]))
                        or failed.status)
            gnorm = _inf_norm(grad)  # once per iteration: it tells finiteness, convergence and progress
            finite = math.isfinite(loss) and math.isfinite(gnorm)
            if finite:
                status = self._accept(x, loss, grad, gnorm)
                if status is not None:
                    return status
                if ftol and previous - self.loss <= ftol * max(abs(previous), abs(self.loss), 1.0):
                    return "ftol"
                if guard is None or not guard.stalled(self.iterate):
                    continue
            if guard is None or guard.retunes == _MAX_RETUNES:
                if not finite:
                    return "diverged"
                continue
            self.x, self.loss, self.grad, self.gnorm = guard.best
            self.optimizer = self._calibrate(safety=guard.next_safety(diverged=not finite))
            state, update = self.optimizer.init(self.x), self.optimizer.update
        if guard is not None and guard.best[1] < self.loss:  # a self-tuned run that climbed back up keeps its best
            self.x, self.loss, self.grad, self.gnorm = guard.best
        return "maxiter"

    def _advance(self, update, state):
        """One iteration: a step (or an epoch of mini-batch steps) and the loss and gradient after it."""
        if self.batches is not None:
            return self._epoch(update, state)
        step, state = update(self.grad, state, self.x)
        x = self.x + step
        loss, grad = self.value_and_grad(x, *self.args)
        self.nfev += 1
        return x, state, loss, grad

    def _search(self, update, state):
        """One step scaled by a strong Wolfe line search (full batch): the optimizer proposes, the search scales.

        When the search finds no decrease, the optimizer starts over from a fresh
        state at the current point (for quasi-Newton methods: steepest descent) and
        the search tries once more before the run ends with "no_decrease".
        """
        step, state = update(self.grad, state, self.x)
        try:
            x, loss, grad = wolfe_search(self._evaluate, self.x, self.loss, self.grad, step, self.c2)
        except SearchFailed as failed:
            if failed.status != "no_decrease":
                raise
            step, state = update(self.grad, self.optimizer.init(self.x), self.x)
            x, loss, grad = wolfe_search(self._evaluate, self.x, self.loss, self.grad, step, self.c2)
        self.state = state
        return x, state, loss, grad

    def _evaluate(self, x):
        self.nfev += 1
        return self.value_and_grad(x, *self.args)

    @property
    def iterate(self) -> tuple:
        return self.x, self.loss, self.grad, self.gnorm

    def _accept(self, x, loss, grad, gnorm) -> str | None:
        """Make a finite iterate the current one; return a status if the run should end there."""
        self.x, self.loss, self.grad, self.gnorm = x, float(loss), grad, gnorm
        self.nit += 1
        self.history.append(self.loss)
        self.progress.update(self.loss)
        if self.callback is not None and self._call_back():
            return "callback"
        return "converged" if gnorm <= self.tol else None

    def _epoch(self, update, state):
        x, state, loss, grad, evaluations = self.batches.run_epoch(self.value_and_grad, self.x, update, state,
                                                                   self.args)
        self.nfev += evaluations
        return x, state, loss, grad

    def _call_back(self) -> bool:
        try:
            return _callback_stops(self.callback(self._result("callback", intermediate=True)))
        except StopIteration:
            return True

    def _result(self, status: str, intermediate: bool = False) -> OptimizeResult:
        if intermediate:  # every iteration: read-only views, nothing copied
            return OptimizeResult(
                x=self.restore(_read_only(self.x)), fun=self.loss, jac=self.restore(_read_only(self.grad)),
                nit=self.nit, nfev=self.nfev, njev=self.nfev - self.value_only, success=True, status="running",
                message="In progress.",
                history=self.history.view(), optimizer=self.optimizer,
            )
        message = STATUS_MESSAGES[status].format(gnorm=self.gnorm, tol=self.tol, maxiter=self.maxiter, nit=self.nit,
                                                 fun=self.loss, ftol=getattr(self.optimizer, "ftol", 0.0))
        return OptimizeResult(
            x=self.restore(self.x.copy()), fun=self.loss, jac=self.restore(self.grad.copy()),
            nit=self.nit, nfev=self.nfev, njev=self.nfev - self.value_only,
            success=status in ("converged", "ftol", "callback"), status=status,
            message=message, history=self.history.view().copy(), optimizer=self.optimizer,
        )
