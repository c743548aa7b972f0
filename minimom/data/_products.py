"""``dot``: a matrix product that autograd can differentiate, for dense and scipy.sparse ``X``.

autograd knows nothing of scipy.sparse: ``X @ w`` with a sparse ``X`` and a
traced ``w`` fails. ``minimom.dot(X, w)`` is one autograd primitive whose VJP
is again a ``dot`` (with ``X.T``), so gradients and Hessian-vector products
go through it.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import scipy.sparse as sp
from autograd.extend import defvjp, primitive

__all__ = ["dot"]


def dot(X, w):
    """``X @ w`` for a dense array or scipy.sparse matrix ``X`` and a vector or matrix ``w``; differentiable.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix, shape (n, d)
    w : ndarray, shape (d,) or (d, k)

    Returns
    -------
    ndarray, shape (n,) or (n, k)
        Always a dense ndarray. The gradient with respect to ``w`` is
        ``dot(X.T, g)``; with respect to a dense ``X`` it is ``g w^T`` (a sparse
        ``X`` is data, not a parameter).

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> import minimom as mm
    >>> X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
    >>> y = np.array([1.0, 4.0, 3.0])
    >>> res = mm.minimize(lambda w: anp.sum((mm.dot(X, w) - y) ** 2), np.zeros(2))
    >>> np.round(res.x, 6).tolist()
    [1.0, 2.0]
    """
    return _dot(X, w)


@primitive
def _dot(X, w):
    return np.asarray(X @ w)


def _grad_X(ans, X, w):
    if sp.issparse(X):
        raise TypeError("minimom.dot cannot differentiate with respect to a sparse X; make w the parameter.")
    return lambda g: anp.outer(g, w) if anp.ndim(w) == 1 else anp.dot(g, anp.transpose(w))


defvjp(_dot, _grad_X, lambda ans, X, w: lambda g: _dot(X.T, g))
