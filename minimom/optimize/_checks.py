"""Checks at the public boundary of ``minimize``: options, the optimizer protocol, and the first evaluation."""

from __future__ import annotations

import numbers

import numpy as np
from autograd import make_vjp
from autograd.tracer import isbox

__all__ = ["TracingError"]

_PROTOCOL = ("The optimizer protocol: init(params) -> state and update(grad, state, params) -> (step, new_state) "
             "on flat float64 arrays; see minimom.Optimizer.")


class TracingError(TypeError):
    """autograd could not follow the loss function through its parameters."""


def _check_options(maxiter, tol, callback=None, random_state=None):
    if isinstance(maxiter, bool) or not isinstance(maxiter, numbers.Integral) or maxiter < 0:
        raise ValueError(f"maxiter must be an integer >= 0, got {maxiter!r}.")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}.")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function callback(intermediate_result) or None, got {callback!r}.")
    _check_random_state(random_state)
    return int(maxiter), float(tol)


def _check_random_state(random_state):
    generators = (np.random.Generator, np.random.RandomState, np.random.SeedSequence, np.random.BitGenerator)
    if random_state is None or isinstance(random_state, generators):
        return
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) and random_state >= 0:
        return
    raise ValueError(f"random_state must be None, an integer >= 0 or a numpy Generator, got {random_state!r}; "
                     "e.g. random_state=0 for a reproducible shuffle.")


def _check_protocol(optimizer):
    if isinstance(optimizer, type):
        raise TypeError(f"optimizer must be an instance, got the class {optimizer.__name__}; "
                        f"pass {optimizer.__name__}() instead. {_PROTOCOL}")
    missing = [name for name in ("init", "update") if not callable(getattr(optimizer, name, None))]
    if missing:
        raise TypeError(f"optimizer {optimizer!r} does not follow the optimizer protocol: it lacks "
                        f"{' and '.join(missing)}. {_PROTOCOL}")


def _callback_stops(value) -> bool:
    """Whether a callback's return value stops the run: ``bool(value)``, as scipy reads a callback's return.

    ``None``, ``False`` and ``0`` go on; ``True``, ``1``, ``np.True_`` and one-element arrays holding a true
    value stop. An array of any other size has no single truth value: a clear error instead of numpy's.
    """
    if value is None:
        return False
    if isinstance(value, np.ndarray) and value.size != 1:
        raise TypeError(f"callback returned an array of shape {value.shape}, whose truth is ambiguous; return "
                        "True (or any true value) to stop the run, None or False to go on.")
    return bool(value)


def _check_calibrated(tuned, optimizer):
    """``calibrate(curvature)`` must give back an optimizer: ``self``, or a tuned copy."""
    if tuned is None or not (callable(getattr(tuned, "init", None)) and callable(getattr(tuned, "update", None))):
        raise TypeError(f"{type(optimizer).__name__}.calibrate(curvature) returned {tuned!r}; by the optimizer "
                        "protocol it must return an optimizer: self when nothing needs tuning, or a tuned copy.")
    return tuned


def _checked_update(optimizer, update, params):
    """``update``, with its first output checked against the protocol (once per run; later calls pass through)."""
    unchecked = [True]

    def checked_update(grad, state, x):
        out = update(grad, state, x)
        if unchecked:
            _check_step(optimizer, out, params)
            unchecked.clear()
        return out

    return checked_update


def _check_step(optimizer, out, params):
    name = type(optimizer).__name__
    if not isinstance(out, tuple) or len(out) != 2:
        got = f"an array of shape {np.shape(out)}" if isinstance(out, np.ndarray) else f"{type(out).__name__}"
        raise TypeError(f"{name}.update returned {got}; by the optimizer protocol it must return a pair "
                        f"(step, new_state). {_PROTOCOL}")
    step = np.asarray(out[0])
    if step.dtype.kind == "c":
        raise TypeError(f"{name}.update returned a complex step; steps must be real float arrays. {_PROTOCOL}")
    if step.dtype.kind not in "biuf":
        raise TypeError(f"{name}.update returned a step of dtype {step.dtype}; steps must be float arrays. "
                        f"{_PROTOCOL}")
    if step.shape != params.shape:
        raise ValueError(f"{name}.update returned a step of shape {step.shape} for {params.size} parameters; "
                         f"it must have the shape of params, {params.shape}. {_PROTOCOL}")


