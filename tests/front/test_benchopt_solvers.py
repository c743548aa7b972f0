"""Our benchopt solver files (benchmarks/benchopt/*/solvers/) reach scikit-learn's optimum of each benchmark's
objective. benchopt is a benchmark-only install: without it a stand-in BaseSolver takes its place."""

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from sklearn import linear_model as sk

BENCHOPT = Path(__file__).resolve().parents[2] / "benchmarks" / "benchopt"


@pytest.fixture(autouse=True)
def benchopt_module(monkeypatch):
    # Not find_spec: with benchmarks/ on sys.path (other tests put it there) the folder benchmarks/benchopt is a
    # namespace package named "benchopt" without BaseSolver.
    try:
        import benchopt
    except ImportError:
        benchopt = None
    if not hasattr(benchopt, "BaseSolver"):
        class BaseSolver:  # what the solvers use of benchopt's
            def skip(self, **objective):
                return False, None

        monkeypatch.setitem(sys.modules, "benchopt", types.SimpleNamespace(BaseSolver=BaseSolver))


def load_solver(benchmark, name, **parameters):
    spec = importlib.util.spec_from_file_location(f"solver_{benchmark}_{name}", BENCHOPT / benchmark / "solvers" /
                                                  f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    solver = module.Solver.__new__(module.Solver)
    for key, value in parameters.items():  # as benchopt sets a solver's parameters
        setattr(solver, key, value)
    return solver


def logreg_data(n, d):  # benchmark_logreg_l2's simulated dataset, drawn the same way
    rng = np.random.RandomState(42)
    beta = rng.randn(d)
    X = rng.randn(n, d)
    return X, np.sign(X @ beta)


def logreg_objective(X, y, lmbd, beta):
    return np.sum(np.logaddexp(0.0, -y * (X @ beta))) + 0.5 * lmbd * beta @ beta


@pytest.mark.parametrize("name, parameters", [("minimom", {"api": "LogisticRegression"}),
                                              ("minimom", {"api": "minimize"}), ("scipy_lbfgsb", {})])
@pytest.mark.parametrize("n, d, lmbd", [(1000, 10, 1.0), (200, 50, 0.01)])
def test_logreg_l2_solvers_reach_scikit_learns_optimum(name, parameters, n, d, lmbd):
    X, y = logreg_data(n, d)
    solver = load_solver("logreg_l2", name, **parameters)
    assert solver.skip(X=X, y=y, lmbd=lmbd) == (False, None)
    solver.set_objective(X=X, y=y, lmbd=lmbd)
    solver.run(0)
    assert np.all(solver.get_result()["beta"] == 0)
    solver.run(500)
    beta = solver.get_result()["beta"]
    ref = sk.LogisticRegression(C=1 / lmbd, fit_intercept=False, solver="newton-cholesky", tol=1e-12,
                                max_iter=1000).fit(X, y).coef_.ravel()
    best = logreg_objective(X, y, lmbd, ref)
    assert logreg_objective(X, y, lmbd, beta) - best <= 1e-9 * max(1.0, best)
    np.testing.assert_allclose(beta, ref, atol=1e-5)


@pytest.mark.parametrize("name, parameters", [("minimom", {"api": "Ridge"}), ("minimom", {"api": "minimize"}),
                                              ("scipy_lbfgsb", {})])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_ridge_solvers_reach_the_closed_form(name, parameters, fit_intercept):
    rng = np.random.RandomState(27)
    X = rng.randn(300, 40)
    y = X @ rng.randn(40) + 3.0 + rng.randn(300)
    solver = load_solver("ridge", name, **parameters)
    solver.set_objective(X=X, y=y, lmbd=0.1, fit_intercept=fit_intercept)
    solver.run(300)
    beta = solver.get_result()["beta"]
    ref = sk.Ridge(alpha=0.1, fit_intercept=fit_intercept, solver="cholesky").fit(X, y)  # 2x the benchmark's
    expected = np.r_[ref.coef_, [ref.intercept_] if fit_intercept else []]
    assert beta.shape == expected.shape
    np.testing.assert_allclose(beta, expected, atol=1e-6)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_lasso_solver_runs_and_matches_scikit_learn(fit_intercept):
    rng = np.random.RandomState(0)
    X = rng.randn(100, 30)
    y = X[:, :5] @ np.arange(1.0, 6.0) + 0.1 * rng.randn(100) + 2.0
    lmbd = 0.1 * np.max(np.abs(X.T @ (y - y.mean())))
    solver = load_solver("lasso", "minimom")
    assert solver.skip(X=X, y=y, lmbd=lmbd, fit_intercept=fit_intercept) == (False, None)  # mm.Lasso exists
    solver.set_objective(X=X, y=y, lmbd=lmbd, fit_intercept=fit_intercept)
    solver.run(1000)
    ref = sk.Lasso(alpha=lmbd / len(y), fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000).fit(X, y)
    expected = np.r_[ref.coef_, [ref.intercept_] if fit_intercept else []]
    np.testing.assert_allclose(solver.get_result()["beta"], expected, atol=1e-6)
