"""Run scipy's own minimize tests with mm.scipy_method in place of L-BFGS-B, and classify the failures.

Run:  python benchmarks/scipy_suite/run.py              (the three files below)
      python benchmarks/scipy_suite/run.py --subset     (the CI subset: the generic tests, about a minute)
      PYTHONPATH=/path/to/checkout python benchmarks/scipy_suite/run.py   (test that checkout's minimom)

Options: --json FILE (every test's classified outcome), and anything after
``--`` goes to pytest (e.g. ``-- -k callback``). The test files are the ones
shipped with the installed scipy. Exit status: 0 when no test is a real gap, 1
when one is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # makes `scipy_suite` importable; minimom comes from PYTHONPATH or the install

import suite_tools  # noqa: E402  (benchmarks/suite_tools.py)

FILES = ("test_optimize.py", "test_lbfgsb_hessinv.py", "test__basinhopping.py")

# The CI subset: scipy's tests of generic behaviour that run L-BFGS-B through minimize (callbacks and their
# copies, StopIteration, maxiter and its float form, tol, NaN, no increase, no duplicate evaluations, the
# result's attributes, the shape of x, user functions that overwrite x, bound checks, hess_inv).
SUBSET = {
    "test_optimize.py": [
        "TestOptimizeSimple::test_minimize_tol_parameter",
        "TestOptimizeSimple::test_minimize_callback_copies_array[l-bfgs-b]",
        "TestOptimizeSimple::test_no_increase[l-bfgs-b]",
        "TestOptimizeSimple::test_respect_maxiter[L-BFGS-B]",
        "TestOptimizeSimple::test_initial_step_scaling",
        "TestOptimizeSimple::test_nan_values[l-bfgs-b]",
        "TestOptimizeSimple::test_duplicate_evaluations[l-bfgs-b]",
        "TestOptimizeSimple::test_callback_stopiteration[0-l-bfgs-b]",
        "TestOptimizeSimple::test_callback_stopiteration[1-l-bfgs-b]",
        "TestOptimizeSimple::test_callback_stopiteration[2-l-bfgs-b]",
        "TestOptimizeSimple::test_minimize_invalid_bounds[l-bfgs-b]",
        "TestOptimizeSimple::test_minimize_l_bfgs_b",
        "TestOptimizeSimple::test_minimize_l_bfgs_b_ftol",
        "TestOptimizeSimple::test_l_bfgs_b_maxiter",
        "TestOptimizeResultAttributes::test_attributes_present",
        "test_result_x_shape_when_len_x_is_one",
        "test_x_overwritten_user_function",
        "test_minimize_maxiter_noninteger[l-bfgs-b]",
    ],
    "test_lbfgsb_hessinv.py": [""],
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", action="store_true", help="the CI subset (about a minute)")
    parser.add_argument("--json", help="write every test's classified outcome to this file")
    args = parser.parse_args(argv)
    import pytest

    from scipy_suite import plugin, rules

    folder = suite_tools.shipped_tests("scipy", "optimize/tests", FILES[0])
    pytest.main(["-p", "scipy_suite.plugin", "-p", "no:cacheprovider", "-q", "--disable-warnings", "--no-header",
                 "--tb=no", "-rN", "--rootdir", str(folder.parent.parent), "-c", os.devnull,
                 *suite_tools.targets(folder, FILES, SUBSET, args.subset), *pytest_args])
    rows, provenance = rules.classified(plugin._results), suite_tools.provenance("scipy")
    print(f"minimom from {provenance['minimom']} ({provenance['commit']}), scipy {provenance['scipy']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"provenance": provenance, "rows": rows}, indent=1))
    return 1 if rules.counts(rows)["real gap"] else 0


if __name__ == "__main__":
    sys.exit(main())
