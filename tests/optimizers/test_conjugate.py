"""The per-step default: ConjugateMomentum, the strong Wolfe line search, and the honest endings."""

import sys
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, value_and_grad
from conftest import spd_problem
from scipy.optimize import minimize as scipy_minimize

import minimom as mm
from minimom.optimize._linesearch import SearchFailed, wolfe_search
from minimom.optimizers._conjugate import _Memory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import mgh  # noqa: E402


def quadratic(x, a, b):
    return 0.5 * x @ (a @ x) - b @ x


def test_momentum_resolves_to_the_per_step_method_in_full_batch_only():
    a, b = spd_problem(5, 10.0, seed=1)
    full = mm.minimize(quadratic, np.zeros(5), args=(a, b))
    assert isinstance(full.optimizer, mm.ConjugateMomentum) and full.optimizer.memory == 100  # "auto" at n = 5
    for optimizer in (mm.Momentum(), mm.Momentum(nesterov=True), mm.Momentum(nesterov=True, restart=True)):
        assert isinstance(mm.minimize(quadratic, np.zeros(5), args=(a, b), optimizer=optimizer).optimizer,
                          mm.ConjugateMomentum)
    assert type(mm.minimize(quadratic, np.zeros(5), args=(a, b), optimizer=mm.TunedMomentum(nesterov=True))
                .optimizer) is mm.TunedMomentum
    X = np.random.default_rng(0).standard_normal((64, 5))

    def least_squares(w, X, y):
        return anp.mean((X @ w - y) ** 2)

    for nesterov in (False, True):
        mini = mm.minimize(least_squares, np.zeros(5), args=(X, X @ np.ones(5)), batch_size=16, random_state=0,
                           maxiter=3, optimizer=mm.Momentum(nesterov=nesterov))
        assert type(mini.optimizer) is mm.Momentum and isinstance(mini.optimizer.learning_rate, float)
        assert mini.optimizer.nesterov is nesterov


