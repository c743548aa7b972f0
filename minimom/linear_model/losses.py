"""Autograd primitives for logistic and least-squares losses on a dict pytree (the estimators' former objectives).

The estimators now use :mod:`minimom.linear_model._objectives` (one primitive on a flat
vector over :mod:`minimom.data._arrays`, with no copy of X); these remain as
standalone primitives with hand-written gradients, e.g. for a user's own loss.

Each takes the parameters as a dict ``{"coef": V, "intercept": u}`` in the
estimators' internal coordinates (see :mod:`minimom.linear_model`): ``Z`` is
the centred data times the preconditioner ``P``, so the coefficients on the
original features are ``P @ V`` (``P`` is a matrix, or a vector of per-feature
scales for very wide data). Every objective is the scikit-learn objective
divided by a constant (``sw_sum``, or ``C * sw_sum``), so the optimum is the same.

The data terms and the penalty are autograd primitives with hand-written
gradients (fewer, fused passes than autograd's generic chain). Their forward
passes are plain numpy; their gradients are written with autograd's own
functions so that autograd can differentiate them again: ``Momentum("auto")``
takes Hessian-vector products through them.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive
from autograd.scipy.special import expit


@primitive
def weighted_binary_log_loss(z, y, weights):
    """``sum_i weights_i [log(1 + exp(z_i)) - y_i z_i]``, an autograd primitive.

    Its gradient in ``z`` is written by hand, ``weights * (expit(z) - y)``:
    one fused pass instead of autograd's chain through ``logaddexp``.
    """
    # softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): stable, and about
    # three times faster than np.logaddexp(0, z) on large arrays.
    return weights @ (np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z)


defvjp(weighted_binary_log_loss, lambda ans, z, y, weights: lambda g: g * weights * (expit(z) - y))


def _softmax(logits):
    """Row-wise softmax with autograd's functions (so it can be differentiated again)."""
    shifted = logits - anp.max(logits, axis=1, keepdims=True)
    exp = anp.exp(shifted)
    return exp / anp.sum(exp, axis=1, keepdims=True)


@primitive
def weighted_multinomial_log_loss(logits, Y, weights):
    """``sum_i weights_i [logsumexp_k logits_ik - sum_k Y_ik logits_ik]``, an autograd primitive.

    Its gradient in ``logits`` is written by hand: ``weights * (softmax(logits) - Y)``.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -weights @ np.einsum("ik,ik->i", Y, log_softmax)


defvjp(weighted_multinomial_log_loss,
       lambda ans, logits, Y, weights: lambda g: g * weights[:, None] * (_softmax(logits) - Y))


def unwhiten(P, V):
    """The coefficients on the original features, ``P @ V``, for a matrix or a diagonal (vector) ``P``."""
    return P @ V if P.ndim == 2 else P[:, None] * V


@primitive
def l2_penalty(V, P, penalty):
    """``0.5 * penalty * ||P V||^2``, an autograd primitive: one node instead of five.

    ``P`` is symmetric, so the gradient is ``penalty * P (P V)``.
    """
    return 0.5 * penalty * np.sum(unwhiten(P, V) ** 2)


defvjp(l2_penalty, lambda ans, V, P, penalty: lambda g: g * penalty * unwhiten(P, unwhiten(P, V)))


def _l2(params, P, penalty):
    return l2_penalty(params["coef"], P, penalty)


def squared_error(params, Z, Y, weights, P, penalty):
    """``0.5 * sum_i weights_i ||y_i - z_i V||^2 + 0.5 * penalty * ||P V||^2`` (weights sum to one)."""
    residual = Y - Z @ params["coef"]
    return 0.5 * anp.sum(weights[:, None] * residual**2) + _l2(params, P, penalty)


def _logits(params, Z, intercept_scale):
    logits = Z @ params["coef"]
    if "intercept" in params:
        logits = logits + intercept_scale * params["intercept"]
    return logits


def binary_log_loss(params, Z, y, weights, P, penalty, intercept_scale):
    """``sum_i weights_i [log(1 + exp(z_i)) - y_i z_i] + 0.5 * penalty * ||P v||^2``, ``y`` in {0, 1}."""
    z = _logits(params, Z, intercept_scale)[:, 0]
    return weighted_binary_log_loss(z, y, weights) + _l2(params, P, penalty)


def multinomial_log_loss(params, Z, Y, weights, P, penalty, intercept_scale, basis):
    """``sum_i weights_i [logsumexp_k z_ik - z_i,y_i] + 0.5 * penalty * ||P V||^2`` for one-hot ``Y``.

    The K class scores are ``z_i = (Z_i V + c u) basis^T`` with ``basis`` an
    orthonormal basis of the vectors summing to zero: the symmetric softmax
    parametrization of scikit-learn, without the direction that changes nothing.
    """
    logits = _logits(params, Z, intercept_scale) @ basis.T
    return weighted_multinomial_log_loss(logits, Y, weights) + _l2(params, P, penalty)
