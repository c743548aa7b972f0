"""minimom's benchmarks: each figure is a ratio against a baseline run in the same process.

Run:  python benchmarks/run.py            (full run, about 5 minutes on 2 cores)
      python benchmarks/run.py --quick    (smoke run: small sizes, few repeats)
      python benchmarks/run.py --only f_user_losses   (one section; see also benchmarks/user_losses.py)

Prints one table per section and writes every row to benchmarks/results.json
(or --output). Times are medians of interleaved repeats.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import warnings
from pathlib import Path

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from bounds import bench_bounds  # section j (issue 18): bounds and penalties vs scipy and scikit-learn
from dask_fit import bench_dask_fit  # benchmarks/dask_fit.py: data beyond memory (dask, memmap)
from estimators import bench_estimator_speed  # section h (issue 11), a module of its own
from scipy.special import expit
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.preprocessing import StandardScaler
from sparse_models import bench_sparse  # section k (issue 19), a module of its own
from timing import median_times  # interleaved repeats, medians
from user_losses import bench_user_losses  # section f, a module of its own (benchmarks/ is on sys.path)

import minimom as mm
from minimom.linear_model import losses


# a. quadratics ---------------------------------------------------------------------------------------------
def spd_problem(d, kappa, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    a = (q * np.logspace(0, np.log10(kappa), d)) @ q.T
    return a, rng.standard_normal(d)


def quadratic(x, a, b):
    return 0.5 * x @ (a @ x) - b @ x


def iterations_to(optimizer, a, b, cap):
    solution = np.linalg.solve(a, b)
    scale = 1e-8 * np.linalg.norm(solution)
    res = mm.minimize(quadratic, np.zeros(len(b)), args=(a, b), optimizer=optimizer, tol=0, maxiter=cap,
                      callback=lambda r: np.linalg.norm(r.x - solution) <= scale)
    return res.nit if res.status == "callback" else None


def bench_quadratics(quick):
    d, kappas, cap = (50, [1e1, 1e2], 20_000) if quick else (200, [1e1, 1e2, 1e3, 1e4, 1e5], 300_000)
    rows = []
    for kappa in kappas:
        a, b = spd_problem(d, kappa)
        bound = math.sqrt(kappa) * math.log(1e8)
        gd = iterations_to(mm.GradientDescent(1 / kappa), a, b, cap) if kappa <= 1e4 else None
        momentum = iterations_to(mm.Momentum(), a, b, cap)  # the per-step default (ConjugateMomentum)
        tuned = iterations_to(mm.TunedMomentum(), a, b, cap)  # the heavy ball tuned once from the curvature
        nesterov = iterations_to(mm.TunedMomentum(nesterov=True), a, b, cap)  # Momentum(nesterov=True) is per-step
        rows.append({"kappa": kappa, "theory_bound": round(bound), "gradient_descent": gd, "momentum_auto": momentum,
                     "tuned_heavy_ball": tuned, "tuned_nesterov": nesterov,
                     "momentum_over_bound": momentum / bound if momentum else None,
                     "gd_over_momentum": gd / momentum if gd and momentum else None})
    return rows


# b. estimators ---------------------------------------------------------------------------------------------
ESTIMATOR_CASES = [
    ("diabetes", "LinearRegression"), ("diabetes", "Ridge"), ("breast_cancer", "LogisticRegression"),
    ("iris", "LogisticRegression"), ("wine", "LogisticRegression"), ("digits", "LogisticRegression"),
    ("breast_cancer (raw)", "LogisticRegression"),
]


def _sklearn_models(model):
    if model == "LinearRegression":
        return sk.LinearRegression(), {"default": sk.LinearRegression()}
    if model == "Ridge":
        return sk.Ridge(solver="cholesky"), {"default": sk.Ridge()}
    tight = {"tol": 1e-10, "max_iter": 10_000}
    return (sk.LogisticRegression(solver="newton-cholesky", **tight),
            {"lbfgs_tight": sk.LogisticRegression(solver="lbfgs", **tight),
             "newton_cholesky_tight": sk.LogisticRegression(solver="newton-cholesky", **tight),
             "default": sk.LogisticRegression()})


def iterations_to_reference(estimator, X, y, ref, target=1e-6):
    """The first iteration at which the fit is within ``target`` of ``ref``, by refitting with growing max_iter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = estimator.fit(X, y)
        total = int(np.max(full.n_iter_))
        low, high = 1, max(total, 1)
        while low < high:  # the error need not be monotone, but near the end it is
            mid = (low + high) // 2
            fit = estimator.set_params(max_iter=mid).fit(X, y)
            err = max(np.max(np.abs(fit.coef_ - ref.coef_)), np.max(np.abs(fit.intercept_ - ref.intercept_)))
            low, high = (mid + 1, high) if err > target else (low, mid)
        estimator.set_params(max_iter=5000)
    return high


