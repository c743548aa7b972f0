"""``minimize``: the loop that turns an autograd loss and an optimizer into a result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..data._batches import _Batches
from ..data._rowsum import _needs_row_sum
from ._arguments import _as_args, _problem, _reject_keywords
from ._bounds import _composite
from ._checks import TracingError, _check_options, _check_protocol
from ._composite import _CompositeRun
from ._result import OptimizeResult
from ._run import _Run

__all__ = ["minimize", "TracingError"]  # TracingError is defined in _checks


def minimize(fun: Callable[..., Any], x0: Any, args: tuple = (), *, optimizer: Any = None,
             maxiter: int = 1000, tol: float = 1e-6, callback: Callable | None = None,
             batch_size: int | None = None, random_state: Any = None,
             verbose: bool = False, jac: Any = None, penalty: Any = None, bounds: Any = None,
             **unknown: Any) -> OptimizeResult:
    """Minimize ``fun(x, *args)`` with gradients from autograd and steps from ``optimizer``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, written with ``autograd.numpy``. Never
        write its gradient: autograd takes it (unless ``jac`` is given).
    x0 : array_like or pytree
        The starting point: a float array of any shape (a flat list of numbers
        is an array, as in scipy), or dicts, lists and tuples nesting arrays
        and floats. Integers are promoted to float.
    args : tuple, default=()
        Extra arguments passed to ``fun`` (and ``jac``); positional, as in scipy.
    optimizer : optimizer, default=None
        Any object with ``init``/``update`` (see :mod:`minimom.optimizers`);
        ``None`` means ``Momentum()``: in full-batch mode the per-step
        :class:`minimom.ConjugateMomentum` (a strong Wolfe line search picks each
        learning rate), in mini-batch mode momentum tuned from the curvature at the start.
    maxiter : int, default=1000
        The most iterations (epochs in mini-batch mode).
    tol : float, default=1e-6
        Stop when the gradient's infinity norm is ``<= tol``.
    callback : callable, default=None
        ``callback(intermediate_result)`` after every iteration, with an
        :class:`OptimizeResult` of the current state. Returning a true value
        (``bool(value)`` is True: ``True``, ``1``, ``np.True_``, a one-element
        array holding a true value) or raising ``StopIteration`` stops the run
        successfully; ``None`` and false values go on.
    batch_size : int, default=None
        Mini-batch mode: ``n`` is the length of the first array in ``args``;
        every array in ``args`` whose first axis has length ``n`` is cut into
        the same shuffled batches of ``batch_size`` rows, other arguments pass
        through.
        One iteration is then one epoch, after which the loss and gradient on
        all the data are recorded and tested against ``tol``.
    random_state : int, numpy Generator or None, default=None
        Seeds the shuffle of mini-batch mode.
    verbose : bool, default=False
        Show progress (a tqdm bar when tqdm is installed, else lines on stderr).
    jac : None, True or callable, default=None
        Where the gradient comes from: ``None``, autograd; ``True``, ``fun``
        returns ``(value, gradient)``; a callable, ``jac(x, *args)`` returns the
        gradient. A given gradient has the structure of ``x0``. For losses
        autograd cannot trace.
    penalty, bounds : default=None
        ``fun + penalty`` on ``lo <= x <= hi``, by proximal steps: see :mod:`minimom.optimize._composite`.

    Returns
    -------
    OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``njev`` (gradient
        evaluations, scipy's name), ``success``, ``status``, ``message``,
        ``history`` and ``optimizer`` (with "auto" resolved).

    Raises
    ------
    TypeError
        For a keyword minimom spells differently from scipy (``method``,
        ``options``, ``constraints``, ``hess``, ``gtol``, ...): the message says
        what to write instead.

    Examples
    --------
    >>>     >>> import numpy as np
    >>> import minimom as mm
    >>> res = mm.minimize(lambda p: anp.sum((p["w"] - 3.0) ** 2) + (p["b"] + 1.0) ** 2,
    ...                   {"w": np.zeros(2), "b": 0.0})
    >>> res.status, np.round(res.x["w"], 6).tolist(), round(res.x["b"], 6)
    ('converged', [3.0, 3.0], -1.0)
    """
    _reject_keywords(unknown, _KEYWORDS)
    return _start(fun, x0, args, optimizer, maxiter, tol, callback, batch_size, random_state, verbose, jac,
                  penalty, bounds).result()


_KEYWORDS = ("args", "optimizer", "maxiter", "tol", "callback", "batch_size", "random_state", "verbose", "jac",
             "penalty", "bounds")


def _start(fun, x0, args, optimizer, maxiter, tol, callback, batch_size, random_state, verbose, jac,
           penalty=None, bounds=None) -> _Run:
    """Check the arguments, evaluate once, and return the run, ready to go (``result()`` runs it)."""
    maxiter, tol = _check_options(maxiter, tol, callback, random_state)
    composite, optimizer = _composite(penalty, bounds, x0, optimizer, batch_size)  # composite None: neither given
    _check_protocol(optimizer)
    args = _as_args(args)
    _needs_row_sum(fun, args)
    batches = None if batch_size is None else _Batches(args, batch_size, random_state)
    try:
        problem = _problem(fun, x0, args, jac, None if composite is None else composite.project)
    except (ValueError, IndexError) as err:
        if batches is not None:
            batches.explain(err)
        raise
    if composite is not None:
        return _CompositeRun(problem, optimizer, args, maxiter, tol, callback, verbose, batches, composite=composite)
    return _Run(problem, optimizer, args, maxiter, tol, callback, verbose, batches)
