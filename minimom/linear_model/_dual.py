r"""Least squares with more features than rows, solved through the n x n Gram matrix (the dual).

With ``n < d`` the minimum-norm solution of ``min sum_i w_i (y_i - (x_i - m) c)^2 + penalty ||c||^2`` is
``c = X_c^T W^(1/2) (W^(1/2) X_c X_c^T W^(1/2) + penalty I)^+ W^(1/2) y``: one ``n x n`` eigendecomposition, the
pseudo-inverse dropping eigenvalues below ``_RANK_TOLERANCE * n`` of the largest. ``X`` is scaled by its largest
magnitude first, so the Gram matrix cannot overflow.
"""

from __future__ import annotations

import numpy as np

from ._whitening import _RANK_TOLERANCE

__all__ = ["gram_solve"]


def gram_solve(design, weights, mean, Yc, penalty):
    """The minimum-norm solution of the weighted, penalized least squares from the n x n Gram matrix."""
    low, high = design.column_extremes()
    magnitude = float(max(np.max(np.abs(low)), np.max(np.abs(high)), np.max(np.abs(mean)), 0.0)) or 1.0
    factor = 1.0 / magnitude
    gram = design.gram(weights, mean, factor)
    gram[np.diag_indices_from(gram)] += (factor * np.sqrt(penalty)) ** 2
    eigenvalues, vectors = np.linalg.eigh(gram)
    kept = eigenvalues > _RANK_TOLERANCE * len(eigenvalues) * max(eigenvalues[-1], 0.0)
    inverse = np.where(kept, 1 / np.where(kept, eigenvalues, 1.0), 0.0)
    root = np.sqrt(weights)[:, None]
    dual = root * (vectors @ (inverse[:, None] * (vectors.T @ (root * Yc))))
    return factor * design.rmatmul(factor * dual, mean)
