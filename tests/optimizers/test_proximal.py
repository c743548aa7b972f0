"""ProximalMomentum is the seed's heavy ball with a prox; the penalties' prox and the box's projection are exact."""

import math

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import minimom as mm
from minimom.optimize._bounds import _Composite
from tests.conftest import spd_problem

finite = st.floats(-1e3, 1e3, allow_nan=False)
weights = st.floats(0.0, 10.0)


def least_squares(w, A, b):
    return 0.5 * anp.sum((A @ w - b) ** 2)


def soft(z, t):
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 6))
    return A, A @ np.array([2.0, -1.0, 0.0, 0.5, 0.0, 3.0]) + 0.1 * rng.standard_normal(30)


@pytest.mark.parametrize("nesterov", [False, True])
def test_numbers_given_run_the_handwritten_proximal_heavy_ball_step_for_step(problem, nesterov):
    A, b = problem
    lr, beta, alpha = 0.01, 0.7, 2.0
    lo, hi = np.full(6, -0.8), np.full(6, 2.5)
    seen = []
    mm.minimize(least_squares, np.zeros(6), args=(A, b), optimizer=mm.ProximalMomentum(lr, beta, nesterov=nesterov),
                penalty=mm.L1(alpha), bounds=[(-0.8, 2.5)] * 6, tol=0, maxiter=40,
                callback=lambda r: seen.append(np.array(r.x)))

    def prox(z, t):  # soft-thresholding, then the box
        return np.clip(soft(z, t * alpha), lo, hi)

    x, v = np.zeros(6), np.zeros(6)
    y = x.copy()
    for k in range(40):
        if nesterov:  # gradient at the look-ahead y_k = P(x_k + beta v_k)
            x_new = prox(y - lr * (A.T @ (A @ y - b)), lr)
            v = x_new - x
            x, y = x_new, np.clip(x_new + beta * v, lo, hi)
            expected = y
        else:  # x_k+1 = prox(x_k + beta v_k - lr g(x_k)), v_k+1 = x_k+1 - x_k
            x_new = prox(x + beta * v - lr * (A.T @ (A @ x - b)), lr)
            v, x = x_new - x, x_new
            expected = x
        np.testing.assert_allclose(seen[k], expected, rtol=1e-12, atol=1e-12)
    assert np.any(seen[-1] == 0.0) and np.any(seen[-1] == 2.5)  # exact zeros and exact bounds on the way


