"""``positive=True``: LinearRegression against scipy's nnls and scikit-learn; Ridge against nnls, augmented."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import nnls
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning

import minimom as mm


@pytest.fixture(scope="module")
def data():
    X, y = datasets.load_diabetes(return_X_y=True)
    weights = np.random.default_rng(0).integers(0, 4, len(y)).astype(float)
    return X, y, weights


def reference_nnls(X, y, weights, alpha, fit_intercept):
    """``min sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||^2, w >= 0`` by scipy's nnls on the centred, stacked system."""
    if fit_intercept:
        x_mean, y_mean = weights @ X / weights.sum(), weights @ y / weights.sum()
    else:
        x_mean, y_mean = np.zeros(X.shape[1]), 0.0
    root = np.sqrt(weights)[:, None]
    A = np.vstack([root * (X - x_mean), np.sqrt(alpha) * np.eye(X.shape[1])])
    b = np.concatenate([root[:, 0] * (y - y_mean), np.zeros(X.shape[1])])
    coef = nnls(A, b, maxiter=10_000)[0]
    return coef, (y_mean - x_mean @ coef) if fit_intercept else 0.0


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_linear_regression_positive_is_nnls(data, fit_intercept, sparse):
    X, y, weights = data
    Xin = sp.csr_matrix(X) if sparse else X
    ours = mm.LinearRegression(positive=True, fit_intercept=fit_intercept).fit(Xin, y, sample_weight=weights)
    coef, intercept = reference_nnls(X, y, weights, 0.0, fit_intercept)
    np.testing.assert_allclose(ours.coef_, coef, atol=1e-6)
    assert ours.intercept_ == pytest.approx(intercept, abs=1e-6)
    np.testing.assert_array_equal(ours.coef_ == 0, coef == 0)
    ref = sk.LinearRegression(positive=True, fit_intercept=fit_intercept).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)


@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_ridge_positive_is_nnls_on_the_augmented_system(data, alpha):
    X, y, weights = data
    ours = mm.Ridge(alpha=alpha, positive=True).fit(X, y, sample_weight=weights)
    coef, intercept = reference_nnls(X, y, weights, alpha, True)
    np.testing.assert_allclose(ours.coef_, coef, atol=1e-6)
    assert ours.intercept_ == pytest.approx(intercept, abs=1e-6)
    np.testing.assert_array_equal(ours.coef_ == 0, coef == 0)
    ref = sk.Ridge(alpha=alpha, positive=True, tol=1e-10).fit(X, y, sample_weight=weights)  # lbfgs-b
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-3)


def test_ridge_positive_two_targets_and_float32(data):
    X, y, _ = data
    Y = np.column_stack([y, -y + 300])
    ours = mm.Ridge(alpha=[0.1, 1.0], positive=True).fit(X.astype(np.float32), Y)
    assert ours.coef_.shape == (2, X.shape[1]) and ours.coef_.dtype == np.float32
    for k, alpha in enumerate([0.1, 1.0]):
        coef, _ = reference_nnls(X.astype(np.float32).astype(float), Y[:, k], np.ones(len(y)), alpha, True)
        np.testing.assert_allclose(ours.coef_[k], coef, rtol=1e-5, atol=1e-3)
    assert np.all(ours.coef_ >= 0)


@pytest.mark.parametrize("estimator", [mm.LinearRegression(positive=True), mm.Ridge(alpha=1.0, positive=True)])
def test_every_feature_active_converges_without_warning(estimator):
    # At such an optimum every KKT residual is rounding noise: the stopping test must take the data's scale.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((100, 20)) + 5.0
    y = X @ rng.uniform(1.0, 3.0, 20) + 0.1 * rng.standard_normal(100) + 40.0
    alpha = getattr(estimator, "alpha", 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator.fit(X, y)
    coef, intercept = reference_nnls(X, y, np.ones(len(y)), alpha, True)
    assert np.all(coef > 0) and estimator.n_iter_ < 100
    np.testing.assert_allclose(estimator.coef_, coef, rtol=1e-9)
    assert estimator.intercept_ == pytest.approx(intercept, rel=1e-9)


@pytest.mark.parametrize("estimator", [mm.LinearRegression(positive=True), mm.Ridge(alpha=1.0, positive=True)])
def test_memmap_dask_and_max_iter(data, estimator, tmp_path):
    X, y, _ = data
    path = tmp_path / "X.npy"
    np.save(path, X)
    ref = (sk.LinearRegression(positive=True) if isinstance(estimator, mm.LinearRegression)
           else sk.Ridge(alpha=1.0, positive=True, tol=1e-12, max_iter=100_000)).fit(X, y)
    np.testing.assert_allclose(estimator.fit(np.load(path, mmap_mode="r"), y).coef_, ref.coef_, rtol=1e-5, atol=1e-4)
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match=r"\(positive=True\) does not take dask arrays"):
        estimator.fit(da.from_array(X, chunks=100), y)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        estimator.set_params(max_iter=1).fit(X, y)
