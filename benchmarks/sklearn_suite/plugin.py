"""pytest plugin: scikit-learn's test files run with minimom's estimators in place of scikit-learn's.

Loaded with ``-p benchmarks.sklearn_suite.plugin`` (``run.py`` does it). Before
any test module is imported it replaces ``LinearRegression``, ``Ridge`` and
``LogisticRegression`` in ``sklearn.linear_model`` by the adapters of
``adapters.py``; scikit-learn's own modules keep theirs (``RidgeCV`` and
``LogisticRegressionCV`` stay scikit-learn's). Each test's outcome is recorded
with whether a minimom fit ran in it, classified by ``rules.py``, summarised at
the end and, with ``--sksuite-json FILE``, written to FILE.
"""

from __future__ import annotations

import json

import pytest
from suite_tools import failure_message

from . import adapters, rules

_results: dict[str, dict] = {}
_fits_before: dict[str, int] = {}


def pytest_addoption(parser):
    parser.addoption("--sksuite-json", default=None, help="write the classified outcomes to this JSON file")


def pytest_configure(config):
    import sklearn.linear_model

    for name, adapter in adapters.ADAPTERS.items():
        setattr(sklearn.linear_model, name, adapter)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    # Keep the run light on a shared machine: one BLAS / OpenMP thread (after scikit-learn's conftest).
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = adapters.calls["fit"]
    yield
    entry = _results.setdefault(item.nodeid, {"outcome": "passed", "message": ""})
    entry["exercised"] = adapters.calls["fit"] > before


def pytest_runtest_logreport(report):
    entry = _results.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    entry["seconds"] = round(entry.get("seconds", 0.0) + report.duration, 3)
    if entry["outcome"] in ("failed",):
        return  # the first failure (setup or call) tells; teardown adds nothing
    xfail = hasattr(report, "wasxfail")
    if report.failed:
        entry.update(outcome="failed", message=failure_message(report))
    elif report.skipped:
        entry.update(outcome="xfailed" if xfail else "skipped",
                     message=report.wasxfail if xfail else failure_message(report))
    elif report.when == "call" and xfail:
        entry.update(outcome="xpassed", message=report.wasxfail)


def pytest_collectreport(report):
    if report.failed:
        _results[report.nodeid] = {"outcome": "failed", "message": failure_message(report), "exercised": False}


def classified() -> list[dict]:
    rows = []
    for nodeid, entry in _results.items():
        category, reason = rules.classify(nodeid, entry["outcome"], entry["message"], entry.get("exercised", False))
        rows.append({"nodeid": nodeid, **entry, "category": category, "reason": reason})
    return rows


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    rows = classified()
    terminalreporter.write_sep("=", "scikit-learn's tests with minimom's estimators")
    terminalreporter.write_line(rules.summary_text(rows))
    path = config.getoption("--sksuite-json")
    if path:
        with open(path, "w") as f:
            json.dump(rows, f, indent=1)
