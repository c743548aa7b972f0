"""compare() and `python -m minimom compare`, checked against fits of scikit-learn made here."""

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.preprocessing import StandardScaler

import minimom as mm


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "minimom", *args], capture_output=True, text=True, timeout=300)


def independent_reference(dataset, model):
    X, y = getattr(datasets, f"load_{dataset}")(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = {
        "LinearRegression": sk.LinearRegression(),
        "Ridge": sk.Ridge(alpha=1.0, solver="cholesky"),
        "LogisticRegression": sk.LogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=1000),
        "Lasso": sk.Lasso(alpha=1.0, tol=1e-15, max_iter=1_000_000),
        "ElasticNet": sk.ElasticNet(alpha=1.0, l1_ratio=0.5, tol=1e-15, max_iter=1_000_000),
    }[model].fit(X, y)
    return X, y, ref


@pytest.mark.slow
def test_compare_command_json_rows_match_independent_sklearn_fits():
    done = run_cli("compare", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {(r["dataset"], r["model"]) for r in rows} == {
        ("diabetes", "LinearRegression"), ("diabetes", "Ridge"), ("diabetes", "Lasso"), ("diabetes", "ElasticNet"),
        ("linnerud", "LinearRegression"), ("linnerud", "Ridge"), ("linnerud", "Lasso"), ("linnerud", "ElasticNet"),
        ("breast_cancer", "LogisticRegression"), ("iris", "LogisticRegression"), ("wine", "LogisticRegression"),
        ("digits", "LogisticRegression")}
    for row in rows:
        X, y, ref = independent_reference(row["dataset"], row["model"])
        assert row["agrees"] is True and row["max_abs_diff"] <= 1e-6
        assert row["score_reference"] == pytest.approx(ref.score(X, y), abs=1e-12)
        assert row["score"] == pytest.approx(ref.score(X, y), abs=1e-6)
        assert abs(row["objective_gap"]) <= 1e-8


def test_compare_function_report():
    X, y, ref = independent_reference("diabetes", "Ridge")
    report = mm.compare(mm.Ridge(), X, y, dataset="diabetes")
    assert report.agrees and report.max_abs_diff <= 1e-6
    expected_objective = np.sum((y - X @ ref.coef_ - ref.intercept_) ** 2) + np.sum(ref.coef_**2)
    assert report.objective_reference == pytest.approx(expected_objective, rel=1e-12)
    assert report.to_dict()["agrees"] is True and "agree" in str(report)


def test_failing_on_purpose_exits_1():
    done = run_cli("compare", "--dataset", "iris", "--max-iter", "1", "--json")
    assert done.returncode == 1
    (row,) = json.loads(done.stdout)
    assert row["agrees"] is False and row["max_abs_diff"] > 1e-6
    report = mm.compare(mm.LogisticRegression(max_iter=1), *independent_reference("iris", "LogisticRegression")[:2])
    assert not report.agrees


@pytest.mark.parametrize("flag, name", [("--dataset", "mnist"), ("--model", "Lars")])
def test_unknown_names_exit_2_with_the_valid_names(flag, name):
    done = run_cli("compare", flag, name)
    assert done.returncode == 2
    error_lines = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(error_lines) == 1 and name in error_lines[0]
    assert ("diabetes" in error_lines[0]) if flag == "--dataset" else ("LogisticRegression" in error_lines[0])


def test_filters_and_table():
    done = run_cli("compare", "--dataset", "diabetes", "--model", "ridge")
    assert done.returncode == 0
    assert "Ridge" in done.stdout and "LinearRegression" not in done.stdout and "1 of 1 agree" in done.stdout


@pytest.mark.slow  # fits and draws two datasets in a subprocess: 15 s
def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image
    path = tmp_path / "curves.png"
    done = run_cli("compare", "--dataset", "iris", "--dataset", "diabetes", "--plot", str(path))
    assert done.returncode == 0, done.stderr
    assert path.stat().st_size > 0
    image = matplotlib.image.imread(str(path))
    # 3 panels (2 models on diabetes, 1 on iris) in one row, 13.5 in wide at 100 dpi, legend and caption below
    assert image.shape[1] == 1350 and image.shape[0] > 340


def test_help_and_version():
    assert run_cli("--help").returncode == 0
    done = run_cli("--version")
    assert done.returncode == 0 and mm.__version__ in done.stdout


@pytest.mark.parametrize("estimator, reference", [
    (mm.Lasso(alpha=0.5), sk.Lasso(alpha=0.5, tol=1e-15, max_iter=1_000_000)),
    (mm.ElasticNet(alpha=0.2, l1_ratio=0.3, positive=True),
     sk.ElasticNet(alpha=0.2, l1_ratio=0.3, positive=True, tol=1e-15, max_iter=1_000_000)),
    (mm.LinearRegression(positive=True), sk.LinearRegression(positive=True)),
])
def test_compare_sparse_least_squares_objective_is_sklearns(estimator, reference):
    X, y, _ = independent_reference("diabetes", "LinearRegression")
    report = mm.compare(estimator, X, y)
    ref = reference.fit(X, y)
    assert report.agrees and report.max_abs_diff <= 1e-6
    coef = ref.coef_
    if isinstance(estimator, mm.ElasticNet):
        ratio = getattr(estimator, "l1_ratio", 1.0)
        expected = (np.mean((y - X @ coef - ref.intercept_) ** 2) / 2
                    + estimator.alpha * (ratio * np.abs(coef).sum() + 0.5 * (1 - ratio) * np.sum(coef**2)))
    else:
        expected = np.sum((y - X @ coef - ref.intercept_) ** 2)
    assert report.objective_reference == pytest.approx(expected, rel=1e-12)


def test_compare_l1_logistic_uses_saga_and_the_l1_objective():
    X, y, _ = independent_reference("iris", "LogisticRegression")
    report = mm.compare(mm.LogisticRegression(C=0.5, l1_ratio=1.0), X, y)
    assert report.agrees
    ref = sk.LogisticRegression(C=0.5, l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=100_000).fit(X, y)
    scores = X @ ref.coef_.T + ref.intercept_
    data = np.sum(np.log(np.exp(scores).sum(axis=1)) - scores[np.arange(len(y)), y])
    assert report.objective_reference == pytest.approx(np.abs(ref.coef_).sum() + 0.5 * data, rel=1e-9)


@pytest.mark.parametrize("model", ["Lasso", "ElasticNet", "LinearRegression"])
def test_compare_on_three_targets(model):
    X, Y, ref = independent_reference("linnerud", model)
    report = mm.compare({"Lasso": mm.Lasso, "ElasticNet": mm.ElasticNet,
                         "LinearRegression": mm.LinearRegression}[model](), X, Y, dataset="linnerud")
    assert ref.coef_.shape == (3, 3)
    assert report.agrees and report.max_abs_diff <= 1e-6
    assert report.score_reference == pytest.approx(ref.score(X, Y), abs=1e-12)
