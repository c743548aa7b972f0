"""The preconditioner of the linear models, built from second moments of ``X`` (never from a copy of it).

The coefficients are ``w = P v`` with ``P`` an inverse square root of the
objective's Hessian, ``curvature * Cov(X) + penalty * I``, so the Hessian in
``v`` is the identity (exactly so for least squares).

The moments come from one pass over ``X`` (:meth:`minimom.data._design.Design.moments`), whatever kind of
data ``X`` is: in memory, sparse, a memmap or a dask array take this one road. When
squares of the data would overflow or underflow (features of size 1e-300 or
1e300), the pass is repeated with each column divided by its largest
magnitude. A Jacobi scaling ``S_j = 1 / sqrt(curvature * Var(x_j) + penalty)``
then gives the matrix a unit diagonal whatever the units of the features, and
``P = S (S H S)^(-1/2)``. Only eigenvalues at the level of rounding error
(below ``_RANK_TOLERANCE * d`` of the largest, in the scaled problem) are treated
as zero: those directions carry no curvature that float64 can resolve, and the
solution is made minimum-norm in them explicitly (as lstsq's).

The ``n d^2`` Gram product of that pass dominates a fit with many features. A penalized logistic fit in
memory from ``SKETCH_FROM`` features first takes the moments with the second one sketched from a sample
of rows (:func:`sketch_stride`); where the sketch shows a well-conditioned covariance it whitens by a
scalar (:func:`isotropic`) and never forms the full product, otherwise a second pass takes every row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..data._arrays import Moments
from ..optimizers._conjugate import ConjugateMomentum

FULL_MAX_FEATURES = 2000  # beyond this, whiten each feature on its own (a d-vector P)
SKETCH_FROM = 128  # from this many features a penalized first-order fit in memory first sketches X's moments ...
SKETCH_ROWS = 40  # ... from about this many rows per feature (see sketch_stride) ...
ISOTROPIC = 20.0  # ... and whitens by a scalar if their condition number is at most this (see isotropic)
_RANK_TOLERANCE = 4 * np.finfo(float).eps
_SAFE = (1e-140, 1e140)  # column magnitudes whose squares and products stay normal floats


@dataclass
class Whitening:
    """``P`` (d x d, or a d-vector when diagonal), a basis of the null directions (d x r, orthonormal),
    the scaled Hessian's eigenvalues (for its condition), and the moments it came from."""

    P: np.ndarray
    null_basis: np.ndarray
    eigenvalues: np.ndarray
    moments: Moments
    prescale: np.ndarray | None
    factors: tuple | None = None  # (active, vectors, inverse_root, scale): P = S Q diag(r) Q^T on the active columns


