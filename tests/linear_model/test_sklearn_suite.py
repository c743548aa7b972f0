"""The harness that runs scikit-learn's own tests with minimom's estimators (benchmarks/sklearn_suite).

The adapters and the classification rules are checked here on every run; the
CI subset of scikit-learn's tests itself runs only with ``-m sklearn_suite``
(about a minute), in a fresh interpreter since it patches ``sklearn.linear_model``.
"""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from sklearn_suite import adapters, rules  # noqa: E402


def _data(kind):
    if kind == "regression":
        X, y = load_diabetes(return_X_y=True)
        return X, y
    X, y = (load_breast_cancer if kind == "binary" else load_iris)(return_X_y=True)
    return StandardScaler().fit_transform(X), y


CASES = [
    (adapters.LinearRegression, sk.LinearRegression, {"copy_X": False, "n_jobs": 2, "tol": 1e-3}, {}, "regression"),
    (adapters.Ridge, sk.Ridge, {"alpha": 3.0, "solver": "sag", "random_state": 0}, {"alpha": 3.0}, "regression"),
    (adapters.LogisticRegression, sk.LogisticRegression, {"C": 0.5, "solver": "liblinear", "intercept_scaling": 3,
                                                          "dual": True, "n_jobs": 2}, {"C": 0.5}, "binary"),
    (adapters.LogisticRegression, sk.LogisticRegression, {"C": 2.0, "solver": "saga"}, {"C": 2.0}, "multiclass"),
    (adapters.Lasso, sk.Lasso, {"alpha": 0.1, "precompute": True, "selection": "random", "random_state": 0},
     {"alpha": 0.1}, "regression"),
    (adapters.ElasticNet, sk.ElasticNet, {"alpha": 0.05, "l1_ratio": 0.3, "copy_X": False, "positive": True},
     {"alpha": 0.05, "l1_ratio": 0.3, "positive": True}, "regression"),
]


@pytest.mark.parametrize(("adapter", "reference", "given", "same_problem", "kind"), CASES)
def test_adapter_takes_sklearn_arguments_and_reaches_sklearn_optimum(adapter, reference, given, same_problem, kind):
    """Solver arguments are accepted and ignored; the fit is minimom's, at scikit-learn's tight optimum."""
    assert set(adapter().get_params()) == set(reference().get_params())
    X, y = _data(kind)
    model = clone(adapter(**given)).fit(X, y)
    tight = {"tol": 1e-12, "max_iter": 100_000} if reference is not sk.LinearRegression else {}
    expected = reference(**same_problem, **tight).fit(X, y)
    scale = np.abs(expected.coef_).max()
    np.testing.assert_allclose(model.coef_, expected.coef_, atol=1e-6 * scale)
    assert model.get_params() == clone(model).get_params()  # the given arguments are kept, not rewritten


def test_penalty_none_means_c_inf():
    X, y = _data("binary")
    model = adapters.LogisticRegression(penalty=None, C=0.01).fit(X[:, :3], y)
    expected = sk.LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(X[:, :3], y)
    np.testing.assert_allclose(model.coef_, expected.coef_, rtol=1e-6)
    assert model.C == 0.01  # restored after fit


@pytest.mark.parametrize("model, reference", [
    (adapters.LogisticRegression(l1_ratio=1.0, C=0.1),
     sk.LogisticRegression(l1_ratio=1.0, C=0.1, solver="saga", tol=1e-12, max_iter=100_000)),
    (adapters.LinearRegression(positive=True), sk.LinearRegression(positive=True)),
    (adapters.Lasso(alpha=0.01), sk.Lasso(alpha=0.01, tol=1e-15, max_iter=1_000_000)),
    (adapters.ElasticNet(alpha=0.01, positive=True), sk.ElasticNet(alpha=0.01, positive=True, tol=1e-15,
                                                                   max_iter=1_000_000)),
])
def test_l1_penalties_and_positive_are_fitted_since_issue_19(model, reference):
    X, y = _data("binary")
    X = X[:, :5]
    np.testing.assert_allclose(model.fit(X, y).coef_, reference.fit(X, y).coef_, atol=1e-6)


def test_a_missing_parameter_is_reported_not_ignored():
    class WithDual(adapters.LogisticRegression):
        _ignored = frozenset()
        _sklearn_defaults = {"dual": False}

    X, y = _data("binary")
    WithDual(dual=False).fit(X, y)  # scikit-learn's default: nothing asked that minimom lacks
    with pytest.raises(NotImplementedError, match="no parameter 'dual'"):
        WithDual(dual=True).fit(X, y)


