"""Section "estimator speed" (issue 11): minimom's default fits against scikit-learn's fastest exact solver.

For each case, minimom's default ``fit`` is timed against every scikit-learn solver that can reach
1e-6 of a tight reference (newton-cholesky at tol 1e-10 and lbfgs at tol 1e-12 for logistic
regression, cholesky for Ridge, lstsq for LinearRegression); the fastest of those that did reach it
is the baseline (solvers that miss 1e-6 are not timed). Times are medians of interleaved repeats in
one process with BLAS pinned to one thread (threadpoolctl); one more run with BLAS's default threads
gives ``ratio_threads``. Accuracy is the largest coefficient or intercept difference to the tight
reference, relative to the reference's largest coefficient. Peak memory is a subprocess's peak RSS
during ``fit`` above its RSS with the data loaded, in copies of X.

A second table gives the cost of one optimizer step on an estimator's internal objective (one
autograd primitive) against the numpy floor: a hand-written logistic value-and-gradient on the raw
data plus the two-line heavy ball, in a bare loop.

Run:  python benchmarks/estimators.py [--quick]        (prints the tables)
      python benchmarks/run.py --only h_estimator_speed (updates benchmarks/results.json)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings

import numpy as np
from scipy.special import expit
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from timing import median_times

import minimom as mm
from minimom.data._design import as_design
from minimom.linear_model._objectives import LinearObjective
from minimom.linear_model._row_losses import BinaryLogLoss
from minimom.linear_model._whitening import safe_moments, whitening


def _load(case: str, quick: bool):
    """``(X, y, model)`` for one case name."""
    if case.startswith("breast_cancer"):
        X, y = datasets.load_breast_cancer(return_X_y=True)
        return (X if "raw" in case else StandardScaler().fit_transform(X)), y, "LogisticRegression"
    if case == "digits":
        X, y = datasets.load_digits(return_X_y=True)
        return StandardScaler().fit_transform(X), y, "LogisticRegression"
    if case == "wine raw":  # three classes, features from 0.1 to 1000 as they come
        X, y = datasets.load_wine(return_X_y=True)
        return X, y, "LogisticRegression"
    kind, shape = case.split(" ")[:2]
    n, d = (int(v) for v in shape.split("x"))
    if case.endswith("defaults"):  # scikit-learn's defaults: 2 informative and 2 redundant features (collinear X)
        X, y = datasets.make_classification(n_samples=n, n_features=d, random_state=0)
        return X, y, "LogisticRegression"
    if kind == "make_classification":
        X, y = datasets.make_classification(n_samples=n, n_features=d, n_informative=d // 2, random_state=0)
        return X, y, "LogisticRegression"
    X, y = datasets.make_regression(n_samples=n, n_features=d, noise=1.0, random_state=0)
    return X, y, case.split(" ")[2]


def _candidates(model: str) -> tuple:
    """(tight reference, {name: scikit-learn solver that can reach 1e-6 of it})."""
    if model == "LinearRegression":
        return sk.LinearRegression(), {"lstsq": sk.LinearRegression()}
    if model == "Ridge":
        return sk.Ridge(solver="cholesky"), {"cholesky": sk.Ridge(solver="cholesky")}
    return (sk.LogisticRegression(solver="newton-cholesky", tol=1e-14, max_iter=1000),
            {"newton-cholesky": sk.LogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=1000),
             "lbfgs": sk.LogisticRegression(solver="lbfgs", tol=1e-12, max_iter=100_000)})


def _error(fit, reference) -> float:
    scale = max(np.max(np.abs(reference.coef_)), 1e-300)
    coef = np.max(np.abs(np.asarray(fit.coef_) - reference.coef_))
    intercept = np.max(np.abs(np.asarray(fit.intercept_) - np.asarray(reference.intercept_)))
    return float(max(coef, intercept) / scale)


def _synthetic(n: int, d: int, kind: str):
    """Data whose making peaks at X plus a few n-vectors (so the RSS high-water mark before fit is X's)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    score = X @ rng.standard_normal(d) + rng.standard_normal(n)
    if kind == "binary":
        return X, (score > 0).astype(float)
    if kind == "multinomial":
        return X, np.digitize(score, np.quantile(score, [0.25, 0.5, 0.75]))
    return X, score


_MEMORY_SCRIPT = """
import json, resource, sys, warnings
import numpy as np
sys.path.insert(0, {benchmarks!r})
from estimators import _synthetic
import minimom as mm
from sklearn import linear_model as sk
X, y = _synthetic({n}, {d}, {kind!r})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    {fit}
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"extra_copies": (after - before) * 1024 / X.nbytes}}))
"""


def peak_memory(n: int, d: int, kind: str, fit: str) -> float:
    """Peak RSS during ``fit`` above the RSS with the data loaded, in copies of X (a fresh subprocess)."""
    from pathlib import Path

    script = _MEMORY_SCRIPT.format(benchmarks=str(Path(__file__).resolve().parent), n=n, d=d, kind=kind, fit=fit)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=1200)
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])["extra_copies"]


CASES = ["breast_cancer", "breast_cancer raw", "wine raw", "digits", "make_classification 10000x20",
         "make_classification 10000x20 defaults", "make_classification 10000x100", "make_classification 200000x20",
         "make_classification 200000x100", "make_classification 200000x100 defaults",
         "make_classification 100000x250 defaults",
         "make_regression 200000x100 Ridge", "make_regression 200000x100 LinearRegression"]
