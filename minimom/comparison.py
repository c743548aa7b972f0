"""``compare``: fit a minimom estimator and its scikit-learn counterpart on the same data, side by side."""

from __future__ import annotations

import contextlib
import dataclasses
import numbers
import time
import warnings

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import logsumexp
from sklearn import linear_model as sk
from sklearn.base import BaseEstimator, clone
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from threadpoolctl import threadpool_limits  # a scikit-learn dependency

from .linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from .linear_model._sparse_logistic import resolve_penalty

__all__ = ["compare", "ComparisonReport", "reference_for"]

DEFAULT_TOLERANCE = 1e-6

#: The models that ``compare`` and the command line know, by name.
MODELS = {"LinearRegression": LinearRegression, "Ridge": Ridge, "LogisticRegression": LogisticRegression,
          "Lasso": Lasso, "ElasticNet": ElasticNet}


@dataclasses.dataclass
class ComparisonReport:
    """Two fits of one model on one dataset, minimom's and scikit-learn's.

    ``objective`` values are scikit-learn's objective (e.g. ``||y - Xw - b||^2 +
    alpha ||w||^2``) evaluated at each solution by the same numpy code;
    ``objective_gap`` is their difference relative to the reference.
    ``agrees`` is ``max_abs_diff <= tolerance``, over ``coef_`` and ``intercept_``.
    ``fit_time`` and ``fit_time_reference`` are wall times of the two fits, both
    run with BLAS limited to ``blas_threads`` threads (``None``: no limit).
    """

    model: str
    dataset: str
    max_abs_diff: float
    objective: float
    objective_reference: float
    objective_gap: float
    score: float
    score_reference: float
    fit_time: float
    fit_time_reference: float
    n_iter: int
    n_iter_reference: int | None
    tolerance: float
    agrees: bool
    blas_threads: int | None = 1

    def to_dict(self) -> dict:
        """The report as a dict of plain Python values (JSON-ready)."""
        return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in dataclasses.asdict(self).items()}

    def __str__(self) -> str:
        rows = [
            ("", "minimom", "scikit-learn"),
            ("objective", f"{self.objective:.10g}", f"{self.objective_reference:.10g}"),
            ("score", f"{self.score:.6f}", f"{self.score_reference:.6f}"),
            (f"fit time [s] ({_threads_text(self.blas_threads)})", f"{self.fit_time:.4f}",
             f"{self.fit_time_reference:.4f}"),
            ("iterations", str(self.n_iter), str(self.n_iter_reference)),
        ]
        verdict = "agree" if self.agrees else "DISAGREE"
        lines = [f"{self.model} on {self.dataset}: {verdict} (max |coef diff| {self.max_abs_diff:.2e}, "
                 f"tolerance {self.tolerance:g}; objective gap {self.objective_gap:.2e})"]
        lines += [f"  {a:<28}{b:>20}{c:>20}" for a, b, c in rows]
        return "\n".join(lines)


def reference_for(estimator):
    """The scikit-learn estimator that solves the same problem, with a tight tolerance.

    Lasso and ElasticNet: coordinate descent with ``tol=1e-15``; ``positive=True`` least squares: scipy's
    nnls (LinearRegression) or L-BFGS-B (Ridge); L1 / elastic-net logistic regression: saga with ``tol=1e-12``
    (it needs standardized features to get there).
    """
    params = {"fit_intercept": estimator.fit_intercept}
    if isinstance(estimator, ElasticNet):  # Lasso too
        l1_ratio = 1.0 if isinstance(estimator, Lasso) else estimator.l1_ratio
        return sk.ElasticNet(alpha=estimator.alpha, l1_ratio=l1_ratio, positive=estimator.positive, tol=1e-15,
                             max_iter=1_000_000, **params)
    if isinstance(estimator, Ridge):
        alpha = estimator.alpha if np.ndim(estimator.alpha) == 0 else np.asarray(estimator.alpha, dtype=float)
        if estimator.positive:
            return sk.Ridge(alpha=alpha, positive=True, solver="lbfgs", tol=1e-12, **params)
        return sk.Ridge(alpha=alpha, solver="cholesky", **params)  # scikit-learn takes an array, not a list
    if isinstance(estimator, LinearRegression):
        return sk.LinearRegression(positive=estimator.positive, **params)
    if isinstance(estimator, LogisticRegression):
        C, l1_ratio = resolve_penalty(estimator, warn=False)
        if l1_ratio > 0 and not np.isinf(C):
            return sk.LogisticRegression(C=C, l1_ratio=l1_ratio, class_weight=estimator.class_weight, solver="saga",
                                         tol=1e-12, max_iter=100_000, **params)
        return sk.LogisticRegression(C=C, class_weight=estimator.class_weight, solver="newton-cholesky",
                                     tol=1e-10, max_iter=1000, **params)
    raise TypeError(f"compare() knows minimom's {', '.join(MODELS)}, got {estimator!r}.")


