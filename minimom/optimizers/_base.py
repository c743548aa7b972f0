"""Optimizers: the plug-in protocol and the built-ins.

An optimizer is any object with two methods, working on flat 1-D float64 arrays:

``init(params) -> state``
    the mutable state of a run, made fresh for each run;
``update(grad, state, params) -> (step, new_state)``
    the step to add to ``params``, and the state for the next call.

Optionally, ``calibrate(curvature) -> optimizer`` returns an optimizer whose
``"auto"`` hyperparameters are resolved from a :class:`minimom.Curvature` at the
starting point (or ``self`` when nothing needs tuning); :func:`minimom.minimize`
calls it before the first step, and again from the best iterate if a self-tuned
run diverges or stalls.
An optimizer object holds only hyperparameters and never changes during a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .schedules import _rate_at, _real, _show

__all__ = ["Optimizer", "LearningRate"]

LearningRate = float | Callable[[int], float]


def _check_learning_rate(value, allow_auto: bool):
    if allow_auto and isinstance(value, str) and value == "auto":
        return value
    if callable(value):
        _rate_at(value, 0)  # the rest are checked as they are used
        return value
    number = _real(value)
    if number is None:
        hint = ', "auto",' if allow_auto else ""
        raise ValueError(f"learning_rate must be a number > 0{hint} or a schedule t -> float, got {value!r}.")
    if not 0 < number < math.inf:
        raise ValueError(f"learning_rate must be a finite number > 0, got {_show(value)}; try 0.01.")
    return number


def _check_fraction(name: str, value, allow_auto: bool, typical: float):
    """A momentum-like coefficient in [0, 1), named ``name`` in the error."""
    if allow_auto and isinstance(value, str) and value in ("auto", "adaptive"):
        return value
    number = _real(value)
    if number is None or not 0 <= number < 1:
        options = ', "auto" or "adaptive"' if allow_auto else ""
        raise ValueError(f"{name} must be a number in [0, 1){options}, got {value!r}; "
                         f"{typical} is a common choice.")
    return number


def _check_flag(name: str, value, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        options = "True, False or None" if allow_none else "True or False"
        raise ValueError(f"{name} must be {options}, got {value!r}.")
    return bool(value)


class Optimizer:
    """Base class of minimom's optimizers (subclassing it is optional).

    Subclasses implement ``init(params) -> state`` and
    ``update(grad, state, params) -> (step, new_state)`` on flat float64 arrays;
    :func:`minimom.minimize` then sets ``params = params + step``. They may also
    implement ``calibrate(curvature) -> optimizer`` to tune themselves.
    """

    def init(self, params: np.ndarray):
        """Return the optimizer's state for the flat float64 parameters ``params`` (e.g. a zero velocity)."""
        raise NotImplementedError

    def update(self, grad: np.ndarray, state, params: np.ndarray):
        """Return ``(step, new_state)``: the step to add to ``params`` (same shape), given the gradient there."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(repr(self))
