"""The seed example with minimom: a 2-parameter quadratic minimized with momentum.

Run: python examples/quickstart.py
"""

import autograd.numpy as anp

import minimom as mm


def loss(theta):
    return theta[0] ** 2 + theta[1] ** 2


# The seed's hand-tuned heavy ball: v = 0.9 v - 0.01 grad; theta = theta + v.
res = mm.minimize(loss, anp.array([1.0, -2.0]), optimizer=mm.Momentum(learning_rate=0.01, momentum=0.9))
print("hand-tuned:", res.x, f"loss={res.fun:.3g}", f"iterations={res.nit}", res.status)
print(res.message)

# No tuning: Momentum() reads the curvature at the start and picks both numbers.
auto = mm.minimize(loss, anp.array([1.0, -2.0]))
print("auto:      ", auto.x, f"iterations={auto.nit}", auto.optimizer)

# Parameters may be any nest of dicts, lists and tuples.
tree = mm.minimize(lambda p: (p["a"] - 1.0) ** 2 + anp.sum((p["b"] + 2.0) ** 2), {"a": 0.0, "b": anp.zeros(2)})
print("pytree:    ", tree.x)
