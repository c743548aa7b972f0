"""Estimator cases held out from section h (benchmarks/estimators.py), measured exactly as its rows are.

Data the estimators were not tuned on: raw (unscaled) pixel and flower measurements, collinear
``make_classification`` defaults at other sizes and with three classes, features scaled by 1e-3..1e3 with
offsets, and collinear least squares. Each row is :func:`estimators.bench_case`: minimom's default fit against
the fastest scikit-learn solver that reaches 1e-6 of a tight reference, BLAS on one thread, medians of
interleaved repeats.

Run:  python benchmarks/heldout_estimators.py [CASE ...]   (prints one JSON row per case, writes nothing)
"""

import json
import sys
from pathlib import Path

import numpy as np
from sklearn import datasets

sys.path.insert(0, str(Path(__file__).resolve().parent))
import estimators as E  # noqa: E402


def scaled(X, seed):
    """Columns scaled by 1e-3..1e3 and shifted by 1e-2..1e2, as raw measurements come."""
    rng = np.random.default_rng(seed)
    return X * 10.0 ** rng.uniform(-3, 3, X.shape[1]) + 10.0 ** rng.uniform(-2, 2, X.shape[1])


def _classification(n, d, seed, **options):
    return datasets.make_classification(n_samples=n, n_features=d, random_state=seed, **options)


def _collinear(n, d, rank, seed, noise):
    """Rows in a ``rank``-dimensional subspace (plus ``noise``), and a linear target."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d))
    if noise:
        X += noise * rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d) + rng.standard_normal(n)


def _scaled_classification(n, d, seed, **options):
    X, y = _classification(n, d, seed, **options)
    return scaled(X, seed), y


_LOADERS = {  # case -> (X, y) and the model
    "digits raw": (lambda: datasets.load_digits(return_X_y=True), "LogisticRegression"),
    "iris raw": (lambda: datasets.load_iris(return_X_y=True), "LogisticRegression"),
    "50000x50 defaults": (lambda: _classification(50000, 50, 1), "LogisticRegression"),
    "20000x30 3-class defaults": (lambda: _classification(20000, 30, 2, n_classes=3, n_clusters_per_class=1),
                                  "LogisticRegression"),
    "50000x40 unscaled": (lambda: _scaled_classification(50000, 40, 3, n_informative=10), "LogisticRegression"),
    "100000x60 unscaled defaults": (lambda: _scaled_classification(100000, 60, 4), "LogisticRegression"),
    "100000x40 defaults": (lambda: _classification(100000, 40, 10), "LogisticRegression"),
    "50000x150 defaults": (lambda: _classification(50000, 150, 7), "LogisticRegression"),
    "60000x300 3-class defaults": (lambda: _classification(60000, 300, 8, n_classes=3, n_clusters_per_class=1),
                                   "LogisticRegression"),
    "20000x150 unscaled": (lambda: _scaled_classification(20000, 150, 9, n_informative=20), "LogisticRegression"),
    "diabetes raw Ridge": (lambda: datasets.load_diabetes(return_X_y=True, scaled=False), "Ridge"),
    "20000x300 collinear Ridge": (lambda: _collinear(20000, 300, 30, 5, 1e-3), "Ridge"),
    "20000x100 rank-deficient LinearRegression": (lambda: _collinear(20000, 100, 60, 6, 0.0), "LinearRegression"),
}


def load(case):
    """``(X, y, model)`` for one held-out case."""
    make, model = _LOADERS[case]
    return (*make(), model)


CASES = list(_LOADERS)


def main(cases):
    ratios = []
    for case in cases:
        row = E.bench_case(case, False, load(case))
        ratios.append(row["ratio"])
        print(json.dumps(row), flush=True)
    print(json.dumps({"median": float(np.median(ratios)), "worst": max(ratios)}))


if __name__ == "__main__":
    main(sys.argv[1:] or CASES)
