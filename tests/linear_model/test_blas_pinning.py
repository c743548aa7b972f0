"""BLAS pinning is thread-safe (issue 20, item 4): concurrent fits never leave BLAS on one thread.

``blas_threads`` is a process-wide counter under a lock: first in pins, last out restores. The interleaving
that broke it (a fit starting while another has pinned BLAS, and ending after it) is forced with events.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.linear_model import Ridge as SkRidge
from threadpoolctl import threadpool_info

import minimom as mm
from minimom.linear_model._base import blas_threads

SMALL = np.zeros((10, 3))  # below the size at which fits pin BLAS


def _blas_threads() -> set:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.fixture
def two_blas_threads():
    """BLAS on more than one thread to start from, so that a pin to one is visible.

    The starting limits are the library's own: OpenBLAS (pthreads) ignores a limit set from a worker thread
    once the main thread has set one explicitly, so the test cannot set its own starting point first.
    """
    found = _blas_threads()
    if not found or min(found) < 2:
        pytest.skip(f"BLAS runs on {found or 'no'} thread(s) here: a pin to one would not be visible")
    yield found
    assert _blas_threads() == found


def _in_thread(target):
    errors = []

    def run():
        try:
            target()
        except BaseException as err:  # noqa: BLE001 (reported by the test)
            errors.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_fit_that_starts_under_anothers_pin_neither_unpins_it_nor_leaves_it(two_blas_threads):
    # Fails before the fix: the first fit out restored 2 under the second (seen: {2}), and the second fit out
    # "restored" the 1 it had found, leaving BLAS pinned for the whole process (after: {1}).
    with blas_threads(SMALL):  # a fit in the main thread first: threadpoolctl's "controlling thread" then
        pass
    a_in, b_in, a_out, b_out = (threading.Event() for _ in range(4))
    seen = {}

    def first():
        with blas_threads(SMALL):
            a_in.set()
            assert b_in.wait(10)
            seen["both in"] = _blas_threads()
        a_out.set()
        assert b_out.wait(10)  # alive while the second restores: the last out need not be the first in

    def second():
        assert a_in.wait(10)
        with blas_threads(SMALL):
            b_in.set()
            assert a_out.wait(10)
            seen["first out, second in"] = _blas_threads()
        seen["both out"] = _blas_threads()
        b_out.set()

    threads = [_in_thread(first), _in_thread(second)]
    for thread, errors in threads:
        thread.join(20)
        assert not thread.is_alive() and not errors, errors
    found = two_blas_threads
    assert seen == {"both in": {1}, "first out, second in": {1}, "both out": found}
    assert _blas_threads() == found


def test_nested_and_sequential_pins_restore_the_limits_found(two_blas_threads):
    with blas_threads(SMALL):
        assert _blas_threads() == {1}
        with blas_threads(SMALL):
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}
    assert min(_blas_threads()) >= 2
    with blas_threads(np.zeros((2000, 1000))):  # large data: no pin
        assert min(_blas_threads()) >= 2


def test_an_error_inside_a_pin_still_releases_it(two_blas_threads):
    with pytest.raises(ValueError, match="inside"):
        with blas_threads(SMALL):
            raise ValueError("inside")
    assert min(_blas_threads()) >= 2


def test_concurrent_fits_in_a_thread_pool_match_scikit_learn_and_leave_blas_as_found(two_blas_threads):
    rng = np.random.default_rng(0)
    problems = []
    for seed in range(8):
        X = rng.standard_normal((60 + seed, 4))
        problems.append((X, X @ rng.standard_normal(4) + 0.1 * rng.standard_normal(len(X))))
    start = threading.Barrier(4)

    def fit(problem):
        X, y = problem
        try:
            start.wait(10)  # the first four fits start together
        except threading.BrokenBarrierError:
            pass
        return mm.Ridge(alpha=1.0, tol=1e-10).fit(X, y)

    with ThreadPoolExecutor(4) as pool:
        fitted = list(pool.map(fit, problems))
    for model, (X, y) in zip(fitted, problems):
        reference = SkRidge(alpha=1.0).fit(X, y)
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6)
        assert model.intercept_ == pytest.approx(reference.intercept_, rel=1e-6, abs=1e-9)
    assert min(_blas_threads()) >= 2
