"""Fit minimom's linear models on scikit-learn's bundled datasets and compare with scikit-learn.

Prints one line per fit and draws docs/images/sklearn_convergence.png: the objective gap per iteration of
the default optimizer (the one these fits use) beside three fixed-rule optimizers, as `compare --plot` does.

Run: python examples/fit_sklearn_datasets.py [OUTPUT_DIR]
"""

import sys
from pathlib import Path

from sklearn import datasets
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import minimom as mm

CASES = [
    ("diabetes", mm.LinearRegression()),
    ("diabetes", mm.Ridge(alpha=10.0)),
    ("breast_cancer", mm.LogisticRegression(C=1.0)),
    ("wine", mm.LogisticRegression(C=1.0)),
]

for name, estimator in CASES:
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    model = make_pipeline(StandardScaler(), estimator).fit(X, y)
    report = mm.compare(estimator, StandardScaler().fit_transform(X), y, dataset=name)
    print(f"{name:14s} {type(estimator).__name__:20s} score={model.score(X, y):.4f} "
          f"iterations={int(report.n_iter):4d} max|coef - sklearn|={report.max_abs_diff:.1e} "
          f"{'agrees' if report.agrees else 'DISAGREES'}")

if __name__ == "__main__":
    from minimom.plotting import plot_convergence  # needs matplotlib

    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "images"
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = [(name, "LogisticRegression", StandardScaler().fit_transform(X), y)
                for name in ("breast_cancer", "wine")
                for X, y in [getattr(datasets, f"load_{name}")(return_X_y=True)]]
    plot_convergence(problems, str(out_dir / "sklearn_convergence.png"), max_iter=150)
    print(f"figure written to {out_dir / 'sklearn_convergence.png'}")
