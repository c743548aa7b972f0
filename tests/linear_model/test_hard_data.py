"""Issue 10's hard data: the defaults land within 1e-6 (relative to the coefficients' scale) of a tight
scikit-learn or numpy reference, or refuse with scikit-learn's error."""

import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.utils._param_validation import InvalidParameterError

import minimom as mm

pytestmark = pytest.mark.usefixtures("one_blas_thread")


def relative_difference(coef, intercept, ref_coef, ref_intercept):
    scale = max(np.max(np.abs(ref_coef)), np.max(np.abs(ref_intercept)), np.finfo(float).tiny)
    return max(np.max(np.abs(coef - ref_coef)), np.max(np.abs(intercept - ref_intercept))) / scale


def assert_agrees(ours, ref, limit=1e-6):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning, no overflow: a clean fit
        ours_coef, ours_intercept = np.asarray(ours.coef_), np.asarray(ours.intercept_)
    assert relative_difference(ours_coef, ours_intercept, ref.coef_, np.asarray(ref.intercept_)) <= limit


def tight_logistic(**kwargs):
    return sk.LogisticRegression(solver="newton-cholesky", tol=1e-14, max_iter=1000, **kwargs)


def fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return estimator.fit(X, y)


def test_near_separable_with_weak_penalty():
    X, y = datasets.make_classification(n_samples=5000, n_features=20, class_sep=3, flip_y=0.0, random_state=0)
    assert_agrees(fit_quietly(mm.LogisticRegression(C=1e4), X, y), tight_logistic(C=1e4).fit(X, y))


def test_raw_digits_multinomial_with_weak_penalty():
    X, y = datasets.load_digits(return_X_y=True)
    assert_agrees(fit_quietly(mm.LogisticRegression(C=100.0), X, y), tight_logistic(C=100.0).fit(X, y))


def test_ridge_with_one_feature_a_million_times_larger():
    X, y = datasets.load_diabetes(return_X_y=True)
    X = X.copy()
    X[:, 0] *= 1e6
    ours = fit_quietly(mm.Ridge(alpha=1.0), X, y)
    ref = sk.Ridge(alpha=1.0, solver="cholesky").fit(X, y)
    assert_agrees(ours, ref)
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), abs=1e-9)


def test_unpenalized_logistic_with_a_tiny_feature_keeps_its_huge_coefficient():
    X, y = datasets.make_classification(n_samples=300, n_features=5, n_informative=3, n_redundant=0, flip_y=0.2,
                                        class_sep=0.5, random_state=0)
    X = X.copy()
    X[:, 1] *= 1e-6
    ref = tight_logistic(C=np.inf).fit(X, y)
    assert abs(ref.coef_[0, 1]) > 1e4  # the curvature there is 1e-12 of the rest: it must not be dropped
    assert_agrees(fit_quietly(mm.LogisticRegression(C=np.inf), X, y), ref)


@pytest.mark.parametrize("n, d", [(200, 2500), (60, 80)])
def test_fewer_rows_than_features_gives_the_minimum_norm_solution(n, d):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, d)) + 3.0, rng.standard_normal(n)
    ours = fit_quietly(mm.LinearRegression(), X, y)
    centred = X - X.mean(axis=0)
    coef = np.linalg.lstsq(centred, y - y.mean(), rcond=None)[0]  # the minimum-norm least-squares solution
    np.testing.assert_allclose(ours.predict(X), y, atol=1e-8)  # interpolates ...
    assert np.max(np.abs(ours.coef_ - coef)) <= 1e-6 * np.max(np.abs(coef))  # ... with the smallest coefficients


def test_collinear_features_give_the_minimum_norm_solution():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((100, 6)), rng.standard_normal(100)
    X[:, 5] = X[:, 3] + 2 * X[:, 4]
    X[:, 2] = 1e3 * X[:, 0]  # collinear and badly scaled
    assert_agrees(fit_quietly(mm.LinearRegression(), X, y), sk.LinearRegression().fit(X, y))


@pytest.mark.parametrize("factor", [1e200, 1e-200])
def test_huge_and_tiny_targets(factor):
    X, y = datasets.load_diabetes(return_X_y=True)
    for ours, ref in [(mm.LinearRegression(), sk.LinearRegression()),
                      (mm.Ridge(), sk.Ridge(solver="cholesky"))]:
        assert_agrees(fit_quietly(ours, X, y * factor), ref.fit(X, y * factor))


@pytest.mark.parametrize("factor", [1e-300, 1e300])
def test_huge_and_tiny_features(factor):
    X, y = datasets.load_diabetes(return_X_y=True)
    # The reference solves the scaled problem exactly: the coefficients of X * f are those of X, divided by f
    # (Ridge: with alpha scaled by f^2 as well, which cannot be represented, so only least squares here).
    ref = sk.LinearRegression().fit(X, y)
    ours = fit_quietly(mm.LinearRegression(), X * factor, y)
    assert relative_difference(ours.coef_ * factor, ours.intercept_, ref.coef_, ref.intercept_) <= 1e-6
    assert ours.score(X * factor, y) == pytest.approx(ref.score(X, y), abs=1e-9)
    Xb, yb = datasets.load_breast_cancer(return_X_y=True)
    logistic = fit_quietly(mm.LogisticRegression(C=np.inf if factor > 1 else 1.0, max_iter=20000), Xb * factor, yb)
    assert np.all(np.isfinite(logistic.coef_)) and np.all(np.isfinite(logistic.predict_proba(Xb * factor)))


def test_ridge_refuses_an_infinite_alpha_as_sklearn_does():
    X, y = datasets.load_diabetes(return_X_y=True)
    with pytest.raises(InvalidParameterError, match="alpha"):
        sk.Ridge(alpha=np.inf).fit(X * 1e300, y)
    with pytest.raises(InvalidParameterError, match="alpha"):
        mm.Ridge(alpha=np.inf).fit(X * 1e300, y)


def test_separable_data_with_a_vanishing_penalty_fits_without_warnings():
    # scikit-learn's test_newton_cholesky_fallback_to_lbfgs: lbfgs converges here without a warning; so must we.
    X, y = datasets.make_classification(n_samples=10, n_features=20, random_state=42)
    ours = fit_quietly(mm.LogisticRegression(C=1e30), X, y)
    ref = sk.LogisticRegression(C=1e30, solver="lbfgs").fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.score(X, y) == 1.0
