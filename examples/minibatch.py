"""Mini-batch momentum with a decaying learning rate on least squares, against np.linalg.lstsq.

Prints the loss per epoch of each schedule and draws docs/images/minibatch_loss.png (loss per epoch
above the least-squares optimum, log scale).

Run: python examples/minibatch.py [OUTPUT_DIR]
"""

import sys
from pathlib import Path

import autograd.numpy as anp
import numpy as np

import minimom as mm

rng = np.random.default_rng(0)
X = rng.standard_normal((10_000, 5))
y = X @ rng.standard_normal(5) + 0.1 * rng.standard_normal(10_000)
exact, *_ = np.linalg.lstsq(X, y, rcond=None)


def mse(w, X, y):
    return anp.mean((X @ w - y) ** 2)


runs = {}
for name, learning_rate in [("constant lr 0.01", 0.01),
                            ("inverse-time decay", mm.schedules.inverse_time_decay(0.01, 1.0, decay_steps=2000))]:
    res = mm.minimize(mse, np.zeros(5), args=(X, y), optimizer=mm.Momentum(learning_rate, 0.9), batch_size=64,
                      maxiter=20, tol=0, random_state=0)
    error = np.linalg.norm(res.x - exact) / np.linalg.norm(exact)
    runs[name] = res
    print(f"{name:20s} epochs={res.nit} loss per epoch: {np.array2string(res.history[:4], precision=5)} ... "
          f"relative error vs lstsq {error:.1e}")

if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "images"
    out_dir.mkdir(parents=True, exist_ok=True)
    best = mse(exact, X, y)
    fig = Figure(figsize=(6.5, 3.4))
    ax = fig.subplots()
    for name, res in runs.items():
        ax.semilogy(np.arange(1, res.nit + 1), np.asarray(res.history) - best, marker="o", markersize=3, label=name)
    ax.set_xlabel("epoch (156 mini-batches of 64 rows)")
    ax.set_ylabel("mean loss - least-squares optimum")
    ax.set_title("Mini-batch heavy ball, Momentum(lr, 0.9), 10,000 x 5 least squares", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "minibatch_loss.png", dpi=90)
    print(f"figure written to {out_dir / 'minibatch_loss.png'}")