def test_line_search_optimizers_refuse_mini_batches():
    X = np.ones((8, 2))
    with pytest.raises(ValueError, match="line search"):
        mm.minimize(lambda w, X: anp.sum((X @ w) ** 2), np.ones(2), args=(X,), batch_size=2,
                    optimizer=mm.ConjugateMomentum())


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6])
@pytest.mark.parametrize("c2", [0.9, 0.1])
def test_wolfe_search_returns_a_strong_wolfe_point(scale, c2):
    # Rosenbrock along steepest descent, the step too short or too long by six orders of magnitude.
    def rosenbrock(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    value_grad = value_and_grad(rosenbrock)
    evaluations = []

    def evaluate(x):
        evaluations.append(x)
        return value_grad(x)

    x = np.array([-1.2, 1.0])
    f0, g0 = value_grad(x)
    step = -scale * g0 / np.linalg.norm(g0)
    x_new, f_new, g_new = wolfe_search(evaluate, x, f0, g0, step, c2)
    alpha = (x_new - x) @ step / (step @ step)
    assert f_new <= f0 + 1e-4 * alpha * (g0 @ step)  # sufficient decrease
    assert abs(grad(rosenbrock)(x_new) @ step) <= c2 * abs(g0 @ step)  # strong curvature condition
    assert f_new == rosenbrock(x_new) and len(evaluations) <= 30


def test_wolfe_search_backs_off_from_non_finite_values():
    # -log(x) + x is NaN for x < 0; the minimum is x = 1. The first trial lands at x = -5.
    def barrier(x):
        return anp.sum(-anp.log(x) + x)

    value_grad = value_and_grad(barrier)
    x = np.array([5.0])
    f0, g0 = value_grad(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_new, f_new, _ = wolfe_search(value_grad, x, f0, g0, np.array([-10.0]))
        res = mm.minimize(barrier, np.array([5.0]), optimizer=mm.ConjugateMomentum())
    assert 0 < x_new[0] and f_new < f0
    assert res.status == "converged" and res.x[0] == pytest.approx(1.0, abs=1e-6)


def test_wolfe_search_reports_an_uphill_step():
    value_grad = value_and_grad(lambda x: anp.sum(x**2))
    x = np.ones(2)
    f0, g0 = value_grad(x)
    with pytest.raises(SearchFailed) as failed:
        wolfe_search(value_grad, x, f0, g0, g0)
    assert failed.value.status == "no_decrease" and failed.value.point is None


@pytest.mark.parametrize("optimizer", [None, mm.ConjugateMomentum(memory=0)])
def test_a_kink_ends_with_an_honest_status(optimizer):
    # The minimum sits on the kinks of |x - c|; c is not a float that the steps can land on exactly.
    c = np.array([0.1, 1 / 3, np.e])
    res = mm.minimize(lambda x: anp.sum(anp.abs(x - c)), np.zeros(3), optimizer=optimizer)
    assert res.status in ("step_collapsed", "no_decrease") and not res.success
    assert "non-smooth" in res.message and "maxiter" not in res.message
    assert res.fun < np.sum(np.abs(c)) and res.nit < 100  # it kept what it found, and stopped early


def test_an_inaccurate_gradient_ends_with_an_honest_status():
    # The loss is x**2 but the "gradient" autograd sees is 3x wrong in sign half the time: no descent.
    from autograd.extend import defvjp, primitive

    @primitive
    def wrong_square(x):
        return x**2

    defvjp(wrong_square, lambda ans, x: lambda g: g * (-2.0 * x))
    res = mm.minimize(lambda x: anp.sum(wrong_square(x)), np.ones(3))
    assert res.status == "no_decrease" and "gradient inaccurate" in res.message
    np.testing.assert_array_equal(res.x, np.ones(3))  # nothing lower was found, so x0 is kept


@pytest.mark.parametrize("kappa", [1e2, 1e4])
@pytest.mark.parametrize("memory", [0, 10])
def test_quadratics_within_the_accelerated_bound(kappa, memory):
    a, b = spd_problem(100, kappa, seed=3)
    res = mm.minimize(quadratic, np.zeros(100), args=(a, b), optimizer=mm.ConjugateMomentum(memory), tol=1e-8,
                      maxiter=10_000)
    assert res.status == "converged"
    assert res.nit <= np.sqrt(kappa) * np.log(1e8)  # the bound of the optimally tuned heavy ball
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-7)  # |x - x*| <= |g| / lambda_min


@pytest.mark.parametrize("memory", [5, 10])
def test_as_few_steps_as_scipy_lbfgsb_with_the_same_memory_on_a_quadratic(memory):
    a, b = spd_problem(20, 1e4, seed=5)
    res = mm.minimize(quadratic, np.zeros(20), args=(a, b), optimizer=mm.ConjugateMomentum(memory), tol=1e-4,
                      maxiter=5000)
    ref = scipy_minimize(lambda x: (quadratic(x, a, b), a @ x - b), np.zeros(20), jac=True, method="L-BFGS-B",
                         options={"gtol": 1e-4, "ftol": 0.0, "maxcor": memory, "maxiter": 5000})
    assert ref.success and res.status == "converged" and res.nfev <= 1.25 * ref.nfev + 5
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-4)  # |x - x*| <= |g| / lambda_min


def test_compact_memory_equals_the_bfgs_inverse_update():
    # H_{k+1} = (I - rho s y') H_k (I - rho y s') + rho s s', from H_0 = gamma I (gamma of the newest pair).
    rng = np.random.default_rng(0)
    n, m = 6, 4
    a = rng.standard_normal((n, n))
    a = a @ a.T + np.eye(n)
    memory, pairs = _Memory(m, n), []
    for _ in range(7):
        s = rng.standard_normal(n)
        y = a @ s
        memory.add(s, y, s @ y, y @ y)
        pairs = (pairs + [(s, y)])[-m:]
        h = (s @ y) / (y @ y) * np.eye(n)
        for s_i, y_i in pairs:
            rho = 1 / (s_i @ y_i)
            h = (np.eye(n) - rho * np.outer(s_i, y_i)) @ h @ (np.eye(n) - rho * np.outer(y_i, s_i))
            h += rho * np.outer(s_i, s_i)
        g = rng.standard_normal(n)
        np.testing.assert_allclose(-memory.descent(g), h @ g, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["rosenbrock", "beale", "wood", "extended_rosenbrock_100", "watson_6"])
def test_as_few_gradient_evaluations_as_scipy_lbfgsb(name):
    problem = mgh.BY_NAME[name]
    res = mm.minimize(problem.fun, problem.x0, maxiter=5000)
    ref = scipy_minimize(value_and_grad(problem.fun), problem.x0, jac=True, method="L-BFGS-B",
                         options={"gtol": 1e-6, "ftol": 0.0, "maxiter": 5000})
    assert res.status == "converged" and res.fun <= ref.fun + 1e-8 * max(1.0, abs(ref.fun))
    assert res.nfev <= 1.25 * ref.nfev + 2