def _reason(name_fragment, category):
    return next(reason for c, reason, name, _ in rules.RULES if name_fragment in name and c == category)


SPARSE = "TypeError: Sparse data was passed for X, but dense data is required. Use '.toarray()' to convert."


@pytest.mark.parametrize(("name", "outcome", "message", "exercised", "expected"), [
    ("test_x[1]", "passed", "", True, (rules.PASSED, "")),
    ("test_x[1]", "xpassed", "reason", False, (rules.PASSED, "")),
    ("test_x", "skipped", "Skipped: out of scope: positive=True", True,
     (rules.OUT_OF_SCOPE, "out of scope: positive=True")),
    ("test_x", "skipped", "Skipped: torch is not installed", False, (rules.SKLEARN_SKIP, "torch is not installed")),
    ("test_x", "xfailed", "known bug", True, (rules.SKLEARN_SKIP, "known bug")),
    ("test_dense_sparse[csr]", "failed", SPARSE, True, (rules.REAL_GAP, "scipy.sparse X refused")),
    ("test_ridge_regression[svd]", "failed", "AttributeError: 'Ridge' object has no attribute 'solver_'", True,
     (rules.INTERNALS, "solver_ records which scikit-learn solver ran")),
    ("test_new[1]", "failed", "AssertionError: \nNot equal to tolerance", True,
     (rules.REAL_GAP, "AssertionError: Not equal to tolerance")),
    ("test_new[1]", "failed", "ValueError: alphas must be positive\nmore", False,
     (rules.INTERNALS, "no minimom fit ran in this test: ValueError: alphas must be positive")),
    ("test_lasso_alpha_warning", "failed", "Failed: DID NOT WARN. No warnings of type (<class 'UserWarning'>,)",
     True, (rules.INTERNALS, _reason("lasso_alpha_warning", rules.INTERNALS))),
    ("test_warm_start_convergence[True-csr_array]", "failed", "assert 1 == 0", True,
     (rules.REAL_GAP, "assert 1 == 0")),  # a real gap stays one: no rule hides n_iter_ after a converged warm start
    ("test_newton_cholesky_fallback_to_lbfgs", "failed", "sklearn.exceptions.ConvergenceWarning: did not converge",
     True, (rules.REAL_GAP, _reason("fallback_to_lbfgs", rules.REAL_GAP))),
    ("test_newton_cholesky_fallback_to_lbfgs", "failed", "assert 7 == 9", True,
     (rules.INTERNALS, _reason("fallback_to_lbfgs", rules.INTERNALS))),
    ("test_newton_cholesky_fallback_to_lbfgs", "failed", "Failed: Regex pattern did not match any of the 1 warnings "
     "emitted.\n Regex: 'lbfgs failed to converge'\n Emitted warnings: [ ConvergenceWarning('did not converge')].",
     True, (rules.INTERNALS, _reason("fallback_to_lbfgs", rules.INTERNALS))),
])
def test_classification_rules(name, outcome, message, exercised, expected):
    assert rules.classify(f"linear_model/tests/test_f.py::{name}", outcome, message, exercised) == expected


def test_every_rule_is_a_valid_row():
    for category, reason, name_pattern, message_pattern in rules.RULES:
        assert category in (rules.REAL_GAP, rules.INTERNALS) and reason
        for pattern in (name_pattern, message_pattern):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                __import__("re").compile(pattern)


@pytest.mark.sklearn_suite
def test_sklearn_subset_has_no_real_gaps(tmp_path):
    """The CI subset of scikit-learn's own tests: no failure may be a real gap (issue 10's acceptance)."""
    output = tmp_path / "subset.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sklearn_suite" / "run.py"), "--subset",
                           "--json", str(output)], capture_output=True, text=True, timeout=900, env=env)
    result = json.loads(output.read_text())
    assert Path(result["provenance"]["minimom"]) == ROOT  # this checkout's minimom was tested
    rows = result["rows"]
    fitted = [r for r in rows if r["category"] == rules.PASSED and r["exercised"]]
    assert len(rows) > 500 and len(fitted) > 100, done.stdout[-3000:]
    gaps = [f"{r['nodeid']}: {r['reason']}" for r in rows if r["category"] == rules.REAL_GAP]
    assert not gaps, f"{len(gaps)} real gaps:\n" + "\n".join(gaps[:50])
    assert done.returncode == 0
