"""Curvature-tuned momentum (TunedMomentum, and Momentum with one "auto"): the textbook values on
quadratics with known curvature, and safe runs elsewhere. The per-step default is in test_conjugate.py."""

import copy
import math

import autograd.numpy as anp
import numpy as np
import pytest
from conftest import spd_problem
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

import minimom as mm


def quadratic(x, a, b):
    return 0.5 * x @ (a @ x) - b @ x


@pytest.mark.parametrize("d, kappa", [(2, 10.0), (10, 100.0), (30, 1e3), (200, 1e4)])
def test_auto_resolves_to_the_textbook_values(d, kappa):
    a, b = spd_problem(d, kappa, seed=d)  # eigenvalues exactly 1 .. kappa
    big, small = kappa, 1.0
    heavy = mm.minimize(quadratic, np.zeros(d), args=(a, b), maxiter=1, optimizer=mm.TunedMomentum()).optimizer
    assert heavy.learning_rate == pytest.approx(4 / (math.sqrt(big) + math.sqrt(small)) ** 2, rel=0.05)
    textbook_beta = ((math.sqrt(big) - math.sqrt(small)) / (math.sqrt(big) + math.sqrt(small))) ** 2
    assert heavy.momentum == pytest.approx(textbook_beta, rel=0.05)
    nesterov = mm.minimize(quadratic, np.zeros(d), args=(a, b), maxiter=1,
                           optimizer=mm.TunedMomentum(nesterov=True)).optimizer
    root = math.sqrt(kappa)
    assert nesterov.learning_rate == pytest.approx(1 / big, rel=0.05)
    assert nesterov.momentum == pytest.approx((root - 1) / (root + 1), rel=0.05)


def test_explicit_values_are_never_overridden():
    a, b = spd_problem(10, 100.0, seed=0)
    only_lr = mm.minimize(quadratic, np.zeros(10), args=(a, b), maxiter=5, optimizer=mm.Momentum(0.003)).optimizer
    assert only_lr.learning_rate == 0.003 and only_lr.momentum != "auto"
    only_beta = mm.minimize(quadratic, np.zeros(10), args=(a, b), maxiter=5,
                            optimizer=mm.Momentum(momentum=0.5)).optimizer
    assert only_beta.momentum == 0.5
    assert only_beta.learning_rate == pytest.approx((1 + math.sqrt(0.5)) ** 2 / 100.0, rel=0.05)
    both = mm.Momentum(0.01, 0.9)
    used = mm.minimize(quadratic, np.zeros(10), args=(a, b), maxiter=5, optimizer=both).optimizer
    assert used is both and (used.learning_rate, used.momentum) == (0.01, 0.9) and not used.restart
    assert both.learning_rate == 0.01 and both.momentum == 0.9  # the object itself never changes


def test_auto_momentum_converges_on_a_logistic_loss():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)

    def loss(w, X, y):
        z = X @ w[:-1] + w[-1]
        return anp.mean(anp.logaddexp(0.0, z) - y * z) + 0.5 * anp.sum(w[:-1] ** 2) / len(y)

    seen = []
    res = mm.minimize(loss, np.zeros(31), args=(X, y), maxiter=20_000, callback=lambda r: seen.append(r.fun))
    assert res.status == "converged" and np.all(np.isfinite(seen))


class CurvatureScaledGD(mm.Optimizer):
    """A plug-in that tunes itself through the public curvature hook."""

    def __init__(self):
        self.learning_rate = None

    def calibrate(self, curvature):
        tuned = copy.copy(self)
        direction = np.ones_like(curvature.params) / math.sqrt(curvature.params.size)
        rayleigh = direction @ curvature.hvp(direction)
        largest, _ = curvature.extremes()
        assert largest >= rayleigh  # the top eigenvalue bounds every Rayleigh quotient
        tuned.learning_rate = 1 / largest
        return tuned

    def init(self, params):
        return None

    def update(self, grad, state, params):
        return -self.learning_rate * grad, state


def test_plug_in_using_the_curvature_hook():
    a, b = spd_problem(8, 20.0, seed=4)
    optimizer = CurvatureScaledGD()
    res = mm.minimize(quadratic, np.zeros(8), args=(a, b), optimizer=optimizer, maxiter=5000, tol=1e-10)
    assert optimizer.learning_rate is None  # the object passed in is left as it was
    assert res.optimizer.learning_rate == pytest.approx(1 / np.linalg.eigvalsh(a)[-1], rel=1e-8)
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-8)


def test_curvature_extremes_match_eigvalsh():
    a, _ = spd_problem(60, 50.0, seed=9)
    largest, smallest = mm.Curvature(lambda v: a @ v, np.zeros(60)).extremes(steps=60)
    eigenvalues = np.linalg.eigvalsh(a)
    assert largest == pytest.approx(eigenvalues[-1], rel=1e-8)
    assert smallest == pytest.approx(eigenvalues[0], rel=1e-6)


def test_auto_retunes_when_the_start_overestimates_the_step():
    # log cosh is nearly flat at x0 (curvature 0.01), so a step sized there overshoots
    # into a cycle that never diverges; auto mode notices the stall and re-tunes.
    def loss(x):
        return anp.sum(anp.log(anp.cosh(x - 3.0)))

    start_curvature = 1 / np.cosh(3.0) ** 2
    cycling = mm.minimize(loss, np.zeros(5), optimizer=mm.GradientDescent(1 / start_curvature), maxiter=2000)
    assert cycling.status == "maxiter" and cycling.fun > 1.0
    for optimizer in (mm.TunedMomentum(), None):
        res = mm.minimize(loss, np.zeros(5), maxiter=5000, optimizer=optimizer)
        assert res.status == "converged"
        np.testing.assert_allclose(res.x, 3.0, atol=1e-6)


def test_auto_handles_a_concave_start():
    # Himmelblau's function is concave at the origin; its four minima (f = 0) are known.
    def himmelblau(x):
        return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2

    minima = np.array([[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]])
    for optimizer in (mm.Momentum(), mm.TunedMomentum(), mm.TunedMomentum(nesterov=True)):
        res = mm.minimize(himmelblau, np.zeros(2), optimizer=optimizer, maxiter=5000)
        assert res.status == "converged" and res.fun < 1e-10
        assert np.min(np.max(np.abs(minima - res.x), axis=1)) < 1e-5


def test_auto_from_a_flat_start():
    # Zero curvature at x0 = 0: minimum of x**4 - x at x = 4**(-1/3).
    for optimizer in (None, mm.TunedMomentum()):
        res = mm.minimize(lambda x: anp.sum(x**4) - anp.sum(x), np.zeros(3), maxiter=5000, optimizer=optimizer)
        assert res.status == "converged"
        np.testing.assert_allclose(res.x, 4 ** (-1 / 3), atol=1e-6)
