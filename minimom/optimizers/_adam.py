"""Adam, written only against the public optimizer protocol (proof that the protocol is enough)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._base import LearningRate, Optimizer, _check_fraction, _check_learning_rate
from .schedules import _rate_at, _real

__all__ = ["Adam"]


class AdamState(NamedTuple):
    mean: np.ndarray
    square: np.ndarray
    step_count: int


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), written only against the public protocol.

    ``m = b1*m + (1-b1)*g``; ``s = b2*s + (1-b2)*g**2``;
    ``step = -lr(t) * m_hat / (sqrt(s_hat) + eps)`` with bias-corrected
    ``m_hat = m / (1 - b1**(t+1))``, ``s_hat = s / (1 - b2**(t+1))``.

    Parameters
    ----------
    learning_rate : float or callable, default=0.001
    beta1, beta2 : float in [0, 1), default=0.9, 0.999
    eps : float > 0, default=1e-8
    """

    def __init__(self, learning_rate: LearningRate = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.learning_rate = _check_learning_rate(learning_rate, allow_auto=False)
        self.beta1 = _check_fraction("beta1", beta1, allow_auto=False, typical=0.9)
        self.beta2 = _check_fraction("beta2", beta2, allow_auto=False, typical=0.999)
        number = _real(eps)
        if number is None or not 0 < number < math.inf:
            raise ValueError(f"eps must be a finite number > 0, got {eps!r}; 1e-8 is the usual choice.")
        self.eps = number

    def init(self, params: np.ndarray) -> AdamState:
        """Zero first and second moment estimates, step count 0."""
        return AdamState(np.zeros_like(params), np.zeros_like(params), 0)

    def update(self, grad: np.ndarray, state: AdamState, params: np.ndarray):
        """Return ``(step, new_state)``: ``step = -lr * m_hat / (sqrt(v_hat) + eps)``, bias-corrected moments."""
        mean, square, t = state
        rate = _rate_at(self.learning_rate, t) if callable(self.learning_rate) else self.learning_rate
        mean = self.beta1 * mean + (1 - self.beta1) * grad
        square = self.beta2 * square + (1 - self.beta2) * grad**2
        mean_hat = mean / (1 - self.beta1 ** (t + 1))
        square_hat = square / (1 - self.beta2 ** (t + 1))
        return -rate * mean_hat / (np.sqrt(square_hat) + self.eps), AdamState(mean, square, t + 1)
