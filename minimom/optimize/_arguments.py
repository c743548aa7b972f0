"""``minimize``'s arguments turned into one flat problem: scipy's spellings, ``x0``, ``args`` and ``jac``.

A scipy user's habits are met here, at the edge: a keyword that minimom spells
differently gets a ``TypeError`` saying what to write instead, a flat list of
numbers is an array, and the gradient comes from autograd (``jac=None``) or from
the user (``jac=True``: ``fun`` returns ``(f, g)``; or a callable ``jac(x, *args)``).
"""

from __future__ import annotations

import difflib
import functools
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import autograd.numpy as anp
import numpy as np

from ..optimizers._curvature import _hvp_at
from ._autodiff import lean_value_and_grad
from ._checks import _check_value, _first_evaluation
from ._pytree import _flatten_x0, _leaves

_SCIPY = "scipy.optimize.minimize(fun, x0, method=mm.scipy_method, ...) runs minimom under scipy's own call"

#: scipy's (and other libraries') keywords that minimom spells differently, with what to write instead.
_SPELLINGS = {
    "method": "minimom has no method=; it takes an optimizer object: optimizer=None (the default, as fast as "
              "L-BFGS-B), optimizer=mm.ConjugateMomentum(memory=0) (nonlinear CG), mm.Momentum(0.1, 0.9), "
              f"mm.Adam(), ... Or keep scipy's call: {_SCIPY}.",
    "options": "minimom takes scipy's options as keywords: {fix}.",
    "constraints": "minimom does not handle general constraints; a box is bounds=... and a non-smooth term "
                   "penalty=... For general constraints use scipy.optimize.minimize(method='SLSQP') or "
                   "method='trust-constr'.",
    "hess": "minimom uses gradients only: drop hess=. For the Hessian at the optimum (standard errors) use "
            "mm.hessian(fun, res.x, args).",
    "hessp": "minimom uses gradients only: drop hessp=.",
    "gtol": "write tol= (minimom's only stopping test is the gradient's infinity norm, scipy's gtol).",
    "ftol": "scipy's relative-decrease test is opt-in: optimizer=mm.ConjugateMomentum(ftol=...).",
    "maxcor": "write optimizer=mm.ConjugateMomentum(memory=...) (the number of pairs L-BFGS keeps).",
    "maxfun": "minimom counts iterations: write maxiter=.",
    "maxfev": "minimom counts iterations: write maxiter=.",
    "max_iter": "write maxiter=.",
    "disp": "write verbose=True.",
    "learning_rate": "the learning rate belongs to the optimizer: optimizer=mm.Momentum(learning_rate=..., "
                     "momentum=...) or mm.GradientDescent(learning_rate=...).",
    "momentum": "the momentum belongs to the optimizer: optimizer=mm.Momentum(learning_rate=..., momentum=...).",
}
_OPTION_SPELLINGS = {"maxiter": "maxiter", "gtol": "tol", "disp": "verbose", "maxfun": "maxiter",
                     "maxfev": "maxiter", "ftol": "optimizer=mm.ConjugateMomentum(ftol", "maxcor":
                     "optimizer=mm.ConjugateMomentum(memory"}


def _reject_keywords(keywords: dict, known: tuple) -> None:
    """Any keyword ``minimize`` does not take: a ``TypeError`` that says what to write instead."""
    if not keywords:
        return
    name, value = next(iter(keywords.items()))
    if name in _SPELLINGS:
        fix = _SPELLINGS[name]
        if name == "options":
            fix = fix.format(fix=_options_fix(value))
        raise TypeError(f"minimize() got an unexpected keyword argument {name!r} (scipy's spelling): {fix}")
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]}=?" if close else f"; it takes {', '.join(known)}."
    raise TypeError(f"minimize() got an unexpected keyword argument {name!r}{hint}")


def _options_fix(options) -> str:
    if not isinstance(options, dict) or not options:
        return "maxiter=..., tol=... (scipy's gtol), verbose=... (scipy's disp)"
    parts = []
    for key, value in options.items():
        spelling = _OPTION_SPELLINGS.get(key)
        if spelling is None:
            parts.append(f"{key!r} has no counterpart (drop it)")
        elif "(" in spelling:
            parts.append(f"{spelling}={value!r})")
        else:
            parts.append(f"{spelling}={value!r}")
    return "write " + ", ".join(parts) + " instead of options={...}"


def _as_array_if_flat(x0):
    """A flat list or tuple of numbers is an array, as in scipy; anything nesting arrays or dicts is a pytree."""
    if type(x0) in (list, tuple) and x0 and all(
            isinstance(item, numbers.Real) or isinstance(item, np.generic) and item.dtype.kind in "biuf"
            for item in x0):
        return np.asarray(x0, dtype=np.float64)
    return x0


class _Problem(NamedTuple):
    """The flat problem the loop runs on."""

    flat_fun: Callable  # f(flat x, *args) -> loss
    value_and_grad: Callable  # (flat x, *args) -> (loss, flat gradient)
    hvp_at: Callable  # (flat x, args) -> (v -> H v), for optimizers that tune from curvature
    x: np.ndarray
    loss: float
    grad: np.ndarray
    restore: Callable  # flat -> the structure of x0


