"""The estimators on dask arrays (a distributed LocalCluster) and memmaps agree with scikit-learn in memory."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk

import minimom as mm

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.dask

N, D, CHUNK = 3001, 5, 700  # an uneven last chunk on purpose


def make_data(kind, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)) * np.array([1.0, 5.0, 0.2, 2.0, 1.0]) + np.array([3.0, -1.0, 0.0, 10.0, 1.0])
    w = rng.uniform(0.1, 3.0, N)
    if kind == "regression":
        y = X @ np.array([1.0, -0.5, 3.0, 0.2, 0.0]) + 2.0 + 0.5 * rng.standard_normal(N)
    else:
        n_classes = 2 if kind == "binary" else 3
        logits = (X - X.mean(0)) @ rng.standard_normal((D, n_classes)) * 0.5
        y = np.array(["a", "b", "c"])[:n_classes][np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)]
    return X, y, w


def to_dask(*arrays):
    return [None if a is None else da.from_array(a, chunks=(CHUNK,) + a.shape[1:]) for a in arrays]


def coefficients(estimator):
    return np.concatenate([np.ravel(estimator.coef_), np.ravel(estimator.intercept_)])


CASES = [
    ("regression", lambda: mm.LinearRegression(), lambda: sk.LinearRegression()),
    ("regression", lambda: mm.Ridge(alpha=10.0), lambda: sk.Ridge(alpha=10.0, solver="cholesky")),
    ("binary", lambda: mm.LogisticRegression(C=0.5),
     lambda: sk.LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-10, max_iter=1000)),
    ("multinomial", lambda: mm.LogisticRegression(C=2.0),
     lambda: sk.LogisticRegression(C=2.0, solver="newton-cholesky", tol=1e-10, max_iter=1000)),
]
IDS = ["linear", "ridge", "logistic-binary", "logistic-multinomial"]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("kind, ours, reference", CASES, ids=IDS)
def test_fit_on_dask_agrees_with_sklearn_in_memory(dask_client, kind, ours, reference, weighted):
    X, y, w = make_data(kind)
    w = w if weighted else None
    Xd, yd, wd = to_dask(X, y, w)
    model = ours().fit(Xd, yd, sample_weight=wd)
    expected = reference().fit(X, y, sample_weight=w)
    scale = max(1.0, np.max(np.abs(coefficients(expected))))
    np.testing.assert_allclose(coefficients(model), coefficients(expected), atol=1e-6 * scale)
    assert model.n_features_in_ == D and np.shape(model.coef_) == np.shape(expected.coef_)
    assert 1 <= model.n_passes_ <= 200  # passes over X, each a round trip to the cluster


@pytest.mark.parametrize("kind, ours, reference", CASES, ids=IDS)
def test_predictions_on_dask_are_dask_arrays_equal_to_numpy_ones(dask_client, kind, ours, reference):
    X, y, _ = make_data(kind)
    Xd, yd = to_dask(X, y)
    model = ours().fit(Xd, yd)
    methods = ["predict"] + (["decision_function", "predict_proba", "predict_log_proba"] if kind != "regression"
                             else [])
    for method in methods:
        lazy = getattr(model, method)(Xd)
        assert type(lazy).__module__.startswith("dask."), method
        expected = getattr(model, method)(X)
        computed = lazy.compute()
        assert computed.shape == expected.shape
        if computed.dtype.kind == "f":
            np.testing.assert_allclose(computed, expected, rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_array_equal(computed, expected)


def test_the_client_never_gathers_X(dask_client, monkeypatch):
    """Every result the client gathers during fit is a handful of d-vectors or d x d matrices, never X."""
    from dask.sizeof import sizeof

    sizes = []
    original = distributed.Client.gather

    def gather(self, futures, *args, **kwargs):
        result = original(self, futures, *args, **kwargs)
        sizes.append(sizeof(result))
        return result

    monkeypatch.setattr(distributed.Client, "gather", gather)
    rng = da.random.default_rng(1)
    X = rng.standard_normal((40_000, D), chunks=(5_000, D)) + 1.0  # made on the workers
    y = (X[:, 0] + rng.logistic(size=40_000, chunks=5_000) > 1.0).astype(int)
    X, y = dask_client.persist([X, y])
    model = mm.LogisticRegression().fit(X, y)
    assert sizes and max(sizes) < 20 * D * D * 8 < X.nbytes / 100
    assert len(sizes) >= model.n_passes_


def test_unaligned_chunks_and_non_dask_y_are_clear_errors(dask_client):
    X, y, w = make_data("binary")
    Xd = da.from_array(X, chunks=(CHUNK, D))
    with pytest.raises(ValueError, match=r"y and X are not chunked alike.*rechunk"):
        mm.LogisticRegression().fit(Xd, da.from_array(y, chunks=1000))
    with pytest.raises(TypeError, match=r"y is a ndarray but X is a dask array.*da.from_array"):
        mm.LogisticRegression().fit(Xd, y)
    with pytest.raises(TypeError, match=r"sample_weight is a ndarray but X is a dask array"):
        mm.Ridge().fit(Xd, da.from_array(w, chunks=CHUNK), sample_weight=w)


def test_class_weight_balanced_on_dask_agrees_with_sklearn(dask_client):
    X, y, _ = make_data("multinomial")
    model = mm.LogisticRegression(class_weight="balanced").fit(*to_dask(X, y))
    expected = sk.LogisticRegression(class_weight="balanced", solver="newton-cholesky", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(coefficients(model), coefficients(expected), atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind, ours, reference", CASES, ids=IDS)
def test_fit_on_a_memmap_agrees_with_sklearn(tmp_path, kind, ours, reference, dtype):
    X, y, w = make_data(kind)
    X = X.astype(dtype)
    np.save(tmp_path / "X.npy", X)
    X_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        model = ours().fit(X_disk, y, sample_weight=w)
    expected = reference().fit(X.astype(np.float64), y, sample_weight=w)
    scale = max(1.0, np.max(np.abs(coefficients(expected))))
    tolerance = 1e-6 if dtype == np.float64 else 1e-4  # float32 data agree at float32's precision
    np.testing.assert_allclose(coefficients(model), coefficients(expected), atol=tolerance * scale)
    assert model.coef_.dtype == dtype


@pytest.mark.parametrize("kind", ["binary", "multinomial"])
def test_warm_start_on_a_memmap_continues_from_the_previous_fit(tmp_path, kind):
    X, y, _ = make_data(kind)
    np.save(tmp_path / "X.npy", X)
    X_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    expected = sk.LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(X, y)
    scale = max(1.0, np.max(np.abs(coefficients(expected))))
    # From the fit in memory: already at the optimum, so no iteration is needed.
    model = mm.LogisticRegression(C=0.5, warm_start=True).fit(X, y).fit(X_disk, y)
    assert model.n_iter_[0] == 0
    np.testing.assert_allclose(coefficients(model), coefficients(expected), atol=1e-6 * scale)
    # Short fits continue where the last one stopped.
    short = mm.LogisticRegression(C=0.5, warm_start=True, max_iter=1)  # Newton: 3 steps reach rounding
    errors = []
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # each short fit warns that it stopped early
            short.fit(X_disk, y)
        errors.append(np.max(np.abs(coefficients(short) - coefficients(expected))))
    assert errors[2] < errors[1] < errors[0]
    with pytest.raises(ValueError, match="warm_start"):
        short.fit(X_disk[:, :3], y)


def test_warm_start_on_dask(dask_client):
    X, y, _ = make_data("binary")
    Xd, yd = to_dask(X, y)
    model = mm.LogisticRegression(C=0.5, warm_start=True).fit(Xd, yd)
    first = model.n_iter_[0]
    model.fit(Xd, yd)
    assert first > 0 and model.n_iter_[0] == 0


def test_a_memmap_fit_keeps_resident_memory_well_below_X(tmp_path):
    """LogisticRegression on a 200 MB memmap, in a fresh process: peak RSS grows by far less than X (< 50%)."""
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "X.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(1_250_000, 20))
    rng = np.random.default_rng(0)
    for start in range(0, len(X), 250_000):
        X[start:start + 250_000] = rng.standard_normal((250_000, 20))
    X.flush()
    del X
    code = textwrap.dedent(f"""
        import resource, numpy as np, minimom as mm
        X = np.load({str(path)!r}, mmap_mode="r")
        y = np.arange(len(X)) % 2
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        model = mm.LogisticRegression(max_iter=3).fit(X, y)  # a few passes suffice to show the memory
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(model.n_passes_, (after - before) * 1024 / X.nbytes)
    """)
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    passes, growth = done.stdout.split()
    assert int(passes) >= 2 and float(growth) < 0.5
