"""What the linear models share: the minimize call, fitted attributes set at once, predictions."""

from __future__ import annotations

import contextlib
import functools
import numbers
import threading
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from ..data._design import ACCEPT_SPARSE, DTYPES, apply_by_rows, as_design
from ..data._hessian import held
from ..optimize._minimize import minimize

COMMON_CONSTRAINTS = {
    "fit_intercept": ["boolean"],
    "optimizer": [None, HasMethods(["init", "update"])],
    "tol": [Interval(numbers.Real, 0, None, closed="left")],
    "verbose": ["verbose"],
}


_SMALL_DATA = 1_000_000  # entries of X below which a fit runs BLAS on one thread


@functools.cache
def _blas_pools():
    """``(shared, per_thread)``: threadpoolctl controllers of the BLAS libraries with one process-wide thread
    pool, and of those with a pool per calling thread (OpenBLAS on OpenMP: each thread sets its own limit)."""
    from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

    blas = ThreadpoolController().select(user_api="blas")
    per_thread = [lib.filepath for lib in blas.lib_controllers if getattr(lib, "threading_layer", "") == "openmp"]
    shared = [lib.filepath for lib in blas.lib_controllers if lib.filepath not in per_thread]
    return blas.select(filepath=shared), blas.select(filepath=per_thread)


def _as_controller(action):
    """Run ``action`` (a limit or a restore on the shared pools) as the thread threadpoolctl lets change them.

    threadpoolctl (3.6 and later) lets only one thread, the first to set a limit, change a shared OpenBLAS
    pool and silently ignores the others; the fit that pins or restores (under the pin's lock) takes that
    role for the one call and gives it back, so the last fit out may restore what the first one pinned.
    """
    import threadpoolctl

    release = getattr(getattr(threadpoolctl, "OpenBLASController", None), "clear_controlling_thread", None)
    if release is not None:
        release(force=True)
    try:
        return action()
    finally:
        if release is not None:
            release(force=True)


class _BlasPin:
    """One pin of the shared BLAS pools to a single thread, shared by every fit that runs at the same time.

    A process-wide counter under a lock: the first fit in pins BLAS (remembering the limits it found),
    fits that start meanwhile join the pin, and the last one out restores the limits the first one found.
    """

    def __init__(self):
        self.lock, self.count, self.limiter = threading.Lock(), 0, None

    @contextlib.contextmanager
    def __call__(self):
        shared, per_thread = _blas_pools()
        own = per_thread.limit(limits=1) if per_thread.lib_controllers else contextlib.nullcontext()
        with own:  # pools per thread: each fit pins its own thread's, and restores it itself
            with self.lock:
                if self.count == 0 and shared.lib_controllers:
                    self.limiter = _as_controller(lambda: shared.limit(limits=1))
                self.count += 1
            try:
                with held():  # the passes need not pin again
                    yield
            finally:
                with self.lock:
                    self.count -= 1
                    if self.count == 0 and self.limiter is not None:
                        _as_controller(self.limiter.restore_original_limits)
                        self.limiter = None


_blas_pin = _BlasPin()


def blas_threads(X):
    """A context that pins BLAS to one thread while fitting small data, else does nothing.

    A fit makes many small matrix-vector products; on small data BLAS threads
    cost more to wake than they save, and on a busy machine they stall every step.

    Thread-safe by a process-wide counter under a lock, for BLAS libraries with one
    thread pool for the whole process (OpenBLAS on pthreads, MKL, BLIS): the first
    small fit in pins BLAS to one thread, fits that start while it runs join that
    pin, and the last one out restores the limits that the first one found. So
    concurrent fits in a thread pool never leave BLAS pinned, and never unpin it
    under a running fit; while a small fit runs, those libraries use one thread for
    the whole process. Libraries with a pool per thread (OpenBLAS on OpenMP) are
    pinned by each fit for its own thread only: no process-wide change there.
    """
    if X.shape[0] * X.shape[1] >= _SMALL_DATA:
        return contextlib.nullcontext()
    return _blas_pin()


def check_X(estimator, X):
    """``validate_data`` for prediction (``reset=False``): the one place where new data are checked."""
    return validate_data(estimator, X, accept_sparse=ACCEPT_SPARSE, dtype=DTYPES, reset=False)


def set_fitted(estimator, **attributes) -> None:
    """Set every fitted attribute at once, at the end of ``fit``: an interrupted fit leaves the previous model whole."""
    for name, value in attributes.items():
        setattr(estimator, name, value)


@contextlib.contextmanager
def whole_or_previous(estimator):
    """Restore the fitted attributes (those ending in ``_``) if ``fit`` ends in an exception, Ctrl-C included.

    scikit-learn's input checks set ``n_features_in_`` and ``feature_names_in_``
    first; a fit that does not finish leaves all of them as they were.
    """
    saved = {k: v for k, v in vars(estimator).items() if k.endswith("_") and not k.startswith("_")}
    try:
        yield
    except BaseException:
        for name in [k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")]:
            delattr(estimator, name)
        vars(estimator).update(saved)
        raise


def run_minimize(estimator, objective, x0, optimizer):
    """``minimize`` the internal objective; scikit-learn's ConvergenceWarning when it stops early."""
    res = minimize(objective, x0, optimizer=optimizer, maxiter=estimator.max_iter, tol=estimator.tol,
                   verbose=bool(estimator.verbose))
    if res.status == "interrupted":  # minimize keeps the work; a fit stops the script, as scikit-learn's do
        raise KeyboardInterrupt
    if res.status != "converged":
        warnings.warn(f"{type(estimator).__name__} did not converge: {res.message}", ConvergenceWarning,
                      stacklevel=3)
    return res


def by_rows(method):
    """Decorate a prediction method: dask ``X`` gives a lazy dask array, computed chunk by chunk."""

    @functools.wraps(method)
    def wrapper(self, X):
        return apply_by_rows(X, functools.partial(method, self))

    return wrapper


def linear_scores(estimator, X):
    """``X @ coef_.T + intercept_`` for dense or sparse ``X`` (and sparse ``coef_``); float32 stays float32."""
    check_is_fitted(estimator)
    X = check_X(estimator, X)
    coef = estimator.coef_
    dtype = np.result_type(X.dtype, coef.dtype)
    if sp.issparse(coef):
        scores = np.asarray(safe_sparse_dot(X, coef.T, dense_output=True))
    else:
        scores = as_design(X).matmul(np.asarray(coef, dtype=np.float64).reshape(-1, X.shape[1]).T, np.zeros(1))
        scores = scores[:, 0] if np.ndim(coef) == 1 else scores
    return (scores + estimator.intercept_).astype(dtype, copy=False)
