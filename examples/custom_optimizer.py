"""A user-defined optimizer (RMSProp) plugged into minimize through the init/update protocol.

Run: python examples/custom_optimizer.py
"""

from typing import NamedTuple

import autograd.numpy as anp
import numpy as np

import minimom as mm


class RMSPropState(NamedTuple):
    square: np.ndarray
    step_count: int


class RMSProp(mm.Optimizer):
    """step = -lr(t) * grad / (sqrt(s) + eps), s = decay * s + (1 - decay) * grad**2."""

    def __init__(self, learning_rate=0.01, decay=0.9, eps=1e-8):
        self.learning_rate, self.decay, self.eps = learning_rate, decay, eps

    def init(self, params):
        return RMSPropState(np.zeros_like(params), 0)

    def update(self, grad, state, params):
        rate = self.learning_rate(state.step_count) if callable(self.learning_rate) else self.learning_rate
        square = self.decay * state.square + (1 - self.decay) * grad**2
        return -rate * grad / (np.sqrt(square) + self.eps), RMSPropState(square, state.step_count + 1)


rng = np.random.default_rng(0)
M = rng.standard_normal((10, 10))
A, b = M @ M.T + np.eye(10), rng.standard_normal(10)


def quadratic(x):
    return 0.5 * x @ (A @ x) - b @ x


exact = np.linalg.solve(A, b)
for name, optimizer in [
    ("RMSProp, decaying lr", RMSProp(mm.schedules.exponential_decay(0.01, 0.5, decay_steps=500))),
    ("Adam", mm.Adam(mm.schedules.exponential_decay(0.01, 0.5, decay_steps=500))),
    ("Momentum() auto", mm.Momentum()),
]:
    res = mm.minimize(quadratic, np.zeros(10), optimizer=optimizer, maxiter=3000, tol=1e-8)
    error = np.max(np.abs(res.x - exact))
    print(f"{name:22s} iterations={res.nit:5d} {res.status:9s} max|x - solve(A, b)|={error:.1e}")
print("the plug-in never saw anything but flat arrays; a pytree works the same:")
res = mm.minimize(lambda p: anp.sum((p["w"] - 1.0) ** 2) + p["b"] ** 2, {"w": np.zeros(3), "b": 2.0},
                  optimizer=RMSProp(mm.schedules.exponential_decay(0.1, 0.5, decay_steps=200)), maxiter=3000)
print(res.x)
