"""The figures of docs/benchmarks.md, drawn from benchmarks/results.json (no benchmark is rerun).

Run: python benchmarks/figures.py [RESULTS_JSON] [OUTPUT_DIR]   (defaults: benchmarks/results.json, docs/images)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

ROOT = Path(__file__).resolve().parents[1]


def _finish(fig, ax, path: Path, xlabel: str, ylabel: str, title: str) -> None:
    """Labels, a light grid and the legend, then the file."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7.5)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def quadratics(rows, path: Path) -> None:
    """Section a: iterations to relative error 1e-8 against the condition number."""
    fig = Figure(figsize=(6.5, 3.8))
    ax = fig.subplots()
    kappa = [row["kappa"] for row in rows]
    for key, label, style in [("momentum_auto", "Momentum() (default, per step)", "k-o"),
                              ("tuned_heavy_ball", "TunedMomentum() (heavy ball)", "-s"),
                              ("tuned_nesterov", "TunedMomentum(nesterov=True)", "-^"),
                              ("gradient_descent", "GradientDescent (lr = 1/L)", "-v"),
                              ("theory_bound", "heavy ball's bound sqrt(kappa) ln(1e8)", "--")]:
        points = [(k, row[key]) for k, row in zip(kappa, rows) if row[key] is not None]
        ax.loglog(*zip(*points), style, label=label, markersize=4)
    _finish(fig, ax, path, "condition number kappa (d = 200)", "iterations to relative error 1e-8",
            "Quadratics (section a)")


def user_losses(rows, path: Path) -> None:
    """Section f: time minimom / L-BFGS-B per problem both solve, sorted, both stopping rules."""
    problems = [row for row in rows if not row["problem"].startswith("SUMMARY")]
    fig = Figure(figsize=(6.5, 3.8))
    ax = fig.subplots()
    for key, label in [("ratio", "vs L-BFGS-B's defaults"), ("ratio_same_stop", "vs L-BFGS-B, ftol=0 (same stop)")]:
        ratios = np.sort([row[key] for row in problems if row.get(key) is not None])
        ax.semilogy(np.arange(1, len(ratios) + 1), ratios, "o-", markersize=3,
                    label=f"{label}: median {np.median(ratios):.2f}x of {len(ratios)}")
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks([0.5, 0.7, 1, 1.5, 2, 3, 5, 8])
    _finish(fig, ax, path, "problem (sorted by ratio)", "time minimom / time L-BFGS-B",
            "User losses: Moré-Garbow-Hillstrom + logistic (section f)")


def estimators(rows, path: Path) -> None:
    """Section h: estimator fit time / scikit-learn's fastest exact solver, per case."""
    cases = [row for row in rows if "sklearn" in row and row.get("ratio")]
    fig = Figure(figsize=(8, 3.8))
    ax = fig.subplots()
    names = [f"{row['case']} ({row['sklearn']})".replace("make_classification", "classification")
             .replace("make_regression", "regression").replace(" LinearRegression", " OLS") for row in cases]
    ratios = [row["ratio"] for row in cases]
    ax.barh(np.arange(len(cases)), ratios, color=["tab:green" if r < 1 else "tab:orange" for r in ratios])
    ax.axvline(1.0, color="k", linewidth=0.8)
    ax.set_yticks(np.arange(len(cases)), names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("fit time minimom / scikit-learn (below 1: minimom faster)")
    ax.set_title("Fit time against scikit-learn's fastest exact solver (section h)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(results: Path, out_dir: Path) -> None:
    data = json.loads(results.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    quadratics(data["a_quadratics"], out_dir / "bench_quadratics.png")
    user_losses(data["f_user_losses"], out_dir / "bench_user_losses.png")
    estimators(data["h_estimator_speed"], out_dir / "bench_estimators.png")
    print(f"figures written to {out_dir}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "benchmarks" / "results.json",
         Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "images")
