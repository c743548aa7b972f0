r"""Inference at the optimum: the exact Hessian, its inverse as a covariance, and standard errors.

For a maximum-likelihood fit, ``fun`` is the negative log-likelihood summed over
the observations and ``x`` its minimizer; the observed information is the Hessian
``H`` of ``fun`` at ``x`` (autograd's, exact), the asymptotic covariance of the
estimate is ``H^{-1}``, and the standard errors are ``sqrt(diag(H^{-1}))``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from autograd import hessian as _autograd_hessian

from ._arguments import _as_args, _as_array_if_flat
from ._pytree import _flatten_x0

__all__ = ["covariance", "hessian", "standard_errors"]


def hessian(fun: Callable[..., Any], x: Any, args: tuple = ()) -> np.ndarray:
    r"""The exact Hessian ``H_ij = d^2 fun / dx_i dx_j`` of ``fun(x, *args)`` at ``x``, by autograd.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, written with ``autograd.numpy`` (as for
        :func:`minimom.minimize`).
    x : array_like or pytree
        The point, e.g. ``res.x``; dicts, lists and tuples are flattened as
        ``minimize`` flattens them (dict values in key order, then list items,
        each leaf raveled in C order).
    args : tuple, default=()
        Extra arguments passed to ``fun``.

    Returns
    -------
    ndarray of shape (n, n)
        The Hessian over the ``n`` numbers of ``x``, in that flattened order.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import minimom as mm
    >>> mm.hessian(lambda p: p["a"] ** 2 * p["b"], {"a": 1.0, "b": 3.0}).tolist()
    [[6.0, 2.0], [2.0, 0.0]]
    """
    flat, unflatten, _ = _flatten_x0(_as_array_if_flat(x))
    args = _as_args(args)

    def flat_fun(v):
        return fun(unflatten(v), *args)

    matrix = np.asarray(_autograd_hessian(flat_fun)(flat), dtype=np.float64)
    return matrix.reshape(flat.size, flat.size)


def covariance(fun: Callable[..., Any], x: Any, args: tuple = ()) -> np.ndarray:
    r"""The asymptotic covariance ``H^{-1}`` of a maximum-likelihood estimate ``x``: the inverse :func:`hessian`.

    ``fun`` must be the negative log-likelihood **summed** over the observations
    (for a mean, divide the result by the number of observations) and ``x`` its
    minimizer, e.g. ``res.x`` of :func:`minimom.minimize`.

    Returns
    -------
    ndarray of shape (n, n)
        In the flattened order of ``x`` (see :func:`hessian`).

    Raises
    ------
    ValueError
        When the Hessian is not positive definite at ``x``: ``x`` is not a strict
        minimum (the fit has not converged) or the model is not identified there.
    """
    matrix = hessian(fun, x, args)
    try:
        factor = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        smallest = float(np.linalg.eigvalsh(matrix).min()) if np.all(np.isfinite(matrix)) else float("nan")
        raise ValueError(
            f"the Hessian of fun at x is not positive definite (its smallest eigenvalue is {smallest:.3g}), so it "
            "has no inverse to serve as a covariance: x is not a strict minimum of fun (check that the fit "
            "converged, res.status == 'converged') or the model is not identified there."
        ) from None
    inverse_factor = np.linalg.inv(factor)
    return inverse_factor.T @ inverse_factor


def standard_errors(fun: Callable[..., Any], x: Any, args: tuple = ()) -> Any:
    r"""Standard errors ``sqrt(diag(H^{-1}))`` of a maximum-likelihood estimate, in the structure of ``x``.

    Parameters
    ----------
    fun : callable
        The negative log-likelihood ``fun(x, *args)``, **summed** over the
        observations, written with ``autograd.numpy``.
    x : array_like or pytree
        Its minimizer, e.g. ``res.x`` of :func:`minimom.minimize`.
    args : tuple, default=()
        Extra arguments passed to ``fun`` (the data).

    Returns
    -------
    array or pytree
        One standard error per parameter, shaped as ``x`` (scalar leaves as floats).

    Examples
    --------
    The normal model's closed form: ``se(mu) = sigma / sqrt(n)``, ``se(sigma) = sigma / sqrt(2n)``.

    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import minimom as mm
    >>> y = np.random.default_rng(0).normal(2.0, 3.0, size=400)
    >>> def nll(p, y):
    ...     return len(y) * anp.log(p["sigma"]) + anp.sum((y - p["mu"]) ** 2) / (2 * p["sigma"] ** 2)
    >>> res = mm.minimize(nll, {"mu": 0.0, "sigma": 1.0}, args=(y,), tol=1e-10)
    >>> se = mm.standard_errors(nll, res.x, args=(y,))
    >>> sigma = y.std()
    >>> bool(np.isclose(se["mu"], sigma / np.sqrt(400))), bool(np.isclose(se["sigma"], sigma / np.sqrt(800)))
    (True, True)
    """
    x = _as_array_if_flat(x)
    _, _, restore = _flatten_x0(x)
    return restore(np.sqrt(np.diag(covariance(fun, x, args))))
