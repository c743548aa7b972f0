"""The result of a run: :class:`OptimizeResult` and the one table of status messages."""

from __future__ import annotations

import numpy as np

#: Every way a run can end, with the sentence a person reads. ``minimize`` fills
#: in the fields named in braces.
STATUS_MESSAGES = {
    "converged": "Converged: the gradient's infinity norm {gnorm:.3g} is at most tol={tol:.3g}.",
    "ftol": (
        "Stopped by the optimizer's ftol rule (scipy L-BFGS-B's): the last step changed the loss by at most "
        "ftol={ftol:.3g} relative to max(|f_k|, |f_k+1|, 1), with the gradient's infinity norm {gnorm:.3g} "
        "(tol={tol:.3g}). For a point that meets tol, set ftol=0 (the default)."
    ),
    "maxiter": (
        "Stopped after maxiter={maxiter} iterations with the gradient's infinity norm "
        "{gnorm:.3g} still above tol={tol:.3g}; raise maxiter or loosen tol."
    ),
    "callback": "Stopped by the callback after {nit} iterations.",
    "diverged": (
        "Diverged: the loss or its gradient became non-finite at iteration {nit}; x is "
        "the last iterate with a finite loss. Try a smaller learning rate (the optimizer's learning_rate)."
    ),
    "invalid_start": (
        "Did not start: at x0 the loss is {fun:.3g} and the gradient's infinity norm {gnorm:.3g}; both must "
        "be finite to take a step, so x is x0. Start from a point where fun and its gradient are finite "
        "(check x0's scale, and the loss's logs, square roots and divisions there)."
    ),
    "no_decrease": (
        "Stopped after {nit} iterations: the line search found no decrease along the step from x, with the "
        "gradient's infinity norm {gnorm:.3g} still above tol={tol:.3g}. The loss may be non-smooth there or its "
        "gradient inaccurate, or x is as close to a minimum as floating point can resolve; more iterations "
        "will not help. x is the lowest point found: loosen tol if it is good enough, or smooth the loss."
    ),
    "step_collapsed": (
        "Stopped after {nit} iterations: the line search found lower points but no step that also flattens "
        "the slope (its step size collapsed to the resolution of floating point), with the gradient's infinity "
        "norm {gnorm:.3g} still above tol={tol:.3g}. The loss is likely non-smooth (a kink, e.g. abs or max) "
        "near x, or its gradient inaccurate, or x is as close to a minimum as floating point can resolve; more "
        "iterations will not help. x is the lowest point found: smooth the loss (e.g. a Huber or softplus "
        "form) or loosen tol if x is good enough."
    ),
    "unbounded": (
        "Stopped after {nit} iterations: the loss fell without bound along the step (to {fun:.3g}, or to -inf "
        "beyond it), so it has no minimum for the line search to find there. Check the loss: a missing "
        "penalty or constraint, or a sign error? x is the lowest finite point found."
    ),
    "interrupted": (
        "Interrupted by the user (KeyboardInterrupt) after {nit} iterations; x is the "
        "last iterate with a finite loss."
    ),
}


class OptimizeResult(dict):
    """The outcome of :func:`minimom.minimize`: a dict with attribute access.

    Fields
    ------
    x : the minimizer, in the structure of ``x0``.
    fun : float, the loss at ``x``.
    jac : the gradient at ``x``, in the structure of ``x0``.
    nit : int, iterations taken (epochs in mini-batch mode).
    nfev : int, evaluations of the loss (with its gradient, but for the
        value-only trials of FISTA's backtracking).
    njev : int, evaluations of the gradient (scipy's name): ``nfev`` less the
        value-only evaluations, so equal to ``nfev`` for every method but FISTA.
    success : bool, whether the run ended as asked (converged, stopped by
        the optimizer's opt-in ``ftol`` rule, or stopped by the callback).
    status : str, one of ``"converged"``, ``"ftol"``, ``"maxiter"``, ``"callback"``,
        ``"diverged"``, ``"invalid_start"`` (the loss or gradient is not finite
        at ``x0``), ``"no_decrease"``, ``"step_collapsed"``, ``"unbounded"``,
        ``"interrupted"``.
    message : str, a sentence saying why the run ended.
    history : ndarray, the loss after every iteration (per epoch in
        mini-batch mode).
    optimizer : the optimizer that took the steps, with ``"auto"``
        hyperparameters resolved to the numbers used.
    """

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(name) from err

    __setattr__ = dict.__setitem__
    __delattr__ = dict.__delitem__

    def __dir__(self):
        return list(self.keys())

    def __repr__(self) -> str:
        if not self:
            return f"{type(self).__name__}()"
        width = max(map(len, self.keys())) + 1
        with np.printoptions(threshold=8, edgeitems=3, precision=6):
            lines = [f"{key.rjust(width)}: {value!r}" for key, value in self.items()]
        return "\n".join(lines)


class _History:
    """The loss after every iteration, in a buffer that grows by doubling: appends are cheap, and the
    callback's intermediate result gets a read-only view instead of a rebuilt array."""

    def __init__(self):
        self.buffer, self.size = np.empty(64), 0

    def append(self, loss: float):
        if self.size == len(self.buffer):
            self.buffer = np.concatenate([self.buffer, np.empty(len(self.buffer))])
        self.buffer[self.size] = loss
        self.size += 1

    def view(self) -> np.ndarray:
        return _read_only(self.buffer[: self.size])


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _inf_norm(grad) -> float:
    """max |grad|: NaN or inf when the gradient is not finite."""
    return float(np.abs(grad).max()) if grad.size else 0.0
