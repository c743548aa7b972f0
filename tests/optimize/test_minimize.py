"""minimize() against independent truths: the seed's hand loop, numpy's solvers, analytic optima."""

import math

import autograd.numpy as anp
import numpy as np
import pytest
from conftest import spd_problem
from hypothesis import given, settings
from hypothesis import strategies as st

import minimom as mm


def quadratic(x, a, b):
    return 0.5 * x @ (a @ x) - b @ x


def test_seed_hand_loop_step_for_step():
    def loss(theta):
        return theta[0] ** 2 + theta[1] ** 2

    theta, velocity, lr, beta = np.array([1.0, -2.0]), np.zeros(2), 0.01, 0.9
    expected = []
    for _ in range(1000):
        grad = 2 * theta
        velocity = beta * velocity - lr * grad
        theta = theta + velocity
        expected.append(theta.copy())

    seen = []
    res = mm.minimize(loss, np.array([1.0, -2.0]), optimizer=mm.Momentum(0.01, 0.9), maxiter=1000, tol=0,
                      callback=lambda r: seen.append(np.array(r.x)))
    assert res.nit == 1000 and res.status == "maxiter" and not res.success
    np.testing.assert_allclose(np.array(seen), np.array(expected), rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.history, [loss(t) for t in expected], rtol=1e-12, atol=1e-300)


def test_nesterov_matches_hand_loop():
    a, b = spd_problem(5, 10.0, seed=1)
    x, velocity, lr, beta = np.zeros(5), np.zeros(5), 0.05, 0.8
    for _ in range(50):
        grad = a @ x - b
        velocity = beta * velocity - lr * grad
        x = x + beta * velocity - lr * grad
    res = mm.minimize(quadratic, np.zeros(5), args=(a, b), optimizer=mm.Momentum(lr, beta, nesterov=True),
                      maxiter=50, tol=0)
    np.testing.assert_allclose(res.x, x, rtol=0, atol=1e-12)


def _iterations_to(optimizer, a, b, rel=1e-8, maxiter=100_000):
    solution = np.linalg.solve(a, b)

    def close(r):
        return np.linalg.norm(r.x - solution) <= rel * np.linalg.norm(solution)

    res = mm.minimize(quadratic, np.zeros(len(b)), args=(a, b), optimizer=optimizer, tol=0, maxiter=maxiter,
                      callback=close)
    assert res.status == "callback", res.message
    return res.nit


@pytest.mark.parametrize("kappa", [100.0, pytest.param(1000.0, marks=pytest.mark.slow)])  # 1000: 30 s of GD steps
@pytest.mark.parametrize("nesterov", [False, True])
def test_textbook_momentum_beats_gradient_descent_fivefold(kappa, nesterov):
    a, b = spd_problem(50, kappa, seed=int(kappa))
    big, small = kappa, 1.0
    if nesterov:
        root = math.sqrt(kappa)
        opt = mm.Momentum(1 / big, (root - 1) / (root + 1), nesterov=True)
    else:
        opt = mm.Momentum(4 / (math.sqrt(big) + math.sqrt(small)) ** 2,
                          ((math.sqrt(big) - math.sqrt(small)) / (math.sqrt(big) + math.sqrt(small))) ** 2)
    fast = _iterations_to(opt, a, b)
    slow = _iterations_to(mm.GradientDescent(1 / big), a, b)
    assert 5 * fast <= slow


@pytest.mark.parametrize("optimizer", [mm.Momentum(), mm.TunedMomentum(), mm.TunedMomentum(nesterov=True)],
                         ids=["auto", "tuned-heavy-ball", "tuned-nesterov"])
def test_auto_momentum_solves_ill_conditioned_quadratic(optimizer):
    a, b = spd_problem(50, 1e3, seed=7)
    res = mm.minimize(quadratic, np.zeros(50), args=(a, b), optimizer=optimizer, maxiter=20_000, tol=1e-11)
    solution = np.linalg.solve(a, b)
    assert res.success
    assert np.linalg.norm(res.x - solution) <= 1e-8 * np.linalg.norm(solution)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), log_kappa=st.floats(0.0, 3.0), d=st.integers(2, 30))
def test_property_auto_momentum_finds_the_solution_of_random_spd_quadratics(seed, log_kappa, d):
    a, b = spd_problem(d, 10.0**log_kappa, seed)
    res = mm.minimize(quadratic, np.zeros(d), args=(a, b), maxiter=20_000, tol=1e-12)
    solution = np.linalg.solve(a, b)
    assert res.status == "converged"
    assert np.linalg.norm(res.x - solution) <= 1e-8 * max(np.linalg.norm(solution), 1e-300) + 1e-11


