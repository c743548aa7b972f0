"""``scipy_method``: minimom's default under scipy's own call, ``scipy.optimize.minimize(..., method=...)``."""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..optimizers._conjugate import ConjugateMomentum
from ._checks import TracingError
from ._minimize import _start, minimize

__all__ = ["scipy_method"]

#: minimom's way to end -> scipy L-BFGS-B's integer status (0 converged, 1 iteration limit, 2 other failures).
SCIPY_STATUS = {"converged": 0, "ftol": 0, "maxiter": 1}
_FINITE_DIFFERENCES = ("2-point", "3-point", "cs")
_KNOWN_OPTIONS = ("maxiter", "gtol", "tol", "disp", "ftol", "maxcor", "optimizer")


def scipy_method(fun: Callable, x0: Any, args: tuple = (), jac: Any = None, hess: Any = None, hessp: Any = None,
                 bounds: Any = None, constraints: Any = (), callback: Callable | None = None, **options: Any):
    """minimom's default optimizer as a scipy method: ``scipy.optimize.minimize(fun, x0, method=mm.scipy_method)``.

    scipy calls a callable ``method`` with ``fun``, ``x0`` and every argument of
    its own ``minimize``; this runs :func:`minimom.minimize` (by default
    :class:`minimom.ConjugateMomentum`, the L-BFGS metric with a strong Wolfe
    line search) and returns scipy's ``OptimizeResult``.

    Parameters
    ----------
    fun, x0, args
        As for scipy: ``fun(x, *args) -> float`` on a 1-D ``x``.
    jac : None, bool, callable or str
        ``None`` or ``False``: autograd's exact gradient (scipy would take finite
        differences; when autograd cannot trace ``fun``, so do we, central ones,
        with an ``OptimizeWarning``). ``True``: ``fun`` returns ``(f, g)``. A callable:
        ``jac(x, *args)``. ``"2-point"``, ``"3-point"``, ``"cs"``: scipy's finite differences.
    hess, hessp
        Not used (a ``RuntimeWarning`` says so, as scipy's gradient methods do).
    bounds : sequence of (min, max) pairs or scipy.optimize.Bounds, optional
        Checked as scipy checks them and passed to :func:`minimom.minimize` as
        ``bounds=`` (``NotImplementedError`` while it has none). Bounds that fix
        every variable get scipy's answer without a run.
    constraints
        Must be empty: general constraints are not supported (``ValueError``).
    callback : callable, optional
        Both of scipy's forms: ``callback(xk)`` with a copy of the iterate, or
        ``callback(intermediate_result)`` (a scipy ``OptimizeResult`` with ``x``,
        ``fun``, ``jac``, ``nit``, ``nfev``), recognised by that parameter name as
        scipy does. Raising ``StopIteration`` stops the run with status 99, as in scipy.

    Options
    -------
    maxiter : int, default=15000 (L-BFGS-B's)
    gtol : float, default=1e-5 (L-BFGS-B's)
        Stop when the gradient's infinity norm is ``<= gtol``; scipy's ``tol=``
        sets it when ``gtol`` is not given.
    disp : bool, default=False
        Progress lines, minimom's ``verbose``.
    ftol : float, default=0
        Opt-in relative-decrease test (``ConjugateMomentum(ftol=...)``); L-BFGS-B's default is 2.2e-9.
    maxcor : int, default=None
        L-BFGS pairs kept (``ConjugateMomentum(memory=...)``); without it, the default optimizer's
        ``memory="auto"``, ``min(100, max(10, 100000 // n))`` pairs (scipy's default is 10).
    optimizer : optimizer, default=None
        Any minimom optimizer instead of the default.

    Other options raise scipy's ``OptimizeWarning("Unknown solver options: ...")``.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``status`` (0
        converged, 1 ``maxiter`` reached, 2 another failure, 99 the callback
        raised ``StopIteration``: as L-BFGS-B's), ``success``, ``message`` and,
        with the L-BFGS metric, ``hess_inv``: a ``scipy.optimize.LbfgsInvHessProduct``
        of the last ``maxcor`` steps, as L-BFGS-B returns it.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import minimize, rosen, rosen_der
    >>> import minimom as mm
    >>> res = minimize(rosen, np.array([-1.2, 1.0]), method=mm.scipy_method, jac=rosen_der, tol=1e-8)
    >>> res.status, np.round(res.x, 6).tolist(), type(res.hess_inv).__name__
    (0, [1.0, 1.0], 'LbfgsInvHessProduct')
    """
    from scipy.optimize import OptimizeResult, OptimizeWarning

    unknown = sorted(set(options) - set(_KNOWN_OPTIONS))
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(unknown)}", OptimizeWarning, stacklevel=3)
    for name, value in (("hess", hess), ("hessp", hessp)):
        if value is not None:
            warnings.warn(f"Method mm.scipy_method does not use Hessian information ({name}).", RuntimeWarning,
                          stacklevel=3)
    _check_constraints(constraints)
    x0 = np.atleast_1d(np.asarray(x0, dtype=np.float64))
    args = args if isinstance(args, tuple) else (args,)
    optimizer = options.get("optimizer")
    if optimizer is None and ("ftol" in options or "maxcor" in options):
        optimizer = ConjugateMomentum(memory=options.get("maxcor", "auto"), ftol=options.get("ftol", 0.0))
    gtol = options.get("gtol", options.get("tol", 1e-5))
    stopped, wrapped = _wrap_callback(callback)
    counter = _Counter(fun)
    maxiter = options.get("maxiter", 15000)
    maxiter = math.ceil(maxiter) if isinstance(maxiter, float) and math.isfinite(maxiter) else maxiter  # as scipy
    keywords = dict(optimizer=optimizer, maxiter=maxiter, tol=gtol, callback=wrapped,
                    batch_size=None, random_state=None, verbose=bool(options.get("disp", False)))
    limits = _checked_bounds(bounds, x0.size)
    if limits is not None and np.array_equal(*limits):  # nothing to optimize: scipy's own answer
        return OptimizeResult(x=limits[0].copy(), fun=counter(limits[0].copy(), *args), success=True, status=0,
                              message="All independent variables were fixed by bounds.", nfev=1, njev=0, nit=0)
    if limits is not None:
        keywords["bounds"] = _as_scipy_bounds(limits)
    run, differences = _run(counter, x0, args, jac, keywords, limits)
    result = run.result()
    status = 99 if stopped else SCIPY_STATUS.get(result.status, 2)
    gradient = np.array(result.jac, dtype=np.float64)
    if differences and limits is not None:
        gradient[limits[0] == limits[1]] = np.nan  # not differenced there, as scipy reports fixed variables
    fields = dict(x=result.x, fun=result.fun, jac=gradient, nit=result.nit, nfev=counter.calls,
                  njev=result.njev, status=status, success=status == 0,
                  message="`callback` raised `StopIteration`." if stopped else result.message)
    memory = getattr(run.state, "memory", None)
    if isinstance(result.optimizer, ConjugateMomentum) and result.optimizer.memory:
        fields["hess_inv"] = _inverse_hessian(memory, run, result.optimizer.memory)
    return OptimizeResult(**fields)


