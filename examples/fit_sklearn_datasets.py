"""Fit minimom's linear models on scikit-learn's bundled datasets and compare with scikit-learn.

Run: python examples/fit_sklearn_datasets.py
"""

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
