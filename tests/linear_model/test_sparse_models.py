"""Lasso and ElasticNet land on scikit-learn's tight coordinate-descent solutions, with the same exact zeros."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import minimom as mm

TIGHT = 1e-6


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def diabetes():
    X, y = datasets.load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def correlated(n, d, rho, seed=0, support=5):
    """benchopt's simulated Lasso data: rows with correlation rho^|i-j|, a few true features, noise."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, d))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    w = np.zeros(d)
    w[rng.choice(d, support, replace=False)] = rng.standard_normal(support) * 3
    return X + 2.0, X @ w + rng.standard_normal(n) + 5.0


def tight(cls, **kwargs):
    return getattr(sk, cls)(tol=1e-15, max_iter=1_000_000, **kwargs)


def check_agrees(ours, ref, tolerance=TIGHT):
    coef, ref_coef = np.asarray(ours.coef_), np.asarray(ref.coef_)
    assert coef.shape == ref_coef.shape
    assert np.shape(ours.intercept_) == np.shape(ref.intercept_)
    assert np.max(np.abs(coef - ref_coef)) <= tolerance
    assert np.max(np.abs(np.asarray(ours.intercept_) - ref.intercept_)) <= tolerance
    np.testing.assert_array_equal(coef == 0, ref_coef == 0)


MODELS = [("Lasso", {}), ("ElasticNet", {"l1_ratio": 0.3}), ("ElasticNet", {"l1_ratio": 0.9}),
          ("ElasticNet", {"l1_ratio": 0.0}),
          ("Lasso", {"positive": True}), ("ElasticNet", {"l1_ratio": 0.5, "positive": True})]


@pytest.mark.parametrize("name, params", MODELS)
@pytest.mark.parametrize("alpha", [1.0, 0.1, 0.01])
def test_matches_sklearn_on_diabetes(diabetes, name, params, alpha):
    X, y = diabetes
    ours = getattr(mm, name)(alpha=alpha, **params).fit(X, y)
    check_agrees(ours, tight(name, alpha=alpha, **params).fit(X, y))
    assert ours.dual_gap_ <= 1e-10 * np.var(y)


@pytest.mark.parametrize("n, d, rho", [(40, 300, 0.0), (40, 300, 0.6), (120, 60, 0.6)])
@pytest.mark.parametrize("fraction", [0.1, 0.01])
def test_matches_sklearn_on_correlated_designs(n, d, rho, fraction):
    X, y = correlated(n, d, rho)
    alpha = fraction * np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / n
    check_agrees(mm.Lasso(alpha=alpha).fit(X, y), tight("Lasso", alpha=alpha).fit(X, y))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_input_is_not_densified_and_matches(diabetes, fmt, fit_intercept, monkeypatch):
    X, y = diabetes
    rng = np.random.default_rng(0)
    X = X * (rng.random(X.shape) < 0.4)
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)

    original = type(Xs).toarray

    def refuse(self, *args, **kwargs):  # small products (working-set Gram matrices) may be made dense
        assert self.shape[0] < X.shape[0], "X was densified"
        return original(self, *args, **kwargs)

    ours = mm.ElasticNet(alpha=0.05, l1_ratio=0.7, fit_intercept=fit_intercept)
    monkeypatch.setattr(type(Xs), "toarray", refuse)
    ours.fit(Xs, y)
    monkeypatch.undo()
    check_agrees(ours, tight("ElasticNet", alpha=0.05, l1_ratio=0.7, fit_intercept=fit_intercept).fit(X, y))
    np.testing.assert_allclose(ours.predict(Xs), ours.predict(X), atol=1e-9)


def test_sample_weight_matches_sklearn_and_integer_weights_repeat_rows(diabetes):
    X, y = diabetes
    weights = np.random.default_rng(1).integers(0, 4, len(y)).astype(float)
    ours = mm.Lasso(alpha=0.1).fit(X, y, sample_weight=weights)
    check_agrees(ours, tight("Lasso", alpha=0.1).fit(X, y, sample_weight=weights))
    rows = np.repeat(np.arange(len(y)), weights.astype(int))
    check_agrees(ours, tight("Lasso", alpha=0.1).fit(X[rows], y[rows]))
    sparse = mm.Lasso(alpha=0.1).fit(sp.csr_matrix(X), y, sample_weight=weights)
    check_agrees(sparse, ours, 1e-9)


@pytest.mark.parametrize("columns", [1, 3])
def test_two_dimensional_y(diabetes, columns):
    X, y = diabetes
    Y = np.column_stack([y, 0.5 * y + 3.0, -y][:columns])
    ours = mm.ElasticNet(alpha=0.1).fit(X, Y)
    ref = tight("ElasticNet", alpha=0.1).fit(X, Y)
    check_agrees(ours, ref)
    assert np.shape(ours.dual_gap_) == np.shape(ref.dual_gap_)
    assert ours.sparse_coef_.shape == ref.sparse_coef_.shape
    np.testing.assert_array_equal(ours.sparse_coef_.toarray(), np.atleast_2d(ours.coef_))


def test_float32_is_kept_and_matches(diabetes):
    X, y = diabetes
    ours = mm.Lasso(alpha=0.1).fit(X.astype(np.float32), y)
    assert ours.coef_.dtype == np.float32 and ours.intercept_.dtype == np.float32
    assert ours.predict(X.astype(np.float32)).dtype == np.float32
    ref = tight("Lasso", alpha=0.1).fit(X.astype(np.float32).astype(np.float64), y)
    check_agrees(ours, ref, 1e-4)


