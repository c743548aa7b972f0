"""Section "user losses vs scipy": minimom's default ``minimize(f, x0)`` against scipy's L-BFGS-B and CG.

The problems are what a user writes: the 33 test problems of Moré, Garbow & Hillstrom (1981) at their
standard starting points (benchmarks/mgh.py), L2-regularized logistic losses on separable
simulated data written naively with ``autograd.numpy``, and ill-conditioned losses on scikit-learn's
toy data with raw, unscaled features (logistic on breast_cancer, softmax on digits' pixel values and on
wine, ridge least squares on diabetes' raw measurements). All three methods get the same autograd
gradient (``value_and_grad``; ``jac=True`` for scipy) and the same gradient tolerance (inf-norm
1e-6; minimom's default tol, scipy's ``gtol``), the same maxiter, and scipy's other defaults.

A method solved a problem when ``f - f* <= 1e-6 * max(1, |f*|)``; "local" means it ended at another
known minimum (``f_local`` in mgh.py). Times are medians of interleaved repeats in one process with
BLAS pinned to one thread; ``ratio`` is minimom's time over L-BFGS-B's where both solved.

Run:  python benchmarks/user_losses.py [--quick] [--only NAME ...]   (prints the table, writes nothing)
      python benchmarks/run.py --only f_user_losses                  (updates benchmarks/results.json)
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from pathlib import Path

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from autograd.scipy.special import logsumexp
from scipy.optimize import minimize as scipy_minimize
from sklearn import datasets
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mgh  # noqa: E402  (the problem table next to this file)

import minimom as mm  # noqa: E402

MAXITER = 10_000
SCIPY_FTOL = 2.220446049250313e-09  # L-BFGS-B's default ftol: factr 1e7 times machine epsilon
GTOL = 1e-6
QUICK = ["rosenbrock", "beale", "helical_valley", "logistic_1000x10_lam1"]
QUICK_MAXITER = 2_000  # --quick is a smoke run: it bounds the time, not the outcome
CG_RAW_MAXITER = 1_000  # scipy's CG needs over 10,000 steps (about 40 s) on each raw-feature loss: capped there
_ONE_RUN_IS_ENOUGH = 2.0  # seconds: a run this slow is timed once (the ratio is then far from 1 anyway)


# --- user-written logistic losses -------------------------------------------------------------------------------
def logistic_problem(n: int, d: int, lam: float, seed: int = 0) -> mgh.Problem:
    """``mean(log(1 + exp(-y * Xw))) + lam/2 ||w||^2`` on separable data (``y = sign(X w_true)``), from w = 0.

    ``f_star`` is Newton's method (exact Hessian) polished from scipy's L-BFGS-B at gtol 1e-12.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sign(X @ rng.standard_normal(d))

    def loss(w):  # as a user would write it
        return anp.mean(anp.logaddexp(0, -y * (X @ w))) + 0.5 * lam * w @ w

    x0 = np.zeros(d)
    w = scipy_minimize(value_and_grad(loss), x0, jac=True, method="L-BFGS-B",
                       options={"gtol": 1e-12, "ftol": 0.0, "maxiter": 100_000, "maxfun": 100_000}).x
    for _ in range(20):  # Newton from close by; the loss is strongly convex
        margin = y * (X @ w)
        p = 1.0 / (1.0 + np.exp(margin))  # sigmoid(-margin)
        grad = -X.T @ (y * p) / n + lam * w
        if np.max(np.abs(grad)) < 1e-15:
            break
        hessian = (X.T * (p * (1.0 - p))) @ X / n + lam * np.eye(d)
        w = w - np.linalg.solve(hessian, grad)
    return mgh.Problem(f"logistic_{n}x{d}_lam{lam:g}", loss, x0, float(loss(w)), "scipy+newton",
                       note="L-BFGS-B gtol 1e-12, then Newton", x_star=(tuple(w),))


LOGISTIC = {f"logistic_{n}x{d}_lam{lam:g}": (n, d, lam) for n, d in [(1000, 10), (200, 500)] for lam in (1.0, 0.01)}


