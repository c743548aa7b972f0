"""The data layer's passes against numpy on the materialized arrays, and the internal objective's gradient and
Hessian-vector product against autograd's own chain."""

import autograd.numpy as anp
import numpy as np
import pytest
import scipy.sparse as sp
from autograd import grad, make_hvp
from autograd.scipy.special import logsumexp

from minimom.data import _arrays as _data
from minimom.data._dense_design import DenseDesign
from minimom.linear_model._objectives import LinearObjective
from minimom.linear_model._row_losses import BinaryLogLoss, MultinomialLogLoss, SquaredError


def data(kind, n=700, d=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + 1e3  # a large offset
    if kind == "sparse":
        X = sp.random(n, d, density=0.3, random_state=seed, format="csr") * 5.0
    if kind == "float32":
        X = X.astype(np.float32)
    weights = rng.uniform(0.1, 2.0, n)
    return X, weights / weights.sum(), rng


@pytest.mark.parametrize("kind", ["dense", "float32", "sparse"])
@pytest.mark.parametrize("blocks", [False, True])
def test_moments_match_numpy(kind, blocks, monkeypatch):
    if blocks:  # force many row blocks (the dense design's own block size; the module's is the default cut)
        monkeypatch.setattr(_data, "_BLOCK_BYTES", 8 * 7 * 64)
        monkeypatch.setattr(DenseDesign, "_block_bytes", 8 * 7 * 64)
    X, w, rng = data(kind)
    dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    targets = rng.standard_normal((len(w), 2))
    targets -= w @ targets
    moments = _data.moments(X, w, targets)
    mean = w @ dense
    centred = dense - mean
    np.testing.assert_allclose(moments.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(moments.second, (centred * w[:, None]).T @ centred, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(moments.cross, centred.T @ (w[:, None] * targets), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(moments.high - moments.low, np.ptp(dense, axis=0), rtol=1e-12)
    diagonal = _data.moments(X, w, centre=True, full=False).second
    np.testing.assert_allclose(diagonal, np.diagonal(moments.second), rtol=1e-9)
    np.testing.assert_allclose(_data.matmul(X, targets[:7], np.ones(2)), dense @ targets[:7] + 1, rtol=1e-12)
    np.testing.assert_allclose(_data.rmatmul(X, targets, mean), centred.T @ targets, rtol=1e-9, atol=1e-8)


def test_gram_matches_numpy():
    X, w, _ = data("dense", n=30, d=50)
    mean = w @ X
    A = 0.5 * np.sqrt(w)[:, None] * (X - mean)
    np.testing.assert_allclose(_data.gram(X, w, mean, 0.5), A @ A.T, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("loss", ["squared", "binary", "multinomial"])
def test_internal_objective_gradient_and_hvp_match_autograd_chains(kind, loss):
    X, w, rng = data(kind, n=120, d=5)
    dense = X.toarray() if sp.issparse(X) else X
    d = dense.shape[1]
    mean = w @ dense
    P = rng.standard_normal((d, d)) * 0.1 + np.eye(d)
    k, basis = (3, np.linalg.svd(np.eye(4) - 0.25)[0][:, :3]) if loss == "multinomial" else (1, None)
    labels = rng.integers(0, 4 if loss == "multinomial" else 2, len(w))
    Y = rng.standard_normal((len(w), 1))
    rows = {"squared": lambda: SquaredError(Y, w), "binary": lambda: BinaryLogLoss(labels.astype(float), w),
            "multinomial": lambda: MultinomialLogLoss(labels, w, basis)}[loss]()
    c = None if loss == "squared" else 1.7
    objective = LinearObjective(X, mean, P, 0.3, k, c, rows)

    def chain(theta):
        W = P @ anp.reshape(theta[: d * k], (d, k))
        scores = (dense - mean) @ W + (c * theta[d * k:] if c else 0.0)
        penalty = 0.15 * anp.sum(W**2)
        if loss == "squared":
            return 0.5 * anp.sum(w[:, None] * (scores - Y) ** 2) + penalty
        if loss == "binary":
            z = scores[:, 0]
            return anp.sum(w * (anp.logaddexp(0.0, z) - labels * z)) + penalty
        logits = anp.dot(scores, basis.T)
        return anp.sum(w * (logsumexp(logits, axis=1) - anp.sum(np.eye(4)[labels] * logits, axis=1))) + penalty

    theta, direction = rng.standard_normal((2, objective.size))
    assert objective(theta) == pytest.approx(chain(theta), rel=1e-12)
    np.testing.assert_allclose(grad(objective)(theta), grad(chain)(theta), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(make_hvp(objective)(theta)[0](direction), make_hvp(chain)(theta)[0](direction),
                               rtol=1e-9, atol=1e-12)