def _problem(fun, x0, args: tuple, jac, project=None) -> _Problem:
    """Flatten ``x0`` once, pick the gradient's source from ``jac``, and evaluate once with checks.

    ``project`` (bounds given) maps the flat ``x0`` into the box before anything is evaluated.
    """
    x0 = _as_array_if_flat(x0)
    x, unflatten, restore = _flatten_x0(x0)
    if project is not None:
        x = project(x)
    if jac is None and not args and _knows_its_derivatives(fun, x0):
        loss, grad = fun.value_and_gradient(x)
        return _Problem(fun, fun.value_and_gradient, _own_hvp_at, x, _checked_loss(loss), grad, restore)

    def flat_fun(flat, *fargs):
        return fun(unflatten(flat), *fargs)

    if jac is None or jac is False:
        loss, grad, size_one = _first_evaluation(flat_fun, x, args)
        if size_one:  # a loss of shape (1,) or (1, 1): taken as its one element, as scipy does

            def flat_fun(flat, *fargs, fun_of_flat=flat_fun):
                return anp.reshape(fun_of_flat(flat, *fargs), ())

        return _Problem(flat_fun, lean_value_and_grad(flat_fun), _hvp_at, x, loss, grad, restore)
    value_and_grad = _users_gradient(fun, jac, x0, unflatten, x.size)
    loss, grad = value_and_grad(x, *args)

    def value_only(flat, *fargs):
        return value_and_grad(flat, *fargs)[0]

    return _Problem(value_only, value_and_grad, _finite_difference_hvp(value_and_grad), x, loss, grad, restore)


def _knows_its_derivatives(fun, x0) -> bool:
    """``fun`` carries its exact derivatives on a flat ``x0``: ``fun.value_and_gradient(x) -> (loss, gradient)``
    and ``fun.hessian_vector(x, v)`` (minimom's linear-model objectives, whose autograd primitive computes both in
    one pass). They are called directly: autograd's trace would only wrap the same call, at about 60 us an
    evaluation, half a step's cost on small data.
    """
    return (isinstance(x0, np.ndarray) and x0.ndim == 1 and callable(getattr(fun, "value_and_gradient", None))
            and callable(getattr(fun, "hessian_vector", None)))


def _own_hvp_at(fun, x, args) -> Callable:
    """``v -> H v`` at ``x`` from the objective's own Hessian-vector product (one pass over the data each)."""
    return functools.partial(fun.hessian_vector, x)


_own_hvp_at.evaluations = 0  # setting it up evaluates nothing (the loop counts a traced product's one evaluation)


def _users_gradient(fun, jac, x0, unflatten, size) -> Callable:
    """``(flat x, *args) -> (loss, flat gradient)`` from the user's gradient: ``jac=True`` or ``jac(x, *args)``."""
    if jac is True:
        def value_and_grad(flat, *fargs):
            out = fun(unflatten(flat), *fargs)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"with jac=True, fun must return a pair (value, gradient), got {_describe(out)}; "
                                "return (f, g), or leave jac=None for autograd's gradient.")
            return _checked_loss(out[0]), _flat_gradient(out[1], x0, size, "the gradient fun returned")
    elif callable(jac):
        def value_and_grad(flat, *fargs):
            point = unflatten(flat)
            return (_checked_loss(fun(point, *fargs)),
                    _flat_gradient(jac(point, *fargs), x0, size, "jac(x, *args)"))
    elif isinstance(jac, str):
        raise ValueError(f"jac={jac!r} (finite differences) is not offered by minimom.minimize: leave jac=None "
                         "for autograd's exact gradient, or give yours with jac=True or a callable jac(x, *args). "
                         f"For scipy's finite differences, {_SCIPY}.")
    else:
        raise TypeError(f"jac must be None (autograd), True (fun returns (value, gradient)) or a callable "
                        f"jac(x, *args) returning the gradient in the structure of x0, got {jac!r}.")
    return value_and_grad


def _describe(value) -> str:
    return f"a {type(value).__name__}" + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")


def _checked_loss(value) -> float:
    _check_value(value)
    return float(np.reshape(np.asarray(value, dtype=float), ()))


def _flat_gradient(gradient, x0, size: int, what: str) -> np.ndarray:
    """The user's gradient, in the structure of ``x0``, as one flat float64 vector."""
    if isinstance(x0, np.ndarray):
        leaves = [gradient]
    else:
        leaves = [leaf for _, leaf in _leaves(gradient)]
    try:
        flat = np.concatenate([np.asarray(leaf, dtype=np.float64).ravel() for leaf in leaves])
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} must be the gradient in the structure of x0 (float arrays), got {_describe(gradient)} "
                        f"({err}).") from err
    if flat.size != size:
        raise ValueError(f"{what} has {flat.size} numbers, but x0 has {size} parameters; the gradient must have "
                         "x0's structure and shapes.")
    return flat


def _finite_difference_hvp(value_and_grad) -> Callable:
    """``(x, args) -> (v -> H v)`` by central differences of the user's gradient (autograd cannot trace it)."""

    def hvp_at(_, x, args):
        def hvp(v):
            norm = float(np.linalg.norm(v))
            if norm == 0:
                return np.zeros_like(x)
            h = 6e-6 * max(1.0, float(np.linalg.norm(x))) / norm  # about eps ** (1/3), relative to x
            return (value_and_grad(x + h * v, *args)[1] - value_and_grad(x - h * v, *args)[1]) / (2 * h)
        return hvp

    return hvp_at


def _as_args(args: Any) -> tuple:
    return args if isinstance(args, tuple) else (args,)
