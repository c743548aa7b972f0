"""The harness that runs scipy's own minimize tests with mm.scipy_method (benchmarks/scipy_suite).

The rules are checked on every run; the CI subset of scipy's tests itself runs
only with ``-m scipy_suite`` (a fresh interpreter: the plugin patches scipy.optimize.minimize).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from scipy_suite import rules  # noqa: E402


def test_rules_sort_outcomes():
    assert rules.classify("t.py::test_x", "failed", "boom", exercised=False) == ("not exercised", "failed")
    assert rules.classify("t.py::test_x", "failed", "boom", exercised=True) == ("real gap", "boom")
    assert rules.classify("t.py::test_x", "passed", "", exercised=True) == ("passed", "")
    internals = rules.classify("t.py::TestOptimizeSimple::test_l_bfgs_b_maxiter", "failed",
                               "Items are not equal: 'STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT'", exercised=True)
    assert internals[0] == "L-BFGS-B internals"
    # the same text in another test is not excused
    assert rules.classify("t.py::test_other", "failed", "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT",
                          exercised=True)[0] == "real gap"


@pytest.mark.scipy_suite
def test_scipy_subset_has_no_real_gaps():
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}  # scipy as its users run it
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scipy_suite" / "run.py"), "--subset"],
                          capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed: 0" not in done.stdout
