"""LogisticRegression's sketched first pass (many features, many rows, a penalty): a scalar whitening where the
sketch shows a well-conditioned covariance, a full second pass where not; the answer is scikit-learn's tight fit
either way; without a penalty no sketch is taken."""

import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn import linear_model as sk

import minimom as mm
from minimom.data._design import Design
from minimom.linear_model import _logistic, _whitening


@pytest.fixture
def passes(monkeypatch):
    """Sketch from 5 rows per feature (to keep the data small); record every moments pass's stride and which
    whitening the fit took (``"scalar"`` or ``"full"``)."""
    monkeypatch.setattr(_whitening, "SKETCH_ROWS", 5)
    seen, moments, isotropic = [], Design.moments, _logistic.isotropic

    def spy_moments(self, *args, stride=1, **kwargs):
        seen.append(stride)
        return moments(self, *args, stride=stride, **kwargs)

    def spy_isotropic(*args):
        white = isotropic(*args)
        seen.append("full" if white is None else "scalar")
        return white

    monkeypatch.setattr(Design, "moments", spy_moments)
    monkeypatch.setattr(_logistic, "isotropic", spy_isotropic)
    return seen


def reference(X, y, **kwargs):
    return sk.LogisticRegression(solver="newton-cholesky", tol=1e-14, max_iter=1000, **kwargs).fit(X, y)


def difference(ours, ref):
    scale = max(1.0, np.max(np.abs(ref.coef_)))
    return max(np.max(np.abs(ours.coef_ - ref.coef_)), np.max(np.abs(ours.intercept_ - ref.intercept_))) / scale


def fit(X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        return mm.LogisticRegression(**kwargs).fit(X, y)


def collinear(classes=2, seed=0):
    """make_classification's defaults: 2 informative and 2 redundant features (X is exactly collinear), noise."""
    return datasets.make_classification(n_samples=3000, n_features=130, n_classes=classes, n_clusters_per_class=1,
                                        random_state=seed)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("classes", [2, 3])
def test_a_well_conditioned_covariance_is_whitened_by_a_scalar(passes, classes, fit_intercept):
    X, y = collinear(classes)
    ours = fit(X, y, fit_intercept=fit_intercept)
    assert passes[:2] == [3000 // (5 * 130), "scalar"] and 1 not in passes  # no pass with every row's Gram
    assert ours.optimizer_ != "newton"
    assert difference(ours, reference(X, y, fit_intercept=fit_intercept)) <= 1e-7


def test_an_ill_conditioned_covariance_takes_every_row(passes):
    rng = np.random.default_rng(3)
    X, y = collinear()
    X[:, 10:] = X[:, 10:] @ rng.standard_normal((120, 120)) * np.geomspace(1e-2, 1e2, 120)  # correlated, unscaled
    ours = fit(X, y)
    assert passes[:3] == [3000 // (5 * 130), "full", 1]
    assert difference(ours, reference(X, y)) <= 1e-7


def test_a_rare_column_absent_from_the_sketch_is_fitted(passes):
    X, y = collinear(seed=1)
    X[:, 7] = 0.0
    X[[1, 502, 1203], 7] = 30.0  # in none of the sketch's rows (every 4th): it must not look constant
    ours = fit(X, y)
    assert passes[:2] == [4, "scalar"]  # (its variance, 0.9, keeps the covariance well conditioned)
    ref = reference(X, y)
    assert abs(ref.coef_[0, 7]) > 1e-3 and difference(ours, ref) <= 1e-7


def test_no_sketch_without_a_penalty(passes):
    X, y = collinear(seed=2)
    fit(X, y, C=np.inf)  # the whitening must find the exact null directions: every row
    assert passes and set(passes) == {1}


def test_a_column_on_a_far_larger_scale_keeps_every_row(passes):
    # One feature in other units (x 1e7): measured against the largest eigenvalue, the unit columns' directions
    # would look null and a scalar sized for the big column would be taken; a user's optimizer (no re-whitening
    # between rounds) then stopped far from the optimum. The condition is what this column makes large.
    X, y = collinear(seed=4)
    X[:, 9] *= 1e7
    ours = fit(X, y, optimizer=mm.ConjugateMomentum())
    assert passes[:3] == [4, "full", 1]
    p = 1 / (1 + np.exp(-(X @ ours.coef_[0] + ours.intercept_[0])))
    gradient = X.T @ (p - y) + ours.coef_[0]  # scikit-learn's objective C sum(log-loss) + |w|^2 / 2, C = 1
    gradient[9] /= 1e7  # in the column's own units
    assert np.max(np.abs(gradient)) <= 1e-6 and abs(np.sum(p - y)) <= 1e-6


def test_sampled_rows_without_weight_do_not_blind_the_sketch(passes):
    # Zero weights on exactly the sampled rows (every 4th): the blocks take every row, so correlated columns
    # (condition ~1e3) still send the fit to the full whitening.
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 130)) + 3.0 * rng.standard_normal((3000, 1))  # equicorrelated columns
    y = (X[:, 0] - X[:, 1] + rng.logistic(size=3000) > 0).astype(int)
    weights = np.ones(3000)
    weights[::4] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = mm.LogisticRegression().fit(X, y, sample_weight=weights)
    assert passes[:3] == [4, "full", 1]
    ref = sk.LogisticRegression(solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(X, y, sample_weight=weights)
    assert difference(ours, ref) <= 1e-7


def test_data_whose_squares_underflow_take_two_moments_passes_not_four(passes):
    X, y = collinear(seed=6)
    X[:, 3] *= 1e-150  # its square underflows: the moments are taken again, prescaled, and then from every row
    fit(X, y)
    assert passes[:3] == [4, 1, "full"]  # (before: [4, 4, "full", 1], the sketch and the full pass both twice)
