"""The Newton pass's block kernel: a loss, its gradient AND its Hessian in the scores' parameters, from one read.

For rows ``x~ = [x, 1]`` (d + 1 entries), scores ``z = x @ W + offset`` (k of them) and a row loss with
residual ``r_i = dl/dz`` (k) and curvature ``C_i = d2l/dz2`` (k x k, or one number when k = 1), one block
of rows contributes

    value = sum_i l_i,   G = sum_i x~_i r_i^T   ((d + 1) x k),
    H[j, a, l, b] = sum_i x~_ij x~_il C_i[a, b]   ((d + 1) x k x (d + 1) x k; (d + 1) x (d + 1) when k = 1).

The Hessian is one more product per pair of score columns: a symmetric one, ``(sqrt(c) X)^T (sqrt(c) X)``,
for the diagonal pairs (``c >= 0``; the intercept's row and the gradient come from ``X^T [c, r]`` beside
it), ``X^T [diag(c) X, c]`` for the others, formed over sub-blocks of about 1 MB so the products stay in
cache; the temporaries are a sub-block's size, never ``X``'s. Centring (``x - mean``) is a change of the
parameters, ``[x - m, 1] = [x, 1] E``, applied on the client to these sums
(:class:`minimom.linear_model._newton.NewtonProblem`), never to ``X``.
"""

from __future__ import annotations

import contextlib
import functools
import threading

import numpy as np
import scipy.sparse as sp

_SUB_ROWS_BYTES = 1 << 20  # float64 bytes per sub-block: about 1 MB stays in cache for the products
_PIN_ABOVE = 100_000  # entries of a block from which its products run with BLAS on one thread


_here = threading.local()  # ``held``: this thread's BLAS is on one thread already (a fit pinned it)


@contextlib.contextmanager
def held():
    """Within it, the calling thread's BLAS is known to run on one thread (its caller pinned it, as a fit on
    small data does): :func:`pinned` calls straight through instead of pinning again (threadpoolctl calls)."""
    before = getattr(_here, "held", False)
    _here.held = True
    try:
        yield
    finally:
        _here.held = before


@functools.cache
def _blas():
    """threadpoolctl's BLAS controllers, and its function that lets any thread change a shared pool again."""
    import threadpoolctl  # a scikit-learn dependency

    release = getattr(getattr(threadpoolctl, "OpenBLASController", None), "clear_controlling_thread", None)
    return threadpoolctl.ThreadpoolController().select(user_api="blas"), release


def pinned(func, X, *rows) -> tuple:
    """``func(X, *rows)``, with BLAS on one thread (here, or on the dask worker) when ``X`` is a large block.

    The passes' products are thin (about d columns), where BLAS threads cost more to wake than they save,
    and on a busy machine stall every product (60x slower measured on 25000 x 20 blocks with two busy cores).
    threadpoolctl lets only one thread change a shared OpenBLAS pool; this one takes that role for the limit
    and for the restore only, and gives it back (as :func:`minimom.linear_model._base.blas_threads` does).
    """
    if X.shape[0] * X.shape[1] < _PIN_ABOVE or getattr(_here, "held", False):
        return func(X, *rows)
    controllers, release = _blas()
    release = release or (lambda force: None)
    release(force=True)
    limiter = controllers.limit(limits=1)
    release(force=True)
    try:
        return func(X, *rows)
    finally:
        release(force=True)
        limiter.restore_original_limits()
        release(force=True)


def newton_part(coef, offset, row_fn, X, *row_data) -> tuple:
    """One block's ``(value, G, H)`` (see the module docstring), with BLAS on one thread (:func:`pinned`).

    ``row_fn(scores, *row_data_b)`` returns ``(value, residual (m, k), curvature (m, 1) or (m, k, k))``.
    """
    return pinned(functools.partial(_newton_part, coef, offset, row_fn), X, *row_data)


def _newton_part(coef, offset, row_fn, X, *row_data) -> tuple:
    n, d = X.shape
    k = coef.shape[1]
    value, gradient = 0.0, np.zeros((d + 1, k))
    hessian = np.zeros((d + 1, k, d + 1, k))
    step = n if sp.issparse(X) else max(1, _SUB_ROWS_BYTES // (8 * (d + 2)))
    for start in range(0, max(n, 1), step):
        stop = min(start + step, n)
        rows = X if stop - start == n else X[start:stop]
        rows = rows if sp.issparse(rows) or rows.dtype == np.float64 else rows.astype(np.float64)
        scores = np.asarray(rows @ coef)
        scores += offset
        part, residual, curvature = row_fn(scores, *(r[start:stop] for r in row_data))
        value += part
        curvature = curvature.reshape(len(scores), k, k)
        for a in range(k):
            for b in range(a, k):
                pair = _pair(gradient, rows, curvature[:, a, b], residual[:, a] if b == a else None, a)
                hessian[:, a, :, b] += pair
                if b != a:
                    hessian[:, b, :, a] += pair.T
    return np.asarray(value), gradient, hessian[:, 0, :, 0] if k == 1 else hessian


def _pair(gradient, rows, c, residual, a: int) -> np.ndarray:
    """``[x, 1]^T diag(c) [x, 1]`` over ``rows``; with ``residual`` (a diagonal pair, ``c >= 0``), ``[x, 1]^T r``
    is added to column ``a`` of ``gradient`` in the same pass over the sub-block."""
    d = rows.shape[1]
    if sp.issparse(rows):
        weighted = rows.multiply(c[:, None]).tocsr()
        product = rows.T @ weighted
        block = product.toarray() if sp.issparse(product) else np.asarray(product)
        sums = np.asarray(weighted.sum(axis=0)).ravel()
        if residual is not None:
            gradient[:d, a] += np.asarray(rows.T @ residual).ravel()
    elif residual is not None:  # a diagonal pair (c >= 0): X^T C X as (sqrt(c) x)^T (sqrt(c) x), one symmetric
        weighted = np.sqrt(np.maximum(c, 0.0))[:, None] * rows  # product (half a general one's flops), and
        block = weighted.T @ weighted  # X^T [c, r] in one thin product beside it
        sides = np.empty((rows.shape[0], 2))
        sides[:, 0], sides[:, 1] = c, residual
        product = rows.T @ sides
        sums = product[:, 0]
        gradient[:d, a] += product[:, 1]
    else:  # an off-diagonal pair: one product, rows^T [c x, c] = [X^T C X, X^T c]
        extended = np.empty((rows.shape[0], d + 1))
        np.multiply(rows, c[:, None], out=extended[:, :d])
        extended[:, d] = c
        product = rows.T @ extended
        block, sums = product[:, :d], product[:, d]
    if residual is not None:
        gradient[d, a] += residual.sum()
    pair = np.empty((d + 1, d + 1))
    pair[:d, :d] = block
    pair[:d, d] = pair[d, :d] = sums
    pair[d, d] = c.sum()
    return pair