def rosenbrock(x):
    return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


def test_rosenbrock_nesterov_reaches_the_minimum():
    res = mm.minimize(rosenbrock, np.array([-1.2, 1.0]), optimizer=mm.Momentum(5e-4, 0.9, nesterov=True),
                      maxiter=20_000, tol=1e-8)
    assert np.max(np.abs(res.x - 1.0)) <= 1e-4


@pytest.mark.parametrize("optimizer", [mm.Momentum(), mm.TunedMomentum(nesterov=True)], ids=["auto", "tuned-nesterov"])
def test_auto_momentum_converges_on_rosenbrock(optimizer):
    res = mm.minimize(rosenbrock, np.array([-1.2, 1.0]), optimizer=optimizer, maxiter=50_000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)


def test_pytree_least_squares_matches_lstsq(rng):
    x = rng.standard_normal((200, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(200)

    def loss(params, x, y):
        return anp.mean((x @ params["w"] + params["b"] - y) ** 2)

    res = mm.minimize(loss, {"w": np.zeros(3), "b": 0.0}, args=(x, y), tol=1e-10)
    coef, *_ = np.linalg.lstsq(np.column_stack([x, np.ones(200)]), y, rcond=None)
    np.testing.assert_allclose(res.x["w"], coef[:3], atol=1e-6)
    assert isinstance(res.x["b"], float) and abs(res.x["b"] - coef[3]) <= 1e-6
    assert set(res.jac) == {"w", "b"} and res.jac["w"].shape == (3,) and isinstance(res.jac["b"], float)


def test_nested_list_tuple_pytree_keeps_structure():
    target = [np.array([1.0, 2.0]), (3.0, np.array([[4.0]]))]

    def loss(p):
        return anp.sum((p[0] - target[0]) ** 2) + (p[1][0] - 3.0) ** 2 + anp.sum((p[1][1] - 4.0) ** 2)

    res = mm.minimize(loss, [np.zeros(2), (0, np.zeros((1, 1)))], tol=1e-10)
    assert isinstance(res.x, list) and isinstance(res.x[1], tuple)
    np.testing.assert_allclose(res.x[0], target[0], atol=1e-8)
    assert abs(res.x[1][0] - 3.0) < 1e-8 and res.x[1][1].shape == (1, 1)


def test_integer_x0_is_promoted_to_float():
    res = mm.minimize(lambda x: anp.sum((x - 0.5) ** 2), np.array([3, 4]), optimizer=mm.Momentum(0.1, 0.5))
    assert res.x.dtype == np.float64
    np.testing.assert_allclose(res.x, [0.5, 0.5], atol=1e-6)


class SignDescent:
    """A plug-in defined only here: step = -lr * sign(grad), lr halving every 20 steps."""

    def init(self, params):
        return 0

    def update(self, grad, state, params):
        return -0.5 * 0.5 ** (state // 20) * np.sign(grad), state + 1


def test_plug_in_optimizer_runs_unchanged():
    res = mm.minimize(lambda x: anp.sum(anp.abs(x - 2.0)), np.zeros(3), optimizer=SignDescent(), maxiter=400,
                      tol=0)
    np.testing.assert_allclose(res.x, 2.0, atol=1e-3)
    assert res.optimizer.__class__ is SignDescent


def test_adam_reaches_the_minimum():
    a, b = spd_problem(10, 10.0, seed=3)
    res = mm.minimize(quadratic, np.zeros(10), args=(a, b), optimizer=mm.Adam(0.05), maxiter=5000, tol=1e-8)
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-6)


def test_callback_can_stop_the_run_by_returning_true_or_raising():
    calls = []

    def stop_at_three(r):
        calls.append(r.nit)
        return r.nit == 3

    res = mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=mm.Momentum(0.01, 0.9), callback=stop_at_three)
    assert (res.nit, res.status, res.success, calls) == (3, "callback", True, [1, 2, 3])

    def raise_stop(r):
        raise StopIteration

    res = mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=mm.Momentum(0.01, 0.9), callback=raise_stop)
    assert (res.nit, res.status, res.success) == (1, "callback", True)


def test_result_fields_are_consistent():
    res = mm.minimize(lambda x: anp.sum((x - 1) ** 2), np.zeros(2), optimizer=mm.Momentum(0.1, 0.5))
    assert res.status == "converged" and res.success
    assert len(res.history) == res.nit and res.nfev == res.nit + 1
    assert res.fun == pytest.approx(np.sum((res.x - 1) ** 2), abs=1e-15)
    np.testing.assert_allclose(res.jac, 2 * (res.x - 1), atol=1e-15)
    assert np.max(np.abs(res.jac)) <= 1e-6 and res.message.endswith(".")
    assert res["x"] is res.x and "status" in dir(res) and "message" in repr(res)


