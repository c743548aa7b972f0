"""What the two suite harnesses share: scipy's and scikit-learn's own tests run against minimom.

``benchmarks/scipy_suite`` and ``benchmarks/sklearn_suite`` each find the test files shipped with
the installed library, pick the CI subset, say which minimom they tested, and record every test's
outcome with its message; only their swaps and rules differ.
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
from pathlib import Path


def shipped_tests(package: str, subfolder: str, first_file: str) -> Path:
    """The folder of ``package``'s own tests (e.g. ``"scipy"``, ``"optimize/tests"``); exits if it has none."""
    module = importlib.import_module(package)
    folder = Path(module.__file__).parent / subfolder
    if not (folder / first_file).exists():
        raise SystemExit(f"{package} {module.__version__} at {Path(module.__file__).parent} ships without its "
                         "tests; install a wheel that has them (the PyPI wheels do).")
    return folder


def targets(folder: Path, files, subset_tests: dict, subset: bool) -> list[str]:
    """pytest's arguments: every file, or the CI subset (``{file: [test, ...]}``, ``""`` for a whole file)."""
    if not subset:
        return [str(folder / name) for name in files]
    return [f"{folder / name}::{test}" if test else str(folder / name) for name, tests in subset_tests.items()
            for test in tests]


def provenance(package: str) -> dict:
    """Which minimom was tested (its folder, commit, uncommitted changes), against which version, when."""
    import minimom

    where = Path(minimom.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(where), "log", "-1", "--format=%h %s"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        commit += " + uncommitted changes" if dirty else ""
    except OSError:
        commit = ""
    return {"minimom": str(where), "commit": commit, package: importlib.import_module(package).__version__,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def failure_message(report) -> str:
    """One line saying why a pytest report failed or was skipped."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    return str(longrepr).strip().splitlines()[-1] if longrepr else ""
