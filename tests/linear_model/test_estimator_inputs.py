"""scipy.sparse X, float32, and scikit-learn's parameters (warm_start, max_iter=0, per-target alpha,
sparsify/densify, validation): every number checked against scikit-learn or numpy."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import minimom as mm

TIGHT = 1e-6


def tight_logistic(**kwargs):
    return sk.LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000, **kwargs)


def sparse_data(seed=0, n=300, d=25, classes=2):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.15, random_state=seed, format="csr") * 3.0
    score = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n) + 1.0
    y_class = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return X, score, y_class


def max_difference(ours, ref):
    return max(np.max(np.abs(np.asarray(ours.coef_) - ref.coef_)),
               np.max(np.abs(np.asarray(ours.intercept_) - np.asarray(ref.intercept_))))


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_regression_matches_sklearn_on_the_dense_copy(fmt, fit_intercept):
    X, y, _ = sparse_data()
    Xs = X.asformat(fmt)
    for ours, ref in [(mm.LinearRegression(fit_intercept=fit_intercept),
                       sk.LinearRegression(fit_intercept=fit_intercept)),
                      (mm.Ridge(alpha=2.0, fit_intercept=fit_intercept),
                       sk.Ridge(alpha=2.0, fit_intercept=fit_intercept, solver="cholesky"))]:
        ours.fit(Xs, y)
        ref.fit(X.toarray(), y)
        assert max_difference(ours, ref) <= TIGHT
        np.testing.assert_allclose(ours.predict(Xs), ref.predict(X.toarray()), atol=1e-8)
        assert ours.score(Xs, y) == pytest.approx(ref.score(X.toarray(), y), abs=1e-10)


@pytest.mark.parametrize("classes", [2, 4])
def test_sparse_logistic_matches_sklearn_on_the_same_sparse_data(classes):
    X, _, y = sparse_data(seed=1, classes=classes)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    ours = mm.LogisticRegression(C=3.0).fit(X, y, sample_weight=weights)
    ref = tight_logistic(C=3.0).fit(X, y, sample_weight=weights)
    assert max_difference(ours, ref) <= TIGHT
    for method in ["decision_function", "predict_proba", "predict_log_proba"]:
        np.testing.assert_allclose(getattr(ours, method)(X), getattr(ref, method)(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X.tocsc()), ref.predict(X))
    assert ours.score(X, y) == ref.score(X, y)


def test_sparse_input_is_never_densified(monkeypatch):
    X, y, labels = sparse_data()

    def refuse(*args, **kwargs):
        raise AssertionError("X was densified")

    monkeypatch.setattr(sp.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(sp.csr_matrix, "todense", refuse)
    mm.Ridge().fit(X, y).predict(X)
    mm.LogisticRegression().fit(X, labels).predict_proba(X)


@pytest.mark.parametrize("make", [
    lambda: (mm.LinearRegression(), sk.LinearRegression(), "regression"),
    lambda: (mm.Ridge(alpha=0.5), sk.Ridge(alpha=0.5, solver="cholesky"), "regression"),
    lambda: (mm.LogisticRegression(C=2.0), tight_logistic(C=2.0), "binary"),
    lambda: (mm.LogisticRegression(), tight_logistic(), "multiclass"),
])
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_in_float32_out_at_float32_precision(make, sparse):
    ours, ref, kind = make()
    X, y = datasets.load_diabetes(return_X_y=True) if kind == "regression" else datasets.load_iris(return_X_y=True)
    if kind == "binary":
        y = y == 1
    X = StandardScaler().fit_transform(X).astype(np.float32)
    dense = X.astype(np.float64)
    X = sp.csr_matrix(X) if sparse else X
    ours.fit(X, y)
    ref.fit(dense, y)
    assert ours.coef_.dtype == np.float32 and np.asarray(ours.intercept_).dtype == np.float32
    scale = max(np.max(np.abs(ref.coef_)), 1.0)
    assert max_difference(ours, ref) <= 1e-5 * scale
    predictions = ours.predict_proba(X) if kind != "regression" else ours.predict(X)
    assert predictions.dtype == np.float32
    if kind != "regression":
        assert ours.decision_function(X).dtype == np.float32


def test_warm_start_continues_from_the_previous_fit():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ref = tight_logistic().fit(X, y)
    clf = mm.LogisticRegression(warm_start=True, max_iter=3)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert max_difference(clf, ref) > 1e-3  # three iterations are not enough ...
    clf.set_params(max_iter=5000).fit(X, y)  # ... and the next fit starts where they stopped
    assert max_difference(clf, ref) <= TIGHT
    again = clf.fit(X, y)  # from the solution: nothing (or next to nothing) left to do
    assert again.n_iter_[0] <= 2 and max_difference(again, ref) <= TIGHT
    cold = mm.LogisticRegression(max_iter=0)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X, y)
    assert np.all(cold.coef_ == 0) and np.all(cold.intercept_ == 0)


def test_warm_start_multinomial_and_wrong_shape():
    X, y = datasets.load_iris(return_X_y=True)
    ref = tight_logistic(C=5.0).fit(X, y)
    clf = mm.LogisticRegression(C=5.0, warm_start=True).fit(X, y)
    clf.fit(X, y)
    assert max_difference(clf, ref) <= TIGHT and clf.n_iter_[0] <= 2
    with pytest.raises(ValueError, match="warm_start"):
        clf.fit(X[:, :3], y)


def test_max_iter_zero_returns_the_warm_start():
    X, y = datasets.load_iris(return_X_y=True)
    clf = mm.LogisticRegression(warm_start=True).fit(X, y)
    coef = clf.coef_.copy()
    with pytest.warns(ConvergenceWarning):
        clf.set_params(max_iter=0, C=0.01).fit(X, y)
    np.testing.assert_allclose(clf.coef_, coef, atol=1e-12)
    assert clf.n_iter_[0] == 0


def test_one_alpha_per_target_matches_sklearn():
    X, y = datasets.load_linnerud(return_X_y=True)
    alphas = np.array([0.1, 10.0, 1000.0])
    ours = mm.Ridge(alpha=alphas).fit(X, y)
    ref = sk.Ridge(alpha=alphas, solver="cholesky").fit(X, y)
    assert max_difference(ours, ref) <= TIGHT * max(1.0, np.max(np.abs(ref.coef_)))
    with pytest.raises(ValueError, match="targets"):
        mm.Ridge(alpha=[1.0, 2.0]).fit(X, y)


def test_sparsify_and_densify_as_sklearn():
    X, y = datasets.load_iris(return_X_y=True)
    clf = mm.LogisticRegression().fit(X, y)
    dense = clf.predict_proba(X)
    assert sp.issparse(clf.sparsify().coef_)
    np.testing.assert_allclose(clf.predict_proba(X), dense, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(sp.csr_matrix(X)), dense, rtol=1e-12)
    assert isinstance(clf.densify().coef_, np.ndarray)
    np.testing.assert_allclose(clf.predict_proba(X), dense, rtol=1e-12)
    with pytest.raises(Exception, match="fitted"):
        mm.LogisticRegression().sparsify()


@pytest.mark.parametrize("estimator, param", [
    (mm.Ridge(alpha=np.inf), "alpha"), (mm.Ridge(alpha=-1.0), "alpha"), (mm.Ridge(alpha="big"), "alpha"),
    (mm.Ridge(max_iter=0), "max_iter"), (mm.LinearRegression(max_iter=-1), "max_iter"),
    (mm.LinearRegression(max_iter=2.5), "max_iter"), (mm.LogisticRegression(C=0.0), "C"),
    (mm.LogisticRegression(C=np.nan), "C"), (mm.LogisticRegression(tol=-1e-3), "tol"),
    (mm.LogisticRegression(class_weight="weighted"), "class_weight"), (mm.Ridge(fit_intercept="yes"), "fit_intercept"),
    (mm.LogisticRegression(warm_start=2), "warm_start"), (mm.Ridge(optimizer="sgd"), "optimizer"),
])
def test_invalid_parameters_raise_sklearns_error(estimator, param):
    X, y = datasets.load_iris(return_X_y=True)
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of {type(estimator).__name__} must be"):
        estimator.fit(X, y)


def test_ridge_alpha_array_with_a_bad_entry_is_a_clear_error():
    X, y = datasets.load_linnerud(return_X_y=True)
    with pytest.raises(ValueError, match="alpha"):
        mm.Ridge(alpha=[1.0, np.inf, 2.0]).fit(X, y)


def test_dot_is_differentiable_for_dense_and_sparse_X():
    import autograd.numpy as anp
    from autograd import grad, make_hvp

    X = sp.random(40, 6, density=0.4, random_state=3, format="csr")
    w, v = np.random.default_rng(4).standard_normal((2, 6))
    for data in [X, X.tocsc(), X.toarray()]:
        np.testing.assert_allclose(mm.dot(data, w), X.toarray() @ w)

        def loss(w, data=data):
            return anp.sum(anp.tanh(mm.dot(data, w)) ** 2)

        def reference(w):
            return anp.sum(anp.tanh(X.toarray() @ w) ** 2)

        np.testing.assert_allclose(grad(loss)(w), grad(reference)(w), rtol=1e-12)
        np.testing.assert_allclose(make_hvp(loss)(w)[0](v), make_hvp(reference)(w)[0](v), rtol=1e-10)
    W = np.random.default_rng(5).standard_normal((6, 3))
    np.testing.assert_allclose(grad(lambda W: anp.sum(mm.dot(X, W) ** 2))(W), 2 * X.T @ (X @ W), rtol=1e-12)
    dense = X.toarray()
    np.testing.assert_allclose(grad(lambda A: anp.sum(mm.dot(A, w) ** 2))(dense), 2 * np.outer(dense @ w, w))