def safe_moments(design, weights, targets=None, centre=True, full=True,
                 stride: int = 1) -> tuple[Moments, np.ndarray | None]:
    """``design.moments``, repeated with columns divided by their magnitude if their squares are unsafe."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # detected below, then redone
        moments = design.moments(weights, targets, centre, full=full, stride=stride)
    magnitude = np.maximum(np.abs(moments.low), np.abs(moments.high))
    varying = magnitude > 0
    unsafe = np.any(varying & ((magnitude < _SAFE[0]) | (magnitude > _SAFE[1])))
    if not unsafe and np.all(np.isfinite(moments.second)) and np.all(np.isfinite(moments.cross)):
        return moments, None
    prescale = np.where(varying, 1.0 / np.where(varying, magnitude, 1.0), 0.0)
    return design.moments(weights, targets, centre, prescale, full), prescale  # every row: no scalar road then


def sketch_stride(design, penalty: float) -> int:
    """Every how many rows the first moments pass samples the second moment (1: every row; see ``isotropic``).

    The ``n d^2`` Gram product of a moments pass costs about ``d / 25`` loss passes (ten at 100000 x 250),
    and where the covariance is well conditioned (scikit-learn's ``make_classification`` defaults: noise
    columns and a few exactly collinear ones) a scalar whitening does as well. A sketch from
    ``SKETCH_ROWS * d`` rows tells the two cases apart: its eigenvalues are within about
    ``(1 +- sqrt(d / rows))^2``, a factor 0.7 to 1.4, of the full ones. Taken in memory only (where passes
    are cheaper than the product; sparse X has its own products), with a penalty (without one the whitening
    must find the exact null directions: every row), from ``SKETCH_FROM`` features.
    """
    d = design.n_features
    if penalty <= 0 or not SKETCH_FROM <= d <= FULL_MAX_FEATURES or design.costly_passes or sp.issparse(design.X):
        return 1
    return max(1, design.n_rows // (SKETCH_ROWS * d))


def blend(a: Moments, b: Moments, share: float, prescale=None) -> Moments:
    """The moments of ``a``'s weights plus ``share`` times ``b``'s (weights summing to one), merged exactly
    (Chan, Golub and LeVeque's pairwise update; ``prescale`` the columns' units of both); targets are not carried."""
    total = a.total + share
    delta = b.mean - a.mean
    mean = a.mean + delta * (share / total)
    delta = delta if prescale is None else delta * prescale
    outer = np.outer(delta, delta) if a.second.ndim == 2 else delta**2
    second = (a.total * a.second + share * b.second) / total + outer * (a.total * share / total**2)
    return a._replace(mean=mean, second=second, total=total)


def whitening(moments: Moments, prescale, curvature: float, penalty: float, fit_intercept: bool,
              floor: bool = False) -> Whitening:
    """The preconditioner for ``curvature * Cov_weights(X) + penalty * I`` from the moments of ``X``.

    ``moments.second`` is a d x d matrix (full whitening) or its diagonal (per
    feature). ``floor=True`` raises eigenvalues at rounding level to that
    level instead of dropping them, so ``P`` is invertible on every active
    column (re-whitening must be able to represent the current iterate).
    Columns that are constant (with an intercept) or carry nothing get ``P``
    rows of zero: their coefficient stays 0.
    """
    second = moments.second
    diagonal = np.diagonal(second) if second.ndim == 2 else second
    d = len(diagonal)
    usable = _usable(moments, diagonal, fit_intercept)
    unit = np.ones(d) if prescale is None else np.where(prescale > 0, prescale, 1.0)
    # S_j = 1 / hypot(sqrt(curvature * C_jj), sqrt(penalty)) in original units, without overflow or underflow.
    root = np.sqrt(curvature * np.where(usable, diagonal, 1.0)) / unit
    scale = np.where(usable, 1.0 / np.hypot(root, np.sqrt(penalty)), 0.0)
    ratio = scale / unit  # S relative to the units the moments were taken in (C_moments = s0 C s0)
    penalty_diagonal = (np.sqrt(penalty) * scale) ** 2  # <= 1: never inf * 0
    if second.ndim == 1:
        return Whitening(scale, np.zeros((d, 0)), curvature * diagonal * ratio**2 + penalty_diagonal, moments,
                         prescale)
    active = np.flatnonzero(usable)  # dropped columns stay out of the eigenproblem
    hessian = curvature * (ratio[active, None] * second[np.ix_(active, active)] * ratio[None, active])
    hessian[np.diag_indices(len(active))] += penalty_diagonal[active]
    eigenvalues, vectors = np.linalg.eigh(hessian)
    top = max(eigenvalues[-1], 0.0) if len(active) else 0.0
    level = _RANK_TOLERANCE * len(active) * top
    if floor:
        eigenvalues = np.maximum(eigenvalues, level if level > 0 else 1.0)
    kept = eigenvalues > level
    inverse_root = np.where(kept, 1 / np.sqrt(np.where(kept, eigenvalues, 1.0)), 0.0)
    P = np.zeros((d, d))
    P[np.ix_(active, active)] = scale[active, None] * ((vectors * inverse_root) @ vectors.T)
    null = np.zeros((d, int(np.sum(~kept))))
    null[active] = vectors[:, ~kept] * scale[active, None]
    if null.shape[1]:
        null, _ = np.linalg.qr(null)
    return Whitening(P, null, eigenvalues, moments, prescale, (active, vectors, inverse_root, scale))


def _usable(moments: Moments, diagonal: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """The columns a whitening acts on: varying (about the intercept, or at all without one) with weight."""
    varying = (moments.high > moments.low) if fit_intercept else (np.maximum(-moments.low, moments.high) > 0)
    return varying & (diagonal > 0)


def isotropic(moments: Moments, prescale, curvature: float, penalty: float, fit_intercept: bool) -> Whitening | None:
    """``P = c I`` (on the varying columns) where that preconditions as well as the full whitening, else None.

    Apart from exact null directions (eigenvalues at rounding level: linear relations among the columns),
    the covariance's condition number must be at most ``ISOTROPIC``; then the Hessian at zero in the
    coordinates ``w = c v``, ``c = 1 / sqrt(curvature * mean(eigenvalues) + penalty)``, has its eigenvalues
    within that factor of each other, which the L-BFGS metric absorbs in a few steps (measured: as few
    iterations as the full whitening or fewer up to condition 13; more from 33). The gradients, the
    penalty's included, stay in the row space of ``X``, so the null directions are never entered: with a
    penalty the solution lies in that row space (lbfgs on raw, standardized data works the same way).
    ``moments`` may be sketched: the answer does not depend on them, the speed does (and, with a user's
    optimizer and no re-whitening, how evenly ``tol`` on the internal gradient reads across the columns,
    which the bound on the condition keeps within its factor).
    """
    second = moments.second
    d = len(second)
    usable = _usable(moments, np.diagonal(second), fit_intercept)
    active = np.flatnonzero(usable)
    if prescale is not None or penalty <= 0 or not len(active):
        return None
    eigenvalues = np.linalg.eigvalsh(second[np.ix_(active, active)])
    # Null at rounding level of the smallest column's variance, not the largest eigenvalue's: a column on a far
    # larger scale must not make the others' directions look null (it makes the condition large instead).
    level = min(max(eigenvalues[-1], 0.0), float(np.min(np.diagonal(second)[active])))
    kept = eigenvalues[eigenvalues > _RANK_TOLERANCE * len(active) * level]
    if not len(kept) or kept[-1] > ISOTROPIC * kept[0]:
        return None
    c = 1.0 / np.sqrt(curvature * float(np.mean(kept)) + penalty)
    return Whitening(np.where(usable, c, 0.0), np.zeros((d, 0)), c**2 * (curvature * eigenvalues + penalty),
                     moments, None)


def minimum_norm(coef: np.ndarray, null_basis: np.ndarray) -> np.ndarray:
    """``coef`` minus its component in the null directions: the minimum-norm solution, as lstsq gives."""
    if null_basis.shape[1] == 0:
        return coef
    return coef - null_basis @ (null_basis.T @ coef)


def inverse_apply(whitening: Whitening, W: np.ndarray) -> np.ndarray:
    """``V`` with ``P V`` closest to ``W`` (for warm starts and re-whitening).

    From the eigen-decomposition when ``P`` is invertible on its active columns,
    ``V = Q diag(1 / r) Q^T S^-1 W`` there; otherwise least squares through ``P``.
    """
    P = whitening.P
    if P.ndim == 1:
        return np.where(P[:, None] != 0, W / np.where(P[:, None] != 0, P[:, None], 1.0), 0.0)
    if whitening.factors is not None and np.all(whitening.factors[2] > 0):
        active, vectors, inverse_root, scale = whitening.factors
        V = np.zeros_like(W, dtype=np.float64)
        V[active] = vectors @ ((vectors.T @ (W[active] / scale[active, None])) / inverse_root[:, None])
        return V
    return np.linalg.lstsq(P, W, rcond=None)[0]


def warm_start_point(previous, objective, white: Whitening, basis, n_classes: int) -> np.ndarray:
    """The starting point: zeros, or (warm start) the previous fit in internal coordinates."""
    mean = objective.mean
    x0 = np.zeros(objective.size)
    if previous is None:
        return x0
    coef, intercept = previous
    coef = coef.toarray() if hasattr(coef, "toarray") else np.asarray(coef)
    rows = 1 if n_classes == 2 else n_classes
    if coef.shape != (rows, mean.shape[0]):
        raise ValueError(f"warm_start: the previous coef_ has shape {coef.shape}, but these data need "
                         f"{(rows, mean.shape[0])}; fit with warm_start=False first.")
    W = coef.T.astype(np.float64) @ basis  # (d, width): the sum-zero part for the multinomial
    b = (np.asarray(intercept, dtype=np.float64) + mean @ coef.T.astype(np.float64)) @ basis
    x0[: objective.n_coef] = inverse_apply(white, W).ravel()
    if objective.intercept_scale is not None:
        x0[objective.n_coef:] = b / objective.intercept_scale
    return x0


_NEWTON_STEP_MAX = 100.0  # root-mean-square entry of -grad beyond which the first step is not taken as Newton's


class _WhitenedMomentum(ConjugateMomentum):
    """What ``Momentum()`` resolves to (line-search momentum in an L-BFGS metric), with a first step of ``-grad``.

    In whitened coordinates the Hessian at the start is the identity, so ``-grad``
    is the Newton step and the line search's first trial, the unit step, is
    usually accepted; the generic first step (one unit long) needs several trials.
    """

    def update(self, grad, state, params):
        step, new_state = super().update(grad, state, params)
        # Only where the Newton step is of sane length: on separable data the curvature has vanished and the
        # whitened gradient can be huge; there (and on the line search's retry) keep the generic unit step.
        if state.x is None and float(grad @ grad) <= _NEWTON_STEP_MAX**2 * grad.size:
            step = -grad
        return step, new_state


def _round_length(n_features: int, binary: bool) -> int:
    """Iterations before re-whitening: a re-whitening costs about ``n_features / 4`` iterations (one pass of
    symmetric products). The multinomial curvature is whitened only through its trace per row, so it is
    re-whitened more rarely."""
    return max(5, n_features // 4) if binary else max(50, n_features)
