"""The linear models on data beyond memory: dask arrays and memory-mapped ``X``, fitted chunk by chunk.

Every pass over ``X`` is a :func:`minimom.data._blocks._block_reduce`: a dask task
per row chunk on the active scheduler (only d-vectors and d x d matrices come
back), or a row block of a memmap read and released in this process. This is
the out-of-core branch of the data layer (:mod:`minimom.data._arrays` holds the
in-memory and sparse one); the estimators dispatch here at the top of ``fit``.
The fit:

1. one pass for the weighted mean and covariance of ``X`` (blocks merged with
   Chan's parallel formulas, so large offsets lose no precision);
2. the preconditioner ``P = (h0 Cov + penalty I)^(-1/2)`` from that d x d matrix;
3. ``minimize`` on :class:`minimom.RowSum` of the blocks' loss in the whitened
   coordinates ``w = P v``: each value-and-gradient is one pass.

Least squares is solved exactly by the first gradient (its whitened Hessian is
the identity) and refined by ``GradientDescent(1.0)``: about 4 passes. The
logistic losses use Nesterov's adaptive momentum with the step 1/L known from
the whitening; a two-class fit is re-whitened every ``_ROUND`` iterations at
the current point (the Hessian's own moments, one pass), so that a unit step is
Newton's there: about 20 passes instead of about 120.
"""

from __future__ import annotations

import functools
import math
import warnings

import autograd.numpy as anp
import numpy as np

from ..data._blocks import _block_reduce, _is_dask, _is_memmap
from ..data._rowsum import RowSum
from ..optimize._minimize import minimize
from ..optimizers._momentum import GradientDescent, Momentum
from .losses import weighted_binary_log_loss, weighted_multinomial_log_loss

__all__ = ["is_out_of_core", "whitened_fit"]


def is_out_of_core(X) -> bool:
    """Data to fit in row blocks: a dask array, or a memmap (``np.memmap``, ``np.load(mmap_mode=...)``)."""
    return _is_dask(X) or _is_memmap(X)


def _moment_block(X, weights):
    """(weight sum, weighted mean, centred second moment, finite?) of one block of rows."""
    X = np.asarray(X, dtype=np.float64)
    total = float(weights.sum())
    mean = weights @ X / total if total > 0 else np.zeros(X.shape[1])
    centred = (X - mean) * np.sqrt(weights)[:, None]
    return np.array(total), mean, centred.T @ centred, np.array(bool(np.isfinite(X).all()))


def _merge_moments(a, b):
    """Chan, Golub and LeVeque's pairwise update: merge two blocks' moments without cancellation."""
    total = a[0] + b[0]
    if total == 0:
        return total, a[1], a[2] + b[2], a[3] & b[3]
    delta = b[1] - a[1]
    mean = a[1] + delta * (b[0] / total)
    return total, mean, a[2] + b[2] + np.outer(delta, delta) * (a[0] * b[0] / total), a[3] & b[3]


def moments(X, weights):
    """Weighted mean and covariance of ``X`` (weights summing to one) in one pass; NaN or inf is an error."""
    total, mean, second, finite = _block_reduce(_moment_block, [X, weights], combine=_merge_moments,
                                                names=["X", "sample_weight"])
    if not finite:
        raise ValueError("Input X contains NaN or infinity.")
    return mean, second / total


def preconditioner(covariance, curvature: float, penalty: float, fit_intercept: bool) -> np.ndarray:
    """``P = (curvature * Cov + penalty * I)^(-1/2)``, on a unit-diagonal (Jacobi-scaled) matrix for stability.

    Directions without curvature get no weight: the solution is minimum-norm there.
    """
    diagonal = np.diag(covariance).copy()
    scale = np.where(diagonal > 0, 1 / np.sqrt(np.where(diagonal > 0, diagonal, 1.0)), 0.0)
    scaled = curvature * covariance * np.outer(scale, scale) + penalty * np.diag(scale**2)
    eigenvalues, vectors = np.linalg.eigh(scaled)
    top = max(eigenvalues[-1], 0.0)
    kept = eigenvalues > 1e-12 * len(eigenvalues) * top
    inverse_root = np.where(kept, 1 / np.sqrt(np.where(kept, eigenvalues, 1.0)), 0.0)
    return scale[:, None] * ((vectors * inverse_root) @ vectors.T)


# The blocks' losses, of theta = [V.ravel(), u]: scores (X - mean) P V + c u, written with autograd. The
# log-losses end in the primitives of minimom.linear_model.losses (fused forward passes, hand-written VJPs written with
# autograd's functions, so Hessian-vector products still work): 2.5x faster per block than autograd's chain.
def _scores(theta, X, P, mean, width, intercept_scale, basis=None):
    """The block's scores: 1-D for one column (no slicing of an n-vector in autograd's graph)."""
    d = P.shape[0]
    W = anp.dot(P, theta[:d] if width == 1 else anp.reshape(theta[: d * width], (d, width)))
    offset = -anp.dot(mean, W)
    if intercept_scale is not None:
        offset = offset + intercept_scale * (theta[d] if width == 1 else theta[d * width:])
    if basis is not None:
        W, offset = anp.dot(W, basis.T), anp.dot(offset, basis.T)
    return anp.dot(np.asarray(X, dtype=np.float64), W) + offset


def _squared_error(P, mean, width, intercept_scale, theta, X, T, weights):
    residual = T.reshape(len(T), -1) - anp.reshape(_scores(theta, X, P, mean, width, intercept_scale), (len(T), -1))
    return 0.5 * anp.sum(weights[:, None] * residual**2)


def _binary_log_loss(P, mean, width, intercept_scale, theta, X, T, weights):
    return weighted_binary_log_loss(_scores(theta, X, P, mean, 1, intercept_scale), T, weights)