class ScaledSteepestDescent(mm.Optimizer):
    """A plug-in that proposes -grad and lets minimize's line search pick the rate."""

    line_search = True

    def init(self, params):
        return None

    def update(self, grad, state, params):
        return -grad, state


def test_a_plug_in_can_ask_for_the_line_search():
    a, b = spd_problem(4, 10.0, seed=2)
    res = mm.minimize(quadratic, np.zeros(4), args=(a, b), optimizer=ScaledSteepestDescent(), maxiter=2000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-5)


def test_a_bad_line_search_constant_is_a_clear_error():
    optimizer = ScaledSteepestDescent()
    optimizer.line_search = 2.0
    with pytest.raises(TypeError, match="line_search"):
        mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=optimizer)


@pytest.mark.parametrize("memory", [-1, 2.5, True, "10"])
def test_memory_is_validated(memory):
    with pytest.raises(ValueError, match="memory"):
        mm.ConjugateMomentum(memory=memory)


@pytest.mark.parametrize("loss", [lambda x: -anp.sum(x), lambda x: anp.sum(x**3), lambda x: -anp.sum(anp.exp(x))],
                         ids=["linear", "cubic", "exp"])
def test_a_loss_unbounded_below_says_so(loss):
    res = mm.minimize(loss, np.full(2, 0.5))
    assert res.status == "unbounded" and not res.success and "without bound" in res.message
    assert np.isfinite(res.fun) and res.fun < loss(np.full(2, 0.5)) and np.all(np.isfinite(res.x))


SCIPY_FTOL = 2.220446049250313e-09  # L-BFGS-B's default: factr 1e7 times machine epsilon


@pytest.mark.parametrize("name", ["gaussian", "powell_singular", "broyden_banded_10", "penalty_2_10"])
def test_opt_in_ftol_is_scipys_relative_reduction_test(name):
    # On these, L-BFGS-B's default stops on its f test well before the gradient test.
    problem = mgh.BY_NAME[name]
    res = mm.minimize(problem.fun, problem.x0, optimizer=mm.ConjugateMomentum(ftol=SCIPY_FTOL), maxiter=5000)
    ref = scipy_minimize(value_and_grad(problem.fun), problem.x0, jac=True, method="L-BFGS-B",
                         options={"gtol": 1e-6, "maxiter": 5000})
    assert "REDUCTION OF F" in ref.message.upper()  # the premise: scipy stopped on its f test
    assert res.status == "ftol" and res.success and "ftol" in res.message
    assert np.max(np.abs(res.jac)) > 1e-6  # it did stop before the gradient test
    # The rule, checked on the loss history: the last step is the first with a relative decrease <= ftol.
    f = np.concatenate([[problem.fun(problem.x0)], res.history])
    relative = (f[:-1] - f[1:]) / np.maximum(np.maximum(np.abs(f[:-1]), np.abs(f[1:])), 1.0)
    assert relative[-1] <= SCIPY_FTOL and np.all(relative[:-1] > SCIPY_FTOL)
    assert res.fun - problem.f_star <= 1e-6 * max(1.0, abs(problem.f_star))  # still at the published optimum
    assert res.nfev <= 1.25 * ref.nfev + 2


def test_the_default_stops_on_the_gradient_test_only():
    problem = mgh.BY_NAME["penalty_2_10"]  # where an f test would stop far earlier
    res = mm.minimize(problem.fun, problem.x0, maxiter=5000)
    assert res.optimizer.ftol == 0.0
    assert res.status == "converged" and np.max(np.abs(res.jac)) <= 1e-6


@pytest.mark.parametrize("ftol", [-1e-9, 1.0, np.nan, "1e-9", True, None])
def test_ftol_is_validated(ftol):
    with pytest.raises(ValueError, match="ftol"):
        mm.ConjugateMomentum(ftol=ftol)


def test_a_plug_in_with_a_bad_ftol_is_a_clear_error():
    optimizer = ScaledSteepestDescent()
    optimizer.ftol = "loose"
    with pytest.raises(TypeError, match="ftol"):
        mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=optimizer)