_TRACING_HELP = (
    "autograd could not trace the loss function through its parameters: {why}. "
    "Write the loss with autograd.numpy (import autograd.numpy as anp) on the parameters: "
    "no float(), numpy.asarray() or plain numpy calls on them, and no in-place assignment "
    "(x[i] = ...); build new arrays instead (e.g. anp.concatenate, anp.where)."
)


def _first_evaluation(flat_fun, x, args):
    """Evaluate once with checks that turn autograd's puzzles into clear errors.

    Returns ``(loss, grad, size_one)``: ``size_one`` says the loss came back as an
    array of one element (shape (1,) or (1, 1)), which ``minimize`` then reduces
    to a scalar, as scipy does.
    """
    detached, bad_value = [], []

    def watched(params, *fargs):
        value = flat_fun(params, *fargs)
        if not (isbox(value) and value._trace == params._trace):
            # Cut off from the parameters: we say so ourselves, and keep the tape connected so that
            # autograd issues no warning of its own (silencing it would need warnings.catch_warnings,
            # which swaps process-wide state and is not thread-safe).
            detached.append(True)
            try:
                _check_value(value)
            except (TypeError, ValueError) as err:
                bad_value.append(err)
                return 0.0 * params[0]
            value = value + 0.0 * params[0]
        return value

    try:
        vjp, value = make_vjp(watched)(x, *args)
    except Exception as err:
        _raise_if_untraceable(flat_fun, x, args, err)
        raise
    if bad_value:
        if "dtype object" in str(bad_value[0]):  # autograd's boxes went into a plain numpy array
            _raise_if_untraceable(flat_fun, x, args, bad_value[0])
        raise bad_value[0]
    _check_value(value)
    if detached and _depends_on_x(flat_fun, x, args, value):
        why = "the loss came back as a plain number, cut off from the parameters"
        raise TracingError(_TRACING_HELP.format(why=why))
    grad = vjp(np.ones_like(value, dtype=float) if np.ndim(value) else np.float64(1.0))  # has .shape
    grad = np.asarray(grad)
    if grad.dtype == object:
        raise TracingError(_TRACING_HELP.format(why="the gradient came back as an object array"))
    return float(np.reshape(value, ())), grad.astype(np.float64), np.ndim(value) > 0


def _check_value(value):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        raise TypeError("fun returned a pair (value, gradient), scipy's jac=True habit: pass jac=True so that "
                        "minimize uses your gradient, or return only the value and let autograd take the gradient.")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"fun must return a real number, got a {type(value).__name__}: {value!r}.")
    value = np.asarray(getattr(value, "_value", value))
    if value.dtype.kind == "c":
        raise TypeError("fun must return a real number, got a complex one; return e.g. its real part or modulus.")
    if value.dtype.kind not in "biuf":
        raise TypeError(f"fun must return a real number, got dtype {value.dtype}.")
    if value.size != 1:
        raise ValueError(f"fun must return a scalar, got an array of shape {value.shape}; "
                         "reduce it, e.g. with anp.sum or anp.mean.")


def _depends_on_x(flat_fun, x, args, value) -> bool:
    bumped = x + 1e-3 * (1 + np.abs(x))
    try:
        return float(np.reshape(flat_fun(bumped, *args), ())) != float(np.reshape(value, ()))
    except Exception:
        return False


def _raise_if_untraceable(flat_fun, x, args, err):
    """If ``fun`` works on plain arrays but not under autograd, say so instead of a cryptic error."""
    try:
        _check_value(flat_fun(x.copy(), *args))
    except Exception:
        return  # the function is broken on plain numbers too: its own error is the clearest
    raise TracingError(_TRACING_HELP.format(why=f"{type(err).__name__}: {str(err).rstrip('.')}")) from err
