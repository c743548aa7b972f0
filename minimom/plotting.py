"""Convergence plots for ``python -m minimom compare --plot`` (needs matplotlib)."""

from __future__ import annotations

import textwrap
import warnings

import numpy as np

from .comparison import MODELS
from .optimizers import GradientDescent, Momentum

DEFAULT = "default (optimizer=None)"  # what compare's table shows the iterations of

OPTIMIZERS = {  # fixed-rule baselines; learning rates from the curvature (1/L, or the heavy ball's optimum)
    "GradientDescent": lambda: GradientDescent(),
    "Momentum(0.9)": lambda: Momentum(momentum=0.9),
    "Nesterov (adaptive)": lambda: Momentum(momentum="adaptive", nesterov=True),
}

CAPTION = (
    "Objective minus optimum at each iteration (log scale) of minimom's estimator fitted with its default "
    "optimizer (optimizer=None, the one whose iterations compare's table shows: for least squares the exact "
    "solution from the second moments, one step; for LogisticRegression ConjugateMomentum) and with three "
    "fixed-rule optimizers for contrast (GradientDescent with lr = 1/L, the heavy ball Momentum(0.9) with its "
    "tuned learning rate, adaptive Nesterov), which stop at {max_iter} iterations. The objective is the "
    "estimator's internal one; the optimum is the lowest value any run reached, and gaps below 1e-16 of it "
    "are round-off."
)


def convergence_curves(estimator, X, y, max_iter: int = 300) -> dict:
    """Fit ``estimator`` with its default optimizer and each of :data:`OPTIMIZERS`.

    Returns ``{name: objective - optimum}`` per iteration, the default first
    (under the name :data:`DEFAULT`). The optimum is the lowest internal
    objective any of the runs reached; gaps are floored at ``1e-16 max(1, |optimum|)``.
    """
    curves = {DEFAULT: np.asarray(estimator.set_params(optimizer=None).fit(X, y).loss_curve_, dtype=float)}
    for name, make in OPTIMIZERS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = estimator.set_params(optimizer=make(), max_iter=max_iter).fit(X, y)
        curves[name] = np.asarray(fitted.loss_curve_, dtype=float)
    optimum = min(np.min(c) for c in curves.values() if len(c))
    floor = 1e-16 * max(1.0, abs(optimum))  # round-off: the gap cannot be resolved below this
    return {name: np.maximum(c - optimum, floor) for name, c in curves.items()}


def _grid(count: int) -> tuple[int, int]:
    """Rows and columns for ``count`` panels: at most 4 columns, the fewest spare cells (spares hold the legend)."""
    if count <= 3:
        return 1, count
    columns = min((4, 3), key=lambda c: (-count % c, -c))
    return -(-count // columns), columns


def plot_convergence(problems, path: str, max_iter: int = 300) -> None:
    """Save :func:`convergence_figure` ``(problems, max_iter)`` to ``path`` (100 dpi)."""
    convergence_figure(problems, max_iter).savefig(path, dpi=100)


def convergence_figure(problems, max_iter: int = 300):
    """One panel per ``(dataset, model, X, y)``: objective gap per iteration, log scale.

    The legend (one for all panels) and a caption go in a spare cell of the grid
    when there is one, else in a strip below the panels: no panel is left empty.
    Returns a matplotlib ``Figure`` (made without pyplot).
    """
    # A Figure made without pyplot draws and saves without a GUI, and leaves the caller's backend alone.
    from matplotlib.figure import Figure

    rows, columns = _grid(len(problems))
    spare = rows * columns - len(problems)
    caption = CAPTION.format(max_iter=max_iter)
    chars = 66 * (spare or columns)  # characters of 7.5-point text in 4.5 inches per cell
    lines = textwrap.fill(caption, chars)
    legend_columns = 1 if spare else min(4, 2 * columns)
    legend_rows = -(-(1 + len(OPTIMIZERS)) // legend_columns)
    strip = 0.0 if spare else 0.2 + 0.25 * legend_rows + 0.13 * (lines.count("\n") + 1)  # inches under the panels
    height = 3.4 * rows + strip
    fig = Figure(figsize=(4.5 * columns, height))
    grid = fig.add_gridspec(rows, columns, left=0.7 / (4.5 * columns), right=0.98, top=1 - 0.3 / height,
                            bottom=(strip + 0.5) / height, hspace=0.55, wspace=0.3)
    handles = {}
    for index, (dataset, model, X, y) in enumerate(problems):
        ax = fig.add_subplot(grid[index // columns, index % columns])
        for name, gap in convergence_curves(MODELS[model](), X, y, max_iter).items():
            default = name == DEFAULT
            (line,) = ax.semilogy(np.arange(1, len(gap) + 1), gap, label=name, color="black" if default else None,
                                  linewidth=2.2 if default else 1.2, zorder=3 if default else 2,
                                  marker="o" if len(gap) < 20 else None, markersize=5 if default else 3)
            handles.setdefault(name, line)
        ax.set_title(f"{model} on {dataset}", fontsize=10)
        ax.set_xlabel("iteration")
        ax.set_ylabel("objective - optimum")
        ax.grid(True, which="major", alpha=0.3)
    if spare:  # the legend and the caption fill the spare cells of the last row
        cell = fig.add_subplot(grid[rows - 1, columns - spare:])
        cell.axis("off")
        cell.legend(handles.values(), handles.keys(), loc="upper left", fontsize=9, frameon=False)
        cell.text(0.0, 0.62, lines, transform=cell.transAxes, fontsize=7.5, va="top")
    else:  # a strip under the panels
        fig.legend(handles.values(), handles.keys(), loc="upper left", ncol=legend_columns, fontsize=9,
                   frameon=False, bbox_to_anchor=(0.0, (strip + 0.05) / height))
        fig.text(0.01, 0.1 / height, lines, fontsize=7.5, va="bottom")
    return fig
