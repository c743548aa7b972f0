"""The benchmark script runs end to end (--quick) and produces every table row; timings are not asserted."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_benchmark_produces_every_row(tmp_path):
    output = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--output", str(output)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())
    for section in ["a_quadratics", "b_estimators", "c_gradient_cost", "d_torch", "e_minibatch", "f_user_losses",
                    "g_callback", "h_estimator_speed",
                    "i_dask_fit", "j_bounds", "k_sparse"]:
        assert results[section], section
        assert f"== {section} ==" in done.stdout
    for row in results["a_quadratics"]:
        assert row["momentum_auto"] is not None and row["gradient_descent"] is not None
        assert row["tuned_heavy_ball"] is not None and row["tuned_nesterov"] is not None
    for row in results["b_estimators"]:
        assert row["max_abs_diff"] <= 1e-6 and 1 <= row["iterations_to_1e-6"] <= row["iterations_default"]
    for row in results["i_dask_fit"]:  # minimom on dask and on a memmap: scikit-learn's answer, passes counted
        if row["case"].startswith("minimom"):
            assert row["max_abs_diff_vs_sklearn"] <= 1e-6 and 1 <= row["passes_over_X"] <= 100, row
    *problems, summary = results["f_user_losses"]
    assert len(problems) >= 3 and summary["problem"].startswith("SUMMARY")
    for row in problems:
        for method in ["mm", "lb", "cg", "l0", "mf"]:
            assert row[f"{method}_ok"] in ("yes", "local", "no")
            assert row[f"{method}_it"] >= 1 and row[f"{method}_ng"] >= 1 and row[f"{method}_s"] > 0
        # scipy's L-BFGS-B, given the same autograd gradient, reaches the published optimum of the quick problems
        assert row["lb_ok"] == "yes", row
        assert (row["ratio"] is None) == (row["mm_ok"] != "yes")
        assert (row["ratio_ftol"] is None) == (row["mf_ok"] != "yes")
    assert summary["lb_ok"] == len(problems) and summary["mm_ok"] == sum(r["mm_ok"] == "yes" for r in problems)
    check_estimator_speed_rows(results["h_estimator_speed"])
    *sparse_rows, sparse_summary = results["k_sparse"]
    assert len(sparse_rows) == 4 and sparse_summary["problem"] == "SUMMARY"
    for row in sparse_rows:  # minimom reaches the tight reference; the baseline is a solver that reached it too
        assert row["minimom_error"] <= 1e-6 and row["sklearn"] is not None and row["ratio"] > 0, row
    check_bounds_rows(results["j_bounds"])


def check_bounds_rows(rows):
    # Issue 18's section (benchmarks/bounds.py): no evaluation outside the box, scipy's L-BFGS-B solves the quick
    # bounded problems, and the penalized fits agree with scikit-learn with the same zeros. Times are not asserted.
    bounded = [row for row in rows if "problem" in row and not row["problem"].startswith("SUMMARY")]
    summary = next(row for row in rows if row.get("problem", "").startswith("SUMMARY"))
    assert len(bounded) >= 5 and all(row["outside"] == 0 and row["lb_ok"] for row in bounded)
    assert summary["lb_ok"] == len(bounded) and summary["mm_ok"] == sum(row["mm_ok"] for row in bounded)
    penalized = [row for row in rows if "case" in row]
    assert len(penalized) == 3
    for row in penalized:
        assert row["max_abs_diff"] <= 1e-6 and row["same_zeros"] and row["time_sklearn_s"] > 0, row


def check_estimator_speed_rows(rows):
    # Issue 11's section (benchmarks/estimators.py): every case reaches the reference, and every figure the
    # acceptance asks for is there. Timings are reported, not asserted.
    cases = [row for row in rows if row["case"] not in ("per-step",) and not row["case"].startswith("peak-memory")]
    assert len(cases) == 3
    for row in cases:
        assert row["error_minimom"] <= 1e-6 and row["error_sklearn"] <= 1e-6, row
        assert row["ratio"] > 0 and row["ratio_threads"] > 0 and row["sklearn"] in ("newton-cholesky", "lbfgs",
                                                                                     "cholesky", "lstsq")
    steps = [row for row in rows if row["case"] == "per-step"]
    assert len(steps) == 3 and all(row["ratio"] > 0 and row["target"] in (1.1, 2.0) for row in steps)
    memory = [row for row in rows if row["case"].startswith("peak-memory")]
    assert memory and all(row["extra_copies_of_X"] >= 0 for row in memory)


def test_logistic_reference_optimum_is_scikit_learns():
    # The user-loss section's f* (scipy L-BFGS-B, then Newton) is scikit-learn's solution of the same objective:
    # mean log-loss + lam/2 ||w||^2 is LogisticRegression(C=1/(n lam), fit_intercept=False)'s objective / (C n).
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from sklearn.linear_model import LogisticRegression
    from user_losses import LOGISTIC, logistic_problem

    for name in ["logistic_1000x10_lam0.01", "logistic_200x500_lam1"]:
        n, d, lam = LOGISTIC[name]
        problem = logistic_problem(n, d, lam, seed=0)
        rng = np.random.default_rng(0)  # logistic_problem's data, drawn the same way
        X = rng.standard_normal((n, d))
        w_true = rng.standard_normal(d)
        y = np.sign(X @ w_true)
        assert np.all(y * (X @ w_true) > 0)  # separable
        fit = LogisticRegression(C=1 / (n * lam), fit_intercept=False, solver="newton-cholesky", tol=1e-12,
                                 max_iter=1000).fit(X, y)
        assert problem.fun(fit.coef_[0]) == pytest.approx(problem.f_star, rel=1e-10)
        np.testing.assert_allclose(problem.x_star[0], fit.coef_[0], atol=1e-6)


def test_heldout_estimator_cases_load_and_the_small_one_reaches_scikit_learns_optimum():
    # benchmarks/heldout_estimators.py: every case names data and a model; iris (raw, three classes) measured as
    # section h measures its rows, minimom within 1e-6 of scikit-learn's tight newton-cholesky fit.
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import estimators
    import heldout_estimators

    for case in heldout_estimators.CASES:
        if "x" not in case.split(" ")[0]:  # the toy datasets; the synthetic ones are big
            X, y, model = heldout_estimators.load(case)
            assert X.shape[0] == len(y) and model in ("LogisticRegression", "Ridge", "LinearRegression")
    row = estimators.bench_case("iris raw", quick=True, data=heldout_estimators.load("iris raw"))
    assert row["error_minimom"] <= 1e-6 and row["error_sklearn"] <= 1e-6 and row["ratio"] > 0, row
