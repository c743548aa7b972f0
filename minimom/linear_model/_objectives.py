"""The linear models' internal objectives: one autograd primitive on one flat vector.

The parameters ``theta = [V.ravel(), u]`` live in whitened coordinates: the
coefficients on the original features are ``W = P V`` (``P`` a d x d matrix, or
a d-vector for a diagonal ``P``) and the scores of a row ``x`` are
``(x - mean) @ W + intercept_scale * u``. The data are never transformed: the
mean and ``P`` act on d-vectors, so one evaluation is one pass over ``X``
(:meth:`minimom.data._design.Design.loss_pass`, the same for every kind of data).

:func:`internal_objective` is a single autograd node. Its forward pass
computes the value and the gradient together (one pass) and keeps the
gradient; its VJP hands that gradient back through :func:`internal_gradient`,
another primitive, whose own VJP is the Hessian-vector product (written by
hand, one more pass). So ``value_and_grad`` costs one pass and autograd's
``make_hvp`` works through it.
"""

from __future__ import annotations

import numpy as np
from autograd.extend import defvjp, primitive
from autograd.tracer import isbox

from ..data._design import Design, as_design


class LinearObjective:
    """``sum_rows loss((X - mean) P V + c u) + 0.5 * penalty * ||P V||^2`` as a function of flat ``theta``.

    Parameters
    ----------
    X : a :class:`minimom.data._design.Design` (or an ndarray or sparse matrix, wrapped in one), never modified
    mean : ndarray (d,), subtracted from every row of ``X`` implicitly
    P : ndarray (d, d) or (d,), the preconditioner
    penalty : float
    width : int, the number of score columns ``k``
    intercept_scale : float or None, ``c``; ``None`` means no intercept
    rows : a row loss (``SquaredError``, ``BinaryLogLoss``, ``MultinomialLogLoss``)
    """

    def __init__(self, X, mean, P, penalty, width, intercept_scale, rows):
        self.design = X if isinstance(X, Design) else as_design(X)
        self.mean, self.P, self.penalty = mean, P, penalty
        self.width, self.intercept_scale, self.rows = width, intercept_scale, rows
        self.n_coef = self.design.n_features * width
        self.size = self.n_coef + (width if intercept_scale is not None else 0)
        self._kept = None  # (theta, gradient) of the last forward pass
        self.at_zero = None  # (value, gradient) at theta = 0 when known without a pass (from the moments pass)
        self._map = self._linear_map() if P.ndim == 2 else None

    def _linear_map(self):
        """``A`` with ``[W; offset] = A @ theta.reshape(-1, k)``: ``[[P, 0], [-mean P, c]]`` (without an intercept
        parameter, ``[[P], [-mean P]]``). One product maps the parameters to the scores' coefficients, and
        ``A^T`` maps the gradient back; the mean never touches ``X``."""
        d = self.P.shape[0]
        A = np.zeros((d + 1, d + (self.intercept_scale is not None)))
        A[:d, :d] = self.P
        A[d, :d] = -(self.mean @ self.P)
        if self.intercept_scale is not None:
            A[d, d] = self.intercept_scale
        return A

    def _apply_P(self, V):
        return self.P @ V if self.P.ndim == 2 else self.P[:, None] * V

    def _apply_P_transpose(self, G):
        return self.P.T @ G if self.P.ndim == 2 else self.P[:, None] * G

    def coefficients(self, theta):
        """``(W, b)``: coefficients on the original features and the intercept of centred rows."""
        W = self._apply_P(theta[: self.n_coef].reshape(-1, self.width))
        b = self.intercept_scale * theta[self.n_coef:] if self.intercept_scale is not None else np.zeros(self.width)
        return W, b

    def _gradient(self, G, total, W):
        """Flat gradient from ``G = (X - mean)^T R`` and ``total = 1^T R``."""
        if self.penalty:
            G += self.penalty * W
        coef = self._apply_P_transpose(G)
        if self.intercept_scale is None:
            return coef.ravel()
        gradient = np.empty(self.size)
        gradient[: self.n_coef] = coef.ravel()
        np.multiply(self.intercept_scale, total, out=gradient[self.n_coef:])
        return gradient

    def value_and_gradient(self, theta):
        if self.at_zero is not None and not np.any(theta):
            return self.at_zero[0], self.at_zero[1].copy()
        if self._map is not None:
            return self._mapped_value_and_gradient(theta)
        W, b = self.coefficients(theta)
        b -= self.mean @ W
        value, G, total = self.design.loss_pass(W, b, self.mean, self.rows.value_and_residual, self.rows.row_data)
        if self.penalty:  # (skipped at 0: W may be huge when X is tiny)
            value += 0.5 * self.penalty * float(np.vdot(W, W))
        return value, self._gradient(G, total, W)

    def _mapped_value_and_gradient(self, theta):
        """:meth:`value_and_gradient` through the one linear map ``A`` (fewer numpy calls per step)."""
        d = self.design.n_features
        coefs = self._map @ theta.reshape(-1, self.width)
        W, offset = coefs[:d], coefs[d]
        value, raw = self.design.loss_pass(W, offset, None, self.rows.value_and_residual, self.rows.row_data,
                                           with_total=True)
        if self.penalty:  # (skipped at 0: W may be huge when X is tiny)
            value += 0.5 * self.penalty * float(np.vdot(W, W))
            raw[:d] += self.penalty * W
        return value, (self._map.T @ raw).ravel()

    def hessian_vector(self, theta, direction):
        """The Hessian at ``theta`` times ``direction``: one pass over ``X``."""
        W, b = self.coefficients(theta)
        dW, db = self.coefficients(direction)
        k = self.width
        stacked = np.hstack([W, dW])
        offset = np.concatenate([b, db]) - self.mean @ stacked

        curvature = self.rows.curvature
        _, G, total = self.design.loss_pass(stacked, offset, self.mean, _Curvature(curvature, k), self.rows.row_data)
        return self._gradient(G, total, dW)

    def __call__(self, theta):
        """The objective as an autograd function of ``theta``."""
        return internal_objective(theta, self)


class _Curvature:
    """The row "loss" of a Hessian-vector product: scores ``[Z, dZ]`` stacked, residual = curvature times dZ."""

    def __init__(self, curvature, k: int):
        self.curvature, self.k = curvature, k

    def __call__(self, scores, *row_data):
        return 0.0, self.curvature(scores[:, : self.k], scores[:, self.k:], *row_data)


@primitive
def internal_objective(theta, objective: LinearObjective):
    """``objective``'s value at ``theta``, an autograd primitive (its gradient comes from the same pass)."""
    value, gradient = objective.value_and_gradient(theta)
    objective._kept = (theta, gradient)
    return value


@primitive
def internal_gradient(theta, objective: LinearObjective):
    """``objective``'s gradient at ``theta``, an autograd primitive whose VJP is the Hessian-vector product."""
    kept = objective._kept
    if kept is not None and kept[0] is theta:
        return kept[1]
    return objective.value_and_gradient(theta)[1]


def _objective_vjp(ans, theta, objective):
    def vjp(g):
        if isbox(theta) or isbox(g):  # a higher-order trace (Hessian-vector products): through the primitive
            return g * internal_gradient(theta, objective)
        gradient = internal_gradient.fun(theta, objective)  # first order: the kept gradient, no extra node
        return gradient if g == 1.0 else g * gradient

    return vjp


defvjp(internal_objective, _objective_vjp)
defvjp(internal_gradient, lambda ans, theta, objective: lambda u: objective.hessian_vector(theta, u))