def bench_estimators(quick):
    cases = ESTIMATOR_CASES[:3] if quick else ESTIMATOR_CASES
    repeats = 1 if quick else 5
    rows = []
    for name, model in cases:
        dataset = name.split()[0]
        X, y = getattr(datasets, f"load_{dataset}")(return_X_y=True)
        if "raw" not in name:
            X = StandardScaler().fit_transform(X)
        ours = getattr(mm, model)()
        reference, sklearn_fits = _sklearn_models(model)
        reference.fit(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            times = median_times({"minimom": lambda: ours.fit(X, y),
                                  **{k: (lambda e=e: e.fit(X, y)) for k, e in sklearn_fits.items()}}, repeats)
        ours.fit(X, y)
        err = max(np.max(np.abs(ours.coef_ - reference.coef_)), np.max(np.abs(ours.intercept_ - reference.intercept_)))
        iterations_default = int(np.max(ours.n_iter_))
        rows.append({"dataset": name, "model": model, "iterations_default": iterations_default,
                     "iterations_to_1e-6": iterations_to_reference(ours, X, y, reference), "max_abs_diff": float(err),
                     "time_minimom_s": times.pop("minimom"), **{f"time_sklearn_{k}_s": v for k, v in times.items()}})
    return rows


# c. gradient cost ------------------------------------------------------------------------------------------
def handwritten_logistic(v, Z, y, weights, penalty):
    z = Z @ v  # the same stable softplus as minimom's primitive, so the baseline is as fast as numpy allows
    loss = weights @ (np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z) + 0.5 * penalty * (v @ v)
    return loss, Z.T @ (weights * (expit(z) - y)) + penalty * v


def bench_gradient_cost(quick):
    shapes = [(10_000, 10)] if quick else [(100_000, 100), (10_000, 10)]
    rows = []
    for n, d in shapes:
        rng = np.random.default_rng(0)
        Z = rng.standard_normal((n, d))
        y = (rng.random(n) < 0.5).astype(float)
        weights, penalty, identity = np.full(n, 1 / n), 1e-3, np.eye(d)
        params = {"coef": 0.01 * rng.standard_normal((d, 1))}
        ours = value_and_grad(losses.binary_log_loss)
        v = params["coef"][:, 0]
        # The same value and gradient, checked before timing.
        value, grad = ours(params, Z, y, weights, identity, penalty, 1.0)
        hand_value, hand_grad = handwritten_logistic(v, Z, y, weights, penalty)
        assert np.isclose(value, hand_value) and np.allclose(grad["coef"][:, 0], hand_grad)
        times = median_times({"minimom": lambda: ours(params, Z, y, weights, identity, penalty, 1.0),
                              "handwritten": lambda: handwritten_logistic(v, Z, y, weights, penalty)},
                             repeats=5 if quick else 31)
        rows.append({"shape": f"{n}x{d}", "minimom_s": times["minimom"], "handwritten_s": times["handwritten"],
                     "ratio": times["minimom"] / times["handwritten"]})
    return rows


# d. torch --------------------------------------------------------------------------------------------------
def bench_torch(quick):
    try:
        import torch
    except ImportError:
        return [{"shape": "100000x100", "skipped": "torch is not installed"}]
    n, d = (10_000, 10) if quick else (100_000, 100)
    steps = 5 if quick else 20
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.5).astype(float)

    weights = np.full(n, 1 / n)

    def loss(w, X, y):  # the mean log-loss, through minimom's built-in primitive
        return losses.weighted_binary_log_loss(X @ w, y, weights)

    def ours():
        mm.minimize(loss, np.zeros(d), args=(X, y), optimizer=mm.Momentum(0.1, 0.9), maxiter=steps, tol=0)

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def theirs():
        w = torch.zeros(d, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
        for _ in range(steps):
            opt.zero_grad()
            out = torch.nn.functional.binary_cross_entropy_with_logits(Xt @ w, yt)
            out.backward()
            opt.step()

    times = median_times({"minimom": ours, "torch": theirs}, repeats=3 if quick else 7)
    return [{"shape": f"{n}x{d}", "minimom_step_s": times["minimom"] / steps, "torch_step_s": times["torch"] / steps,
             "ratio": times["minimom"] / times["torch"]}]


# e. mini-batch ---------------------------------------------------------------------------------------------
def bench_minibatch(quick):
    n, d = (20_000, 50) if quick else (1_000_000, 50)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)

    def mse(w, X, y):
        return anp.mean((X @ w - y) ** 2)

    epochs = 2
    # Baseline in the same process: one full pass of value_and_grad over the same batches, no optimizer.
    vg = value_and_grad(mse)
    w = np.zeros(d)

    def bare_pass():
        order = rng.permutation(n)
        for start in range(0, n, 256):
            index = order[start:start + 256]
            vg(w, X[index], y[index])

    def ours():
        mm.minimize(mse, np.zeros(d), args=(X, y), optimizer=mm.Momentum(0.01, 0.9), batch_size=256,
                    maxiter=epochs, tol=0, random_state=0)

    times = median_times({"minimom": ours, "bare_value_and_grad_pass": bare_pass}, repeats=1 if quick else 3)
    per_epoch = times["minimom"] / epochs
    return [{"shape": f"{n}x{d}", "batch_size": 256, "seconds_per_epoch": per_epoch,
             "bare_pass_s": times["bare_value_and_grad_pass"],
             "ratio_to_bare_pass": per_epoch / times["bare_value_and_grad_pass"]}]