# --- ill-conditioned losses on raw (unscaled) features, as a user first writes them ---------------------------
def raw_problem(name: str) -> mgh.Problem:
    """A loss on scikit-learn's toy data *without* scaling the features, from zero; ``f_star`` by scipy's
    L-BFGS-B run to gtol 1e-10 with 50 pairs (f agrees to far below the 1e-6 test)."""
    kind, dataset, rows, lam = RAW[name]
    X, y = getattr(datasets, f"load_{dataset}")(return_X_y=True, **({"scaled": False} if dataset == "diabetes" else {}))
    X, y = X[:rows], y[:rows]
    k = int(y.max()) + 1

    def logistic(w):  # mean log-loss of y in {0, 1} with an unpenalized intercept
        z = X @ w[:-1] + w[-1]
        return anp.mean(anp.logaddexp(0.0, z) - y * z) + 0.5 * lam * anp.sum(w[:-1] ** 2)

    def softmax(w):  # multinomial log-loss with intercepts
        W = anp.reshape(w[:-k], (X.shape[1], k))
        Z = X @ W + w[-k:]
        return anp.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]) + 0.5 * lam * anp.sum(W ** 2)

    def ridge(w):  # least squares on raw features (diabetes: ages, blood pressures, serum levels)
        r = X @ w[:-1] + w[-1] - y
        return 0.5 * anp.mean(r * r) + 0.5 * lam * anp.sum(w[:-1] ** 2)

    loss = {"logistic": logistic, "softmax": softmax, "ridge": ridge}[kind]
    x0 = np.zeros(X.shape[1] * k + k if kind == "softmax" else X.shape[1] + 1)
    reference = scipy_minimize(value_and_grad(loss), x0, jac=True, method="L-BFGS-B",
                               options={"gtol": 1e-10, "ftol": 0.0, "maxcor": 50, "maxiter": 100_000,
                                        "maxfun": 200_000})
    return mgh.Problem(name, loss, x0, float(reference.fun), "scipy", note="L-BFGS-B gtol 1e-10, maxcor 50")


RAW = {  # name: (loss, dataset, rows, L2 weight)
    "logistic_breast_cancer_raw": ("logistic", "breast_cancer", None, 1e-3),
    "softmax_digits500_raw": ("softmax", "digits", 500, 1e-2),
    "softmax_wine_raw": ("softmax", "wine", None, 0.1),
    "ridge_diabetes_raw": ("ridge", "diabetes", None, 1e-3),
}


# --- the three methods --------------------------------------------------------------------------------------------
OPTIMIZER = None  # minimom's default; `--optimizer` swaps in another to compare


def _minimom(problem, maxiter, optimizer=None):
    res = mm.minimize(problem.fun, problem.x0, optimizer=optimizer or OPTIMIZER, maxiter=maxiter)
    return {"f": float(res.fun), "it": int(res.nit), "ng": int(res.nfev), "status": res.status}


def _minimom_ftol(problem, maxiter):
    """minimom with scipy L-BFGS-B's stopping rule opted into: ``ConjugateMomentum(ftol=2.2e-9)``."""
    return _minimom(problem, maxiter, mm.ConjugateMomentum(ftol=SCIPY_FTOL))


def _scipy(method, **options):
    def run(problem, maxiter):
        res = scipy_minimize(value_and_grad(problem.fun), problem.x0, jac=True, method=method,
                             options={"gtol": GTOL, "maxiter": maxiter, **options})
        return {"f": float(res.fun), "it": int(res.nit), "ng": int(res.njev), "status": _scipy_status(res)}
    return run


def _scipy_status(res) -> str:
    """A word for how scipy stopped (its messages are sentences)."""
    message = str(res.message).lower()
    if res.success:
        return "converged"
    if "iteration" in message or "maxfun" in message or "evaluations" in message:
        return "maxiter"
    if "precision" in message or "abnormal" in message:
        return "line search failed"
    return message[:30]


# "l0" is L-BFGS-B with ftol=0: it stops on the gradient test only, as minimize does. With its default
# ftol (2.2e-9 relative reduction of f) it often stops earlier, at a lower accuracy that still counts as solved.
# "mf" is minimom with that same f test opted into (ConjugateMomentum(ftol=2.2e-9)), against L-BFGS-B's defaults.
METHODS = {"mm": _minimom, "lb": _scipy("L-BFGS-B"), "cg": _scipy("CG"), "l0": _scipy("L-BFGS-B", ftol=0.0),
           "mf": _minimom_ftol}