MEMORY_CASES = [("LogisticRegression", "binary", "LogisticRegression()"), ("Ridge", "regression", "Ridge()"),
                ("LinearRegression", "regression", "LinearRegression()"), ("LogisticRegression", "multinomial", None)]
QUICK_CASES = ["breast_cancer", "make_classification 10000x20", "make_regression 20000x50 Ridge"]


def bench_case(case: str, quick: bool, data: tuple | None = None) -> dict:
    """One row: ``data`` ``(X, y, model)``, by default section h's case named ``case``."""
    X, y, model = data if data is not None else _load(case, quick)
    reference, candidates = _candidates(model)
    repeats = 1 if quick else (3 if X.shape[0] >= 100_000 else (31 if X.size < 100_000 else 7))  # ms-long fits: more
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit(X, y)
        ours = getattr(mm, model)()
        errors = {name: _error(est.fit(X, y), reference) for name, est in [("minimom", ours), *candidates.items()]}
        exact = [name for name in candidates if errors[name] <= 1e-6] or list(candidates)  # only these are timed
        fits = {"minimom": lambda: ours.fit(X, y), **{k: (lambda e=candidates[k]: e.fit(X, y)) for k in exact}}
        with threadpool_limits(limits=1, user_api="blas"):
            times = median_times(fits, repeats)
        fastest = min(exact, key=times.get)
        threaded = median_times({"minimom": fits["minimom"], fastest: fits[fastest]}, max(1, repeats // 2))
    row = {"case": case, "model": model, "shape": f"{X.shape[0]}x{X.shape[1]}",
           "minimom_s": times["minimom"], "sklearn": fastest, "sklearn_s": times[fastest],
           "ratio": times["minimom"] / times[fastest], "ratio_threads": threaded["minimom"] / threaded[fastest],
           "error_minimom": errors["minimom"], "error_sklearn": errors[fastest],
           "n_iter": int(np.max(ours.n_iter_))}
    row.update({f"{name}_s": t for name, t in times.items() if name not in ("minimom", fastest)})
    return row


# per-step cost -----------------------------------------------------------------------------------------------
def _logistic_problem(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + rng.standard_normal(n) > 0).astype(float)
    return X, y


def _internal_objective(X, y, penalty):
    """The binary logistic objective exactly as LogisticRegression builds it."""
    weights = np.full(len(y), 1 / len(y))
    moments, prescale = safe_moments(as_design(X), weights)
    white = whitening(moments, prescale, 0.25, penalty, True)
    return LinearObjective(X, moments.mean, white.P, penalty, 1, 2.0, BinaryLogLoss(y, weights))


def bench_step(n, d, steps):
    X, y = _logistic_problem(n, d)
    penalty, lr, beta = 1.0 / n, 0.05, 0.9
    objective = _internal_objective(X, y, penalty)

    def ours():
        mm.minimize(objective, np.zeros(objective.size), optimizer=mm.Momentum(learning_rate=lr, momentum=beta),
                    maxiter=steps, tol=0)

    def floor():
        w, b, vw, vb = np.zeros(d), 0.0, np.zeros(d), 0.0
        for _ in range(steps):
            z = X @ w + b
            loss = np.mean(np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z) + 0.5 * penalty * (w @ w)
            r = (expit(z) - y) / n
            gw, gb = X.T @ r + penalty * w, r.sum()
            vw, vb = beta * vw - lr * gw, beta * vb - lr * gb  # the two-line heavy ball
            w, b = w + vw, b + vb
        return loss

    with threadpool_limits(limits=1, user_api="blas"):
        times = median_times({"minimom": ours, "floor": floor}, repeats=7 if n < 10_000 else 3)
    return {"shape": f"{n}x{d}", "steps": steps, "minimom_step_us": 1e6 * times["minimom"] / steps,
            "floor_step_us": 1e6 * times["floor"] / steps, "ratio": times["minimom"] / times["floor"],
            "target": 2.0 if n <= 500 else 1.1}


def bench_estimator_speed(quick=False, report=None) -> list:
    """Rows of both tables: the estimator cases, the per-step costs, and peak memory at 1M x 100.

    ``report(row)`` is called with each row as soon as it is measured.
    """
    rows = _Rows(report)
    for case in QUICK_CASES if quick else CASES:
        rows.append(bench_case(case, quick))
    steps = [(500, 2, 200), (500, 50, 200), (20_000, 20, 20)] if quick else \
        [(500, 2, 2000), (500, 50, 2000), (100_000, 100, 30)]
    for n, d, k in steps:
        rows.append({"case": "per-step", **bench_step(n, d, k)})
    n = 20_000 if quick else 1_000_000
    d = 50 if quick else 100
    for model, kind, fit in MEMORY_CASES[:1] if quick else MEMORY_CASES:
        row = {"case": f"peak-memory {model} ({kind}) {n}x{d}",
               "extra_copies_of_X": peak_memory(n, d, kind, f"mm.{model}().fit(X, y)"), "target": 0.1}
        if not quick and fit:
            row["sklearn_extra_copies"] = peak_memory(n, d, kind, f"sk.{fit}.fit(X, y)")
        rows.append(row)
    return list(rows)


class _Rows(list):
    def __init__(self, report):
        super().__init__()
        self.report = report

    def append(self, row):
        super().append(row)
        if self.report is not None:
            self.report(row)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small cases, one repeat")
    args = parser.parse_args(argv)
    bench_estimator_speed(args.quick, report=lambda row: print(
        {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in row.items()}, flush=True))


if __name__ == "__main__":
    main()
