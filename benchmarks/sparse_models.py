"""Section j (issue 19): sparse models against the fastest scikit-learn solver that reaches the same answer.

For every problem a tight reference is computed first (scikit-learn's LassoLars for the dense Lasso,
coordinate descent with tol=1e-15 for the others, saga with tol=1e-14 for logistic regression), and every
candidate solver is asked to reach it: a candidate *reaches* it when ``max |coef - coef_ref|`` (intercepts
included) is ``<= 1e-6``. For each scikit-learn solver the loosest tolerance of a ladder that reaches it is
kept, and the fastest such (solver, tol) is the baseline; minimom runs with its defaults. Times are medians of
interleaved repeats with BLAS on one thread (threadpoolctl). skglm (a benchmark-only install) is timed the
same way and printed beside, never required.

Problems: benchopt's simulated Lasso data (rows N(0, Sigma) with Sigma_ij = rho^|i-j|, rho in {0, 0.6}, a
10%-sparse true w (at most 100 features), SNR 3) for (n, p) in {(100, 10000), (500, 600), (10000, 100)} and
alpha in {0.1, 0.01} * alpha_max; a text-like sparse CSR set (tf-idf-like, Zipf-distributed column
frequencies); L1 and elastic-net logistic regression, binary and 3-class.

Run:  python benchmarks/sparse_models.py [--quick]      (or through run.py: --only k_sparse)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import linear_model as sk
from threadpoolctl import threadpool_limits

import minimom as mm

REACH = 1e-6
TOLS = (1e-4, 1e-6, 1e-8, 1e-10, 1e-12)
QUICK_TOLS = (1e-10,)
_QUICK = []  # set by bench_sparse: a smoke run tries fewer tolerances


def _tols():
    return QUICK_TOLS if _QUICK else TOLS


def simulated(n, p, rho, seed=0):
    """benchopt's ``make_correlated_data``: AR(1) correlated columns, sparse ground truth, SNR 3."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    w = np.zeros(p)
    support = rng.choice(p, min(100, max(1, p // 10)), replace=False)
    w[support] = rng.standard_normal(len(support))
    signal = X @ w
    y = signal + rng.standard_normal(n) * np.std(signal) / 3
    return X, y


def text_like(n, p, seed=0):
    """A tf-idf-like CSR matrix: Zipf column frequencies, ~0.5% density, l2-normalized rows; a sparse linear target."""
    rng = np.random.default_rng(seed)
    frequencies = 1.0 / np.arange(1, p + 1) ** 0.8
    entries = int(0.005 * n * p)
    columns = rng.choice(p, entries, p=frequencies / frequencies.sum())
    rows = rng.integers(0, n, entries)
    counts = sp.csr_matrix((rng.integers(1, 4, entries).astype(float), (rows, columns)), shape=(n, p))
    counts.sum_duplicates()
    document_frequency = np.bincount(counts.indices, minlength=p)
    X = sp.csr_matrix(counts.multiply(np.log(1 + n / (1 + document_frequency))[None, :]))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.csr_matrix(X.multiply(1 / np.maximum(norms, 1e-12)[:, None]))
    w = np.zeros(p)
    w[rng.choice(100, 50, replace=False)] = rng.standard_normal(50) * 5  # among the frequent words
    y = X @ w + 0.1 * rng.standard_normal(n)
    return X, y


def alpha_max(X, y):
    Xc = X - X.mean(axis=0) if not sp.issparse(X) else X
    correlation = np.asarray(Xc.T @ (y - y.mean())).ravel()
    if sp.issparse(X):
        correlation -= np.asarray(X.mean(axis=0)).ravel() * np.sum(y - y.mean())
    return np.max(np.abs(correlation)) / len(y)


def _error(fit, ref):
    coef = np.asarray(fit.coef_, dtype=float).ravel()
    intercept = np.atleast_1d(np.asarray(fit.intercept_, dtype=float))
    ref_intercept = np.atleast_1d(np.asarray(ref[1], dtype=float))
    if len(intercept) > 1:  # softmax intercepts: compare the sum-zero representatives
        intercept, ref_intercept = intercept - intercept.mean(), ref_intercept - ref_intercept.mean()
    return max(np.max(np.abs(coef - ref[0].ravel())), np.max(np.abs(intercept - ref_intercept)))


def _fit(make, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().fit(X, y)


def _loosest_reaching(ladder, X, y, ref):
    """The first ``(label, make)`` of the ladder (loosest first) whose fit reaches the reference, or None."""
    for label, make in ladder:
        if _error(_fit(make, X, y), ref) <= REACH:
            return label, make
    return None


def _timed(candidates, X, y, repeats):
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, make in candidates.items():
            start = time.perf_counter()
            _fit(make, X, y)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _lasso_ladders(alpha, l1_ratio, X):
    if l1_ratio == 1.0:
        ladders = {"cd": [(f"cd tol={t:g}", lambda t=t: sk.Lasso(alpha=alpha, tol=t, max_iter=100_000))
                          for t in _tols()]}
        if not sp.issparse(X):  # LARS: exact, and the fastest when the support is about n
            ladders["lars"] = [("lars", lambda: sk.LassoLars(alpha=alpha))]
    else:
        ladders = {"cd": [(f"cd tol={t:g}", lambda t=t: sk.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=t,
                                                                       max_iter=100_000)) for t in _tols()]}
    return ladders


def _skglm_ladder(alpha, l1_ratio, logistic=False, C=None, n=None):
    if _QUICK:  # a smoke run skips skglm: its numba compilation alone takes longer than the rest
        return None
    try:
        import skglm
    except ImportError:
        return None
    if logistic:
        return [(f"skglm tol={t:g}", lambda t=t: skglm.SparseLogisticRegression(
            alpha=1.0 / (C * n), l1_ratio=l1_ratio, tol=t, max_iter=100)) for t in _tols()]
    if l1_ratio == 1.0:
        return [(f"skglm tol={t:g}", lambda t=t: skglm.Lasso(alpha=alpha, tol=t, max_iter=100)) for t in _tols()]
    return [(f"skglm tol={t:g}", lambda t=t: skglm.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=t, max_iter=100))
            for t in _tols()]


def _reference(name, X, y, ref_make, cache):
    """``((coef, intercept), seconds)`` of the tight reference fit, read from ``cache`` (a folder) when it is there.

    The reference does not depend on minimom; a cache (keyed by the problem's name and a hash of its data)
    spares the slowest part of a rerun (coordinate descent at tol=1e-15 on the text-like set takes minutes).
    """
    path = None
    if cache:
        digest = hashlib.sha1()
        for part in ((X.data, X.indices, X.indptr) if sp.issparse(X) else (X,)) + (y,):
            digest.update(np.ascontiguousarray(part).tobytes())
        path = os.path.join(cache, f"{digest.hexdigest()[:16]}-{name.replace(' ', '_').replace('=', '')}.npz")
        if os.path.exists(path):
            stored = np.load(path)
            return (stored["coef"], stored["intercept"]), float(stored["seconds"])
    start = time.perf_counter()
    ref_fit = _fit(ref_make, X, y)
    seconds = time.perf_counter() - start
    ref = (np.asarray(ref_fit.coef_, dtype=float), np.asarray(ref_fit.intercept_, dtype=float))
    if path:
        os.makedirs(cache, exist_ok=True)
        np.savez(path, coef=ref[0], intercept=ref[1], seconds=seconds)
    return ref, seconds


def bench_problem(name, X, y, ours, ref_make, ladders, skglm_ladder, repeats, cache=None):
    """One row: the reference, the fastest reaching scikit-learn solver, minimom, and skglm beside."""
    ref, ref_time = _reference(name, X, y, ref_make, cache)
    ours_error = _error(_fit(ours, X, y), ref)
    reaching = {}
    for ladder in ladders.values():
        found = _loosest_reaching(ladder, X, y, ref)
        if found is not None:
            reaching[found[0]] = found[1]
    skglm_found = _loosest_reaching(skglm_ladder, X, y, ref) if skglm_ladder else None
    candidates = {"minimom": ours, **reaching}
    if skglm_found is not None:
        candidates[skglm_found[0]] = skglm_found[1]
    times = _timed(candidates, X, y, repeats)
    sklearn_times = {k: v for k, v in times.items() if k in reaching}
    fastest = min(sklearn_times, key=sklearn_times.get) if sklearn_times else None
    row = {"problem": name, "shape": f"{X.shape[0]}x{X.shape[1]}", "nnz_coef": int(np.sum(ref[0] != 0)),
           "minimom_s": times["minimom"], "minimom_error": ours_error,
           "sklearn": fastest, "sklearn_s": sklearn_times.get(fastest),
           "ratio": times["minimom"] / sklearn_times[fastest] if fastest else None,
           "skglm": skglm_found[0] if skglm_found else None,
           "skglm_s": times.get(skglm_found[0]) if skglm_found else None, "reference_s": ref_time}
    return row


def lasso_problems(quick):
    if quick:  # a smoke run: two small problems
        X, y = simulated(40, 80, 0.6)
        yield "lasso rho=0.6 alpha=0.1max", X, y, 0.1 * alpha_max(X, y), 1.0
        X, y = text_like(60, 200)
        yield "enet(0.5) text-like CSR alpha=0.1max", X, y, 0.1 * alpha_max(X, y), 0.5
        return
    for n, p in [(100, 10_000), (500, 600), (10_000, 100)]:
        for rho in (0.0, 0.6):
            X, y = simulated(n, p, rho)
            top = alpha_max(X, y)
            for fraction in (0.1, 0.01):
                yield f"lasso rho={rho} alpha={fraction}max", X, y, top * fraction, 1.0
    X, y = text_like(2000, 20_000)
    top = alpha_max(X, y)
    yield "lasso text-like CSR alpha=0.1max", X, y, 0.1 * top, 1.0
    yield "enet(0.5) text-like CSR alpha=0.05max", X, y, 0.05 * top, 0.5


def logistic_problems(quick):
    n, p = (60, 10) if quick else (1000, 500)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p))
    w = np.zeros((p, 3))
    w[rng.choice(p, 10, replace=False)] = rng.standard_normal((10, 3)) * 2
    scores = X @ w + rng.gumbel(size=(n, 3))
    binary, multi = (scores[:, 0] > scores[:, 1]).astype(int), scores.argmax(axis=1)
    for l1_ratio in (1.0,) if quick else (1.0, 0.5):
        yield f"logistic binary l1_ratio={l1_ratio} C=0.1", X, binary, 0.1, l1_ratio
        yield f"logistic 3-class l1_ratio={l1_ratio} C=0.1", X, multi, 0.1, l1_ratio


