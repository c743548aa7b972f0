"""ProximalMomentum (FISTA, and the heavy ball with a prox) against the default on a Lasso problem.

Makes the figure of the tutorial "Penalties and bounds": docs/images/penalties_convergence.png,
the distance of the objective to its minimum (scikit-learn's Lasso at tol 1e-14) against
evaluations of the loss.

Run: python examples/penalties_convergence.py [OUTPUT_DIR]
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import autograd.numpy as anp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.linear_model import Lasso  # noqa: E402

import minimom as mm  # noqa: E402

X, y = load_diabetes(return_X_y=True)
X = (X - X.mean(axis=0)) / X.std(axis=0)
ALPHA = 0.5
L = float(np.linalg.eigvalsh(X.T @ X / len(y)).max())  # the smooth part's largest curvature (the intercept's is 1)


def loss(p, X, y):
    return 0.5 * anp.mean((X @ p["w"] + p["b"] - y) ** 2)


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    lasso = Lasso(alpha=ALPHA, tol=1e-14, max_iter=100_000).fit(X, y)
    best = loss({"w": lasso.coef_, "b": lasso.intercept_}, X, y) + ALPHA * np.abs(lasso.coef_).sum()
    runs = {"default (orthant-wise projected L-BFGS)": None, "ProximalMomentum() (FISTA)": mm.ProximalMomentum(),
            "ProximalMomentum(lr=1/L, beta=0.9)": mm.ProximalMomentum(learning_rate=1 / L, momentum=0.9)}
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, optimizer in runs.items():
        evaluations, gaps = [], []
        def record(r, evaluations=evaluations, gaps=gaps):
            evaluations.append(r.nfev)
            gaps.append(max(r.fun - best, 1e-13))  # below: rounding of the objective itself

        res = mm.minimize(loss, {"w": np.zeros(10), "b": 0.0}, args=(X, y), optimizer=optimizer, tol=1e-8,
                          maxiter=2000, penalty=mm.L1({"w": ALPHA, "b": 0.0}), callback=record)
        zeros = int(np.sum(res.x["w"] == 0))
        print(f"{name:42s} status={res.status:9s} iterations={res.nit:5d} evaluations={res.nfev:5d} "
              f"zeros={zeros} (scikit-learn: {int(np.sum(lasso.coef_ == 0))})")
        ax.semilogy(evaluations, gaps, label=name)
    ax.set_xlabel("evaluations of the loss")
    ax.set_ylabel("objective - minimum")
    ax.set_title("Lasso on diabetes (alpha = 0.5)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "penalties_convergence.png", dpi=100)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "images")
