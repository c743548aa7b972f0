"""pytest plugin: scipy's optimize tests with ``mm.scipy_method`` in place of ``method="L-BFGS-B"``.

Loaded with ``-p scipy_suite.plugin`` (``run.py`` does it). Before any test
module is imported it wraps ``scipy.optimize.minimize`` (the name the tests
call, as ``optimize.minimize`` or ``from scipy.optimize import minimize``, and
the name scipy's own modules call, e.g. basinhopping's local minimizer): a
call whose ``method`` is ``"L-BFGS-B"`` (any case) runs ``mm.scipy_method``
instead, with everything else passed as scipy passes it. Every other method,
and scipy's own functions (``fmin_l_bfgs_b``, ``_minimize_lbfgsb``), stay
scipy's. Each test's outcome is recorded with whether the swap ran in it.
"""

from __future__ import annotations

import functools
import json
import sys

import pytest
from suite_tools import failure_message

SWAPPED = "l-bfgs-b"
calls = {"swapped": 0}
_results: dict[str, dict] = {}


def pytest_addoption(parser):
    parser.addoption("--scipysuite-json", default=None, help="write every test's outcome to this JSON file")


def pytest_configure(config):
    import scipy.optimize
    import scipy.optimize._minimize

    import minimom as mm

    original = scipy.optimize._minimize.minimize

    @functools.wraps(original)
    def minimize(fun, x0, args=(), method=None, *rest, **kwargs):
        if isinstance(method, str) and method.lower() == SWAPPED:
            calls["swapped"] += 1
            method = mm.scipy_method
        return original(fun, x0, args, method, *rest, **kwargs)

    for module in list(sys.modules.values()):  # scipy's own callers too (basinhopping's local minimizer, ...)
        if (getattr(module, "__name__", "") or "").startswith("scipy.optimize") and \
                getattr(module, "minimize", None) is original:
            module.minimize = minimize


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # light on a shared machine


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = calls["swapped"]
    yield
    entry = _results.setdefault(item.nodeid, {"outcome": "passed", "message": ""})
    entry["exercised"] = calls["swapped"] > before


def pytest_runtest_logreport(report):
    entry = _results.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    if entry["outcome"] == "failed":
        return
    xfail = hasattr(report, "wasxfail")
    if report.failed:
        entry.update(outcome="failed", message=failure_message(report))
    elif report.skipped:
        entry.update(outcome="xfailed" if xfail else "skipped",
                     message=report.wasxfail if xfail else failure_message(report))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from . import rules

    rows = rules.classified(_results)
    terminalreporter.write_sep("=", "scipy's minimize tests with mm.scipy_method for L-BFGS-B")
    terminalreporter.write_line(rules.summary_text(rows))
    path = config.getoption("--scipysuite-json")
    if path:
        with open(path, "w") as f:
            json.dump(rows, f, indent=1)
