"""Benchmark i_dask_fit: LogisticRegression beyond memory: dask arrays on a 2-worker LocalCluster, and a memmap.

Full run: 20M x 20 float64 (3.2 GB) generated on the workers. Rows, all on the
same data: minimom on the dask arrays; dask-ml's LogisticRegression with
solver="lbfgs" and "admm" on the same cluster (a comparison only, skipped when
dask-ml is not importable; ADMM only in the full run); minimom on a memmap of the same X; scikit-learn in
memory: newton-cholesky at tol=1e-10 (the reference for agreement) and lbfgs. Each row: wall time, the growth
of the client's resident memory during the fit (sampled every 5 ms) as a
fraction of X's size, passes over X (minimom counts its own; n/a for the
others), and the largest coefficient difference from scikit-learn.

Run alone:  python benchmarks/dask_fit.py [--quick] [--rows N]   (N x 20 instead of 20M x 20)
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import minimom as mm  # noqa: E402


class PeakRSS:
    """The growth of this process's resident memory over a ``with`` block, sampled in a thread."""

    def __init__(self, interval: float = 0.005):
        import psutil

        self.process, self.interval = psutil.Process(), interval

    def __enter__(self):
        self.base = self.peak = self.process.memory_info().rss
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while not self.done.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)
        self.growth = self.peak - self.base


def _make_data(da, n, d, chunk, seed=0):
    """X with features of different scales and offsets, y from a logistic model: made on the workers."""
    rng = da.random.default_rng(seed)
    scales, offsets = np.linspace(0.5, 3.0, d), np.linspace(-1.0, 1.0, d)
    X = rng.standard_normal((n, d), chunks=(chunk, d)) * scales + offsets
    beta = np.linspace(-1.0, 1.0, d) / scales
    logits = X @ beta + 0.5 - offsets @ beta
    y = (rng.random(n, chunks=chunk) < 1 / (1 + np.exp(-logits))).astype(np.float64)
    return X, y


def _timed_fit(estimator, X, y):
    with PeakRSS() as rss, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        estimator.fit(X, y)
        seconds = time.perf_counter() - start
    return seconds, rss.growth


def _dask_ml():
    try:
        from dask_ml.linear_model import LogisticRegression
    except ImportError:
        return None
    return LogisticRegression


def bench_dask_fit(quick: bool, rows_override: int | None = None) -> list[dict]:
    try:
        import dask.array as da
        from distributed import Client, LocalCluster, wait
    except ImportError:
        return [{"case": "skipped: dask not installed (pip install 'minimom[dask]')"}]
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    n, d, chunk = (100_000, 20, 25_000) if quick else (20_000_000, 20, 1_000_000)
    if rows_override:  # a smaller full run (--rows N): the same rows, N x 20 in chunks of N / 20
        n, chunk = rows_override, max(1, rows_override // 20)
    nbytes = n * d * 8
    rows, coefs = [], {}

    def row(case, seconds, growth, passes, coef, intercept, **extra):
        coefs[case] = np.concatenate([np.ravel(coef), np.ravel(intercept)])
        rows.append({"case": case, "shape": f"{n}x{d}", "seconds": seconds, "client_rss_growth_MB": growth / 2**20,
                     "client_rss_growth_of_X": growth / nbytes, "passes_over_X": passes, **extra})
        print("  row:", rows[-1], flush=True)  # progress, for long runs

    folder = Path(tempfile.mkdtemp(dir=os.environ.get("MINIMOM_BENCH_TMP")))
    path = folder / "X.npy"
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        X, y = _make_data(da, n, d, chunk)
        X, y = client.persist([X, y])
        wait([X, y])

        ours = mm.LogisticRegression()
        seconds, growth = _timed_fit(ours, X, y)
        row("minimom, dask", seconds, growth, getattr(ours, "n_passes_", None), ours.coef_, ours.intercept_,
            iterations=int(ours.n_iter_[0]), dask_predict=type(ours.predict(X)).__module__.split(".")[0])

        DaskMLLogistic = _dask_ml()
        if DaskMLLogistic is not None:
            theirs = DaskMLLogistic(solver="lbfgs", C=1.0)
            seconds, growth = _timed_fit(theirs, X, y)
            row("dask-ml lbfgs, dask", seconds, growth, None, theirs.coef_, theirs.intercept_)

        disk = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, d))
        for start in range(0, n, chunk):  # one chunk at a time from the workers to the file
            disk[start:start + chunk] = X[start:start + chunk].compute()
        disk.flush()
        del disk
        y_memory = y.compute()

        X_disk = np.load(path, mmap_mode="r")
        ours = mm.LogisticRegression()
        seconds, growth = _timed_fit(ours, X_disk, y_memory)
        row("minimom, memmap", seconds, growth, getattr(ours, "n_passes_", None), ours.coef_, ours.intercept_,
            iterations=int(ours.n_iter_[0]))

        X_memory = np.array(X_disk)
        del X_disk
        for solver in ("newton-cholesky", "lbfgs"):  # newton-cholesky at 1e-10 is the reference
            reference = SkLogisticRegression(C=1.0, solver=solver, tol=1e-10, max_iter=10_000)
            seconds, growth = _timed_fit(reference, X_memory, y_memory)  # X itself was loaded before
            row(f"scikit-learn {solver}, in memory", seconds, growth, None, reference.coef_, reference.intercept_,
                iterations=int(reference.n_iter_[0]))
        del X_memory
        if DaskMLLogistic is not None and not quick:  # ADMM last: the slowest by far
            theirs = DaskMLLogistic(solver="admm", C=1.0)
            seconds, growth = _timed_fit(theirs, X, y)
            row("dask-ml admm, dask", seconds, growth, None, theirs.coef_, theirs.intercept_)
    finally:
        client.close()
        cluster.close()
        path.unlink(missing_ok=True)
        folder.rmdir()
    exact = coefs["scikit-learn newton-cholesky, in memory"]
    for r in rows:
        r["max_abs_diff_vs_sklearn"] = float(np.max(np.abs(coefs[r["case"]] - exact)))
    dask_seconds = rows[0]["seconds"]
    for r in rows:
        r["seconds_over_minimom_dask"] = r["seconds"] / dask_seconds
    return rows


if __name__ == "__main__":
    import json

    quick = "--quick" in sys.argv
    rows_override = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else None
    for r in bench_dask_fit(quick, rows_override):
        print(json.dumps(r))
