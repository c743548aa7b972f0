"""The row losses of the linear models: each block's value, residual and curvature from its scores.

A row loss holds its per-row arrays in ``row_data`` and receives the block's rows
of each (:meth:`minimom.data._design.Design.loss_pass` slices them). Scores are
``z = x W + b``, one column per output; the residual is the loss's derivative in
the scores, ``X^T`` of which is the gradient.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit


class SquaredError:
    """``0.5 * sum_i w_i ||y_i - z_i||^2`` over rows, ``Y`` of shape (n, k)."""

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
        value, q = _binary_rows(scores, signs, weights)
        q *= signed_weights
        return value, q

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
        value, q = _binary_rows(scores, signs, weights)
        curvature = q * (1.0 - q)
        curvature *= weights
        return value, signed_weights * q, curvature


def _binary_rows(scores, signs, weights):
    """``(sum_i w_i l_i, q)`` of a block, ``l = -log(expit(m))`` and ``q = expit(-m)`` at the margins ``m = s z``.

    Plain numpy ufuncs (faster than scipy's expit and log_expit on small blocks):
    ``l = log1p(exp(-|m|)) - min(m, 0)`` and ``q = (1 if m <= 0 else e) / (1 + e)`` with ``e = exp(-|m|)``.
    """
    margins = signs * scores
    small = np.abs(margins)
    np.negative(small, out=small)
    np.exp(small, out=small)
    losses = np.log1p(small)
    losses -= np.minimum(margins, 0.0)
    q = np.where(margins > 0, small, 1.0)
    small += 1.0
    q /= small
    return float(np.vdot(weights, losses)), q


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
        """``(exp(logits - m), their row sums, m)`` with ``m`` each row's largest logit (no overflow)."""
        logits = scores @ self.basis.T
        if logits.shape[1] <= 16:  # a column at a time: numpy's max along short rows loops per row
            top = logits[:, 0].copy()
            for column in logits.T[1:]:
                np.maximum(top, column, out=top)
        else:
            top = logits.max(axis=1)
        logits -= top[:, None]
        exp = np.exp(logits, out=logits)
        return exp, exp @ np.ones(exp.shape[1]), top

    def value_and_residual(self, scores, labels, weights):
        """``sum w (log sum_k e^{l_k} - l_y)`` and the residual ``w (p - e_y) B`` (``B`` the basis)."""
        exp, total, top = self._probabilities(scores)
        own = self.basis[labels[:, 0]]  # e_y B: each row's basis row, (n, K - 1)
        weights = weights[:, 0]
        value = float(weights @ _row_values(scores, own, total, top))
        residual = exp @ self.basis
        residual /= total[:, None]
        residual -= own
        residual *= weights[:, None]
        return value, residual

    def row_curvature(self, scores, labels, weights):
        """Each row's mean curvature, ``w_i (1 - sum_k p_ik^2) / (K - 1)`` (the trace of its block over K - 1)."""
        exp, total, _ = self._probabilities(scores)
        squares = np.square(exp, out=exp) @ np.ones(exp.shape[1])
        return weights * (1 - squares / (total * total))[:, None] / self.basis.shape[1]

    def newton_rows(self, scores, labels, weights):
        """``(value, residual, curvature)`` of a block: per row ``C_i = w_i B^T (diag(p_i) - p_i p_i^T) B``."""
        exp, total, top = self._probabilities(scores)
        own = self.basis[labels[:, 0]]
        value = float(weights[:, 0] @ _row_values(scores, own, total, top))
        probability = exp / total[:, None]
        q = probability @ self.basis
        residual = weights * (q - own)
        curvature = np.einsum("ik,ka,kb->iab", probability, self.basis, self.basis) - q[:, :, None] * q[:, None, :]
        curvature *= weights[:, :, None]
        return value, residual, curvature

    def curvature(self, scores, direction, labels, weights):
        exp, total, _ = self._probabilities(scores)
        probability = exp / total[:, None]
        change = direction @ self.basis.T
        hessian_change = probability * (change - np.sum(probability * change, axis=1, keepdims=True))
        return (weights * hessian_change) @ self.basis


def _row_values(scores, own, total, top):
    """Each row's loss ``log sum_k e^{l_k - m} - (l_y - m)``, with ``l_y = s_i . B_{y_i}`` and ``m`` the row's
    largest logit (``l_y - m`` formed per row: both of the same size, their difference as exact as the logits)."""
    values = (scores * own) @ np.ones(own.shape[1])
    values -= top
    return np.subtract(np.log(total), values, out=values)


def _sum_zero_basis(n_classes: int) -> np.ndarray:
    """An orthonormal basis (n_classes, n_classes - 1) of the vectors whose entries sum to zero."""
    centring = np.eye(n_classes) - 1.0 / n_classes
    vectors, _, _ = np.linalg.svd(centring)
    return vectors[:, : n_classes - 1]