def _multinomial_log_loss(P, mean, width, intercept_scale, basis, theta, X, T, weights):
    return weighted_multinomial_log_loss(_scores(theta, X, P, mean, width, intercept_scale, basis), T, weights)


def _l2(P, width, penalty, theta):
    d = P.shape[0]
    W = anp.dot(P, anp.reshape(theta[: d * width], (d, width)))
    return 0.5 * penalty * anp.sum(W**2)


_ROUND = 5  # iterations between two re-whitenings of a two-class fit


def _curvature_block(W, b, centre, X, weights):
    """One block's moments weighted by the log-loss's curvature ``p (1 - p)`` at the scores ``(X - centre) W + b``."""
    z = (np.asarray(X, dtype=np.float64) - centre) @ W[:, 0] + b[0]
    p = 0.5 * (1.0 + np.tanh(0.5 * z))  # the sigmoid, without overflow
    return _moment_block(X, weights * p * (1.0 - p))


def _objective(loss, P, centre, width, intercept_scale, penalty, basis):
    if loss == "squared_error":
        block = functools.partial(_squared_error, P, centre, width, None)
    elif loss == "binary":
        block = functools.partial(_binary_log_loss, P, centre, width, intercept_scale)
    else:
        block = functools.partial(_multinomial_log_loss, P, centre, width, intercept_scale, basis)
    return RowSum(block, penalty=functools.partial(_l2, P, width, penalty) if penalty else None)


def whitened_fit(estimator, X, T, weights, *, loss: str, penalty: float, width: int, curvature: float,
                 fit_intercept: bool, basis=None, start=None):
    """Fit the coefficients ``(W, b)`` of ``(X - centre) W + b`` for ``T`` (n-row targets) chunk by chunk.

    ``loss`` is "squared_error", "binary" or "multinomial". Returns ``(W, b, centre, result, passes)``
    with ``W`` of shape (d, width), the intercept ``b`` of rows centred at ``centre``, and ``result``
    the last ``minimize`` result with ``nit`` and ``history`` of the whole fit. ``start``, if given, is
    the ``(W, b)`` to start from, ``b`` the intercept of uncentred rows (``X W + b``); zeros otherwise.

    A two-class fit with the default optimizer is re-whitened every ``_ROUND`` iterations at the
    current point, from the moments of X weighted by the loss's curvature there (one pass): the
    whitened Hessian is then the identity again, so a unit step is Newton's step.
    """
    centre, spread = moments(X, weights)
    if not fit_intercept:  # the second moment about zero, and no centring
        spread, centre = spread + np.outer(centre, centre), np.zeros_like(centre)
    d, total, passes, nit, history = X.shape[1], curvature, 1, 0, []
    W, b = (np.zeros((d, width)), np.zeros(width)) if start is None else (start[0], start[1] + centre @ start[0])
    rounds = loss == "binary" and estimator.optimizer is None
    while True:
        P = preconditioner(spread, total, penalty, fit_intercept)
        intercept_scale = 1 / math.sqrt(total) if fit_intercept and loss != "squared_error" else None
        objective = _objective(loss, P, centre, width, intercept_scale, penalty, basis)
        theta = np.linalg.lstsq(P, W, rcond=None)[0].ravel()
        if intercept_scale is not None:
            theta = np.concatenate([theta, b / intercept_scale])
        optimizer = estimator.optimizer
        if optimizer is None and loss == "squared_error":
            # The whitened Hessian is the identity: the exact solution is one unit step from zero.
            theta = -_gradient(objective, theta, X, T, weights)
            optimizer = GradientDescent(learning_rate=1.0)
        elif optimizer is None:
            # The largest curvature in whitened coordinates: 1 for two classes (p(1-p) <= 1/4 = h0); for K
            # classes the softmax Hessian's largest eigenvalue is at most 1/2 while h0 = 1/K.
            largest = 1.0 if loss == "binary" else 0.5 / curvature
            optimizer = Momentum(learning_rate=1.0 / largest, momentum="adaptive", nesterov=True)
        maxiter = estimator.max_iter - nit
        res = minimize(objective, theta, args=(X, T, weights), optimizer=optimizer,
                       maxiter=min(maxiter, _ROUND) if rounds else maxiter, tol=estimator.tol,
                       verbose=bool(estimator.verbose))
        if res.status == "interrupted":  # minimize keeps the work; a fit stops the script, as scikit-learn's do
            raise KeyboardInterrupt
        passes, nit = passes + objective.passes, nit + res.nit
        history.extend(res.history)
        W = P @ res.x[: d * width].reshape(d, width)
        b = intercept_scale * res.x[d * width:] if intercept_scale is not None else np.zeros(width)
        if not rounds or res.status != "maxiter" or nit >= estimator.max_iter:
            break
        total, new_centre, spread, _ = _block_reduce(functools.partial(_curvature_block, W, b, centre),
                                                     [X, weights], combine=_merge_moments)
        passes += 1
        if not fit_intercept:
            spread, new_centre = spread + np.outer(new_centre, new_centre), np.zeros_like(new_centre)
        spread, total = spread / max(total, 1e-300), max(float(total), 1e-300)
        b, centre = b + (new_centre - centre) @ W, new_centre
    if res.status != "converged":
        warnings.warn(f"{type(estimator).__name__} did not converge: {res.message}",
                      _convergence_warning(), stacklevel=3)
    res.nit, res.history = nit, np.array(history)
    return W, b, centre, res, passes


def _gradient(objective, theta, *args):
    from autograd import grad

    return grad(objective)(theta, *args)


def _convergence_warning():
    from sklearn.exceptions import ConvergenceWarning

    return ConvergenceWarning