def compare(estimator: BaseEstimator, X: ArrayLike, y: ArrayLike, *, reference: BaseEstimator | None = None,
            sample_weight: ArrayLike | None = None, tolerance: float = DEFAULT_TOLERANCE,
            dataset: str = "data", blas_threads: int | None = 1) -> ComparisonReport:
    """Fit ``estimator`` and its scikit-learn counterpart on ``(X, y)`` and compare the solutions.

    Parameters
    ----------
    estimator : minimom.LinearRegression, Ridge, LogisticRegression, Lasso or ElasticNet
        Cloned before fitting; the original is left as it was.
    X, y : array-like
    reference : scikit-learn estimator, default=None
        ``None`` chooses :func:`reference_for` ``(estimator)``: the same
        hyperparameters with an exact or tight solver.
    sample_weight : array-like, default=None
    tolerance : float, default=1e-6
        The largest absolute difference over ``coef_`` and ``intercept_`` that
        still counts as agreement.
    dataset : str, default="data"
        A name for the report.
    blas_threads : int or None, default=1
        Both fits run with BLAS limited to this many threads (threadpoolctl), so
        that their times compare like with like; ``None`` leaves BLAS as it is.

    Returns
    -------
    ComparisonReport
    """
    ours = clone(estimator)
    ref = clone(reference) if reference is not None else reference_for(ours)
    if blas_threads is not None and (isinstance(blas_threads, bool) or not isinstance(blas_threads, numbers.Integral)
                                     or blas_threads < 1):
        raise ValueError(f"blas_threads must be an integer >= 1 or None, got {blas_threads!r}.")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    fit_time = _timed_fit(ours, X, y, sample_weight, blas_threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference's own warnings are not ours to report
        fit_time_reference = _timed_fit(ref, X, y, sample_weight, blas_threads)
    diff = max(np.max(np.abs(np.asarray(ours.coef_) - ref.coef_)),
               np.max(np.abs(np.asarray(ours.intercept_) - np.asarray(ref.intercept_))))
    objective = sklearn_objective(ours, X, y, sample_weight)
    objective_reference = sklearn_objective(ours, X, y, sample_weight, coef=ref.coef_, intercept=ref.intercept_)
    n_iter_reference = getattr(ref, "n_iter_", None)
    return ComparisonReport(
        model=type(ours).__name__, dataset=dataset, max_abs_diff=float(diff),
        objective=objective, objective_reference=objective_reference,
        objective_gap=(objective - objective_reference) / max(abs(objective_reference), 1e-300),
        score=float(ours.score(X, y)), score_reference=float(ref.score(X, y)),
        fit_time=fit_time, fit_time_reference=fit_time_reference,
        n_iter=int(np.max(ours.n_iter_)),
        n_iter_reference=None if n_iter_reference is None else int(np.max(n_iter_reference)),
        tolerance=tolerance, agrees=bool(diff <= tolerance),
        blas_threads=None if blas_threads is None else int(blas_threads),
    )


def _timed_fit(estimator, X, y, sample_weight, blas_threads) -> float:
    limit = contextlib.nullcontext() if blas_threads is None else threadpool_limits(blas_threads, user_api="blas")
    with limit:
        start = time.perf_counter()
        estimator.fit(X, y, sample_weight=sample_weight)
        return time.perf_counter() - start


def _threads_text(blas_threads) -> str:
    if blas_threads is None:
        return "BLAS unlimited"
    return f"BLAS {blas_threads} thread" + ("s" if blas_threads > 1 else "")


def sklearn_objective(estimator, X, y, sample_weight=None, coef=None, intercept=None) -> float:
    """scikit-learn's objective for ``estimator``'s model, at ``(coef, intercept)`` (default: its own fit)."""
    coef = np.atleast_2d(estimator.coef_ if coef is None else coef)
    intercept = np.asarray(estimator.intercept_ if intercept is None else intercept, dtype=float)
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    scores = X @ coef.T + intercept
    if isinstance(estimator, LogisticRegression):
        labels = LabelEncoder().fit_transform(y)
        if estimator.class_weight is not None:
            classes = np.unique(y)
            weights = weights * compute_class_weight(estimator.class_weight, classes=classes, y=y,
                                                     sample_weight=weights)[labels]
        if coef.shape[0] == 1:
            z = scores[:, 0]
            losses = np.logaddexp(0.0, z) - (labels == 1) * z
        else:
            losses = logsumexp(scores, axis=1) - scores[np.arange(len(y)), labels]
        data = np.sum(weights * losses)
        C, l1_ratio = resolve_penalty(estimator, warn=False)
        if np.isinf(C):
            return float(data)
        return float(0.5 * (1 - l1_ratio) * np.sum(coef**2) + l1_ratio * np.sum(np.abs(coef)) + C * data)
    residual = np.asarray(y, dtype=float).reshape(len(y), -1) - scores
    if isinstance(estimator, ElasticNet):  # scikit-learn's 1/(2n) scale
        l1_ratio = 1.0 if isinstance(estimator, Lasso) else estimator.l1_ratio
        penalty = estimator.alpha * (l1_ratio * np.sum(np.abs(coef)) + 0.5 * (1 - l1_ratio) * np.sum(coef**2))
        return float(np.sum(weights[:, None] * residual**2) / (2 * weights.sum()) + penalty)
    # one penalty per target (alpha an array of n_targets) or one for all: alpha_t ||w_t||^2 summed over targets
    alpha = np.reshape(np.asarray(estimator.alpha, dtype=float), (-1, 1)) if isinstance(estimator, Ridge) else 0.0
    penalty = np.sum(alpha * coef**2)
    return float(np.sum(weights[:, None] * residual**2) + penalty)