def outcome(problem, f) -> str:
    """``"yes"`` at f*, ``"local"`` at another known minimum, else ``"no"``."""
    def at(value):
        return math.isfinite(f) and f - value <= 1e-6 * max(1.0, abs(value))
    if at(problem.f_star):
        return "yes"
    return "local" if any(at(v) and f >= v - 1e-6 * max(1.0, abs(v)) for v in problem.f_local) else "no"


def run_problem(problem, repeats, maxiter=MAXITER) -> dict:
    """Every method on one problem: its outcome, iterations, gradient evaluations and median time."""
    results, times = {}, {key: [] for key in METHODS}
    for repeat in range(repeats):  # interleaved: each repeat runs every method once
        for key, method in METHODS.items():
            if repeat and times[key][0] > _ONE_RUN_IS_ENOUGH:
                continue
            start = time.perf_counter()
            results[key] = method(problem, min(maxiter, CG_RAW_MAXITER) if key == "cg" and problem.name in RAW
                                  else maxiter)
            times[key].append(time.perf_counter() - start)
    row = {"problem": problem.name, "n": problem.n, "f_star": problem.f_star}
    for key in METHODS:
        r = results[key]
        row.update({f"{key}_ok": outcome(problem, r["f"]), f"{key}_it": r["it"], f"{key}_ng": r["ng"],
                    f"{key}_s": statistics.median(times[key])})
    both = row["mm_ok"] == row["lb_ok"] == "yes"
    row["ratio"] = row["mm_s"] / row["lb_s"] if both else None
    same_stop = row["mm_ok"] == row["l0_ok"] == "yes"
    row["ratio_same_stop"] = row["mm_s"] / row["l0_s"] if same_stop else None
    both_ftol = row["mf_ok"] == row["lb_ok"] == "yes"
    row["ratio_ftol"] = row["mf_s"] / row["lb_s"] if both_ftol else None
    # where a method missed f* or did not stop by its own test: its final value and how it stopped
    row["note"] = "; ".join(f"{key} f={results[key]['f']:.6g} {results[key]['status']}" for key in METHODS
                            if row[f"{key}_ok"] != "yes" or results[key]["status"] not in ("converged", "ftol"))
    return row


def summarize(rows) -> dict:
    """One row: problems solved by each method (``*_ok``), the median time ratio, and in ``note`` the worst
    ratio and every problem worse than 5x."""
    ratios = {row["problem"]: row["ratio"] for row in rows if row["ratio"] is not None}
    worst = max(ratios, key=ratios.get) if ratios else None
    over = [name for name, r in ratios.items() if r > 5]
    summary = {"problem": f"SUMMARY ({len(rows)} problems)"}
    for key in METHODS:
        summary[f"{key}_ok"] = sum(row[f"{key}_ok"] == "yes" for row in rows)
    summary["ratio"] = statistics.median(ratios.values()) if ratios else None
    summary["note"] = (f"ratio: median of {len(ratios)} solved by mm and lb; worst {ratios[worst]:.3g}x ({worst}); "
                       f"{len(over)} over 5x" if ratios else "no problem solved by mm and lb")
    for key, label in [("ratio_same_stop", "same stopping rule (L-BFGS-B ftol=0)"),
                       ("ratio_ftol", "both with scipy's f test (minimom ConjugateMomentum(ftol=2.2e-9) vs "
                                      "L-BFGS-B defaults)")]:
        summary[key], note = _ratios(rows, key)
        summary["note"] += f"; {label}: {note}" if note else ""
    return summary


def _ratios(rows, key) -> tuple:
    """The median of the column ``key`` over the rows that have it, and a note with the worst and the count over 5x."""
    ratios = {row["problem"]: row[key] for row in rows if row[key] is not None}
    if not ratios:
        return None, ""
    worst = max(ratios, key=ratios.get)
    median = statistics.median(ratios.values())
    return median, (f"median {median:.3g}x of {len(ratios)}, worst {ratios[worst]:.3g}x ({worst}), "
                    f"{sum(r > 5 for r in ratios.values())} over 5x")


