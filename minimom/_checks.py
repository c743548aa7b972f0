"""Checks at the public boundary of ``minimize``: options, the optimizer protocol, and the first evaluation."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from autograd import make_vjp

__all__ = ["TracingError"]


class TracingError(TypeError):
    """autograd could not follow the loss function through its parameters."""


def _check_options(maxiter, tol):
    if isinstance(maxiter, bool) or not isinstance(maxiter, numbers.Integral) or maxiter < 0:
        raise ValueError(f"maxiter must be an integer >= 0, got {maxiter!r}.")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}.")
    return int(maxiter), float(tol)


def _check_protocol(optimizer):
    missing = [name for name in ("init", "update") if not callable(getattr(optimizer, name, None))]
    if missing:
        raise TypeError(
            f"optimizer {optimizer!r} does not follow the optimizer protocol: it lacks "
            f"{' and '.join(missing)}. An optimizer needs init(params) -> state and "
            "update(grad, state, params) -> (step, new_state); see minimom.Optimizer."
        )


_TRACING_HELP = (
    "autograd could not trace the loss function through its parameters: {why}. "
    "Write the loss with autograd.numpy (import autograd.numpy as anp) on the parameters: "
    "no float(), numpy.asarray() or plain numpy calls on them, and no in-place assignment "
    "(x[i] = ...); build new arrays instead (e.g. anp.concatenate, anp.where)."
)


def _first_evaluation(flat_fun, x, args):
    """Evaluate once with checks that turn autograd's puzzles into clear errors."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            vjp, value = make_vjp(flat_fun)(x, *args)
    except Exception as err:
        _raise_if_untraceable(flat_fun, x, args, err)
        raise
    _check_value(value)
    detached = False
    for caught_warning in caught:  # autograd's "independent of input" is ours to explain; re-issue the rest
        if "independent of input" in str(caught_warning.message):
            detached = True
        else:
            warnings.warn_explicit(caught_warning.message, caught_warning.category, caught_warning.filename,
                                   caught_warning.lineno)
    if detached and _depends_on_x(flat_fun, x, args, value):
        why = "the loss came back as a plain number, cut off from the parameters"
        raise TracingError(_TRACING_HELP.format(why=why))
    grad = vjp(np.ones_like(value, dtype=float) if np.ndim(value) else 1.0)
    grad = np.asarray(grad)
    if grad.dtype == object:
        raise TracingError(_TRACING_HELP.format(why="the gradient came back as an object array"))
    return float(value), grad.astype(np.float64)


def _check_value(value):
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
        return float(flat_fun(bumped, *args)) != float(value)
    except Exception:
        return False


def _raise_if_untraceable(flat_fun, x, args, err):
    """If ``fun`` works on plain arrays but not under autograd, say so instead of a cryptic error."""
    try:
        flat_fun(x.copy(), *args)
    except Exception:
        return  # the function is broken on plain numbers too: its own error is the clearest
    raise TracingError(_TRACING_HELP.format(why=f"{type(err).__name__}: {err}")) from err
