"""Learning-rate schedules: small callables ``t -> learning rate`` of the 0-based step count.

Every optimizer accepts one wherever it accepts a float ``learning_rate``.
They are classes rather than closures so that they print and pickle.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["constant", "exponential_decay", "inverse_time_decay", "step_decay"]


def _real(value) -> float | None:
    """``value`` as a float if it is a real number (numpy scalars included), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond float range, e.g. 10**400
        return math.inf if value > 0 else -math.inf


def _show(value) -> str:
    """``repr(value)``, except that a huge integer is summarized rather than printed digit by digit."""
    if isinstance(value, numbers.Integral) and not -10**20 < value < 10**20:
        return f"an integer of {len(str(abs(int(value))))} digits"
    return repr(value)


def _positive(name: str, value: float) -> float:
    number = _real(value)
    if number is None or not 0 < number < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {_show(value)}.")
    return number


def _fraction(name: str, value: float) -> float:
    number = _real(value)
    if number is None or not 0 < number <= 1:
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}.")
    return number


def _rate_at(schedule, t: int) -> float:
    """The rate a schedule gives for step ``t``, checked: optimizers call this at every step."""
    rate = schedule(t)
    try:
        if 0 < rate < math.inf:
            return rate
    except (TypeError, ValueError):  # not a number, or an array
        pass
    raise ValueError(f"the learning_rate schedule {schedule!r} returned {rate!r} at step {t}; a schedule must "
                     "return a finite number > 0 at every step (clip it, e.g. max(rate, 1e-6)).")


class _Schedule:
    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(vars(self).items())))


class constant(_Schedule):
    """``lr(t) = learning_rate``."""

    def __init__(self, learning_rate: float):
        self.learning_rate = _positive("learning_rate", learning_rate)

    def __call__(self, t: int) -> float:
        return self.learning_rate


class exponential_decay(_Schedule):
    """``lr(t) = learning_rate * decay_rate ** (t / decay_steps)``."""

    def __init__(self, learning_rate: float, decay_rate: float, decay_steps: int = 1):
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.decay_rate = _fraction("decay_rate", decay_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)

    def __call__(self, t: int) -> float:
        return self.learning_rate * self.decay_rate ** (t / self.decay_steps)


class inverse_time_decay(_Schedule):
    """``lr(t) = learning_rate / (1 + decay_rate * t / decay_steps)``."""

    def __init__(self, learning_rate: float, decay_rate: float, decay_steps: int = 1):
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.decay_rate = _positive("decay_rate", decay_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)

    def __call__(self, t: int) -> float:
        return self.learning_rate / (1.0 + self.decay_rate * t / self.decay_steps)


class step_decay(_Schedule):
    """``lr(t) = learning_rate * drop ** floor(t / every)``: a drop every ``every`` steps."""

    def __init__(self, learning_rate: float, drop: float = 0.5, every: int = 100):
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.drop = _fraction("drop", drop)
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"every must be an integer >= 1, got {every!r}.")
        self.every = int(every)

    def __call__(self, t: int) -> float:
        return self.learning_rate * self.drop ** (t // self.every)