def bench_sparse(quick=False, report=None, only=None, cache=None) -> list:
    """Rows of section j; a last SUMMARY row with the median and worst ratio.

    ``only``: run only the problems whose name contains it; ``cache``: a folder for the reference fits.
    """
    rows = []
    repeats = 1 if quick else 3
    _QUICK[:] = [True] if quick else []
    with threadpool_limits(limits=1, user_api="blas"):
        for name, X, y, alpha, l1_ratio in lasso_problems(quick):
            if only and only not in f"{X.shape[0]}x{X.shape[1]} {name}":
                continue
            if l1_ratio == 1.0:
                def ours(alpha=alpha):
                    return mm.Lasso(alpha=alpha)
            else:
                def ours(alpha=alpha, l1_ratio=l1_ratio):
                    return mm.ElasticNet(alpha=alpha, l1_ratio=l1_ratio)

            use_lars = l1_ratio == 1.0 and not sp.issparse(X)

            def reference(alpha=alpha, l1_ratio=l1_ratio, lars=use_lars):
                # LARS is exact (a homotopy to rounding) and much faster than coordinate descent at tol=1e-15
                if lars:
                    return sk.LassoLars(alpha=alpha)
                return sk.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-15, max_iter=1_000_000)

            rows.append(bench_problem(name, X, y, ours, reference, _lasso_ladders(alpha, l1_ratio, X),
                                      _skglm_ladder(alpha, l1_ratio), repeats, cache))
            if report:
                report(rows[-1])
        for name, X, y, C, l1_ratio in logistic_problems(quick):
            if only and only not in name:
                continue

            def ours(C=C, l1_ratio=l1_ratio):
                return mm.LogisticRegression(C=C, l1_ratio=l1_ratio)

            def reference(C=C, l1_ratio=l1_ratio):
                return sk.LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-14, max_iter=1_000_000)

            ladders = {"saga": [(f"saga tol={t:g}", lambda t=t, C=C, r=l1_ratio: sk.LogisticRegression(
                C=C, l1_ratio=r, solver="saga", tol=t, max_iter=100_000)) for t in _tols()]}
            binary = len(np.unique(y)) == 2
            if binary and l1_ratio == 1.0:
                ladders["liblinear"] = [(f"liblinear tol={t:g}", lambda t=t, C=C: sk.LogisticRegression(
                    C=C, l1_ratio=1.0, solver="liblinear", intercept_scaling=1e4, tol=t, max_iter=100_000))
                    for t in _tols()]
            skglm_ladder = _skglm_ladder(None, l1_ratio, logistic=True, C=C, n=len(y)) if binary else None
            rows.append(bench_problem(name, X, y, ours, reference, ladders, skglm_ladder, repeats, cache))
            if report:
                report(rows[-1])
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    rows.append({"problem": "SUMMARY", "median_ratio": statistics.median(ratios), "worst_ratio": max(ratios),
                 "target_median": 1.0, "target_worst": 2.0,
                 "minimom_reached_all": all(r["minimom_error"] <= REACH for r in rows)})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=None, help="only problems whose shape and name ('500x600 lasso rho=0.6 "
                        "alpha=0.1max') contain this")
    parser.add_argument("--reference-cache", default=None, help="a folder to keep the reference fits in")
    args = parser.parse_args(argv)
    rows = bench_sparse(args.quick, report=lambda row: print(
        {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in row.items()}, flush=True),
        only=args.only, cache=args.reference_cache)
    print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