def test_warm_start_continues_from_the_previous_fit(diabetes):
    X, y = diabetes
    model = mm.Lasso(alpha=0.1, warm_start=True).fit(X, y)
    first = model.coef_.copy()
    model.set_params(max_iter=1).fit(X, y)  # already optimal: no work, same point
    np.testing.assert_allclose(model.coef_, first, atol=1e-12)
    model.set_params(alpha=0.05, max_iter=10000).fit(X, y)
    check_agrees(model, tight("Lasso", alpha=0.05).fit(X, y))


def test_max_iter_too_small_warns(diabetes):
    X, y = diabetes
    X = np.column_stack([X, X + 1e-3 * np.random.default_rng(0).standard_normal(X.shape)])
    sklearn_text = "Objective did not converge. You might want to increase the number of iterations."
    for model in (mm.Lasso(alpha=1e-4, max_iter=1), sk.Lasso(alpha=1e-4, max_iter=1)):  # the same sentence
        with pytest.warns(ConvergenceWarning, match=sklearn_text):
            model.fit(X, y)
    with pytest.warns(ConvergenceWarning, match=r"Lasso: the duality gap .* max_iter=1 epochs"):
        mm.Lasso(alpha=1e-4, max_iter=1).fit(X, y)


def test_alpha_large_gives_all_zeros_and_the_mean(diabetes):
    X, y = diabetes
    model = mm.Lasso(alpha=1e3).fit(X, y)
    assert np.all(model.coef_ == 0) and model.intercept_ == pytest.approx(y.mean())


def test_dask_input_raises_a_clear_error(diabetes):
    da = pytest.importorskip("dask.array")
    X, y = diabetes
    with pytest.raises(TypeError, match="Lasso does not take dask arrays"):
        mm.Lasso().fit(da.from_array(X, chunks=100), y)


def test_memmap_is_read_in_place(diabetes, tmp_path):
    X, y = diabetes
    path = tmp_path / "X.npy"
    np.save(path, X)
    X_map = np.load(path, mmap_mode="r")
    check_agrees(mm.Lasso(alpha=0.1).fit(X_map, y), tight("Lasso", alpha=0.1).fit(X, y))


def test_optimizer_other_than_none_is_refused(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="leave optimizer=None"):
        mm.Lasso(optimizer=mm.Momentum()).fit(X, y)


def test_l1_ratio_zero_with_sample_weights_is_ridge():
    # scikit-learn's test_enet_ridge_consistency: ElasticNet(l1_ratio=0, alpha=a / sum(sw)) is Ridge(alpha=a).
    rng = np.random.RandomState(42)
    X, y = datasets.make_regression(n_samples=300, n_features=100, effective_rank=10, n_informative=50,
                                    random_state=rng)
    weights = rng.uniform(low=0.01, high=10, size=X.shape[0])
    ridge = sk.Ridge(alpha=1.0, solver="svd").fit(X, y, sample_weight=weights)
    enet = mm.ElasticNet(alpha=1.0 / weights.sum(), l1_ratio=0.0).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(enet.coef_, ridge.coef_, rtol=5e-7, atol=3e-11)
    assert enet.intercept_ == pytest.approx(ridge.intercept_, abs=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
def test_warm_start_from_the_optimum_runs_no_epoch(sparse):
    # scikit-learn checks the duality gap before its first epoch: a converged warm start reports n_iter_ == 0.
    X, y = correlated(50, 200, 0.3)
    X = sp.csr_matrix(X) if sparse else X
    for model in (mm.ElasticNet(alpha=1e-3, tol=1e-3), sk.ElasticNet(alpha=1e-3, tol=1e-3)):
        assert model.fit(X, y).n_iter_ > 0
        assert model.set_params(warm_start=True).fit(X, y).n_iter_ == 0


def test_overflowing_columns_raise_like_sklearn():
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.randint(0, 2, size=10)
    for model in (mm.ElasticNet(alpha=0.1), sk.ElasticNet(alpha=0.1), mm.LinearRegression(positive=True)):
        with pytest.raises(ValueError, match="Coordinate descent iterations resulted in non-finite parameter values"):
            model.fit(X, y)


@pytest.mark.parametrize("max_iter", [1, 2, 10_000])
def test_dual_gap_is_the_primal_minus_the_dual_of_the_returned_coef(max_iter):
    # scikit-learn's test_lasso_dual_gap formula (data fit normalized by n), away from the optimum and at it.
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 200)), rng.standard_normal(50)
    n = len(y)
    alpha = 0.01 * np.max(np.abs(X.T @ y)) / n
    with pytest.warns(ConvergenceWarning) if max_iter < 10 else np.errstate():
        model = mm.Lasso(alpha=alpha, fit_intercept=False, max_iter=max_iter, tol=0.0 if max_iter < 10 else 1e-12)
        model.fit(X, y)
    R = y - X @ model.coef_
    primal = 0.5 * np.mean(R**2) + alpha * np.sum(np.abs(model.coef_))
    R /= np.max(np.abs(X.T @ R) / (n * alpha))
    dual = 0.5 * (np.mean(y**2) - np.mean((y - R) ** 2))
    if max_iter < 10:
        assert model.dual_gap_ == pytest.approx(primal - dual, rel=1e-12)
    else:  # converged: both are rounding noise on the objective
        assert abs(model.dual_gap_) <= 1e-13 * primal and abs(primal - dual) <= 1e-13 * primal


def test_alpha_zero_is_least_squares():
    # scikit-learn warns that its coordinate descent converges badly at alpha=0; this solver ends exactly.
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((50, 10)), rng.standard_normal(50)
    ours = mm.Lasso(alpha=0.0).fit(X, y)
    ref = sk.LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-12)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-12)
