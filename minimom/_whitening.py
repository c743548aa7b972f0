"""The preconditioner of the linear models, built from second moments of ``X`` (never from a copy of it).

The coefficients are ``w = P v`` with ``P`` an inverse square root of the
objective's Hessian at the start, ``curvature * Cov(X) + penalty * I``, so the
Hessian in ``v`` is the identity there (exactly so for least squares).

Scale first: each column is divided by its largest magnitude, then by its
standard deviation (a Jacobi scaling, ``S``), so the eigen-decomposition sees a
matrix with a unit diagonal whatever the units of the features (1e-300 or
1e300 included). ``P = S (curvature * C + penalty * S^2)^(-1/2)`` with ``C``
the scaled covariance. Only eigenvalues at the level of rounding error
(below ``_RANK_TOLERANCE * d`` of the largest, in the scaled problem) are treated
as zero: those directions carry no curvature that float64 can resolve; the
least-squares solution is then made minimum-norm explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _data

FULL_MAX_FEATURES = 2000  # beyond this, whiten each feature on its own (a d-vector P)
_RANK_TOLERANCE = 4 * np.finfo(float).eps


@dataclass
class Whitening:
    """``P`` (d x d, or a d-vector when diagonal) and a basis of the null directions (d x r, orthonormal)."""

    P: np.ndarray
    null_basis: np.ndarray


def column_scale(X, weights, mean, fit_intercept, curvature: float, penalty: float, extremes=None) -> np.ndarray:
    """``S``, the Jacobi scaling of the Hessian: ``S_j = 1 / sqrt(curvature * Var(x_j) + penalty)``.

    Computed without overflow or underflow for any units: the variance is taken
    of each column divided by its largest magnitude ``m_j``, and
    ``S_j = 1 / hypot(sqrt(curvature * Var(x_j / m_j)) / m_j, sqrt(penalty))``.
    Columns that are constant (with an intercept) or all zero get 0: they carry no curvature.
    ``extremes``: ``_data.column_extremes(X)`` if already known.
    """
    low, high = _data.column_extremes(X) if extremes is None else extremes
    magnitude = np.maximum(np.abs(low), np.abs(high))
    varying = (high > low) if fit_intercept else (magnitude > 0)
    inverse = np.where(varying, 1.0 / np.where(varying, magnitude, 1.0), 0.0)
    spread = _data.second_moment_diagonal(X, weights, mean, inverse)
    usable = varying & (spread > 0)
    root = np.sqrt(curvature * np.where(usable, spread, 1.0)) * np.where(usable, magnitude, 1.0)
    return np.where(usable, 1.0 / np.hypot(root, np.sqrt(penalty)), 0.0)


def whitening(X, weights, mean, scale, curvature: float, penalty: float, full: bool, floor: bool = False) -> Whitening:
    """The preconditioner for ``curvature * Cov_weights(X) + penalty * I`` (see the module's notes).

    ``floor=True`` raises eigenvalues at rounding level to that level instead of
    dropping them, so ``P`` is invertible on every active column (re-whitening
    must be able to represent the current iterate).
    """
    d = X.shape[1]
    if not full:
        # Per feature: the Jacobi scaling alone (the scaled Hessian has a unit diagonal).
        return Whitening(scale.copy(), np.zeros((d, 0)))
    active = np.flatnonzero(scale)  # dropped columns (scale 0) stay out of the eigenproblem
    hessian = curvature * _data.second_moment(X, weights, mean, scale)[np.ix_(active, active)]
    hessian[np.diag_indices(len(active))] += (np.sqrt(penalty) * scale[active]) ** 2  # <= 1, never inf * 0
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
    return Whitening(P, null)


def minimum_norm(coef: np.ndarray, null_basis: np.ndarray) -> np.ndarray:
    """``coef`` minus its component in the null directions: the minimum-norm solution, as lstsq gives."""
    if null_basis.shape[1] == 0:
        return coef
    return coef - null_basis @ (null_basis.T @ coef)


def inverse_apply(whitening: Whitening, W: np.ndarray) -> np.ndarray:
    """``V`` with ``P V`` closest to ``W`` (for warm starts): least squares through ``P``."""
    P = whitening.P
    if P.ndim == 1:
        return np.where(P[:, None] != 0, W / np.where(P[:, None] != 0, P[:, None], 1.0), 0.0)
    return np.linalg.lstsq(P, W, rcond=None)[0]
