"""Section "bounds and penalties vs scipy and scikit-learn" (issue 18): ``minimize(..., bounds=, penalty=)``.

Bound-constrained problems, minimom's default against scipy's L-BFGS-B at the same stopping rule
(``ftol=0``, the same gradient tolerance 1e-6 on the projected gradient, which is minimom's
proximal-gradient residual for a box; ``jac=True`` with autograd's ``value_and_grad``; the same
maxiter), BLAS pinned to one thread, times the medians of interleaved repeats:

- MGH problems (benchmarks/mgh.py) with boxes active at the solution: from ``x_u``, the
  unconstrained minimizer L-BFGS-B reaches from the standard start, coordinate ``i`` gets
  ``lo = x_u + s`` (i = 0 mod 4), ``hi = x_u - s`` (i = 2 mod 4), or the wide box ``x_u -+ 10 s``
  (odd i), with ``s = 0.25 (1 + |x_u|)``: the unconstrained minimizer is cut off. The start is
  projected into the box (both methods do). "Solved": ``f - f_ref <= 1e-6 max(1, |f_ref|)``, ``f_ref``
  the lower of the two methods run to a residual of 1e-10;
- bounded (chained) Rosenbrock, n = 2, 10, 100, with ``hi = 0.8`` on even coordinates;
- nonnegative least squares against ``scipy.optimize.nnls`` (exact active set; ``f_ref`` is its value);
- a box QP whose solution is known by construction (KKT with chosen multipliers).

``outside`` counts evaluations of ``fun`` outside the box in a separate recorded minimom run (must be 0).

Penalties, losses written by a user with ``autograd.numpy`` against scikit-learn at tight tolerance:
L1 and elastic-net least squares (``Lasso``/``ElasticNet``, tol 1e-12) and L1 logistic regression
(``LogisticRegression(solver="saga", l1_ratio=1)``, tol 1e-10), with an unpenalized intercept
(``alpha={"w": a, "b": 0}``); max |coef difference|, whether the exact zeros agree, and both times.

Run:  python benchmarks/bounds.py [--quick]        (prints the tables, writes nothing)
      python benchmarks/run.py --only j_bounds       (updates benchmarks/results.json)
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from scipy.optimize import Bounds, nnls
from scipy.optimize import minimize as scipy_minimize
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mgh  # noqa: E402

import minimom as mm  # noqa: E402

GTOL, MAXITER = 1e-6, 10_000
QUICK = ["rosenbrock", "beale", "wood"]


class Case:
    def __init__(self, name, fun, x0, lo, hi, f_ref=None):
        self.name, self.fun, self.x0, self.lo, self.hi, self.f_ref = name, fun, np.asarray(x0, float), lo, hi, f_ref


def _lbfgsb(case, gtol=GTOL, maxiter=MAXITER):
    return scipy_minimize(value_and_grad(case.fun), case.x0, jac=True, method="L-BFGS-B",
                          bounds=Bounds(case.lo, case.hi),
                          options={"ftol": 0.0, "gtol": gtol, "maxiter": maxiter, "maxfun": 10 * maxiter})


def _minimom(case, tol=GTOL, maxiter=MAXITER, fun=None):
    return mm.minimize(fun or case.fun, case.x0, bounds=Bounds(case.lo, case.hi), tol=tol, maxiter=maxiter)


def mgh_cases(quick):
    cases = []
    for problem in mgh.PROBLEMS:
        if quick and problem.name not in QUICK:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x_u = scipy_minimize(value_and_grad(problem.fun), problem.x0, jac=True, method="L-BFGS-B",
                                 options={"ftol": 0.0, "gtol": 1e-10, "maxiter": 100_000}).x
        shift = 0.25 * (1.0 + np.abs(x_u))
        i = np.arange(problem.n)
        lo = np.where(i % 4 == 0, x_u + shift, np.where(i % 2 == 1, x_u - 10 * shift, -np.inf))
        hi = np.where(i % 4 == 2, x_u - shift, np.where(i % 2 == 1, x_u + 10 * shift, np.inf))
        cases.append(Case(f"mgh_{problem.name}", problem.fun, problem.x0, lo, hi))
    return cases


def rosenbrock(x):
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def other_cases(quick):
    cases = []
    for n in (2,) if quick else (2, 10, 100):
        hi = np.where(np.arange(n) % 2 == 0, 0.8, 2.0)
        cases.append(Case(f"rosenbrock_{n}_bounded", rosenbrock, np.tile([-1.2, 1.0], n // 2), np.full(n, -2.0), hi))
    for m, n in [(200, 50)] if quick else [(200, 50), (1000, 300)]:
        rng = np.random.default_rng(n)
        A = rng.standard_normal((m, n))
        b = A @ rng.standard_normal(n) + 0.1 * rng.standard_normal(m)
        x, residual = nnls(A, b)
        cases.append(Case(f"nnls_{m}x{n}", lambda w, A=A, b=b: 0.5 * anp.sum((A @ w - b) ** 2), np.zeros(n),
                          np.zeros(n), np.full(n, np.inf), 0.5 * residual**2))
    for d, kappa in [(30, 1e2)] if quick else [(100, 1e2), (500, 1e4)]:
        cases.append(_box_qp(d, kappa))
    return cases


def _box_qp(d, kappa):
    rng = np.random.default_rng(d)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    Q = (q * np.logspace(0, np.log10(kappa), d)) @ q.T
    x_star, grad = rng.uniform(-0.9, 0.9, d), np.zeros(d)
    third = d // 3
    x_star[:third], grad[:third] = -1.0, rng.uniform(0.1, 1.0, third)
    x_star[third:2 * third], grad[third:2 * third] = 1.0, -rng.uniform(0.1, 1.0, third)
    c = Q @ x_star - grad
    fun = lambda x: 0.5 * x @ (Q @ x) - c @ x  # noqa: E731
    return Case(f"box_qp_{d}_kappa{kappa:g}", fun, np.zeros(d), -np.ones(d), np.ones(d), float(fun(x_star)))


def _outside(case) -> int:
    count = [0]

    def recorded(x):
        value = getattr(x, "_value", x)
        count[0] += int(np.any(value < case.lo) or np.any(value > case.hi))
        return case.fun(x)

    _minimom(case, fun=recorded)
    return count[0]


def bounded_row(case, repeats) -> dict:
    """minimom's default and L-BFGS-B on one bounded problem: solved, iterations, evaluations, median times."""
    if case.f_ref is None:  # the lower of the two methods run tight
        case.f_ref = min(float(_lbfgsb(case, 1e-10, 100_000).fun), float(_minimom(case, 1e-10, 100_000).fun))
    times, results = {"mm": [], "lb": []}, {}
    for _ in range(repeats):
        for key, run in (("mm", _minimom), ("lb", _lbfgsb)):
            start = time.perf_counter()
            results[key] = run(case)
            times[key].append(time.perf_counter() - start)
    row = {"problem": case.name, "n": case.x0.size, "f_ref": case.f_ref}
    for key, res in results.items():
        ok = res.fun - case.f_ref <= 1e-6 * max(1.0, abs(case.f_ref))
        row.update({f"{key}_ok": bool(ok), f"{key}_nit": int(res.nit), f"{key}_nfev": int(res.nfev),
                    f"{key}_s": statistics.median(times[key])})
    row["mm_status"] = results["mm"].status
    row["ratio"] = row["mm_s"] / row["lb_s"] if row["mm_ok"] and row["lb_ok"] else None
    row["outside"] = _outside(case)
    return row


