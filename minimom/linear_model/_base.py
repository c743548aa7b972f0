"""What the linear models share: the minimize call, fitted attributes set at once, predictions."""

from __future__ import annotations

import contextlib
import functools
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from ..data._design import ACCEPT_SPARSE, DTYPES, apply_by_rows, as_design
from ..optimize._minimize import minimize

COMMON_CONSTRAINTS = {
    "fit_intercept": ["boolean"],
    "optimizer": [None, HasMethods(["init", "update"])],
    "tol": [Interval(numbers.Real, 0, None, closed="left")],
    "verbose": ["verbose"],
}


_SMALL_DATA = 1_000_000  # entries of X below which a fit runs BLAS on one thread


@functools.cache
def _threadpool_controller():
    from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

    return ThreadpoolController()


def blas_threads(X):
    """A context that pins BLAS to one thread while fitting small data, else does nothing.

    A fit makes many small matrix-vector products; on small data BLAS threads
    cost more to wake than they save, and on a busy machine they stall every step.
    """
    if X.shape[0] * X.shape[1] >= _SMALL_DATA:
        return contextlib.nullcontext()
    return _threadpool_controller().limit(limits=1, user_api="blas")


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
