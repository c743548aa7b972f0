"""Run minimom's benchopt solvers in benchopt's own benchmarks, and draw the convergence curves.

benchopt (a benchmark-only install: ``pip install benchopt``) and the benchmark folders are not part of
minimom. Get the benchmarks once, side by side in one folder::

    git clone https://github.com/benchopt/benchmark_logreg_l2 BENCH/benchmark_logreg_l2
    git clone https://github.com/benchopt/benchmark_ridge     BENCH/benchmark_ridge
    git clone https://github.com/benchopt/benchmark_lasso     BENCH/benchmark_lasso

then ``python benchmarks/benchopt/run.py BENCH`` copies each benchmark to a scratch folder, adds our
solver files (``benchmarks/benchopt/<name>/solvers/*.py``) to its ``solvers/``, runs ``benchopt run`` on
the benchmark's own simulated datasets with minimom, scikit-learn's and scipy's solvers, and writes:

- ``docs/images/benchopt_<name>.png``: objective minus the best value any solver reached, against time;
- ``benchmarks/benchopt/results/<name>.csv``: the curves (solver, dataset, objective, time, value).

``--quick`` runs fewer points per curve. Nothing from the benchmarks is committed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# benchmark -> (datasets, objectives, solvers); names and parameters as benchopt's command line takes them
RUNS = {
    "logreg_l2": (
        ["simulated[n_samples=1000,n_features=10]", "simulated[n_samples=200,n_features=500]"],
        ["L2 Logistic Regression[lmbd=1.0]", "L2 Logistic Regression[lmbd=0.01]"],
        ["minimom", "scipy-lbfgsb", "sklearn[solver=lbfgs]", "sklearn[solver=newton-cholesky]"],
    ),
    "ridge": (
        ["simulated[n_samples=1000,n_features=500]", "simulated[n_samples=5000,n_features=200]"],
        ["Ridge Regression[fit_intercept=False,lmbd=0.1]", "Ridge Regression[fit_intercept=True,lmbd=0.1]"],
        ["minimom", "scipy-lbfgsb", "sklearn"],
    ),
    "lasso": (
        ["simulated[n_samples=500,n_features=600,rho=0]", "simulated[n_samples=10000,n_features=100,rho=0.6]"],
        ["Lasso Regression[fit_intercept=False,reg=0.1]"],
        ["minimom", "L-BFGS-B", "sklearn"],
    ),
}


def run_benchopt_cli(argv: list[str]) -> int:
    """benchopt's command line, with one shim: the benchmarks' Dataset classes define ``__init__`` without
    calling ``super().__init__()``, which benchopt >= 1.9 needs for its seed bookkeeping (``_used_seed``)."""
    from benchopt.base import BaseDataset
    from benchopt.cli import benchopt

    BaseDataset._used_seed = None
    return benchopt(argv, standalone_mode=False) or 0


def run_one(name: str, source: Path, scratch: Path, max_runs: int, timeout: str) -> Path:
    """Copy the benchmark, add our solvers, run it; returns the parquet file of results."""
    bench = scratch / f"benchmark_{name}"
    shutil.copytree(source, bench, ignore=shutil.ignore_patterns(".git", "outputs", "__cache__"))
    for solver in sorted((HERE / name / "solvers").glob("*.py")):
        shutil.copy(solver, bench / "solvers" / solver.name)
    datasets, objectives, solvers = RUNS[name]
    output = scratch / f"{name}.parquet"
    argv = ["run", str(bench), "-n", str(max_runs), "-r", "1", "--timeout", timeout, "--no-plot",
            "--output", str(output)]
    for flag, values in (("-d", datasets), ("-o", objectives), ("-s", solvers)):
        for value in values:
            argv += [flag, value]
    env = {**os.environ, "PYTHONWARNINGS": "ignore::FutureWarning",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, __file__, "--benchopt-cli", *argv], env=env, cwd=scratch)
    if done.returncode != 0 or not output.exists():
        raise SystemExit(f"benchopt run of {name} failed (exit {done.returncode})")
    return output


def curves(parquet: Path):
    """The results as a table: solver, dataset, objective, time, value (the benchmark's objective)."""
    import pandas as pd

    frame = pd.read_parquet(parquet)
    table = frame[["solver_name", "dataset_name", "objective_name", "stop_val", "time", "objective_value"]]
    return table.rename(columns={"solver_name": "solver", "dataset_name": "dataset", "objective_name": "objective",
                                 "objective_value": "value"}).sort_values(["dataset", "objective", "solver", "time"])


def plot(table, name: str, path: Path, skipped: str | None) -> None:
    """One panel per (dataset, objective): value - best value reached by any solver, against time (log-log)."""
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter

    panels = list(table.groupby(["dataset", "objective"], sort=True))
    columns = min(2, len(panels))
    rows = -(-len(panels) // columns)
    fig = Figure(figsize=(5.6 * columns, 3.6 * rows + 0.5))
    axes = fig.subplots(rows, columns, squeeze=False)
    solvers = sorted(table["solver"].unique(), key=lambda s: (not s.startswith("minimom"), s))
    colors = {solver: f"C{i}" for i, solver in enumerate(solvers)}
    for ax, ((dataset, objective), panel) in zip(axes.flat, panels):
        best = panel["value"].min()
        floor = 1e-14 * max(1.0, abs(best))
        for solver, rows_of in panel.groupby("solver"):
            rows_of = rows_of[rows_of["stop_val"] > 0].sort_values("stop_val")  # in budget order, as benchopt
            gap = np.maximum(rows_of["value"].to_numpy() - best, floor)
            ax.loglog(rows_of["time"], gap, marker="o", markersize=3, color=colors[solver],
                      linewidth=2.2 if solver.startswith("minimom") else 1.2, label=solver)
        ax.set_title(f"{dataset}\n{objective}", fontsize=8.5)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("time (s)")
        ax.set_ylabel("objective - best reached")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.remove()
    caption = f"benchopt's benchmark_{name}, its simulated datasets; minimom's default optimizer."
    if skipped:
        caption += f" minimom skipped: {skipped}."
    fig.suptitle(caption, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def _skipped(table, name: str) -> str | None:
    """Why minimom has no curve in ``table``, if it has none."""
    if table["solver"].str.startswith("minimom").any():
        return None
    return "see the benchopt log"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--benchopt-cli"]:
        return run_benchopt_cli(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmarks", type=Path, nargs="?",
                        help="the folder holding benchmark_logreg_l2, _ridge and _lasso")
    parser.add_argument("--only", choices=list(RUNS), action="append", help="one benchmark (repeatable)")
    parser.add_argument("--quick", action="store_true", help="10 points per curve, 30 s per solver")
    parser.add_argument("--images", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--replot", action="store_true", help="redraw the figures from the results' CSV files")
    args = parser.parse_args(argv)
    if args.replot:
        import pandas as pd

        for name in args.only or list(RUNS):
            table = pd.read_csv(args.results / f"{name}.csv")
            plot(table, name, args.images / f"benchopt_{name}.png", _skipped(table, name))
        return 0
    if args.benchmarks is None:
        parser.error("give the folder that holds the benchmarks (or --replot)")
    try:
        import benchopt  # noqa: F401
    except ImportError:
        parser.error("benchopt is not installed: pip install benchopt (a benchmark-only install)")
    args.results.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(RUNS):
        source = args.benchmarks / f"benchmark_{name}"
        if not (source / "objective.py").is_file():
            parser.error(f"{source} is not a benchopt benchmark; see the cloning commands in {__file__}")
        with tempfile.TemporaryDirectory() as scratch:
            parquet = run_one(name, source, Path(scratch), 10 if args.quick else 40, "30" if args.quick else "120")
            table = curves(parquet)
        table.to_csv(args.results / f"{name}.csv", index=False, float_format="%.10g")
        plot(table, name, args.images / f"benchopt_{name}.png", _skipped(table, name))
        print(f"{name}: {len(table)} points, curves in {args.images / f'benchopt_{name}.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
