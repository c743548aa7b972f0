"""Bad input gets a clear error; a diverging or interrupted run loses nothing."""

import autograd.numpy as anp
import numpy as np
import pytest

import minimom as mm


def square(x):
    return anp.sum(x**2)


def test_non_scalar_loss_names_the_shape():
    with pytest.raises(ValueError, match=r"\(3,\)"):
        mm.minimize(lambda x: x**2, np.ones(3))


def calls_float(x):
    return float(x[0]) ** 2 + x[1] ** 2


def assigns_in_place(x):
    x[0] = 0.0
    return anp.sum(x**2)


def copies_into_numpy(x):
    buffer = np.zeros(2)
    buffer[0] = x[0]
    return anp.sum(buffer**2) + x[1] ** 2


def detaches_with_asarray(x):
    return np.sum(np.asarray(x, dtype=float) ** 2)


@pytest.mark.parametrize("fun", [calls_float, assigns_in_place, copies_into_numpy, detaches_with_asarray])
def test_untraceable_loss_says_why_and_how_to_fix(fun):
    with pytest.raises(mm.TracingError, match="autograd could not trace") as info:
        mm.minimize(fun, np.array([1.0, 2.0]))
    assert "autograd.numpy" in str(info.value) and isinstance(info.value, TypeError)


def test_a_broken_loss_keeps_its_own_error():
    def broken(x):
        raise ZeroDivisionError("user bug")

    with pytest.raises(ZeroDivisionError, match="user bug"):
        mm.minimize(broken, np.ones(2))


@pytest.mark.parametrize("value", ["abc", 1j])
def test_loss_returning_string_or_complex_is_a_type_error(value):
    with pytest.raises(TypeError, match="real number"):
        mm.minimize(lambda x: anp.sum(x) * 0 + value if not isinstance(value, str) else value, np.ones(2))


@pytest.mark.parametrize("x0, error", [
    (np.array([1.0, np.nan]), ValueError),
    (np.array([np.inf]), ValueError),
    (np.array([]), ValueError),
    ({}, ValueError),
    (np.array(["a", "b"]), TypeError),
    ({"w": "text"}, TypeError),
    (np.array([1 + 2j]), TypeError),
])
def test_bad_x0(x0, error):
    with pytest.raises(error, match="x0"):
        mm.minimize(square, x0)


@pytest.mark.parametrize("kwargs", [
    {"learning_rate": 0.0}, {"learning_rate": -1.0}, {"learning_rate": float("nan")},
    {"learning_rate": float("inf")}, {"learning_rate": "fast"},
    {"momentum": -0.1}, {"momentum": 1.0}, {"momentum": float("nan")},
])
def test_bad_hyperparameters_fail_at_construction(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        mm.Momentum(**kwargs)


def test_bad_schedule_fails_at_construction():
    with pytest.raises(ValueError, match="schedule"):
        mm.Momentum(learning_rate=lambda t: -1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        mm.GradientDescent(learning_rate=0)
    with pytest.raises(ValueError, match="learning_rate"):
        mm.Adam(learning_rate=-1)


@pytest.mark.parametrize("kwargs", [{"maxiter": -1}, {"maxiter": 2.5}, {"maxiter": "10"}, {"tol": -1e-3},
                                    {"tol": float("nan")}])
def test_bad_maxiter_or_tol(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        mm.minimize(square, np.ones(2), **kwargs)


def mse(w, x, y):
    return anp.mean((x @ w - y) ** 2)


@pytest.mark.parametrize("batch_size", [0, -3, 11, 2.5])
def test_bad_batch_size(batch_size):
    x, y = np.ones((10, 2)), np.ones(10)
    with pytest.raises(ValueError, match="batch_size"):
        mm.minimize(mse, np.zeros(2), args=(x, y), batch_size=batch_size)


def test_minibatch_arrays_of_unequal_length():
    x, y = np.ones((10, 2)), np.ones(9)
    with pytest.raises(ValueError, match="args\\[1\\] has 9"):
        mm.minimize(mse, np.zeros(2), args=(x, y), batch_size=4)


def test_optimizer_without_the_protocol_is_a_type_error():
    class NotAnOptimizer:
        def step(self, grad):
            return grad

    with pytest.raises(TypeError, match="init.*update|protocol"):
        mm.minimize(square, np.ones(2), optimizer=NotAnOptimizer())


def test_divergence_returns_the_last_finite_iterate():
    # Numbers given by the user are used as given: no re-tuning, no restart from a better point.
    seen = []
    res = mm.minimize(square, np.array([1.0, -2.0]), optimizer=mm.Momentum(2.5, 0.9), maxiter=10_000,
                      callback=lambda r: seen.append(np.array(r.x)))
    assert res.status == "diverged" and not res.success
    assert "smaller learning rate" in res.message
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
    np.testing.assert_array_equal(res.x, seen[-1])
    assert res.fun == square(seen[-1]) and res.nit == len(seen)
    assert np.all(np.diff([square(x) for x in seen[-50:]]) > 0)  # one run, blowing up to the end


def test_nan_mid_run_is_divergence_not_an_exception():
    def loss(x):  # finite until x[0] drops below 0.5, then NaN
        return anp.sum(x**2) + anp.sqrt(x[0] - 0.5)

    res = mm.minimize(loss, np.array([2.0, 1.0]), optimizer=mm.Momentum(0.05, 0.5), maxiter=1000)
    assert res.status == "diverged" and res.x[0] >= 0.5 and np.isfinite(res.fun)


def test_keyboard_interrupt_returns_the_last_iterate():
    seen = []

    def interrupt(r):
        seen.append(np.array(r.x))
        if r.nit == 5:
            raise KeyboardInterrupt

    res = mm.minimize(square, np.array([1.0, -2.0]), optimizer=mm.Momentum(0.01, 0.9), callback=interrupt)
    assert res.status == "interrupted" and not res.success and res.nit == 5
    np.testing.assert_array_equal(res.x, seen[-1])


def test_keyboard_interrupt_inside_the_loss():
    count = [0]

    def loss(x):
        count[0] += 1
        if count[0] == 4:
            raise KeyboardInterrupt
        return anp.sum(x**2)

    res = mm.minimize(loss, np.array([1.0]), optimizer=mm.Momentum(0.1, 0.5))
    assert res.status == "interrupted" and res.nit == 2 and np.isfinite(res.x).all()


def test_auto_momentum_recovers_instead_of_diverging():
    # The curvature at x0 = 0 is 1; at the minimum (4 x**3 + x = 1, x = 0.5) it is 4,
    # so the step tuned at the start (learning rate 1, no momentum) diverges there.
    def loss(x):
        return anp.sum(x**4) + anp.sum(x**2) / 2 - anp.sum(x)

    fixed = mm.minimize(loss, np.zeros(3), optimizer=mm.Momentum(1.0, 0.0), maxiter=20_000)
    assert fixed.status == "diverged"
    res = mm.minimize(loss, np.zeros(3), maxiter=20_000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, 0.5, atol=1e-6)
