"""Scale-free defaults (issue 20, items 5 and 6): the per-step method reads the same at any scale of f or x.

The curvature pairs were skipped by an absolute test (``s.y > 1e-16 y.y``: a Hessian above 1e16 dropped every
pair) and the method fell back to steepest descent. Held to numpy's lstsq and the analytic optimum at 1e-6
relative, and to scipy L-BFGS-B's iteration counts.
"""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import value_and_grad
from scipy.optimize import minimize as scipy_minimize

import minimom as mm


def _lbfgsb(fun, x0, gtol):
    return scipy_minimize(value_and_grad(fun), x0, jac=True, method="L-BFGS-B",
                          options={"gtol": gtol, "ftol": 0.0, "maxiter": 10_000})


def _large_unit_least_squares(offset: bool):
    """Features around 1e7 (column scales 1e6..1e8, or all near 1e7): a Hessian X'X of about 1e17."""
    rng = np.random.default_rng(0)
    if offset:
        X = 1e7 * (1 + 0.1 * rng.standard_normal((200, 5)))
    else:
        X = rng.standard_normal((200, 5)) * np.logspace(6, 8, 5)
    y = X @ rng.standard_normal(5) + rng.standard_normal(200)
    return X, y


@pytest.mark.parametrize("offset", [False, True], ids=["spread-units", "offset-1e7"])
def test_least_squares_in_large_units_matches_lstsq(offset):
    # Fails before the fix: "maxiter" after 1000 iterations (relative error 0.59) or 239 iterations where
    # L-BFGS-B takes 8-20.
    X, y = _large_unit_least_squares(offset)

    def loss(w):
        return 0.5 * anp.sum((anp.dot(X, w) - y) ** 2)

    assert np.linalg.eigvalsh(X.T @ X).max() > 1e16
    tol = 1e-9 * np.abs(X.T @ y).max()  # the gradient's scale at 0, times 1e-9
    res = mm.minimize(loss, np.zeros(5), tol=tol)
    reference = np.linalg.lstsq(X, y, rcond=None)[0]
    scipy = _lbfgsb(loss, np.zeros(5), tol)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, reference, rtol=1e-6)
    assert res.nit <= 2 * scipy.nit + 5


@pytest.mark.parametrize("scale", [1e14, 1e-14])
def test_scaled_rosenbrock_converges_like_lbfgsb(scale):
    # Fails before the fix at 1e14: "maxiter" at (0.958, 0.917); L-BFGS-B converges in 37 iterations.
    def rosenbrock(p):
        return scale * ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2)

    x0 = np.array([-1.2, 1.0])
    res = mm.minimize(rosenbrock, x0, tol=scale * 1e-7)
    scipy = _lbfgsb(rosenbrock, x0, scale * 1e-7)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, [1.0, 1.0], rtol=1e-6)
    assert res.nit <= 2 * scipy.nit


@pytest.mark.parametrize("memory", [0, 10])
def test_iterations_do_not_depend_on_the_scale_of_f(memory):
    """f and c * f with tol scaled alike take (nearly) the same path: every threshold is relative."""
    def rosenbrock(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    x0 = np.array([-1.2, 1.0])
    optimizer = mm.ConjugateMomentum(memory=memory)
    runs = [mm.minimize(lambda p, c=c: c * rosenbrock(p), x0, tol=c * 1e-7, optimizer=optimizer)
            for c in (1.0, 1e15, 1e-15)]
    for res in runs:
        assert res.status == "converged"
        np.testing.assert_allclose(res.x, [1.0, 1.0], rtol=1e-6)
    assert max(r.nit for r in runs) <= min(r.nit for r in runs) + 5


def test_a_pair_is_skipped_only_without_curvature_relative_to_the_decrease():
    """L-BFGS-B's test: skip (s, y) when s.y <= eps * (-g_old.s); the size of y.y does not matter."""
    optimizer = mm.ConjugateMomentum(memory=3)
    g_old = np.array([-1e9, 0.0])
    state = optimizer.init(np.zeros(2))
    _, state = optimizer.update(g_old, state, np.zeros(2))
    s = np.array([1e-9, 0.0])  # the decrease predicted along s: -g_old.s = 1
    y = np.array([2e18 * 1e-9, 0.0])  # curvature 2e18: s.y = 2 > eps * 1, though y.y = 2e18 s.y > 1e16 s.y
    _, state = optimizer.update(g_old + y, state, s)
    assert state.memory.d[0] == pytest.approx(float(s @ y))  # kept
