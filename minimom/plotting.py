"""Convergence plots for ``python -m minimom compare --plot`` (needs matplotlib)."""

from __future__ import annotations

import warnings

import numpy as np

from .comparison import MODELS
from .optimizers import GradientDescent, Momentum

OPTIMIZERS = {  # learning rates from the curvature (1 / L, or the heavy ball's optimum for its momentum)
    "GradientDescent": lambda: GradientDescent(),
    "Momentum(0.9)": lambda: Momentum(momentum=0.9),
    "Nesterov (adaptive)": lambda: Momentum(momentum="adaptive", nesterov=True),
}


def convergence_curves(estimator, X, y, max_iter: int = 300) -> dict:
    """Fit ``estimator`` with each optimizer; return ``{name: objective - optimum}`` per iteration.

    The optimum is the internal objective of a default fit run to its (tight) tolerance.
    """
    optimum = np.min(estimator.fit(X, y).loss_curve_, initial=np.inf)
    curves = {}
    for name, make in OPTIMIZERS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = estimator.set_params(optimizer=make(), max_iter=max_iter).fit(X, y)
        curves[name] = fitted.loss_curve_
    optimum = min(optimum, *(np.min(c) for c in curves.values() if len(c)))
    floor = 1e-16 * max(1.0, abs(optimum))  # round-off: the gap cannot be resolved below this
    return {name: np.maximum(c - optimum, floor) for name, c in curves.items()}


def plot_convergence(problems, path: str, max_iter: int = 300) -> None:
    """One panel per ``(dataset, model, X, y)``: objective gap per iteration, log scale; saved to ``path``."""
    # A Figure made without pyplot draws and saves without a GUI, and leaves the caller's backend alone.
    from matplotlib.figure import Figure

    columns = min(3, len(problems))
    rows = -(-len(problems) // columns)
    fig = Figure(figsize=(4.5 * columns, 3.4 * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, (dataset, model, X, y) in zip(axes.flat, problems):
        for name, gap in convergence_curves(MODELS[model](), X, y, max_iter).items():
            ax.semilogy(np.arange(1, len(gap) + 1), gap, label=name, marker="o" if len(gap) < 20 else None)
        ax.set_title(f"{model} on {dataset}", fontsize=10)
        ax.set_xlabel("iteration")
        ax.set_ylabel("objective - optimum")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(problems):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
