"""The multinomial row loss against scipy's logsumexp and softmax (closed forms), at scores up to 1e3."""

import numpy as np
import pytest
from scipy.special import logsumexp, softmax

from minimom.linear_model._row_losses import MultinomialLogLoss, _sum_zero_basis


@pytest.mark.parametrize("classes", [2, 3, 10, 20])  # 20: more classes than the column-at-a-time maximum takes
def test_multinomial_row_loss_is_the_closed_form(classes):
    rng = np.random.default_rng(classes)
    n, basis = 300, _sum_zero_basis(classes)
    labels, weights = rng.integers(0, classes, n), rng.uniform(0.1, 2.0, n)
    scores = rng.standard_normal((n, classes - 1)) * np.logspace(-2, 3, n)[:, None]  # up to exp(1e3): no overflow
    direction = rng.standard_normal((n, classes - 1))
    loss = MultinomialLogLoss(labels, weights, basis)
    logits = scores @ basis.T
    p = softmax(logits, axis=1)
    own = np.eye(classes)[labels]
    value = weights @ (logsumexp(logits, axis=1) - logits[np.arange(n), labels])
    residual = (weights[:, None] * (p - own)) @ basis
    blocks = weights[:, None, None] * np.einsum("ka,ik,kb->iab", basis, p, basis)
    q = p @ basis
    blocks -= weights[:, None, None] * q[:, :, None] * q[:, None, :]

    got_value, got_residual = loss.value_and_residual(scores, *loss.row_data)
    np.testing.assert_allclose(got_value, value, rtol=1e-13)
    np.testing.assert_allclose(got_residual, residual, rtol=1e-12, atol=1e-14)
    newton_value, newton_residual, newton_blocks = loss.newton_rows(scores, *loss.row_data)
    np.testing.assert_allclose(newton_value, value, rtol=1e-13)
    np.testing.assert_allclose(newton_residual, residual, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(newton_blocks, blocks, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(loss.curvature(scores, direction, *loss.row_data),
                               np.einsum("iab,ib->ia", blocks, direction), rtol=1e-10, atol=1e-13)
    trace = np.trace(blocks, axis1=1, axis2=2) / (classes - 1)
    np.testing.assert_allclose(loss.row_curvature(scores, *loss.row_data)[:, 0], trace, rtol=1e-11, atol=1e-14)
