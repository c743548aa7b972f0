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
from scipy.special import expit

from ..data._design import Design, as_design


class SquaredError:
    """``0.5 * sum_i w_i ||y_i - z_i||^2`` over rows, ``Y`` of shape (n, k).

    Row losses hold their per-row arrays in ``row_data`` and receive the
    block's rows of each (``Design.loss_pass`` slices them).
    """

    def __init__(self, Y, weights):
        self.row_data = (Y, weights[:, None])

    @staticmethod
    def value_and_residual(scores, Y, weights):
        residual = scores - Y
        weighted = weights * residual
        return 0.5 * float(np.sum(weighted * residual)), weighted

    @staticmethod
    def curvature(scores, direction, Y, weights):
        return weights * direction


class BinaryLogLoss:
    """``sum_i w_i [log(1 + exp(z_i)) - y_i z_i]`` over rows, ``y`` in {0, 1}.

    With signs ``s = 2 y - 1`` the row loss is ``-log(expit(s z))`` and its
    derivative ``-s expit(-s z)``: two ufuncs, stable for any ``z``.
    """

    def __init__(self, y, weights):
        signs = y.reshape(-1, 1) * 2.0  # (y may be boolean; one n-vector at a time)
        signs -= 1.0
        signed_weights = np.multiply(signs, weights[:, None])
        np.negative(signed_weights, out=signed_weights)
        self.row_data = (signs, weights[:, None], signed_weights)

    @staticmethod
    def value_and_residual(scores, signs, weights, signed_weights):
        # Plain numpy ufuncs on m = s z (faster than scipy's expit and log_expit on small blocks):
        # -log(expit(m)) = log1p(exp(-|m|)) - min(m, 0), and expit(-m) = (1 if m <= 0 else e) / (1 + e).
        margins = signs * scores
        small = np.abs(margins)
        np.negative(small, out=small)
        np.exp(small, out=small)
        losses = np.log1p(small)
        losses -= np.minimum(margins, 0.0)
        value = float(np.vdot(weights, losses))
        residual = np.where(margins > 0, small, 1.0)
        small += 1.0
        residual /= small
        residual *= signed_weights
        return value, residual

    @staticmethod
    def row_curvature(scores, signs, weights, signed_weights):
        """Each row's curvature ``w_i p_i (1 - p_i)`` (shape (rows, 1))."""
        probability = expit(scores)
        return weights * probability * (1 - probability)

    @staticmethod
    def curvature(scores, direction, signs, weights, signed_weights):
        return BinaryLogLoss.row_curvature(scores, signs, weights, signed_weights) * direction

    @staticmethod
    def newton_rows(scores, signs, weights, signed_weights):
        """``(value, residual, curvature)`` of a block, the Newton pass's row function: with ``q = expit(-s z)``
        the residual is ``-s w q`` and the curvature ``w q (1 - q)`` (= ``w p (1 - p)``)."""
        margins = signs * scores
        small = np.exp(-np.abs(margins))
        losses = np.log1p(small)
        losses -= np.minimum(margins, 0.0)
        q = np.where(margins > 0, small, 1.0)
        q /= small + 1.0
        curvature = q * (1.0 - q)
        curvature *= weights
        return float(np.vdot(weights, losses)), signed_weights * q, curvature


class MultinomialLogLoss:
    """``sum_i w_i [logsumexp_k s_ik - s_i,y_i]`` with class scores ``s = z basis^T``, ``y_i`` class indices.

    ``basis`` (K, K-1) is an orthonormal basis of the vectors summing to zero:
    the K - 1 scores ``z`` are the symmetric parametrization without the
    direction that changes nothing. The labels are kept as integers (no n x K one-hot array).
    """

    def __init__(self, labels, weights, basis):
        labels = labels if hasattr(labels, "astype") else np.asarray(labels)
        self.row_data = (labels.astype(np.intp, copy=False).reshape(-1, 1), weights[:, None])
        self.basis = basis

    def _probabilities(self, scores):
        logits = scores @ self.basis.T
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        total = exp.sum(axis=1, keepdims=True)
        return logits, exp / total, np.log(total)

    def value_and_residual(self, scores, labels, weights):
        logits, probability, log_total = self._probabilities(scores)
        value = float(np.sum(weights * (log_total - np.take_along_axis(logits, labels, axis=1))))
        np.put_along_axis(probability, labels, np.take_along_axis(probability, labels, axis=1) - 1.0, axis=1)
        probability *= weights
        return value, probability @ self.basis

    def row_curvature(self, scores, labels, weights):
        """Each row's mean curvature, ``w_i (1 - sum_k p_ik^2) / (K - 1)`` (the trace of its block over K - 1)."""
        _, probability, _ = self._probabilities(scores)
        return weights * (1 - np.sum(probability**2, axis=1, keepdims=True)) / self.basis.shape[1]

    def newton_rows(self, scores, labels, weights):
        """``(value, residual, curvature)`` of a block: per row ``C_i = w_i B^T (diag(p_i) - p_i p_i^T) B``."""
        logits, probability, log_total = self._probabilities(scores)
        value = float(np.sum(weights * (log_total - np.take_along_axis(logits, labels, axis=1))))
        q = probability @ self.basis
        residual = weights * (q - self.basis[labels[:, 0]])
        curvature = np.einsum("ik,ka,kb->iab", probability, self.basis, self.basis) - q[:, :, None] * q[:, None, :]
        curvature *= weights[:, :, None]
        return value, residual, curvature

    def curvature(self, scores, direction, labels, weights):
        _, probability, _ = self._probabilities(scores)
        change = direction @ self.basis.T
        hessian_change = probability * (change - np.sum(probability * change, axis=1, keepdims=True))
        return (weights * hessian_change) @ self.basis


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


def _sum_zero_basis(n_classes: int) -> np.ndarray:
    """An orthonormal basis (n_classes, n_classes - 1) of the vectors whose entries sum to zero."""
    centring = np.eye(n_classes) - 1.0 / n_classes
    vectors, _, _ = np.linalg.svd(centring)
    return vectors[:, : n_classes - 1]
