"""minimom's estimators under scikit-learn's constructor signatures.

Each adapter (LinearRegression, Ridge, LogisticRegression, Lasso, ElasticNet)
subclasses the minimom estimator, so ``fit``, ``predict`` and the
fitted attributes are minimom's own. Its ``__init__`` takes scikit-learn's
parameters, so scikit-learn's tests can build it, clone it and ``set_params``.
In ``fit`` every parameter falls in one of four groups:

- passed through: the parameter is minimom's too (``C``, ``alpha``,
  ``fit_intercept``, ``class_weight``, ``verbose``, and, once minimom has them,
  ``warm_start`` and the rest). ``max_iter`` and ``tol`` pass through when a test
  sets them; their defaults are minimom's, since scikit-learn's defaults are its
  solvers' (``max_iter=None`` means the default).
- ignored: solver selection and execution (``solver``, ``dual``,
  ``intercept_scaling``, ``random_state``, ``n_jobs``, ``copy_X``,
  LinearRegression's ``tol``, which is only lsqr's tolerance on sparse X, and
  the coordinate-descent options ``precompute``, ``selection`` and
  ``check_input``).
- out of scope: a test asking for something minimom does not claim is skipped
  with a reason starting with ``out of scope``. None is left since issue 19: the
  l1 / elasticnet penalties and ``positive=True`` are fitted (``_out_of_scope``
  is the hook).
- missing: a scikit-learn parameter minimom has not got, set to a value other
  than its default, raises ``NotImplementedError`` naming it (a real gap).

``penalty`` (deprecated in scikit-learn 1.8) is minimom's too: minimom reads it,
``penalty=None`` included, as scikit-learn 1.9 does, warnings and all.
"""

from __future__ import annotations

import contextlib
import inspect

import numpy as np
import pytest

import minimom

OUT_OF_SCOPE = "out of scope"

# How many times each adapter's fit ran; the plugin reads it to tell which tests exercised minimom.
calls = {"fit": 0}


def _minimom_params(cls) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"self"}


def _minimom_default(cls, name):
    return inspect.signature(cls.__init__).parameters[name].default


# minimom's defaults for the stopping parameters scikit-learn's solvers default differently.
_RIDGE_MAX_ITER = _minimom_default(minimom.Ridge, "max_iter")
_RIDGE_TOL = _minimom_default(minimom.Ridge, "tol")
_LOGISTIC_MAX_ITER = _minimom_default(minimom.LogisticRegression, "max_iter")
_LOGISTIC_TOL = _minimom_default(minimom.LogisticRegression, "tol")


class _Adapter:
    """Mixin: checks scope and missing parameters, then runs minimom's fit."""

    _minimom_class: type
    _ignored: frozenset[str] = frozenset()
    # scikit-learn's defaults of parameters minimom may lack: a different value is a gap.
    _sklearn_defaults: dict = {}

    def __getattr__(self, name):
        # A parameter of minimom's missing from scikit-learn's signature (optimizer, ...) keeps minimom's default.
        parameters = inspect.signature(type(self)._minimom_class.__init__).parameters
        if name in parameters and name != "self":
            return parameters[name].default
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _out_of_scope(self) -> str | None:
        return None  # l1 / elasticnet penalties and positive=True are minimom's too since issue 19

    def _check_params(self):
        reason = self._out_of_scope()
        if reason:
            pytest.skip(f"{OUT_OF_SCOPE}: {reason}")
        have = _minimom_params(self._minimom_class)
        for name, default in self._sklearn_defaults.items():
            value = getattr(self, name)
            if name in have or name in self._ignored:
                continue
            same = value is default or (not isinstance(value, np.ndarray) and value == default)
            if not same:
                raise NotImplementedError(
                    f"minimom.{self._minimom_class.__name__} has no parameter {name!r} (got {value!r})"
                )

    @contextlib.contextmanager
    def _translated(self):
        """Temporarily give minimom its own spelling of the parameters (restored after fit)."""
        saved = {}
        for name, value in self._translations().items():
            saved[name] = getattr(self, name)
            setattr(self, name, value)
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(self, name, value)

    def _translations(self) -> dict:
        out = {}
        for name in ("max_iter", "tol"):
            if name in self._ignored or getattr(self, name, 0) is None:
                out[name] = _minimom_default(self._minimom_class, name)
        return out

    def fit(self, X, y, sample_weight=None, **fit_params):
        calls["fit"] += 1
        self._check_params()
        if fit_params:
            raise NotImplementedError(f"minimom's fit takes no {sorted(fit_params)}")
        with self._translated():
            return super().fit(X, y, sample_weight=sample_weight)


class LinearRegression(_Adapter, minimom.LinearRegression):
    """minimom.LinearRegression with scikit-learn's signature."""

    _minimom_class = minimom.LinearRegression
    _ignored = frozenset({"copy_X", "n_jobs", "tol"})

    def __init__(self, *, fit_intercept=True, copy_X=True, tol=1e-6, n_jobs=None, positive=False):
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.tol = tol
        self.n_jobs = n_jobs
        self.positive = positive


class Ridge(_Adapter, minimom.Ridge):
    """minimom.Ridge with scikit-learn's signature."""

    _minimom_class = minimom.Ridge
    _ignored = frozenset({"copy_X", "solver", "random_state"})

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True,
                 max_iter=_RIDGE_MAX_ITER,
                 tol=_RIDGE_TOL, solver="auto", positive=False, random_state=None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state


class LogisticRegression(_Adapter, minimom.LogisticRegression):
    """minimom.LogisticRegression with scikit-learn's signature."""

    _minimom_class = minimom.LogisticRegression
    _ignored = frozenset({"dual", "intercept_scaling", "random_state", "solver", "n_jobs"})
    _sklearn_defaults = {"warm_start": False}

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False,
                 tol=_LOGISTIC_TOL, fit_intercept=True, intercept_scaling=1,
                 class_weight=None, random_state=None, solver="lbfgs",
                 max_iter=_LOGISTIC_MAX_ITER, verbose=0, warm_start=False,
                 n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs



_ENET_MAX_ITER = _minimom_default(minimom.ElasticNet, "max_iter")
_ENET_TOL = _minimom_default(minimom.ElasticNet, "tol")


class ElasticNet(_Adapter, minimom.ElasticNet):
    """minimom.ElasticNet with scikit-learn's signature (``check_input`` accepted and ignored)."""

    _minimom_class = minimom.ElasticNet
    _ignored = frozenset({"precompute", "copy_X", "random_state", "selection"})

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute=False, max_iter=_ENET_MAX_ITER,
                 copy_X=True, tol=_ENET_TOL, warm_start=False, positive=False, random_state=None,
                 selection="cyclic"):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def fit(self, X, y, sample_weight=None, check_input=True):
        return super().fit(X, y, sample_weight=sample_weight)


class Lasso(_Adapter, minimom.Lasso):
    """minimom.Lasso with scikit-learn's signature (``check_input`` accepted and ignored)."""

    _minimom_class = minimom.Lasso
    _ignored = ElasticNet._ignored

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute=False, copy_X=True, max_iter=_ENET_MAX_ITER,
                 tol=_ENET_TOL, warm_start=False, positive=False, random_state=None, selection="cyclic"):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def fit(self, X, y, sample_weight=None, check_input=True):
        return super().fit(X, y, sample_weight=sample_weight)


ADAPTERS = {"LinearRegression": LinearRegression, "Ridge": Ridge, "LogisticRegression": LogisticRegression,
            "Lasso": Lasso, "ElasticNet": ElasticNet}