def test_ftol_precedence_and_a_numpy_scalar_ftol():
    a, b = spd_problem(20, 1e3, seed=3)
    # A huge ftol ends the first step, before maxiter (1) is looked at; a callback asking to stop comes first.
    first = mm.minimize(quadratic, np.zeros(20), args=(a, b), optimizer=mm.ConjugateMomentum(ftol=0.999), maxiter=1)
    assert first.status == "ftol" and first.nit == 1 and "0.999" in first.message
    stopped = mm.minimize(quadratic, np.zeros(20), args=(a, b), optimizer=mm.ConjugateMomentum(ftol=0.999),
                          callback=lambda r: True)
    assert stopped.status == "callback" and stopped.nit == 1
    # The gradient test comes before the f test: a last step that passes both is "converged".
    near = mm.minimize(lambda x: anp.sum((x - 2.0) ** 2), np.array([2.0 + 1e-4]),
                       optimizer=mm.ConjugateMomentum(ftol=0.5))
    assert near.status == "converged" and near.nit == 1 and np.max(np.abs(near.jac)) <= 1e-6
    plug_in = ScaledSteepestDescent()
    plug_in.ftol = np.float32(0.999)
    assert mm.minimize(quadratic, np.zeros(20), args=(a, b), optimizer=plug_in).status == "ftol"


@pytest.mark.parametrize("size, pairs", [(5, 100), (1000, 100), (4000, 25), (50_000, 10)])
def test_auto_memory_is_the_documented_number_of_pairs(size, pairs):
    # min(100, max(10, 100000 // n)): the docstring's rule; numbers given stay as given.
    curvature = mm.Curvature(lambda v: v, np.zeros(size))
    assert mm.ConjugateMomentum().calibrate(curvature).memory == pairs
    assert mm.ConjugateMomentum(memory=7, ftol=1e-9).calibrate(curvature).memory == 7
    assert mm.ConjugateMomentum().init(np.zeros(size)).memory.m == pairs


def test_calibrating_a_subclass_keeps_its_own_steps():
    # "auto" resolves to a copy of the same class with the number of pairs: a subclass's update survives.
    class FirstStepIsMinusGrad(mm.ConjugateMomentum):
        def update(self, grad, state, params):
            step, new_state = super().update(grad, state, params)
            return (-grad if state.x is None else step), new_state

    resolved = FirstStepIsMinusGrad(ftol=1e-9).calibrate(mm.Curvature(lambda v: v, np.zeros(4)))
    assert type(resolved) is FirstStepIsMinusGrad and resolved.memory == 100 and resolved.ftol == 1e-9
    # On 0.5 x'x from x0 = 3 (the minimum 6 units away) the first step -grad is exact: one evaluation along it,
    # where the generic first step (one unit long, as scipy L-BFGS-B's) takes 2 iterations and 3 evaluations.
    res = mm.minimize(lambda x: 0.5 * anp.sum(x * x), np.full(4, 3.0), optimizer=FirstStepIsMinusGrad())
    assert res.status == "converged" and res.nit == 1 and res.nfev == 2 and np.all(res.x == 0.0)


def test_auto_memory_solves_unscaled_least_squares_in_fewer_steps_than_lbfgsb_with_ten_pairs():
    # Ridge on diabetes' raw measurements (columns from 0.5 to 35 in spread, plus an intercept): the
    # closed form against the default, and scipy's L-BFGS-B (maxcor 10) at the same gradient test.
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, scaled=False)
    A, lam = np.column_stack([X, np.ones(len(y))]), 1e-3

    def loss(w):
        r = A @ w - y
        return 0.5 * anp.mean(r * r) + 0.5 * lam * anp.sum(w[:-1] ** 2)

    penalty = lam * np.diag(np.r_[np.ones(X.shape[1]), 0.0])
    exact = np.linalg.solve(A.T @ A / len(y) + penalty, A.T @ y / len(y))
    res = mm.minimize(loss, np.zeros(A.shape[1]), tol=1e-9, maxiter=10_000)
    ref = scipy_minimize(value_and_grad(loss), np.zeros(A.shape[1]), jac=True, method="L-BFGS-B",
                         options={"gtol": 1e-9, "ftol": 0.0, "maxiter": 10_000, "maxfun": 100_000})
    assert res.status == "converged" and res.optimizer.memory == 100
    np.testing.assert_allclose(res.x, exact, rtol=1e-6, atol=1e-6)
    assert res.nit < ref.nit
