"""minimize on dask arrays with a distributed LocalCluster: same answers as in memory, only small results gathered."""

import subprocess
import sys
import textwrap

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import value_and_grad
from conftest import log_loss  # a per-row logistic loss on a {'w', 'b'} pytree

import minimom as mm

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.dask


@pytest.fixture
def client(dask_client):
    return dask_client


@pytest.fixture
def gathered(client, monkeypatch):
    """The size in bytes of everything the client gathers from the workers (every compute result)."""
    from dask.sizeof import sizeof

    sizes = []
    original = distributed.Client.gather

    def gather(self, futures, *args, **kwargs):
        result = original(self, futures, *args, **kwargs)
        if not kwargs.get("asynchronous") and not getattr(self, "asynchronous", False):
            sizes.append(sizeof(result))
        return result

    monkeypatch.setattr(distributed.Client, "gather", gather)
    return sizes


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 5))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) + rng.standard_normal(2000) > 0).astype(float)
    return X, y


def test_value_and_gradient_on_dask_chunks_equal_autograd_in_memory(client, data):
    X, y = data
    p = {"w": np.linspace(-1, 1, 5), "b": 0.3}
    value, grad = value_and_grad(mm.RowSum(log_loss))(p, da.from_array(X, chunks=(300, 5)),
                                                       da.from_array(y, chunks=300))
    expected_value, expected_grad = value_and_grad(log_loss)(p, X, y)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(grad["w"], expected_grad["w"], rtol=1e-10)


def test_minimize_on_a_cluster_gathers_only_small_results_and_matches_memory(client, data, gathered):
    X, y = data
    # X is made on the workers, never on the client: each chunk a random block generated where it lives.
    rng = da.random.default_rng(3)
    Xd = rng.standard_normal((20_000, 5), chunks=(2500, 5)).persist()
    noise = rng.logistic(size=20_000, chunks=2500)
    yd = (Xd @ np.array([1.0, -2.0, 0.5, 0.0, 1.0]) + noise > 0).astype(float).persist()
    loss = mm.RowSum(log_loss, mean=True, penalty=lambda p: 1e-3 * anp.sum(p["w"] ** 2))
    gathered.clear()
    res = mm.minimize(loss, {"w": np.zeros(5), "b": 0.0}, args=(Xd, yd), tol=1e-9)
    assert res.status == "converged"
    assert len(gathered) == loss.passes  # one gather per pass over the data ...
    assert max(gathered) < 1_000 and Xd.nbytes == 800_000  # ... each a few numbers, never X
    X_memory, y_memory = Xd.compute(), yd.compute()  # the same data in memory, for the reference only
    expected = mm.minimize(mm.RowSum(log_loss, mean=True, penalty=lambda p: 1e-3 * anp.sum(p["w"] ** 2)),
                           {"w": np.zeros(5), "b": 0.0}, args=(X_memory, y_memory), tol=1e-9)
    np.testing.assert_allclose(res.x["w"], expected.x["w"], atol=1e-8)


def test_minibatch_on_dask_is_deterministic_per_seed(client, data):
    X, y = data
    args = (da.from_array(X, chunks=(400, 5)), da.from_array(y, chunks=400))
    loss = mm.RowSum(log_loss, mean=True)

    def run(seed):
        return mm.minimize(loss, {"w": np.zeros(5), "b": 0.0}, args=args, optimizer=mm.Momentum(0.05, 0.9),
                           batch_size=64, maxiter=2, tol=0, random_state=seed).x["w"]

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_unaligned_chunks_and_numpy_rows_beside_dask_rows_are_clear_errors(client, data):
    X, y = data
    Xd = da.from_array(X, chunks=(300, 5))
    loss = mm.RowSum(log_loss)
    x0 = {"w": np.zeros(5), "b": 0.0}
    with pytest.raises(ValueError, match=r"not chunked alike.*rechunk"):
        mm.minimize(loss, x0, args=(Xd, da.from_array(y, chunks=400)))
    with pytest.raises(TypeError, match=r"args\[1\] is a ndarray but args\[0\] is a dask array.*from_array"):
        mm.minimize(loss, x0, args=(Xd, y))
    with pytest.raises(TypeError, match=r"mm.RowSum"):
        mm.minimize(log_loss, x0, args=(Xd, da.from_array(y, chunks=300)))


def run_python(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


def test_import_minimom_never_imports_dask():
    done = run_python("""
        import sys, minimom, minimom.data._rowsum, minimom.data._blocks, minimom.data._batches, minimom.linear_model
        print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_dask_input_without_dask_names_the_extra():
    done = run_python("""
        import sys
        sys.modules['dask'] = None  # as if dask were not installed
        import numpy as np, minimom as mm
        Array = type('Array', (), {'__module__': 'dask.array.core', 'ndim': 2, 'shape': (4, 2),
                                   'dtype': np.dtype(float)})
        mm.RowSum(lambda w, X: 0.0)(np.zeros(2), Array())
    """)
    assert "ImportError" in done.stderr and "pip install 'minimom[dask]'" in done.stderr
