"""The Lasso's regularisation path on diabetes, minimom against scikit-learn, and a support recovered.

Run:  python examples/sparse_path.py [OUTPUT_DIR]     (the figure goes to docs/images by default)
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn import linear_model as sk  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import minimom as mm  # noqa: E402

output = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "images"
output.mkdir(parents=True, exist_ok=True)

# The path: one warm-started fit per alpha, from the largest (all zeros) down.
X, y = datasets.load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
alpha_max = np.max(np.abs(X.T @ (y - y.mean()))) / len(y)
alphas = alpha_max * np.logspace(0, -3, 40)
model = mm.Lasso(warm_start=True)
path = np.array([model.set_params(alpha=a).fit(X, y).coef_.copy() for a in alphas])
_, sk_path, _ = sk.lasso_path(X, y - y.mean(), alphas=alphas, tol=1e-14, max_iter=1_000_000)
print(f"path of {len(alphas)} alphas: max |minimom - scikit-learn| = {np.max(np.abs(path - sk_path.T)):.1e}, "
      f"same zeros everywhere: {np.array_equal(path == 0, sk_path.T == 0)}")

fig, ax = plt.subplots(figsize=(6.5, 4))
names = datasets.load_diabetes().feature_names
for j in range(X.shape[1]):
    ax.plot(alphas, path[:, j], label=names[j])
ax.set_xscale("log")
ax.invert_xaxis()
ax.set_xlabel("alpha (log scale, decreasing)")
ax.set_ylabel("coefficient")
ax.set_title("Lasso path on diabetes (minimom.Lasso, warm-started)")
ax.legend(fontsize=7, ncol=2)
fig.tight_layout()
fig.savefig(output / "lasso_path.png", dpi=100)
print(f"figure written to {output / 'lasso_path.png'}")

# Support recovery: 5 true features among 200, 100 noisy samples.
rng = np.random.default_rng(0)
X = rng.standard_normal((100, 200))
true = np.zeros(200)
true[[3, 50, 77, 120, 199]] = [2.0, -3.0, 1.5, 2.5, -2.0]
y = X @ true + 0.5 * rng.standard_normal(100)
fit = mm.Lasso(alpha=0.3).fit(X, y)
print(f"true support {np.flatnonzero(true).tolist()}, recovered {np.flatnonzero(fit.coef_).tolist()}, "
      f"dual gap {fit.dual_gap_:.1e}")
