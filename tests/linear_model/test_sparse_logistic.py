"""L1 and elastic-net LogisticRegression against scikit-learn's saga (tight) and liblinear, same exact zeros."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import load_standardized as load
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning

import minimom as mm

TIGHT = 1e-6
pytestmark = pytest.mark.usefixtures("one_blas_thread")


def saga(**kwargs):
    return sk.LogisticRegression(solver="saga", tol=1e-12, max_iter=100_000, **kwargs)


def check_agrees(ours, ref, tolerance=TIGHT):
    intercept = np.atleast_1d(np.asarray(ref.intercept_, dtype=float))  # liblinear: 0.0 without an intercept
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == intercept.shape
    if len(intercept) > 1:  # the softmax leaves a common constant free: compare the sum-zero intercepts
        intercept = intercept - intercept.mean()
    assert np.max(np.abs(ours.coef_ - ref.coef_)) <= tolerance
    assert np.max(np.abs(ours.intercept_ - intercept)) <= tolerance
    np.testing.assert_array_equal(ours.coef_ == 0, ref.coef_ == 0)


@pytest.mark.parametrize("name, C, l1_ratio", [
    ("iris", 0.1, 1.0), ("iris", 1.0, 1.0), ("iris", 1.0, 0.5), ("wine", 0.1, 1.0), ("wine", 1.0, 0.5),
    ("breast_cancer", 0.1, 1.0), ("breast_cancer", 1.0, 0.5),
])
def test_matches_saga(name, C, l1_ratio):
    X, y = load(name)
    ours = mm.LogisticRegression(C=C, l1_ratio=l1_ratio).fit(X, y)
    check_agrees(ours, saga(C=C, l1_ratio=l1_ratio).fit(X, y))
    assert np.any(ours.coef_ == 0)


@pytest.mark.parametrize("C", [0.05, 1.0])
def test_binary_without_intercept_matches_liblinear(C):
    X, y = load("breast_cancer")
    ours = mm.LogisticRegression(C=C, l1_ratio=1.0, fit_intercept=False).fit(X, y)
    ref = sk.LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", fit_intercept=False, tol=1e-14,
                                max_iter=100_000).fit(X, y)
    check_agrees(ours, ref, 1e-5)  # liblinear's own stopping rule is not tighter than this


def test_sparse_and_float32_inputs():
    X, y = load("wine")
    X = X * (np.random.default_rng(0).random(X.shape) < 0.5)
    dense = mm.LogisticRegression(C=0.5, l1_ratio=0.7).fit(X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        check_agrees(mm.LogisticRegression(C=0.5, l1_ratio=0.7).fit(fmt(X), y), dense, 1e-9)
    single = mm.LogisticRegression(C=0.5, l1_ratio=0.7).fit(X.astype(np.float32), y)
    assert single.coef_.dtype == np.float32 and single.predict_proba(X.astype(np.float32)).dtype == np.float32
    check_agrees(dense, saga(C=0.5, l1_ratio=0.7).fit(X, y))


def test_sample_and_class_weights():
    X, y = load("iris")
    weights = np.random.default_rng(2).integers(0, 4, len(y)).astype(float)
    ours = mm.LogisticRegression(C=0.5, l1_ratio=1.0, class_weight="balanced").fit(X, y, sample_weight=weights)
    check_agrees(ours, saga(C=0.5, l1_ratio=1.0, class_weight="balanced").fit(X, y, sample_weight=weights))
    rows = np.repeat(np.arange(len(y)), weights.astype(int))
    repeated = mm.LogisticRegression(C=0.5, l1_ratio=1.0).fit(X[rows], y[rows])
    check_agrees(mm.LogisticRegression(C=0.5, l1_ratio=1.0).fit(X, y, sample_weight=weights), repeated, 1e-9)


def test_warm_start_continues():
    X, y = load("wine")
    model = mm.LogisticRegression(C=0.1, l1_ratio=1.0, warm_start=True).fit(X, y)
    first = model.coef_.copy()
    model.fit(X, y)
    np.testing.assert_allclose(model.coef_, first, atol=1e-10)
    assert model.n_iter_[0] == 1
    model.set_params(C=1.0, l1_ratio=0.5).fit(X, y)
    check_agrees(model, saga(C=1.0, l1_ratio=0.5).fit(X, y))


def caught(estimator, X, y):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        estimator.fit(X, y)
    return sorted((w.category.__name__, str(w.message)) for w in record
                  if issubclass(w.category, (FutureWarning, UserWarning)) and "converge" not in str(w.message))


@pytest.mark.parametrize("params", [
    {"penalty": "l1", "C": 0.1, "l1_ratio": 1.0}, {"penalty": "l1", "C": 0.1}, {"penalty": "l2", "l1_ratio": 0.5},
    {"penalty": "elasticnet", "l1_ratio": 0.5}, {"penalty": None}, {"penalty": None, "C": 2.0},
    {"l1_ratio": None}, {"C": np.inf, "l1_ratio": 0.5},
])
def test_penalty_is_read_as_scikit_learn_reads_it(params):
    X, y = load("iris")
    ours, ref = mm.LogisticRegression(**params), saga(**params)
    assert caught(ours, X, y) == caught(ref, X, y)
    if params.get("penalty", "l1") is not None and params.get("C", 1.0) != np.inf:
        check_agrees(ours, ref, 1e-5)


def test_penalty_elasticnet_without_l1_ratio_is_an_error():
    X, y = load("iris")
    for model in (mm.LogisticRegression(penalty="elasticnet", l1_ratio=None), saga(penalty="elasticnet",
                                                                                    l1_ratio=None)):
        with pytest.raises(ValueError, match="l1_ratio must be specified"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X, y)


def test_optimizer_is_refused_with_an_l1_part():
    X, y = load("iris")
    with pytest.raises(ValueError, match="leave optimizer=None"):
        mm.LogisticRegression(l1_ratio=1.0, optimizer=mm.Momentum()).fit(X, y)


def test_memmap_dask_and_max_iter(tmp_path):
    X, y = load("breast_cancer")
    path = tmp_path / "X.npy"
    np.save(path, X)
    ref = saga(C=0.1, l1_ratio=0.5).fit(X, y)
    ours = mm.LogisticRegression(C=0.1, l1_ratio=0.5).fit(np.load(path, mmap_mode="r"), y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=TIGHT)
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match=r"LogisticRegression\(l1_ratio=0.5\) does not take dask arrays"):
        mm.LogisticRegression(C=0.1, l1_ratio=0.5).fit(da.from_array(X, chunks=100), y)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        mm.LogisticRegression(C=0.1, l1_ratio=0.5, max_iter=1).fit(X, y)


@pytest.mark.parametrize("name, C, l1_ratio", [("iris", 0.1, 1.0), ("iris", 1.0, 0.5), ("wine", 1.0, 0.5)])
@pytest.mark.parametrize("tol", [1e-2, 1e-3])
def test_loose_tol_lands_closer_than_saga_at_the_same_tol(name, C, l1_ratio, tol):
    # the step after tol is reached (Newton converges quadratically) puts a loose tol near the tight optimum
    X, y = load(name)
    tight = saga(C=C, l1_ratio=l1_ratio).fit(X, y)
    ours = mm.LogisticRegression(C=C, l1_ratio=l1_ratio, tol=tol).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        loose = sk.LogisticRegression(solver="saga", tol=tol, max_iter=100_000, C=C, l1_ratio=l1_ratio,
                                      random_state=0).fit(X, y)
    factor = 10 if tol == 1e-3 else 1  # at 1e-2 the step before the last is not yet in Newton's quadratic regime
    assert factor * np.max(np.abs(ours.coef_ - tight.coef_)) < np.max(np.abs(loose.coef_ - tight.coef_))
