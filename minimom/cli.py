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

LEGEND = """\
max|diff|  largest absolute difference over coef_ and intercept_ between the two fits
obj gap    (minimom's objective - scikit-learn's) / |scikit-learn's|, scikit-learn's objective
           evaluated at each solution by the same code; negative means minimom's solution has the
           lower objective (the reference stopped slightly short; near 1e-16 it is round-off)
score      each fit's score() on the training data (R^2, or accuracy for LogisticRegression)
iters      minimom's iterations with its default optimizer (optimizer=None), the largest over
           targets or classes
time s     fit wall time of minimom (time s) and scikit-learn (sk time s), both with BLAS
           limited to {threads} by threadpoolctl
agrees     yes when max|diff| <= the tolerance"""

EXIT_IO_ERROR = 74  # sysexits' EX_IOERR: the table could not be written (a full disk, a closed stdout)

DATASETS = {  # scikit-learn's bundled datasets, and the models compared on each
    "diabetes": ("LinearRegression", "Ridge", "Lasso", "ElasticNet"),
    "linnerud": ("LinearRegression", "Ridge", "Lasso", "ElasticNet"),  # three targets: 2-D y
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
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fit minimom's estimators and their scikit-learn counterparts (tight tolerances) on "
                    "scikit-learn's bundled datasets, standardized, and print how far apart they land. "
                    "Both sides are timed with BLAS limited to the same number of threads (--threads, "
                    "default 1). Exit status: 0 when every row agrees, 1 when one does not, 2 for bad "
                    "arguments, 74 when the table cannot be written (a full disk, a closed stdout), "
                    "130 after Ctrl-C, 141 when the reader of the output left (e.g. | head -1).",
        epilog="columns of the table:\n" + LEGEND.format(threads="--threads threads (default 1)"))
    cmp.add_argument("--dataset", action="append", type=_choice(DATASETS), metavar="NAME",
                     help=f"only this dataset (repeatable): {', '.join(DATASETS)}")
    cmp.add_argument("--model", action="append", type=_choice(MODELS), metavar="NAME",
                     help=f"only this model (repeatable): {', '.join(MODELS)}")
    cmp.add_argument("--raw", action="store_true", help="skip standardization")
    cmp.add_argument("--json", action="store_true", help="print one JSON object per row, as a JSON list")
    cmp.add_argument("--plot", metavar="FILE.png",
                     help="save convergence curves of minimom's default optimizer and three fixed-step ones "
                          "(needs matplotlib)")
    cmp.add_argument("--threads", type=_positive_int, default=1, metavar="N",
                     help="BLAS threads for both sides' fits (threadpoolctl), an integer >= 1 (default: 1); "
                          "minimom's own fits still use one thread on data under a million entries")
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
    if sys.stdout is None:  # started with stdout closed (`>&-`): the table would go nowhere
        print("minimom: error: standard output is closed; nothing to write the table to", file=sys.stderr)
        return EXIT_IO_ERROR
    reports = []
    for i, (name, model) in enumerate(chosen, 1):
        print(f"[{i}/{len(chosen)}] {name} / {model} ...", file=sys.stderr, flush=True)
        X, y = load(name, args.raw)
        estimator = MODELS[model]()
        if args.max_iter is not None:
            estimator.set_params(max_iter=args.max_iter)
        reports.append(compare(estimator, X, y, dataset=name, tolerance=args.tolerance, blas_threads=args.threads))
    if args.json:
        _write(json.dumps([r.to_dict() for r in reports], indent=1))
    else:
        _write(format_table(reports) + "\n\n"
               + LEGEND.format(threads=f"{args.threads} thread" + ("s" if args.threads > 1 else "")))
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
    if path.endswith(("/", os.sep)) or Path(path).is_dir():
        parser.error(f"--plot {path}: is a directory; give a file in it, e.g. {str(Path(path) / 'curves.png')!r}")
    extension = Path(path).suffix.lstrip(".").lower()
    if extension not in formats:
        parser.error(f"--plot {path}: the file name must end in one of {', '.join('.' + f for f in sorted(formats))}")
    folder = Path(path).parent
    if not folder.is_dir():
        parser.error(f"--plot {path}: the directory {str(folder)!r} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        parser.error(f"--plot {path}: the directory {str(folder)!r} is not writable")
    existed = Path(path).exists()
    try:  # the only sure test (root may write where os.access says no; /proc and /sys refuse even root)
        with open(path, "ab"):
            pass
    except OSError as error:
        parser.error(f"--plot {path}: cannot write there ({error.strerror}); choose another file")
    if not existed:
        os.remove(path)


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
    try:
        args = parser.parse_args(argv)  # --help and --version print, then raise SystemExit
    except SystemExit:
        if not _flush_or_silence():
            return EXIT_IO_ERROR
        raise
    try:
        if args.command != "compare":
            _write(parser.format_help().rstrip("\n"))
            return 0
        return run_compare(args, parser)
    except KeyboardInterrupt:
        print("minimom: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader left (e.g. `| head -1`): stop quietly; 141 is what shells report for SIGPIPE.
        _silence_stdout()
        return 141
    except _OutputError as error:
        # stdout refused the table (/dev/full: no space left; a closed descriptor): one line, no traceback
        _silence_stdout()
        print(f"minimom: error: cannot write to standard output: {error}", file=sys.stderr)
        return EXIT_IO_ERROR


class _OutputError(Exception):
    """Writing to stdout failed for a reason other than a reader that left."""


def _write(text: str) -> None:
    """Print ``text`` and flush it now, so that a failed write surfaces here and not at exit."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        raise
    except OSError as error:
        raise _OutputError(error.strerror or str(error)) from error


def _flush_or_silence() -> bool:
    """Flush what argparse printed; a stdout that refuses it gets one line on stderr, not a message at exit."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
        return True
    except OSError as error:
        _silence_stdout()
        if not isinstance(error, BrokenPipeError):
            print(f"minimom: error: cannot write to standard output: {error.strerror or error}", file=sys.stderr)
        return False


def _silence_stdout() -> None:
    """Point stdout at devnull, so that Python's final flush of what is still buffered does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
