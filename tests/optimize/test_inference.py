"""Inference at the optimum against closed forms: the Fisher information of the normal and gamma fits."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd.scipy.special import gammaln
from scipy.optimize import rosen_hess
from scipy.special import polygamma

import minimom as mm


def normal_nll(p, y):
    return len(y) * anp.log(p["sigma"]) + anp.sum((y - p["mu"]) ** 2) / (2 * p["sigma"] ** 2)


@pytest.mark.parametrize("n", [50, 2000])
def test_normal_mle_standard_errors(n):
    """se(mu) = sigma / sqrt(n) and se(sigma) = sigma / sqrt(2n) at the maximum-likelihood estimate."""
    y = np.random.default_rng(n).normal(2.0, 3.0, size=n)
    res = mm.minimize(normal_nll, {"mu": 0.0, "sigma": 1.0}, args=(y,), tol=1e-10)
    assert res.status == "converged", res.message
    mu, sigma = y.mean(), y.std()  # the closed-form MLE
    assert res.x["mu"] == pytest.approx(mu, rel=1e-9) and res.x["sigma"] == pytest.approx(sigma, rel=1e-9)
    se = mm.standard_errors(normal_nll, res.x, args=(y,))
    assert set(se) == {"mu", "sigma"} and isinstance(se["mu"], float)
    assert se["mu"] == pytest.approx(sigma / np.sqrt(n), rel=1e-8)
    assert se["sigma"] == pytest.approx(sigma / np.sqrt(2 * n), rel=1e-8)
    cov = mm.covariance(normal_nll, res.x, args=(y,))
    np.testing.assert_allclose(cov, np.diag([sigma**2 / n, sigma**2 / (2 * n)]), rtol=1e-8, atol=1e-10)


def gamma_nll(theta, y):
    """Negative log-likelihood of the gamma distribution with shape k and scale s, theta = [k, s]."""
    k, s = theta[0], theta[1]
    return anp.sum(gammaln(k) + k * anp.log(s) - (k - 1) * anp.log(y) + y / s)


def test_gamma_mle_covariance_is_the_inverse_fisher_information():
    """At the MLE, the observed information equals n times Fisher's: [[psi'(k), 1/s], [1/s, k/s^2]]."""
    n = 500
    y = np.random.default_rng(7).gamma(shape=2.5, scale=1.5, size=n)
    res = mm.minimize(gamma_nll, [1.0, 1.0], args=(y,), tol=1e-9)
    assert res.status == "converged", res.message
    k, s = res.x
    assert isinstance(res.x, np.ndarray)
    assert s == pytest.approx(y.mean() / k, rel=1e-8)  # the score equation for the scale
    fisher = n * np.array([[polygamma(1, k), 1 / s], [1 / s, k / s**2]])
    np.testing.assert_allclose(mm.hessian(gamma_nll, res.x, args=(y,)), fisher, rtol=1e-7)
    expected = np.linalg.inv(fisher)
    np.testing.assert_allclose(mm.covariance(gamma_nll, res.x, args=(y,)), expected, rtol=1e-7)
    np.testing.assert_allclose(mm.standard_errors(gamma_nll, res.x, args=(y,)), np.sqrt(np.diag(expected)),
                               rtol=1e-7)


def test_hessian_is_scipys_rosenbrock_hessian():
    x = np.array([-1.2, 1.0, 0.5, -0.3])

    def rosen(x):
        return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    np.testing.assert_allclose(mm.hessian(rosen, x), rosen_hess(x), rtol=1e-12)
    np.testing.assert_allclose(mm.hessian(rosen, x.tolist()), rosen_hess(x), rtol=1e-12)  # a list is an array


def test_pytree_order_and_shapes():
    """Leaves flattened as minimize flattens them: dict values in order, each raveled; errors shaped as x."""
    a = np.diag([1.0, 2.0, 3.0, 4.0, 5.0])

    def loss(p):
        v = anp.concatenate([anp.ravel(p["w"]), anp.reshape(p["b"], (1,))])
        return 0.5 * v @ (a @ v)

    x = {"w": np.zeros((2, 2)), "b": 0.0}
    np.testing.assert_allclose(mm.hessian(loss, x), a)
    se = mm.standard_errors(loss, x)
    np.testing.assert_allclose(se["w"], 1 / np.sqrt([[1.0, 2.0], [3.0, 4.0]]))
    assert se["b"] == pytest.approx(1 / np.sqrt(5.0))


def test_not_a_minimum_says_so():
    with pytest.raises(ValueError, match=r"not positive definite \(its smallest eigenvalue is -2\)"):
        mm.covariance(lambda x: x[0] ** 2 - x[1] ** 2, np.zeros(2))