def test_maxiter_zero_evaluates_only_the_start():
    res = mm.minimize(lambda x: anp.sum(x**2), np.ones(2), maxiter=0)
    assert res.nit == 0 and res.status == "maxiter" and res.fun == 2.0 and len(res.history) == 0


def test_schedules_scale_only_that_steps_gradient():
    schedule = mm.schedules.exponential_decay(0.1, 0.5, decay_steps=2)
    x, velocity = np.array([2.0]), np.zeros(1)
    for t in range(10):
        velocity = 0.5 * velocity - schedule(t) * 2 * x
        x = x + velocity
    res = mm.minimize(lambda x: anp.sum(x**2), np.array([2.0]), optimizer=mm.Momentum(schedule, 0.5), maxiter=10,
                      tol=0)
    np.testing.assert_allclose(res.x, x, rtol=1e-14)


@pytest.mark.parametrize("schedule, expected", [
    (mm.schedules.constant(0.2), [0.2, 0.2, 0.2]),
    (mm.schedules.exponential_decay(1.0, 0.5), [1.0, 0.5, 0.25]),
    (mm.schedules.inverse_time_decay(1.0, 1.0), [1.0, 0.5, 1 / 3]),
    (mm.schedules.step_decay(1.0, drop=0.1, every=2), [1.0, 1.0, 0.1]),
])
def test_schedule_formulas(schedule, expected):
    np.testing.assert_allclose([schedule(t) for t in range(3)], expected)


def _least_squares_data(n=10_000, d=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = x @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
    return x, y


def mse(w, x, y):
    return anp.mean((x @ w - y) ** 2)


def test_minibatch_momentum_with_decay_reaches_lstsq():
    x, y = _least_squares_data()
    opt = mm.Momentum(mm.schedules.inverse_time_decay(0.01, 1.0, decay_steps=2000), 0.9)
    res = mm.minimize(mse, np.zeros(5), args=(x, y), optimizer=opt, batch_size=64, maxiter=20, tol=0, random_state=0)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert res.nit == 20 and len(res.history) == 20
    assert np.linalg.norm(res.x - coef) <= 1e-2 * np.linalg.norm(coef)
    again = mm.minimize(mse, np.zeros(5), args=(x, y), optimizer=opt, batch_size=64, maxiter=20, tol=0,
                        random_state=0)
    np.testing.assert_array_equal(res.x, again.x)
    other = mm.minimize(mse, np.zeros(5), args=(x, y), optimizer=opt, batch_size=64, maxiter=2, tol=0,
                        random_state=1)
    assert not np.array_equal(other.x, res.x)


def test_minibatch_slices_only_per_sample_args():
    x, y = _least_squares_data(n=1000)
    seen = []

    def loss(w, x, y, scale):
        seen.append((x.shape[0], y.shape[0]))
        return scale * anp.mean((x @ w - y) ** 2)

    mm.minimize(loss, np.zeros(5), args=(x, y, 2.0), optimizer=mm.Momentum(0.01, 0.9), batch_size=300, maxiter=1)
    assert (100, 100) in seen and (300, 300) in seen and (1000, 1000) in seen
    assert all(a == b for a, b in seen)


def test_auto_momentum_in_minibatch_mode_makes_progress():
    x, y = _least_squares_data(n=4000)
    res = mm.minimize(mse, np.zeros(5), args=(x, y), batch_size=256, maxiter=10, random_state=0)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert res.status in ("converged", "maxiter")
    assert np.linalg.norm(res.x - coef) <= 0.05 * np.linalg.norm(coef)


def test_verbose_shows_progress(capsys):
    mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=mm.Momentum(0.01, 0.9), maxiter=20, tol=0,
                verbose=True)
    captured = capsys.readouterr()
    assert "20" in captured.err


def test_minibatch_n_comes_from_the_first_array_and_legacy_random_state_works():
    x, y = _least_squares_data(n=500)

    def loss(w, scale, x, y):
        return scale * anp.mean((x @ w - y) ** 2)

    opt = mm.Momentum(0.01, 0.9)
    res = mm.minimize(loss, np.zeros(5), args=(1.0, x, y), optimizer=opt, batch_size=50, maxiter=3, tol=0,
                      random_state=np.random.RandomState(0))
    again = mm.minimize(loss, np.zeros(5), args=(1.0, x, y), optimizer=opt, batch_size=50, maxiter=3, tol=0,
                        random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(res.x, again.x)
    assert res.nfev == 1 + 3 * (10 + 1)  # first evaluation, then per epoch 10 batches and one full pass
