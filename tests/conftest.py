import os

# Before anything imports scipy: scikit-learn's array-API estimator check runs (it skips itself otherwise).
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (the suite is deterministic); HYPOTHESIS_PROFILE=explore
# draws fresh ones, to hunt for new counterexamples locally.
settings.register_profile("deterministic", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


def spd_problem(d: int, kappa: float, seed: int):
    """A random SPD quadratic 0.5 x'Ax - b'x with eigenvalues log-spaced in [1, kappa]."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    eigenvalues = np.logspace(0, np.log10(kappa), d)
    a = (q * eigenvalues) @ q.T
    b = rng.standard_normal(d)
    return a, b


def log_loss(p, X, y):
    """The logistic loss summed over rows, on a ``{"w", "b"}`` pytree (RowSum and dask tests)."""
    z = X @ p["w"] + p["b"]
    return anp.sum(anp.logaddexp(0.0, z) - y * z)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def one_blas_thread():
    """BLAS on one thread: scikit-learn's tight references make many small BLAS calls, and threads only slow
    them on a shared machine. Modules use it with ``pytestmark = pytest.mark.usefixtures("one_blas_thread")``."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def load_standardized(name):
    """One of scikit-learn's bundled datasets, its columns standardized."""
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return StandardScaler().fit_transform(X), y


_SUITES = {
    "sklearn_suite": "scikit-learn's own tests with minimom's estimators: run with -m sklearn_suite",
    "scipy_suite": "scipy's own minimize tests with mm.scipy_method: run with -m scipy_suite",
    "slow": "a slow check (minutes of CPU; CI runs it after the suite): run with -m slow",
}


def pytest_collection_modifyitems(config, items):
    """Tests marked ``sklearn_suite``, ``scipy_suite`` or ``slow`` run only when selected (``pytest -m slow``)."""
    selected = config.getoption("markexpr") or ""
    for marker, reason in _SUITES.items():
        if marker in selected:
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="module")
def dask_client():
    """A 2-worker distributed LocalCluster for a module's dask tests, started and closed by the tests themselves.

    Module-scoped: closed before other modules (e.g. the docs' own cluster) run.
    """
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        yield client
