"""minimize(..., penalty=, bounds=): scipy's L-BFGS-B and nnls, scikit-learn's Lasso and ElasticNet, closed forms."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import value_and_grad
from scipy.optimize import Bounds, nnls
from scipy.optimize import minimize as scipy_minimize
from sklearn.linear_model import ElasticNet, Lasso

import minimom as mm

OPTIMIZERS = [None, mm.ProximalMomentum()]


def rosenbrock(x):
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def least_squares(w, A, b):
    return 0.5 * anp.sum((A @ w - b) ** 2)


def recording(fun, points):
    def wrapped(x, *args):
        leaves = x.values() if isinstance(x, dict) else [x]
        points.append(np.concatenate([np.ravel(getattr(leaf, "_value", leaf)) for leaf in leaves]))
        return fun(x, *args)
    return wrapped


@pytest.mark.parametrize("n", [2, 10])
def test_bounded_rosenbrock_agrees_with_lbfgsb(n):
    lo, hi = np.full(n, -1.5), np.where(np.arange(n) % 2, 2.0, 0.7)
    x0 = np.full(n, -1.2)
    ref = scipy_minimize(value_and_grad(rosenbrock), x0, jac=True, method="L-BFGS-B", bounds=Bounds(lo, hi),
                         options={"ftol": 0, "gtol": 1e-10, "maxiter": 10_000})
    points = []
    res = mm.minimize(recording(rosenbrock, points), x0, bounds=Bounds(lo, hi), tol=1e-9)
    assert res.status == "converged"
    assert res.fun <= ref.fun + 1e-9 and np.allclose(res.x, ref.x, atol=1e-6)
    assert all(np.all(lo <= p) and np.all(p <= hi) for p in points)
    assert np.any(res.x == 0.7)  # exactly at the active bound


def test_nonnegative_least_squares_agrees_with_scipy_nnls():
    rng = np.random.default_rng(1)
    A, b = rng.standard_normal((60, 25)), rng.standard_normal(60)
    expected, _ = nnls(A, b)
    res = mm.minimize(least_squares, np.ones(25), args=(A, b), bounds=[(0, None)] * 25, tol=1e-10)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, expected, atol=1e-8)
    np.testing.assert_array_equal(res.x == 0, expected == 0)  # the same exact zeros


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=["default", "fista"])
def test_box_qp_reaches_its_known_solution(optimizer):
    # 0.5 x'Qx - c'x on [-1, 1]^d, c built so that the KKT conditions hold at x*: g = Qx* - c is >= 0 at the
    # lower bounds, <= 0 at the upper ones and 0 inside.
    rng = np.random.default_rng(2)
    d = 30
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    Q = (q * np.logspace(0, 2, d)) @ q.T
    x_star = rng.uniform(-0.9, 0.9, d)
    grad = np.zeros(d)
    x_star[:8], grad[:8] = -1.0, rng.uniform(0.1, 1.0, 8)
    x_star[8:16], grad[8:16] = 1.0, -rng.uniform(0.1, 1.0, 8)
    c = Q @ x_star - grad
    res = mm.minimize(lambda x: 0.5 * x @ (Q @ x) - c @ x, np.zeros(d), optimizer=optimizer,
                      bounds=(-np.ones(d), np.ones(d)), tol=1e-10, maxiter=20_000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, x_star, atol=1e-8)
    np.testing.assert_array_equal(res.x[:16], x_star[:16])  # the active bounds are met exactly


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 12))
    X[:, 1] = X[:, 0] + 0.1 * rng.standard_normal(80)  # correlated columns
    coef = np.array([3.0, 0.0, -2.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0])
    return X, X @ coef + 4.0 + 0.5 * rng.standard_normal(80)


def mean_squares(p, X, y):  # scikit-learn's 1/(2n) scaling, with an intercept
    return 0.5 * anp.mean((X @ p["w"] + p["b"] - y) ** 2)


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=["default", "fista"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_l1_and_elastic_net_least_squares_agree_with_scikit_learn(regression, optimizer, l1_ratio):
    X, y = regression
    alpha = 0.3
    reference = (Lasso(alpha=alpha) if l1_ratio == 1 else ElasticNet(alpha=alpha, l1_ratio=l1_ratio))
    reference.set_params(tol=1e-14, max_iter=100_000).fit(X, y)
    penalty_alpha = {"w": alpha, "b": 0.0}  # the intercept is unpenalized, as in scikit-learn
    penalty = mm.L1(penalty_alpha) if l1_ratio == 1 else mm.ElasticNet(penalty_alpha, l1_ratio=l1_ratio)
    res = mm.minimize(mean_squares, {"w": np.zeros(12), "b": 0.0}, args=(X, y), penalty=penalty,
                      optimizer=optimizer, tol=1e-10, maxiter=50_000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x["w"], reference.coef_, atol=1e-7)
    assert abs(res.x["b"] - reference.intercept_) <= 1e-7
    np.testing.assert_array_equal(res.x["w"] == 0, reference.coef_ == 0)
    assert (reference.coef_ == 0).sum() >= 4
    # res.fun is the whole objective, smooth part plus penalty
    w = reference.coef_
    objective = mean_squares({"w": w, "b": reference.intercept_}, X, y) + alpha * (
        l1_ratio * np.abs(w).sum() + 0.5 * (1 - l1_ratio) * w @ w)
    assert res.fun <= objective + 1e-10 and res.fun == pytest.approx(objective, rel=1e-9)


def test_pytree_alpha_leaves_an_unpenalized_leaf_alone(regression):
    X, y = regression
    res = mm.minimize(mean_squares, {"w": np.zeros(12), "b": 0.0}, args=(X, y),
                      penalty=mm.L1({"w": np.r_[np.zeros(6), np.full(6, 1e3)], "b": 0.0}))
    ols = np.linalg.lstsq(np.c_[X[:, :6], np.ones(80)], y, rcond=None)[0]  # the heavy half is all zeros
    assert np.all(res.x["w"][6:] == 0)
    np.testing.assert_allclose(np.r_[res.x["w"][:6], res.x["b"]], ols, atol=1e-6)


def test_a_positive_scale_mle_is_the_closed_form():
    data = np.random.default_rng(4).normal(2.0, 0.5, 200)

    def nll(p, data):
        return anp.sum(anp.log(p["sigma"]) + 0.5 * ((data - p["mu"]) / p["sigma"]) ** 2)

    points = []
    res = mm.minimize(recording(nll, points), {"mu": 0.0, "sigma": 1e-3}, args=(data,),
                      bounds={"mu": (None, None), "sigma": (1e-9, None)})
    assert res.status == "converged"
    assert res.x["mu"] == pytest.approx(data.mean(), rel=1e-8) and res.x["sigma"] == pytest.approx(data.std(), 1e-7)
    assert all(p[1] >= 1e-9 for p in points)


@pytest.mark.parametrize("optimizer", [None, mm.ProximalMomentum(), mm.ProximalMomentum(0.002, 0.9, nesterov=True),
                                       mm.Adam(0.05), mm.Momentum(0.002, 0.9)],
                         ids=["default", "fista", "nesterov", "adam", "momentum"])
def test_fun_is_never_evaluated_outside_the_box(optimizer):
    points = []
    lo, hi = np.array([-0.5, 0.2, -np.inf]), np.array([0.3, 0.9, 0.0])
    x0 = np.array([2.0, -3.0, 5.0])  # infeasible: projected in first
    res = mm.minimize(recording(rosenbrock, points), x0, optimizer=optimizer, bounds=list(zip(lo, hi)), maxiter=300)
    assert points and all(np.all(lo <= p) and np.all(p <= hi) for p in points)
    assert np.all(lo <= res.x) and np.all(res.x <= hi)


def test_mini_batches_with_a_penalty_and_bounds_stay_feasible_and_sparse(regression):
    X, y = regression
    points = []
    res = mm.minimize(recording(mean_squares, points), {"w": np.zeros(12), "b": 0.0}, args=(X, y), batch_size=16,
                      random_state=0, penalty=mm.L1({"w": 0.3, "b": 0.0}), bounds={"w": (-2.0, 2.0), "b": (None, None)},
                      maxiter=30)
    assert isinstance(res.optimizer, mm.ProximalMomentum) and res.status in ("converged", "maxiter")
    assert all(np.all(np.abs(p[:12]) <= 2.0) for p in points)
    lasso = Lasso(alpha=0.3).fit(X, y).coef_  # 2.5 for the first coefficient: the bound holds it at 2
    assert 1.8 <= res.x["w"][0] <= 2.0 and np.sum(res.x["w"] == 0) >= 4
    np.testing.assert_allclose(res.x["w"][2:], lasso[2:], atol=0.15)  # noisy steps: near, not at, the minimum


def test_rowsum_loss_with_bounds(regression):
    X, y = regression
    loss = mm.RowSum(lambda w, X, y: 0.5 * anp.sum((X @ w - y) ** 2), block_rows=16)
    res = mm.minimize(loss, np.zeros(12), args=(X, y), bounds=[(0, None)] * 12, tol=1e-8)
    expected, _ = nnls(X, y)
    np.testing.assert_allclose(res.x, expected, atol=1e-7)


def test_callback_verbose_and_interrupt_keep_the_iterate_feasible(capsys):
    seen = []
    res = mm.minimize(rosenbrock, np.zeros(4), bounds=[(0, 0.5)] * 4, verbose=True,
                      callback=lambda r: seen.append(r.fun) or len(seen) == 3)
    assert res.status == "callback" and res.nit == 3 and res.success

    def interrupting(x):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(1)
        return rosenbrock(x)

    calls = []
    res = mm.minimize(interrupting, np.zeros(4), bounds=[(0, 0.5)] * 4)
    assert res.status == "interrupted" and np.all((0 <= res.x) & (res.x <= 0.5))
    assert np.isfinite(res.fun)


def test_residual_test_and_message():
    res = mm.minimize(lambda x: anp.sum((x - 2.0) ** 2), np.zeros(3), bounds=[(None, 1.0)] * 3)
    assert res.status == "converged" and np.all(res.x == 1.0)
    assert np.all(res.jac == -2.0)  # the smooth gradient; the projected one is zero
    assert "proximal-gradient residual" in res.message
    res = mm.minimize(lambda x: anp.sum((x - 2.0) ** 2), np.zeros(3), bounds=[(None, 1.0)] * 3, maxiter=0)
    assert res.status == "maxiter" and "proximal-gradient residual" in res.message


def test_a_user_penalty_needs_only_value_and_prox():
    class Positive:  # the indicator of x >= 0, with a prox that is a projection
        def value(self, x):
            return 0.0

        def prox(self, z, step):
            return np.maximum(z, 0.0)

    A = np.random.default_rng(5).standard_normal((40, 8))
    b = A @ np.r_[np.ones(4), -np.ones(4)]
    res = mm.minimize(least_squares, np.zeros(8), args=(A, b), penalty=Positive(), tol=1e-9, maxiter=20_000)
    np.testing.assert_allclose(res.x, nnls(A, b)[0], atol=1e-7)


@pytest.mark.parametrize("kwargs, match", [
    ({"bounds": [(1.0, 0.0), (None, None)]}, r"lo=1\.0 > hi=0\.0"),
    ({"bounds": [(0.0, 1.0)] * 3}, "bounds"),
    ({"bounds": {"a": (0, 1)}}, "bounds"),
    ({"bounds": Bounds([0, 0, 0], [1, 1, 1])}, "bounds"),
    ({"bounds": [(0, "x"), (0, 1)]}, "bounds"),
    ({"penalty": mm.L1([0.1, -1.0])}, "alpha"),
    ({"penalty": mm.L1([0.1, 0.1, 0.1])}, "alpha"),
    ({"penalty": object()}, "penalty"),
    ({"penalty": mm.L1}, "penalty"),
])
def test_bad_input_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mm.minimize(lambda x: anp.sum(x**2), np.zeros(2), **kwargs)


def test_bad_penalty_hyperparameters_and_a_plain_optimizer():
    with pytest.raises(ValueError, match="alpha"):
        mm.L1(-0.1)
    with pytest.raises(ValueError, match="l1_ratio"):
        mm.optimizers.ElasticNet(0.1, l1_ratio=1.5)  # the penalty alone checks at once
    # mm.ElasticNet and mm.Lasso are estimators too: scikit-learn's rule is no check in __init__, so minimize
    # checks them before the run.
    for penalty, match in [(mm.ElasticNet(0.1, l1_ratio=1.5), "l1_ratio"), (mm.ElasticNet(-1.0), "alpha"),
                           (mm.Lasso(-0.5), "alpha"), (mm.Lasso("big"), "alpha")]:
        with pytest.raises(ValueError, match=match):
            mm.minimize(lambda x: anp.sum(x**2), np.ones(2), penalty=penalty)
    with pytest.raises(ValueError, match="x0's keys"):
        mm.minimize(lambda p: p["a"] ** 2, {"a": 1.0}, penalty=mm.L1({"b": 0.1}))
    with pytest.raises(TypeError, match="proximal_update"):
        mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=mm.Momentum(0.1, 0.5), penalty=mm.L1(0.1))


def test_the_projected_method_keeps_ten_pairs_unless_given_a_number():
    # memory="auto" (many pairs) is for the unconstrained metric; across active sets L-BFGS-B's 10 are kept.
    from minimom.optimize._composite import _pairs

    assert _pairs(mm.Momentum(), mm.ConjugateMomentum(memory=100)) == 10
    assert _pairs(mm.ConjugateMomentum(), mm.ConjugateMomentum(memory=100)) == 10
    assert _pairs(mm.ConjugateMomentum(memory=7), mm.ConjugateMomentum(memory=7)) == 7
    assert _pairs(mm.ConjugateMomentum(memory=0), mm.ConjugateMomentum(memory=0)) == 1


def test_the_estimators_are_penalties_too():
    # mm.Lasso(alpha) is the L1 penalty and mm.ElasticNet(alpha, l1_ratio) the elastic net: minimize reaches the
    # closed form of a separable quadratic, sign(c) max(|c| - l1, 0) / (1 + l2), with exact zeros.
    c = np.array([3.0, -0.05, -2.0, 0.3])
    for penalty, l1, l2 in [(mm.Lasso(0.2), 0.2, 0.0), (mm.ElasticNet(0.4, l1_ratio=0.5), 0.2, 0.2),
                            (mm.ElasticNet(0.4, 0.25), 0.1, 0.3)]:
        res = mm.minimize(lambda x: 0.5 * anp.sum((x - c) ** 2), np.zeros(4), penalty=penalty)
        expected = np.sign(c) * np.maximum(np.abs(c) - l1, 0) / (1 + l2)
        np.testing.assert_allclose(res.x, expected, atol=1e-8)
        assert np.count_nonzero(res.x) == np.count_nonzero(expected)
    assert mm.L1([0.5, 0.0]).prox(np.array([1.0, 1.0]), 1.0).tolist() == [0.5, 1.0]  # a plain list of weights


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_njev_counts_the_evaluations_that_took_the_gradient(optimizer):
    # autograd traces fun with boxed parameters exactly when it takes the gradient: an independent count.
    from autograd.numpy.numpy_boxes import ArrayBox

    rng = np.random.default_rng(1)
    A, b = rng.standard_normal((40, 8)), rng.standard_normal(40)
    calls = {"gradient": 0, "value": 0}

    def counted(w):
        calls["gradient" if isinstance(w, ArrayBox) else "value"] += 1
        return least_squares(w, A, b)

    res = mm.minimize(counted, np.zeros(8), optimizer=optimizer, penalty=mm.L1(1.0), bounds=[(-1, 1)] * 8)
    assert res.status == "converged"
    assert res.njev == calls["gradient"] and res.nfev == calls["gradient"] + calls["value"]
    if optimizer is None:  # every evaluation of the projected quasi-Newton method takes the gradient, as L-BFGS-B's
        assert res.njev == res.nfev
    else:  # FISTA's backtracking tries values alone
        assert calls["value"] > 0