def print_summary(rows):
    *problems, summary = rows
    over = sorted((row for row in problems if row["ratio"] is not None and row["ratio"] > 5), key=lambda r: -r["ratio"])
    total = len(problems)
    print(f"\nsolved (f - f* <= 1e-6 max(1, |f*|)) of {total}: minimom {summary['mm_ok']}, "
          f"L-BFGS-B {summary['lb_ok']}, CG {summary['cg_ok']}, L-BFGS-B ftol=0 {summary['l0_ok']}")
    print(f"time minimom / L-BFGS-B, median {summary['ratio']:.3g}x; {summary['note'].removeprefix('ratio: ')}"
          if summary["ratio"] is not None else summary["note"])
    print("over 5x: " + (", ".join(f"{row['problem']} {row['ratio']:.3g}x" for row in over) or "none"))
    if summary.get("ratio_same_stop") is not None:
        print(f"time minimom / L-BFGS-B with ftol=0 (both stop on the gradient test only), median "
              f"{summary['ratio_same_stop']:.3g}x")
    if summary.get("ratio_ftol") is not None:
        print(f"time minimom ConjugateMomentum(ftol=2.2e-9) / L-BFGS-B defaults (both with the f test), median "
              f"{summary['ratio_ftol']:.3g}x; solved {summary['mf_ok']}")


def problems(quick=False, only=None) -> list:
    """The MGH table, the logistic losses, then the raw-feature losses (references computed here, only those
    asked for)."""
    names = only or (QUICK if quick else [p.name for p in mgh.PROBLEMS] + list(LOGISTIC) + list(RAW))
    unknown = set(names) - set(mgh.BY_NAME) - set(LOGISTIC) - set(RAW)
    if unknown:
        raise SystemExit(f"unknown problem(s) {sorted(unknown)}; choose from "
                         f"{list(mgh.BY_NAME) + list(LOGISTIC) + list(RAW)}")
    return ([p for p in mgh.PROBLEMS if p.name in names]
            + [logistic_problem(*LOGISTIC[k]) for k in LOGISTIC if k in names]
            + [raw_problem(k) for k in RAW if k in names])


def bench_user_losses(quick=False, only=None, repeats=None) -> list:
    """The section's rows (one per problem) followed by the summary row."""
    repeats = repeats or (1 if quick else 5)
    rows = []
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for problem in problems(quick, only):
            rows.append(run_problem(problem, repeats, QUICK_MAXITER if quick else MAXITER))
    return rows + [summarize(rows)]


COMPACT = ["problem", "f_star", "mm_ok", "mm_it", "mm_ng", "mm_s", "lb_ok", "lb_it", "lb_ng", "lb_s",
           "cg_ok", "cg_it", "cg_ng", "cg_s", "l0_ok", "l0_ng", "l0_s", "mf_ok", "mf_ng", "mf_s", "ratio",
           "ratio_same_stop", "ratio_ftol", "note"]


def print_compact(rows):
    def show(v):
        return "-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)
    cells = [[show(row.get(k)) for k in COMPACT] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(COMPACT)]
    print("  ".join(k.rjust(w) for k, w in zip(COMPACT[:-1], widths)) + "  note")
    for c in cells:
        print("  ".join(v.rjust(w) for v, w in zip(c[:-1], widths)) + "  " + c[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}, one repeat")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these problems (names as in the table)")
    parser.add_argument("--repeats", type=int, help="timed repeats per method (default 5, 1 with --quick)")
    parser.add_argument("--optimizer", metavar="EXPR",
                        help='minimom\'s optimizer instead of the default, e.g. "mm.TunedMomentum(nesterov=True)"')
    args = parser.parse_args(argv)
    if args.optimizer:
        global OPTIMIZER
        OPTIMIZER = eval(args.optimizer, {"mm": mm, "np": np})  # a developer's command line, not user input
    rows = bench_user_losses(args.quick, args.only, args.repeats)
    print_compact(rows)
    print_summary(rows)


if __name__ == "__main__":
    main()