@pytest.mark.parametrize("nesterov", [False, True])
def test_without_penalty_or_bounds_it_is_the_seeds_momentum(problem, nesterov):
    A, b = problem
    paths = []
    for optimizer in (mm.ProximalMomentum(0.01, 0.6, nesterov=nesterov), mm.Momentum(0.01, 0.6, nesterov=nesterov)):
        path = []
        mm.minimize(least_squares, np.zeros(6), args=(A, b), optimizer=optimizer, tol=0, maxiter=30,
                    callback=lambda r, path=path: path.append(np.array(r.x)))
        paths.append(np.array(path))
    np.testing.assert_allclose(paths[0], paths[1], rtol=1e-11, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(z=finite, t=st.floats(0.0, 10.0), alpha=weights, ratio=st.floats(0.0, 1.0))
def test_elastic_net_prox_is_the_argmin_and_thresholds_exactly(z, t, alpha, ratio):
    penalty = mm.ElasticNet(alpha, l1_ratio=ratio)
    x = float(penalty.prox(np.array([z]), t)[0])
    # Optimality of x for t h(x) + (x - z)^2 / 2: z - x is in t (alpha ratio d|x| + alpha (1 - ratio) x).
    l1, l2 = t * alpha * ratio, t * alpha * (1 - ratio)
    if x == 0:
        assert abs(z) <= l1 * (1 + 1e-12) + 1e-12
    else:
        assert math.isclose(z - x, l1 * np.sign(x) + l2 * x, rel_tol=1e-9, abs_tol=1e-9)
    if abs(z) < l1 * (1 - 1e-12):  # clearly inside the threshold (t * alpha * ratio may round either way there)
        assert x == 0.0  # an exact zero, not a tiny number
    objective = lambda u: t * (alpha * ratio * abs(u) + 0.5 * alpha * (1 - ratio) * u * u) + 0.5 * (u - z) ** 2  # noqa: E731
    best = minimize_scalar(objective, bounds=(-abs(z) - 1, abs(z) + 1), method="bounded",
                           options={"xatol": 1e-12}).x
    assert objective(x) <= objective(best) + 1e-9 * (1 + abs(z) ** 2)


@settings(max_examples=100, deadline=None)
@given(a=st.lists(finite, min_size=3, max_size=3), b=st.lists(finite, min_size=3, max_size=3), t=st.floats(0, 5),
       alpha=weights)
def test_soft_thresholding_is_nonexpansive_and_shrinks(a, b, t, alpha):
    penalty = mm.L1(alpha)
    pa, pb = penalty.prox(np.array(a), t), penalty.prox(np.array(b), t)
    assert np.linalg.norm(pa - pb) <= np.linalg.norm(np.array(a) - np.array(b)) * (1 + 1e-12) + 1e-12
    assert np.all(np.abs(pa) <= np.abs(a)) and np.all(pa * np.array(a) >= 0)


@settings(max_examples=100, deadline=None)
@given(z=st.lists(finite, min_size=4, max_size=4), lo=st.lists(finite, min_size=4, max_size=4),
       width=st.lists(st.floats(0, 100), min_size=4, max_size=4), u=st.lists(st.floats(0, 1), min_size=4, max_size=4))
def test_projection_is_in_the_box_idempotent_and_closest(z, lo, width, u):
    lo = np.array(lo)
    hi = lo + np.array(width)
    box = _Composite(None, lo, hi)
    p = box.project(np.array(z))
    assert np.all(lo <= p) and np.all(p <= hi)
    np.testing.assert_array_equal(box.project(p), p)
    other = lo + np.array(u) * (hi - lo)  # any point of the box is at least as far from z
    assert np.linalg.norm(p - z) <= np.linalg.norm(np.clip(other, lo, hi) - z) + 1e-9


@settings(max_examples=50, deadline=None)
@given(z=st.lists(finite, min_size=3, max_size=3), t=st.floats(0, 5), alpha=weights)
def test_prox_with_a_box_is_the_clipped_prox_the_exact_argmin(z, t, alpha):
    lo, hi = np.array([-1.0, 0.5, -np.inf]), np.array([1.0, 2.0, 0.0])
    composite = _Composite(mm.L1(alpha), lo, hi)
    x = composite.prox(np.array(z), t)
    for i in range(3):  # coordinate-wise argmin of t alpha |u| + (u - z)^2/2 over [lo, hi]
        low, high = max(lo[i], -2e3), min(hi[i], 2e3)
        objective = lambda u, zi=z[i]: t * alpha * abs(u) + 0.5 * (u - zi) ** 2  # noqa: E731
        grid = np.concatenate([np.linspace(low, high, 2001), [0.0] if low <= 0 <= high else []])
        assert objective(x[i]) <= min(objective(g) for g in grid) + 1e-9 * (1 + z[i] ** 2)


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1e3])
def test_fista_on_quadratics_within_its_sqrt_kappa_bound(kappa):
    # Accelerated methods need O(sqrt(kappa) log(1/eps)) iterations; gradient descent O(kappa log(1/eps)).
    a, b = spd_problem(50, kappa, seed=0)
    solution = np.linalg.solve(a, b)
    res = mm.minimize(lambda x: 0.5 * x @ (a @ x) - b @ x, np.zeros(50), optimizer=mm.ProximalMomentum(),
                      penalty=mm.L1(0.0), tol=0, maxiter=20_000,
                      callback=lambda r: np.linalg.norm(r.x - solution) <= 1e-8 * np.linalg.norm(solution))
    assert res.status == "callback"
    bound = math.sqrt(kappa) * math.log(1e8)
    assert res.nit <= 3 * bound, (res.nit, bound)
    if kappa >= 1e3:
        assert res.nit <= 0.1 * kappa * math.log(1e8)  # far below gradient descent's


def test_auto_in_mini_batch_mode_is_tuned_once():
    tuned = mm.minimize(lambda x, A: anp.sum((A @ x - 1.0) ** 2), np.zeros(3), args=(np.eye(3),),
                        penalty=mm.L1(0.1), batch_size=2, random_state=0, maxiter=3).optimizer
    assert isinstance(tuned, mm.ProximalMomentum) and isinstance(tuned.learning_rate, float)


def test_bad_hyperparameters_name_the_argument():
    with pytest.raises(ValueError, match="learning_rate"):
        mm.ProximalMomentum(learning_rate=-1.0)
    with pytest.raises(ValueError, match="momentum"):
        mm.ProximalMomentum(0.1, momentum=1.5)
    with pytest.raises(ValueError, match="'auto'"):
        mm.ProximalMomentum().init(np.zeros(2))


def test_one_fista_object_gives_independent_runs(problem):
    # A run's backtracked step stays in that run: the object given keeps "auto", a run in between on a
    # loss 100 times steeper (a far smaller 1/L) changes nothing, and each run is scikit-learn's Lasso.
    from sklearn.linear_model import Lasso

    A, b = problem
    optimizer = mm.ProximalMomentum()

    def run(scale):
        return mm.minimize(lambda w: scale * least_squares(w, A, b), np.zeros(6), optimizer=optimizer,
                           penalty=mm.L1(3.0 * scale), tol=1e-10, maxiter=20_000)

    first, steep, again = run(1.0), run(100.0), run(1.0)
    assert optimizer.learning_rate == optimizer.momentum == "auto"
    np.testing.assert_array_equal(first.x, again.x)
    assert (first.nit, first.nfev, first.njev) == (again.nit, again.nfev, again.njev)
    lasso = Lasso(alpha=3.0 / len(b), fit_intercept=False, tol=1e-14, max_iter=100_000).fit(A, b)
    for res in (first, steep):
        assert res.status == "converged"
        np.testing.assert_allclose(res.x, lasso.coef_, atol=1e-7)
