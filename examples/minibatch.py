"""Mini-batch momentum with a decaying learning rate on least squares, against np.linalg.lstsq.

Run: python examples/minibatch.py
"""

import autograd.numpy as anp
import numpy as np

import minimom as mm

rng = np.random.default_rng(0)
X = rng.standard_normal((10_000, 5))
y = X @ rng.standard_normal(5) + 0.1 * rng.standard_normal(10_000)
exact, *_ = np.linalg.lstsq(X, y, rcond=None)


def mse(w, X, y):
    return anp.mean((X @ w - y) ** 2)


for name, learning_rate in [("constant lr 0.01", 0.01),
                            ("inverse-time decay", mm.schedules.inverse_time_decay(0.01, 1.0, decay_steps=2000))]:
    res = mm.minimize(mse, np.zeros(5), args=(X, y), optimizer=mm.Momentum(learning_rate, 0.9), batch_size=64,
                      maxiter=20, tol=0, random_state=0)
    error = np.linalg.norm(res.x - exact) / np.linalg.norm(exact)
    print(f"{name:20s} epochs={res.nit} loss per epoch: {np.array2string(res.history[:4], precision=5)} ... "
          f"relative error vs lstsq {error:.1e}")