def bench_bounded(quick, progress=False):
    repeats = 1 if quick else 5
    rows = []
    for case in mgh_cases(quick) + other_cases(quick):
        rows.append(bounded_row(case, repeats))
        if progress:
            print(rows[-1], flush=True)
    ratios = [row["ratio"] for row in rows if row["ratio"] is not None]
    worst = max((row for row in rows if row["ratio"] is not None), key=lambda r: r["ratio"], default=None)
    rows.append({"problem": f"SUMMARY ({len(rows)} problems)", "mm_ok": sum(r["mm_ok"] for r in rows),
                 "lb_ok": sum(r["lb_ok"] for r in rows), "ratio": statistics.median(ratios) if ratios else None,
                 "worst_ratio": worst["ratio"] if worst else None, "worst": worst["problem"] if worst else None,
                 "outside": sum(r["outside"] for r in rows)})
    return rows


# --- penalties against scikit-learn -----------------------------------------------------------------------------
def _regression(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, 1::2] += 0.5 * X[:, ::2]  # correlated neighbours
    coef = np.where(rng.random(d) < 0.2, rng.standard_normal(d) * 3, 0.0)
    return X, X @ coef + 1.0 + rng.standard_normal(n), rng


def bench_penalties(quick):
    from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression

    repeats = 1 if quick else 5
    n, d = (100, 10) if quick else (1000, 200)
    X, y, rng = _regression(n, d)

    def squares(p, X, y):  # scikit-learn's 1/(2n) scaling, as a user writes it
        return 0.5 * anp.mean((X @ p["w"] + p["b"] - y) ** 2)

    def logistic(p, X, y):
        z = X @ p["w"] + p["b"]
        return anp.mean(anp.logaddexp(0.0, z) - y * z)

    labels = (X @ np.where(np.arange(d) < 5, 1.0, 0.0) + rng.logistic(size=n) > 0).astype(float)
    C = 0.05
    cases = [
        ("lasso", squares, y, mm.L1, {}, Lasso(alpha=0.1, tol=1e-12, max_iter=1_000_000), 0.1),
        ("elastic_net", squares, y, mm.ElasticNet, {"l1_ratio": 0.5},
         ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-12, max_iter=1_000_000), 0.1),
        ("l1_logistic", logistic, labels, mm.L1, {},
         LogisticRegression(C=C, l1_ratio=1.0, solver="saga", tol=1e-10, max_iter=100_000), 1.0 / (C * n)),
    ]
    rows = []
    for name, loss, target, penalty_type, extra, estimator, alpha in cases:
        x0, penalty = {"w": np.zeros(d), "b": 0.0}, penalty_type({"w": alpha, "b": 0.0}, **extra)
        run = {"minimom": lambda loss=loss, x0=x0, target=target, penalty=penalty:
               mm.minimize(loss, x0, args=(X, target), tol=1e-10, maxiter=100_000, penalty=penalty),
               "sklearn": lambda e=estimator, target=target: e.fit(X, target)}
        times = {key: [] for key in run}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(repeats):
                for key, fn in run.items():
                    start = time.perf_counter()
                    out = fn()
                    times[key].append(time.perf_counter() - start)
                    if key == "minimom":
                        res = out
        coef = np.ravel(estimator.coef_)
        rows.append({"case": f"{name}_{n}x{d}", "status": res.status, "nit": res.nit, "nfev": res.nfev,
                     "max_abs_diff": float(max(np.max(np.abs(res.x["w"] - coef)),
                                               abs(res.x["b"] - float(np.ravel(estimator.intercept_)[0])))),
                     "zeros_minimom": int(np.sum(res.x["w"] == 0)), "zeros_sklearn": int(np.sum(coef == 0)),
                     "same_zeros": bool(np.array_equal(res.x["w"] == 0, coef == 0)),
                     "time_minimom_s": statistics.median(times["minimom"]),
                     "time_sklearn_s": statistics.median(times["sklearn"]),
                     "ratio": statistics.median(times["minimom"]) / statistics.median(times["sklearn"])})
    return rows


def bench_bounds(quick=False):
    with threadpool_limits(limits=1):
        return bench_bounded(quick) + bench_penalties(quick)


if __name__ == "__main__":
    from run import print_table  # noqa: E402  (benchmarks/ is on sys.path)

    rows = bench_bounds("--quick" in sys.argv)
    print_table("j_bounds", rows)
