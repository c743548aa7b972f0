"""Gradient descent, heavy-ball momentum and Nesterov on a narrow quadratic valley.

Makes the two figures of the tutorial "Momentum, explained":
docs/images/trajectories.png and docs/images/loss_curves.png.

Run: python examples/momentum_vs_gd.py [OUTPUT_DIR]
"""

import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minimom as mm  # noqa: E402

# A valley 50 times steeper across (x[1]) than along (x[0]): condition number 50.
L, MU = 50.0, 1.0


def valley(x):
    return 0.5 * (MU * x[0] ** 2 + L * x[1] ** 2)


root = math.sqrt(L / MU)
OPTIMIZERS = {
    "gradient descent, lr = 1/L": mm.GradientDescent(learning_rate=1 / L),
    "heavy ball, textbook lr and beta": mm.Momentum(learning_rate=4 / (math.sqrt(L) + math.sqrt(MU)) ** 2,
                                                    momentum=((root - 1) / (root + 1)) ** 2),
    "Nesterov, lr = 1/L": mm.Momentum(learning_rate=1 / L, momentum=(root - 1) / (root + 1), nesterov=True),
    "heavy ball, beta = 0.99 (too high)": mm.Momentum(learning_rate=1 / L, momentum=0.99),
}


def run(optimizer, maxiter=150):
    path = [np.array([-9.0, 1.5])]
    res = mm.minimize(valley, path[0], optimizer=optimizer, maxiter=maxiter, tol=1e-10,
                      callback=lambda r: path.append(r.x))
    return np.array(path), np.concatenate([[valley(path[0])], res.history]), res


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = {name: run(opt) for name, opt in OPTIMIZERS.items()}
    for name, (_, _, res) in runs.items():
        print(f"{name:36s} iterations={res.nit:4d} status={res.status:9s} loss={res.fun:.2e}")

    grid_x, grid_y = np.meshgrid(np.linspace(-10, 10, 300), np.linspace(-4.5, 4.5, 200))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.contour(grid_x, grid_y, 0.5 * (MU * grid_x**2 + L * grid_y**2), levels=np.geomspace(0.05, 200, 14),
               colors="0.8", linewidths=0.8)
    for name, (path, _, _) in list(runs.items())[:3]:
        ax.plot(path[:40, 0], path[:40, 1], marker=".", markersize=4, linewidth=1, label=name)
    ax.plot(0, 0, "k*", markersize=10)
    ax.set_title("First 40 steps in a narrow valley (condition number 50)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out_dir / "trajectories.png", dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for name, (_, losses, _) in runs.items():
        ax.semilogy(np.maximum(losses, 1e-16), label=name)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title("Loss per iteration (log scale)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "loss_curves.png", dpi=90)
    plt.close(fig)
    print(f"figures written to {out_dir}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "images")
