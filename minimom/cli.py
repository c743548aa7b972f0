"""The ``minimom`` command line: ``python -m minimom compare`` checks minimom against scikit-learn."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from sklearn import datasets
from sklearn.preprocessing import StandardScaler

from .comparison import MODELS, compare

DATASETS = {  # scikit-learn's bundled datasets, and the models compared on each
    "diabetes": ("LinearRegression", "Ridge", "Lasso", "ElasticNet"),
    "linnerud": ("Ridge",),
    "breast_cancer": ("LogisticRegression",),
    "iris": ("LogisticRegression",),
    "wine": ("LogisticRegression",),
    "digits": ("LogisticRegression",),
}


def _choice(valid):
    by_lower = {name.lower(): name for name in valid}

    def parse(text: str) -> str:
        try:
            return by_lower[text.lower()]
        except KeyError:
            raise argparse.ArgumentTypeError(f"unknown name {text!r}; valid names: {', '.join(valid)}") from None

    return parse


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}; e.g. 1e-6")
    return value


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit status 2 (argparse would add the usage first)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="minimom", description="Gradient-based optimization with momentum.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    cmp = commands.add_parser(
        "compare", help="fit minimom's models and scikit-learn's on bundled datasets and compare them",
        description="Fit minimom's estimators and their scikit-learn counterparts (tight tolerances) on "
                    "scikit-learn's bundled datasets, standardized, and print how far apart they land. "
                    "Exit status: 0 when every row agrees, 1 when one does not, 2 for bad arguments.")
    cmp.add_argument("--dataset", action="append", type=_choice(DATASETS), metavar="NAME",
                     help=f"only this dataset (repeatable): {', '.join(DATASETS)}")
    cmp.add_argument("--model", action="append", type=_choice(MODELS), metavar="NAME",
                     help=f"only this model (repeatable): {', '.join(MODELS)}")
    cmp.add_argument("--raw", action="store_true", help="skip standardization")
    cmp.add_argument("--json", action="store_true", help="print one JSON object per row, as a JSON list")
    cmp.add_argument("--plot", metavar="FILE.png", help="save convergence curves (needs matplotlib)")
    cmp.add_argument("--max-iter", type=_positive_int, default=None, metavar="N",
                     help="minimom's max_iter, an integer >= 1 (default: its own)")
    cmp.add_argument("--tolerance", type=_tolerance, default=1e-6,
                     help="largest coefficient difference that agrees, a number >= 0")
    return parser


def cases(dataset_names=None, model_names=None):
    """The ``(dataset, model)`` pairs to compare, in table order."""
    return [(d, m) for d, models in DATASETS.items() for m in models
            if (not dataset_names or d in dataset_names) and (not model_names or m in model_names)]


def load(name: str, raw: bool = False):
    """A bundled dataset as ``(X, y)``, standardized unless ``raw``."""
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return (X if raw else StandardScaler().fit_transform(X)), y


def run_compare(args, parser) -> int:
    chosen = cases(args.dataset, args.model)
    if not chosen:
        parser.error("no dataset/model pair matches; valid pairs: "
                     + ", ".join(f"{d}/{m}" for d, m in cases()))
    if args.plot:
        _check_plot_path(args.plot, parser)
    reports = []
    for i, (name, model) in enumerate(chosen, 1):
        print(f"[{i}/{len(chosen)}] {name} / {model} ...", file=sys.stderr, flush=True)
        X, y = load(name, args.raw)
        estimator = MODELS[model]()
        if args.max_iter is not None:
            estimator.set_params(max_iter=args.max_iter)
        reports.append(compare(estimator, X, y, dataset=name, tolerance=args.tolerance))
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=1))
    else:
        print(format_table(reports))
    if args.plot:
        from .plotting import plot_convergence

        # Lasso and ElasticNet are fitted by coordinate descent, not by minimize's optimizers: no curves to draw.
        curves = [(name, model) for name, model in chosen if model not in ("Lasso", "ElasticNet")]
        if curves:
            plot_convergence([(name, model, *load(name, args.raw)) for name, model in curves], args.plot)
            print(f"convergence curves saved to {args.plot}", file=sys.stderr)
        else:
            print("no convergence curves: Lasso and ElasticNet are fitted by coordinate descent, not by an "
                  "optimizer", file=sys.stderr)
    return 0 if all(r.agrees for r in reports) else 1


def _check_plot_path(path: str, parser) -> None:
    """Fail before any fitting if the figure could not be saved to ``path``."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        parser.error("--plot needs matplotlib: pip install 'minimom[plot]'")
    formats = FigureCanvasBase.get_supported_filetypes()
    extension = Path(path).suffix.lstrip(".").lower()
    if extension not in formats:
        parser.error(f"--plot {path}: the file name must end in one of {', '.join('.' + f for f in sorted(formats))}")
    folder = Path(path).parent
    if not folder.is_dir():
        parser.error(f"--plot {path}: the directory {str(folder)!r} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        parser.error(f"--plot {path}: the directory {str(folder)!r} is not writable")


def format_table(reports) -> str:
    """The comparison as a fixed-width text table."""
    header = (f"{'dataset':<14}{'model':<20}{'max|diff|':>10}{'obj gap':>10}{'score':>9}{'sk score':>9}"
              f"{'iters':>7}{'time s':>8}{'sk time s':>10}  agrees")
    lines = [header, "-" * len(header)]
    for r in reports:
        lines.append(f"{r.dataset:<14}{r.model:<20}{r.max_abs_diff:>10.1e}{r.objective_gap:>10.1e}{r.score:>9.4f}"
                     f"{r.score_reference:>9.4f}{r.n_iter:>7d}{r.fit_time:>8.3f}{r.fit_time_reference:>10.3f}  "
                     f"{'yes' if r.agrees else 'NO'}")
    agreed = sum(r.agrees for r in reports)
    lines.append(f"{agreed} of {len(reports)} agree within {reports[0].tolerance:g}." if reports else "")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (130 after Ctrl-C, as shells report SIGINT)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = run_compare(args, parser) if args.command == "compare" else parser.print_help() or 0
        sys.stdout.flush()  # here, so that a reader who left shows as BrokenPipeError below, not at exit
        return status
    except KeyboardInterrupt:
        print("minimom: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader left (e.g. `| head -1`): stop quietly. Point stdout at devnull so that
        # Python's final flush does not raise again; 141 is what shells report for SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
