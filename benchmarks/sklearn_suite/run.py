"""Run scikit-learn's own linear_model tests with minimom's estimators substituted, and classify the failures.

Run:  python benchmarks/sklearn_suite/run.py              (the four files, about 4 minutes on 2 cores)
      python benchmarks/sklearn_suite/run.py --subset     (the CI subset, about 1 minute)
      PYTHONPATH=/path/to/checkout python benchmarks/sklearn_suite/run.py   (test that checkout's minimom)

Options: --json FILE (every test's classified outcome), --markdown FILE (the
triage: counts per class, every real gap with its reason), --baseline JSON
(another run's --json, e.g. main's: its counts side by side, and the tests
that passed there and not here), and anything after
``--`` goes to pytest (e.g. ``-- -k warm_start``). The test files are the ones
shipped with the installed scikit-learn. Exit status: 0 when no test is a real
gap, 1 when one is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

# As scikit-learn's CI does: its array-API tests then run on numpy too (set before scipy is imported).
os.environ.setdefault("SCIPY_ARRAY_API", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # makes `sklearn_suite` importable; minimom comes from PYTHONPATH or the install

import suite_tools  # noqa: E402  (benchmarks/suite_tools.py)

FILES = ("test_logistic.py", "test_ridge.py", "test_base.py", "test_common.py", "test_coordinate_descent.py")

# The CI subset: every test of test_base.py and test_common.py, the tests of
# test_ridge.py / test_logistic.py that fit minimom on the known gaps (sparse,
# float32, warm_start, max_iter=0, per-target alpha, sparsify), on scikit-learn's
# reference solutions and sample weights, two hard cases (near-separable with C=1e30,
# a tight tol on iris), the L1 / elastic-net / positive tests of both, and the tests
# of test_coordinate_descent.py that fit Lasso / ElasticNet (issue 19).
SUBSET = {
    "test_base.py": [""],
    "test_common.py": [""],
    "test_ridge.py": [
        "test_ridge_regression", "test_ridge_regression_hstacked_X", "test_ridge_regression_unpenalized",
        "test_ridge_regression_sample_weights", "test_ridge_shapes_type", "test_ridge_intercept", "test_ridge_vs_lstsq",
        "test_ridge_individual_penalties", "test_dense_sparse", "test_sparse_design_with_sample_weights",
        "test_ridge_fit_intercept_sparse", "test_dtype_match", "test_dtype_match_cholesky",
        "test_ridge_sample_weight_consistency", "test_ridge_positive_error_test", "test_positive_ridge_loss",
        "test_ridge_positive_regression_test", "test_lbfgs_solver_error",
    ],
    "test_logistic.py": [
        "test_predict_2_classes", "test_predict_3_classes", "test_sparsify", "test_logistic_regression_solvers",
        "test_logistic_regression_solvers_multiclass", "test_logistic_regression_sample_weights",
        "test_logistic_regression_class_weights", "test_warm_start", "test_warm_start_converge_LR", "test_dtype_match",
        "test_zero_max_iter", "test_multinomial_identifiability_on_iris", "test_large_sparse_matrix", "test_logreg_l1",
        "test_c_inf_no_warning", "test_newton_cholesky_fallback_to_lbfgs", "test_LogisticRegressionCV_on_folds",
        "test_LogisticRegression_elastic_net_objective", "test_elastic_net_coeffs",
        "test_elastic_net_l1_l2_equivalence", "test_l1_ratio_non_elasticnet", "test_lr_penalty_l1ratio_incompatible",
        "test_scores_attribute_layout_elasticnet",
    ],
    # The tests that fit Lasso / ElasticNet (MultiTask*, *CV and the path functions stay scikit-learn's own).
    "test_coordinate_descent.py": [
        "test_lasso_zero", "test_lasso_toy", "test_enet_toy", "test_lasso_dual_gap", "test_warm_start",
        "test_lasso_alpha_warning", "test_lasso_positive_constraint", "test_enet_positive_constraint",
        "test_enet_alpha_max", "test_enet_ols_consistency", "test_enet_ridge_consistency",
        "test_enet_sample_weight_consistency", "test_enet_multitarget", "test_random_descent", "test_check_input_false",
        "test_enet_copy_X_True", "test_enet_copy_X_False_check_input_False", "test_overridden_gram_matrix",
        "test_lasso_non_float_y", "test_enet_float_precision", "test_lasso_readonly_data", "test_enet_nonfinite_params",
        "test_elasticnet_precompute_gram_weighted_samples", "test_elasticnet_precompute_incorrect_gram",
        "test_warm_start_convergence", "test_warm_start_convergence_with_regularizer_decrement",
        "test_enet_coordinate_descent_raises_convergence", "test_sample_weight_invariance", "test_coef_shape_not_zero",
        "test_enet_sample_weight_does_not_overwrite_sample_weight", "test_lassoCV_does_not_set_precompute",
    ],
}


_DETAILED = 10  # real-gap groups up to this size show each failure's message in the triage


def run(subset: bool = False, pytest_args: list[str] = ()) -> tuple[list[dict], dict]:
    """Run the tests in this process; return the classified rows and where minimom came from."""
    import pytest

    from sklearn_suite import plugin

    folder = suite_tools.shipped_tests("sklearn", "linear_model/tests", FILES[0])
    args = ["-p", "sklearn_suite.plugin", "-p", "no:cacheprovider", "-q", "--disable-warnings", "--no-header",
            "--tb=no", "-rN", "--rootdir", str(folder.parent.parent), "-c", os.devnull,
            *suite_tools.targets(folder, FILES, SUBSET, subset), *pytest_args]
    pytest.main(args)
    return plugin.classified(), suite_tools.provenance("sklearn")


def markdown(rows: list[dict], provenance: dict, subset: bool, baseline: dict | None = None) -> str:
    """The triage: counts per class, every real gap with its reason, the other classes by reason.

    ``baseline`` (a ``--json`` output of another run, e.g. of main) adds its
    counts and lists the tests that pass there and not here.
    """
    from sklearn_suite import rules

    scope = "the CI subset of" if subset else "all of"
    out = [f"# scikit-learn's tests with minimom's estimators: {scope} {', '.join(FILES)}", "",
           f"- run: {provenance['date']}, scikit-learn {provenance['sklearn']}",
           f"- minimom: `{provenance['minimom']}` at `{provenance['commit']}`"]
    if baseline:
        base = baseline["provenance"]
        out += [f"- baseline: `{base['minimom']}` at `{base['commit']}`, run {base['date']}"]
        base_counts = rules.counts(baseline["rows"])
        out += ["", "| class | tests | baseline |", "|---|---:|---:|"]
        out += [f"| {c} | {n} | {base_counts[c]} |" for c, n in rules.counts(rows).items()]
        passed_before = {r["nodeid"] for r in baseline["rows"] if r["category"] == rules.PASSED}
        lost = sorted(r["nodeid"] for r in rows if r["nodeid"] in passed_before and r["category"] != rules.PASSED)
        out += ["", f"Passed in the baseline, not here: {len(lost)}"] + [f"- `{t}`" for t in lost]
    else:
        out += ["", "| class | tests |", "|---|---:|"]
        out += [f"| {c} | {n} |" for c, n in rules.counts(rows).items()]
    fitted = sum(1 for r in rows if r["category"] == rules.PASSED and r.get("exercised"))
    out += ["", f"{fitted} of the passes fitted a minimom estimator; the others test scikit-learn alone "
                "(RidgeCV, LogisticRegressionCV, private helpers).", ""]
    by_reason = defaultdict(list)
    for r in rows:
        if r["category"] == rules.REAL_GAP:
            by_reason[r["reason"]].append(r)
    out += ["## Real gaps", ""] if by_reason else ["## Real gaps", "", "None.", ""]
    for reason, gaps in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
        out += [f"### {reason}: {len(gaps)}", ""]
        for r in sorted(gaps, key=lambda r: r["nodeid"]):
            path, name = r["nodeid"].split("::", 1)
            out.append(f"- `{name}` ({path})")
            if len(gaps) <= _DETAILED:  # a small group: show what failed
                lines = [line.strip() for line in r["message"].splitlines() if line.strip()][:6]
                out += ["", "  ```", *(f"  {line[:400]}" for line in lines), "  ```"]
        out.append("")
    for category in (rules.INTERNALS, rules.OUT_OF_SCOPE):
        reasons = Counter(r["reason"] for r in rows if r["category"] == category)
        out += [f"## {category}", ""] + [f"- {n}: {reason}" for reason, n in reasons.most_common()] + [""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", action="store_true", help="the CI subset (about a minute)")
    parser.add_argument("--json", help="write every test's classified outcome to this file")
    parser.add_argument("--markdown", help="write the triage to this file")
    parser.add_argument("--baseline", help="a --json output of another run (e.g. main) to compare with")
    parser.add_argument("--seeds", help="scikit-learn's global_random_seed values, e.g. 0-4 or all (default 42)")
    args = parser.parse_args(argv)
    if args.seeds:
        os.environ["SKLEARN_TESTS_GLOBAL_RANDOM_SEED"] = args.seeds  # read by scikit-learn's conftest
    try:
        import minimom  # noqa: F401
    except Exception as error:  # a checkout in the middle of an edit: say so rather than crash in pytest
        raise SystemExit(f"minimom does not import: {type(error).__name__}: {error}") from error
    rows, provenance = run(args.subset, pytest_args)
    from sklearn_suite import rules

    print(f"minimom from {provenance['minimom']} ({provenance['commit']}), scikit-learn {provenance['sklearn']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"provenance": provenance, "rows": rows}, indent=1))
    if args.markdown:
        baseline = json.loads(Path(args.baseline).read_text()) if args.baseline else None
        Path(args.markdown).write_text(markdown(rows, provenance, args.subset, baseline))
    return 1 if rules.counts(rows)[rules.REAL_GAP] else 0


if __name__ == "__main__":
    sys.exit(main())
