"""The Newton pass's block kernel: a loss, its gradient AND its Hessian in the scores' parameters, from one read.

For centred rows ``x~ = [x - mean, 1]`` (d + 1 entries), scores ``z = (x - mean) @ W + b`` (k of them) and a
row loss with residual ``r_i = dl/dz`` (k) and curvature ``C_i = d2l/dz2`` (k x k, or one number when k = 1),
one block of rows contributes

    value = sum_i l_i,   G = sum_i x~_i r_i^T   ((d + 1) x k),
    H[j, a, l, b] = sum_i x~_ij x~_il C_i[a, b]   ((d + 1) x k x (d + 1) x k; (d + 1) x (d + 1) when k = 1).

The Hessian is one more product per pair of score columns (``X~^T diag(c) X~``), formed over sub-blocks
of about 1 MB so the products stay in cache (a general product: as fast as ``dsyrk`` at these shapes). The
rows are centred one sub-block at a time: large offsets lose no digits, and the temporaries are a
sub-block's size, never ``X``'s.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_SUB_ROWS_BYTES = 1 << 20  # float64 bytes per sub-block: about 1 MB stays in cache for the products


def newton_part(mean, coef, offset, row_fn, X, *row_data) -> tuple:
    """One block's ``(value, G, H)`` (see the module docstring).

    ``row_fn(scores, *row_data_b)`` returns ``(value, residual (m, k), curvature (m, 1) or (m, k, k))``."""
    if sp.issparse(X):
        return _sparse_part(mean, coef, offset, row_fn, X, *row_data)
    n, d = X.shape
    k = coef.shape[1]
    step = max(1, _SUB_ROWS_BYTES // (8 * (d + 1)))
    value, gradient = 0.0, np.zeros((d + 1, k))
    hessian = np.zeros((d + 1, d + 1)) if k == 1 else np.zeros((d + 1, k, d + 1, k))
    block = np.empty((min(step, n), d + 1))
    for start in range(0, n, step):
        stop = min(start + step, n)
        rows = block[: stop - start]
        np.subtract(X[start:stop], mean, out=rows[:, :d])
        rows[:, d] = 1.0
        scores = rows[:, :d] @ coef
        scores += offset
        part, residual, curvature = row_fn(scores, *(r[start:stop] for r in row_data))
        value += part
        gradient += rows.T @ residual
        if k == 1:
            hessian += rows.T @ (curvature * rows)
            continue
        for a in range(k):
            for b in range(a, k):
                product = rows.T @ (curvature[:, a, b, None] * rows)
                hessian[:, a, :, b] += product
                if b != a:
                    hessian[:, b, :, a] += product.T
    return np.asarray(value), gradient, hessian



def _sparse_part(mean, coef, offset, row_fn, X, *row_data) -> tuple:
    """:func:`newton_part` of scipy.sparse ``X`` through sparse products (never densified), centred afterwards:
    ``sum c (x - m)(x - m)^T = X^T C X - m s^T - s m^T + (sum c) m m^T`` with ``s = X^T c``."""
    d, k = X.shape[1], coef.shape[1]
    scores = np.asarray(X @ coef) + (offset - mean @ coef)
    value, residual, curvature = row_fn(scores, *row_data)
    total = residual.sum(axis=0)
    gradient = np.vstack([np.asarray(X.T @ residual) - np.outer(mean, total), total])
    curvature = curvature.reshape(len(scores), k, k)
    hessian = np.zeros((d + 1, k, d + 1, k))
    for a in range(k):
        for b in range(a, k):
            c = curvature[:, a, b]
            product = X.T @ X.multiply(c[:, None]).tocsr()
            product = product.toarray() if sp.issparse(product) else np.asarray(product)
            s, t = np.asarray(X.T @ c).ravel(), c.sum()
            block = np.empty((d + 1, d + 1))
            block[:d, :d] = product - np.outer(mean, s) - np.outer(s, mean) + t * np.outer(mean, mean)
            block[:d, d] = block[d, :d] = s - t * mean
            block[d, d] = t
            hessian[:, a, :, b] = block
            hessian[:, b, :, a] = block.T
    return np.asarray(value), gradient, hessian[:, 0, :, 0] if k == 1 else hessian