def _check_constraints(constraints):
    empty = constraints is None or isinstance(constraints, (list, tuple)) and len(constraints) == 0
    if not empty:
        raise ValueError("mm.scipy_method does not handle constraints (minimom has bounds= and penalty= only); "
                         "use method='SLSQP', 'trust-constr' or 'COBYQA' for general constraints.")


def _checked_bounds(bounds, n: int):
    """scipy's bounds (pairs or ``Bounds``) checked as scipy checks them: ``(lower, upper)``, or ``None`` if none."""
    if bounds is None:
        return None
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lower, upper = bounds.lb, bounds.ub
    else:
        pairs = list(bounds)
        if len(pairs) != n:
            raise ValueError("The number of bounds is not compatible with the length of `x0`.")
        lower = [-np.inf if pair[0] is None else pair[0] for pair in pairs]
        upper = [np.inf if pair[1] is None else pair[1] for pair in pairs]
    try:
        lower, upper = (np.array(np.broadcast_to(np.asarray(limit, dtype=float), (n,))) for limit in (lower, upper))
    except ValueError as err:
        raise ValueError("The number of bounds is not compatible with the length of `x0`.") from err
    if np.any(upper < lower):
        raise ValueError("An upper bound is less than the corresponding lower bound.")
    if not (np.isfinite(lower).any() or np.isfinite(upper).any()):
        return None
    return lower, upper


def _as_scipy_bounds(limits):
    if "bounds" not in inspect.signature(minimize).parameters:
        raise NotImplementedError("bounds are not yet supported by this version of minimom; use "
                                  "method='L-BFGS-B' for bound constraints.")
    from scipy.optimize import Bounds

    return Bounds(*limits)


