"""RowSum: a loss summed over row blocks equals the loss on all rows (autograd and numpy closed forms decide)."""

import subprocess
import sys
import textwrap

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import make_hvp, value_and_grad
from conftest import log_loss  # a per-row logistic loss on a {'w', 'b'} pytree

import minimom as mm
from minimom.data._batches import _Batches


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1003, 4))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.standard_normal(1003) > 0).astype(float)
    return X, y


@pytest.fixture(scope="module")
def memmap_X(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("mm") / "X.npy"
    np.save(path, data[0])
    return np.load(path, mmap_mode="r")


@pytest.mark.parametrize("block_rows", [1, 100, 1003, None])
def test_value_and_gradient_equal_autograd_on_all_rows(data, block_rows):
    X, y = data
    p = {"w": np.array([0.1, 0.2, -0.3, 0.4]), "b": 0.5}
    value, grad = value_and_grad(mm.RowSum(log_loss, block_rows=block_rows))(p, X, y)
    expected_value, expected_grad = value_and_grad(log_loss)(p, X, y)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(grad["w"], expected_grad["w"], rtol=1e-10)
    np.testing.assert_allclose(grad["b"], expected_grad["b"], rtol=1e-10)


def test_hessian_vector_products_equal_autograd(data):
    X, y = data
    loss = mm.RowSum(log_loss, block_rows=64)

    def on_vector(f):
        return lambda v, X, y: f({"w": v[:4], "b": v[4]}, X, y)

    v0, direction = np.array([0.1, 0.2, -0.3, 0.4, 0.5]), np.array([1.0, 0.0, 2.0, -1.0, 1.0])
    ours = make_hvp(on_vector(loss))(v0, X, y)[0](direction)
    np.testing.assert_allclose(ours, make_hvp(on_vector(log_loss))(v0, X, y)[0](direction), rtol=1e-10)


def test_minimize_on_a_memmap_reaches_least_squares(data, memmap_X):
    X, _ = data
    y = X @ np.array([1.0, -2.0, 3.0, 0.5]) + 0.1 * np.random.default_rng(1).standard_normal(len(X))
    loss = mm.RowSum(lambda w, X, y: anp.sum((X @ w - y) ** 2), mean=True, block_rows=128)
    res = mm.minimize(loss, np.zeros(4), args=(memmap_X, y), tol=1e-10)
    np.testing.assert_allclose(res.x, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-8)
    assert res.status == "converged" and loss.passes >= res.nfev


def test_penalty_is_added_once_ridge_closed_form(data):
    X, _ = data
    y = X @ np.array([1.0, -2.0, 3.0, 0.5])
    alpha = 50.0
    loss = mm.RowSum(lambda w, X, y: anp.sum((X @ w - y) ** 2), block_rows=100,
                     penalty=lambda w: alpha * anp.sum(w**2))
    res = mm.minimize(loss, np.zeros(4), args=(X, y), tol=1e-8)
    np.testing.assert_allclose(res.x, np.linalg.solve(X.T @ X + alpha * np.eye(4), X.T @ y), atol=1e-8)


def test_mean_divides_by_the_number_of_rows(data):
    X, y = data
    p = {"w": np.ones(4), "b": 0.0}
    assert mm.RowSum(log_loss, mean=True, block_rows=10)(p, X, y) == pytest.approx(log_loss(p, X, y) / len(X))


@pytest.mark.parametrize("kwargs, match", [({"fun": 3}, "fun must be callable"),
                                           ({"fun": log_loss, "block_rows": 0}, "block_rows"),
                                           ({"fun": log_loss, "penalty": "l2"}, "penalty must be callable")])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        mm.RowSum(**kwargs)


def test_minibatch_epochs_on_a_memmap_visit_every_row_once_in_shuffled_blocks(data, memmap_X, monkeypatch):
    monkeypatch.setattr("minimom.data._blocks._BLOCK_BYTES", 100 * (4 + 1) * 8)  # blocks of 100 rows of X and ids
    ids = np.arange(len(memmap_X), dtype=float)
    batches = _Batches((memmap_X, ids), 32, 0)
    assert len(batches.blocks) == 11
    seen = np.concatenate([batch[1] for batch in batches.epoch()])
    assert np.array_equal(np.sort(seen), ids) and not np.array_equal(seen, ids)
    for batch in batches.epoch():  # each batch holds its own rows of X
        np.testing.assert_array_equal(batch[0], data[0][batch[1].astype(int)])


def test_minibatch_on_a_memmap_is_deterministic_and_equals_memory_per_seed(data, memmap_X):
    X, y = data
    loss = mm.RowSum(log_loss, mean=True)
    p = {"w": np.zeros(4), "b": 0.0}
    runs = [mm.minimize(loss, p, args=(A, y), optimizer=mm.Momentum(0.05, 0.9), batch_size=50, maxiter=3, tol=0,
                        random_state=7) for A in (memmap_X, memmap_X)]
    np.testing.assert_array_equal(runs[0].x["w"], runs[1].x["w"])
    other = mm.minimize(loss, p, args=(memmap_X, y), optimizer=mm.Momentum(0.05, 0.9), batch_size=50, maxiter=3,
                        tol=0, random_state=8)
    assert not np.array_equal(other.x["w"], runs[0].x["w"])


def test_a_memmap_pass_keeps_resident_memory_well_below_the_file(tmp_path):
    """One pass over a 200 MB memmap: this process's peak RSS grows by far less than the file."""
    path = tmp_path / "X.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(1_250_000, 20))
    for start in range(0, len(X), 250_000):
        X[start:start + 250_000] = 1.0
    X.flush()
    del X
    code = textwrap.dedent(f"""
        import resource, numpy as np, autograd.numpy as anp, minimom as mm
        X = np.load({str(path)!r}, mmap_mode="r")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        value = mm.RowSum(lambda w, X: anp.sum(X @ w), block_rows=50_000)(np.ones(20), X)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(value, (after - before) * 1024 / X.nbytes)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    value, growth = map(float, done.stdout.split())
    assert value == 1_250_000 * 20 and growth < 0.25  # blocks of 8 MB; read whole, it would be 1