# g. callback cost ------------------------------------------------------------------------------------------
def bench_callback(quick):
    """A run with a callback that does nothing, over the same run without one: the cost of the
    intermediate result built every iteration."""
    rows = []
    for d, iterations in [(10, 500), (10, 5000)] if quick else [(10, 1000), (10, 10_000), (10_000, 1000)]:
        a = np.linspace(1.0, 10.0, d)

        def loss(x):
            return 0.5 * anp.sum(a * x**2)

        def run(callback):
            mm.minimize(loss, np.ones(d), optimizer=mm.Momentum(0.05, 0.5), maxiter=iterations, tol=0,
                        callback=callback)

        times = median_times({"no_callback": lambda: run(None), "callback": lambda: run(lambda r: None)},
                             repeats=3 if quick else 9)
        rows.append({"d": d, "iterations": iterations, "no_callback_s": times["no_callback"],
                     "callback_s": times["callback"], "ratio": times["callback"] / times["no_callback"]})
    return rows


SECTIONS = {
    "a_quadratics": bench_quadratics,
    "b_estimators": bench_estimators,
    "c_gradient_cost": bench_gradient_cost,
    "d_torch": bench_torch,
    "e_minibatch": bench_minibatch,
    "f_user_losses": bench_user_losses,
    "g_callback": bench_callback,
    "h_estimator_speed": bench_estimator_speed,
    "i_dask_fit": bench_dask_fit,
    "j_bounds": bench_bounds,
    "k_sparse": bench_sparse,
}


def print_table(title, rows):
    print(f"\n== {title} ==")
    if not rows:
        return
    keys = list(dict.fromkeys(k for row in rows for k in row))

    def show(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return "-" if v is None else str(v)

    widths = [max(len(k), *(len(show(r.get(k))) for r in rows)) for k in keys]
    print("  ".join(k.rjust(w) for k, w in zip(keys, widths)))
    for row in rows:
        print("  ".join(show(row.get(k)).rjust(w) for k, w in zip(keys, widths)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (a smoke run)")
    parser.add_argument("--output", default=str(Path(__file__).with_name("results.json")))
    parser.add_argument("--only", choices=list(SECTIONS), action="append",
                        help="run only this section (repeatable), updating the other sections' rows in --output")
    parser.add_argument("--reference-cache", default=None, metavar="DIR",
                        help="k_sparse: a folder to keep its tight reference fits in (they take up to 30 minutes each)")
    args = parser.parse_args(argv)
    output = Path(args.output)
    results = json.loads(output.read_text()) if args.only and output.exists() else {}
    results.update({"machine": {"python": platform.python_version(), "numpy": np.__version__,
                                "processor": platform.machine()}, "quick": args.quick})
    for name, bench in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        extra = {"cache": args.reference_cache} if name == "k_sparse" else {}
        results[name] = bench(args.quick, **extra)
        print_table(name, results[name])
    output.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