def _run(fun, x0, args, jac, keywords, limits):
    """The run of :func:`minimom.minimize` with scipy's ``jac`` forms, and whether it took finite differences."""
    if isinstance(jac, str) and jac in _FINITE_DIFFERENCES:
        return _start(fun, x0, args, jac=_finite_differences(fun, jac, limits), **keywords), True
    if jac is True or callable(jac):
        return _start(fun, x0, args, jac=jac, **keywords), False
    try:  # None, False or anything else scipy does not understand: autograd
        return _start(fun, x0, args, jac=None, **keywords), False
    except TracingError as err:
        from scipy.optimize import OptimizeWarning

        # scipy takes '2-point' differences for jac=None; central ones resolve the gradient to about
        # eps^(2/3) instead of eps^(1/2), which the gradient test (gtol) needs on curved functions.
        warnings.warn(f"{str(err).split(':')[0]}, so the gradient is taken by central finite differences "
                      "('3-point'; scipy takes them for jac=None too). Give the gradient with jac= for exact steps.",
                      OptimizeWarning, stacklevel=4)
        return _start(fun, x0, args, jac=_finite_differences(fun, "3-point", limits), **keywords), True


class _Counter:
    """``fun``, counting its calls (scipy's ``nfev``); a plain array equal to the last one gets the last value.

    So a point is evaluated once, as scipy promises: finite differences ask for ``fun``
    at the point just evaluated, and a failed autograd trace is retried by finite differences.
    """

    def __init__(self, fun):
        self.fun, self.calls, self.last = fun, 0, None

    def __call__(self, x, *args):
        if type(x) is np.ndarray and self.last is not None and np.array_equal(x, self.last[0]):
            return self.last[1]
        self.calls += 1
        value = self.fun(x, *args)
        if type(x) is np.ndarray:
            self.last = (x.copy(), value)
        return value


def _finite_differences(fun, method: str, limits):
    """``jac(x, *args)`` by scipy's finite differences, inside the bounds; variables fixed by them are skipped."""
    from scipy.optimize._numdiff import approx_derivative

    lower, upper = limits if limits is not None else (-np.inf, np.inf)
    fixed = None if limits is None or not np.any(limits[0] == limits[1]) else limits[0] == limits[1]

    def jac(x, *args):
        f0 = fun(x, *args)  # the cached value: x is not evaluated twice
        if fixed is None:
            return approx_derivative(fun, x, method=method, args=args, f0=f0, bounds=(lower, upper))
        free = ~fixed

        def on_free(z, *fargs):
            full = x.copy()
            full[free] = z
            return fun(full, *fargs)

        gradient = np.zeros_like(x)  # a fixed variable cannot move: no slope to take there
        gradient[free] = approx_derivative(on_free, x[free], method=method, args=args, f0=f0,
                                           bounds=(lower[free], upper[free]))
        return gradient

    return jac


def _wrap_callback(callback):
    """scipy's two callback forms as minimom's ``callback(intermediate_result)``; return values are ignored."""
    stopped: list = []
    if callback is None:
        return stopped, None
    try:
        new_form = set(inspect.signature(callback).parameters) == {"intermediate_result"}
    except (TypeError, ValueError):  # a builtin without a signature: the old form
        new_form = False

    def wrapped(state):
        from scipy.optimize import OptimizeResult

        x = np.array(state.x, dtype=np.float64)
        try:
            if new_form:
                callback(intermediate_result=OptimizeResult(x=x, fun=state.fun, jac=np.array(state.jac),
                                                            nit=state.nit, nfev=state.nfev))
            else:
                callback(x)
        except StopIteration:
            stopped.append(True)
            return True
        return False

    return stopped, wrapped


def _inverse_hessian(memory, run, m: int):
    """scipy's ``LbfgsInvHessProduct`` of the stored pairs and the last step's, the newest ``m``, oldest first."""
    from scipy.optimize import LbfgsInvHessProduct

    n = run.x.size
    if memory is None:
        s_rows, y_rows = np.empty((0, n)), np.empty((0, n))
    else:
        s_rows, y_rows = memory.pairs()
    state = run.state
    if state is not None and state.x is not None:  # the last step's pair is added at the next update: add it here
        s, y = run.x - state.x, run.grad - state.grad
        if float(s @ y) > 1e-16 * float(y @ y) > 0:
            s_rows, y_rows = np.vstack([s_rows, s])[-m:], np.vstack([y_rows, y])[-m:]
    return LbfgsInvHessProduct(s_rows, y_rows)
