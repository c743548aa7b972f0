"""A scipy user's habits against scipy's own results: mm.minimize's scipy spellings, and mm.scipy_method."""

import sys
import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from scipy.optimize import LbfgsInvHessProduct, OptimizeResult, OptimizeWarning, minimize, rosen, rosen_der

import minimom as mm

X0 = np.array([-1.2, 1.0, 0.5, -0.3])


@pytest.fixture(scope="module")
def lbfgsb():
    """scipy's L-BFGS-B on the 4-D Rosenbrock function, driven to its gradient test only."""
    return minimize(rosen, X0, method="L-BFGS-B", jac=rosen_der, options={"gtol": 1e-10, "ftol": 0})


def autograd_rosen(x):
    """scipy's rosen in autograd.numpy (scipy's own goes through the array API, which autograd cannot trace)."""
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def untraceable_rosen(x):
    """Rosenbrock through float(): autograd cannot trace it."""
    return float(rosen(np.asarray(x, dtype=float)))


# ---- mm.minimize with scipy's spellings ----------------------------------------------------------------------

@pytest.mark.parametrize("x0", [[0.0, 1.0], (0.0, 1.0), [0, 1], [np.float32(0.0), 1]])
def test_flat_list_of_numbers_is_an_array(x0):
    seen = []

    def loss(x):
        seen.append(type(x))
        return anp.sum((x - 2.0) ** 2)

    res = mm.minimize(loss, x0)
    ref = minimize(lambda x: np.sum((x - 2.0) ** 2), x0, method="L-BFGS-B")
    assert isinstance(res.x, np.ndarray) and res.x.dtype == np.float64 and res.x.shape == (2,)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    np.testing.assert_allclose(res.x, [2.0, 2.0], atol=1e-7)
    assert not issubclass(seen[0], (list, tuple))  # fun sees an array, as under scipy (x - 2.0 fails on a list)


def test_lists_nesting_arrays_stay_pytrees():
    res = mm.minimize(lambda p: anp.sum((p[0] - 1.0) ** 2) + (p[1] + 2.0) ** 2, [np.zeros(2), 0.0])
    assert isinstance(res.x, list) and isinstance(res.x[1], float)
    np.testing.assert_allclose(res.x[0], [1.0, 1.0], atol=1e-7)
    assert res.x[1] == pytest.approx(-2.0, abs=1e-7)


def quadratic(x, a, b):
    return 0.5 * x @ (a @ x) - b @ x


@pytest.mark.parametrize("args", ["tuple", "single"])
def test_args_positional_as_in_scipy(args):
    a, b = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0])
    if args == "tuple":
        res = mm.minimize(quadratic, np.zeros(2), (a, b), tol=1e-10)
        np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-9)
    else:  # scipy wraps a lone argument in a tuple
        res = mm.minimize(lambda x, c: anp.sum((x - c) ** 2), np.zeros(2), 3.0)
        ref = minimize(lambda x, c: np.sum((x - c) ** 2), np.zeros(2), 3.0)
        np.testing.assert_allclose(res.x, ref.x, atol=1e-6)


@pytest.mark.parametrize("form", ["callable", "true"])
def test_jac_given_reaches_lbfgsb_point(form, lbfgsb):
    if form == "callable":
        res = mm.minimize(untraceable_rosen, X0, jac=rosen_der, tol=1e-10)
    else:
        res = mm.minimize(lambda x: (untraceable_rosen(x), rosen_der(x)), X0, jac=True, tol=1e-10)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, lbfgsb.x, atol=1e-6)
    assert res.fun == pytest.approx(lbfgsb.fun, abs=1e-12)


def test_untraceable_loss_without_jac_says_how():
    with pytest.raises(mm.TracingError, match="autograd could not trace"):
        mm.minimize(untraceable_rosen, X0)


def test_jac_in_the_structure_of_a_pytree():
    def loss(p):
        return float(np.sum((p["w"] - 1.0) ** 2) + (p["b"] - 2.0) ** 2)

    def gradient(p):
        return {"w": 2 * (p["w"] - 1.0), "b": 2 * (p["b"] - 2.0)}

    res = mm.minimize(loss, {"w": np.zeros(3), "b": 0.0}, jac=gradient, tol=1e-10)
    np.testing.assert_allclose(res.x["w"], np.ones(3), atol=1e-10)
    assert isinstance(res.x["b"], float) and res.x["b"] == pytest.approx(2.0, abs=1e-10)
    assert isinstance(res.jac, dict) and set(res.jac) == {"w", "b"}


def test_user_jac_with_an_optimizer_tuned_from_curvature():
    """TunedMomentum reads the curvature; with the user's gradient it comes by differences of that gradient."""
    a, b = np.diag([1.0, 4.0, 10.0]), np.array([1.0, 2.0, 3.0])
    res = mm.minimize(lambda x: float(quadratic(x, a, b)), np.zeros(3), jac=lambda x: a @ x - b,
                      optimizer=mm.TunedMomentum(), tol=1e-9, maxiter=5000)
    assert res.status == "converged", res.message
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-8)


@pytest.mark.parametrize("jac, error, match", [
    (lambda x: np.zeros(3), ValueError, "has 3 numbers, but x0 has 4"),
    ("2-point", ValueError, "finite differences"),
    (1.5, TypeError, "jac must be None"),
])
def test_bad_jac(jac, error, match):
    with pytest.raises(error, match=match):
        mm.minimize(rosen, X0, jac=jac)


def test_jac_true_needs_a_pair():
    with pytest.raises(TypeError, match=r"with jac=True, fun must return a pair \(value, gradient\)"):
        mm.minimize(rosen, X0, jac=True)


def test_pair_returned_without_jac_true_says_so():
    """It used to die in numpy's 'setting an array element with a sequence' inside the checks."""
    with pytest.raises(TypeError, match="pass jac=True"):
        mm.minimize(lambda x: (anp.sum(x ** 2), 2 * x), X0)


@pytest.mark.parametrize("keyword, value, match", [
    ("method", "L-BFGS-B", r"optimizer=.*scipy_method"),
    ("options", {"maxiter": 5, "gtol": 1e-8, "disp": True}, r"write maxiter=5, tol=1e-08, verbose=True"),
    ("options", {"maxcor": 5}, r"optimizer=mm.ConjugateMomentum\(memory=5\)"),
    ("constraints", ({"type": "eq", "fun": np.sum},), "does not handle general constraints.*SLSQP"),
    ("hess", lambda x: np.eye(4), r"drop hess=.*mm.hessian"),
    ("hessp", None, "drop hessp="),
    ("gtol", 1e-8, "write tol="),
    ("ftol", 1e-9, r"ConjugateMomentum\(ftol=...\)"),
    ("disp", True, "verbose=True"),
    ("max_iter", 10, "write maxiter="),
    ("learning_rate", 0.1, r"optimizer=mm.Momentum\(learning_rate="),
    ("maxiters", 10, "did you mean maxiter="),
])
def test_scipy_keywords_say_what_to_write(keyword, value, match):
    with pytest.raises(TypeError, match=match):
        mm.minimize(rosen, X0, **{keyword: value})


def test_verbose_without_tqdm_prints_a_final_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: the fallback prints lines
    res = mm.minimize(lambda x: anp.sum((x - 1.0) ** 2), np.zeros(3), verbose=True)
    assert res.nit < 100  # a short run: no tenth of maxiter=1000 is reached
    err = capsys.readouterr().err
    assert f"stopped after {res.nit} iterations" in err and "(converged)" in err


# ---- scipy.optimize.minimize(method=mm.scipy_method) -----------------------------------------------------------

@pytest.mark.parametrize("jac", ["autograd", "callable", "true", "false"])
def test_scipy_method_matches_lbfgsb_on_rosenbrock(jac, lbfgsb):
    fun, given = autograd_rosen, {"autograd": None, "callable": rosen_der, "true": True, "false": False}[jac]
    if jac == "true":
        def fun(x):
            return rosen(x), rosen_der(x)
    res = minimize(fun, X0, method=mm.scipy_method, jac=given, tol=1e-10)
    assert isinstance(res, OptimizeResult)
    assert res.status == lbfgsb.status == 0 and res.success is True
    np.testing.assert_allclose(res.x, lbfgsb.x, atol=1e-6)
    assert res.fun == pytest.approx(lbfgsb.fun, abs=1e-12)
    assert np.abs(res.jac).max() <= 1e-10
    assert all(type(res[k]) is int and res[k] > 0 for k in ("nit", "nfev", "njev"))
    assert set(lbfgsb) - {"hess_inv"} <= set(res)  # every field L-BFGS-B returns


def test_scipy_method_falls_back_to_finite_differences_as_scipy_does(lbfgsb):
    with pytest.warns(OptimizeWarning, match="finite differences"):
        res = minimize(untraceable_rosen, X0, method=mm.scipy_method)
    ref = minimize(untraceable_rosen, X0, method="L-BFGS-B")
    assert res.status == ref.status == 0
    np.testing.assert_allclose(res.x, lbfgsb.x, atol=1e-3)  # a 2-point gradient resolves x to about 1e-4
    np.testing.assert_allclose(res.x, ref.x, atol=1e-3)


def test_scipy_method_args_and_tol():
    a, b = np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0])
    res = minimize(quadratic, np.zeros(2), args=(a, b), method=mm.scipy_method, tol=1e-12)
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), atol=1e-11)
    loose = minimize(quadratic, np.zeros(2), args=(a, b), method=mm.scipy_method, tol=1e-12,
                     options={"gtol": 1e-2})  # gtol wins over tol, as an explicit option does in scipy
    assert np.abs(loose.jac).max() <= 1e-2


def test_scipy_method_maxiter_status_as_lbfgsb():
    ref = minimize(rosen, X0, method="L-BFGS-B", options={"maxiter": 3})
    res = minimize(autograd_rosen, X0, method=mm.scipy_method, options={"maxiter": 3})
    assert res.status == ref.status == 1 and res.success is ref.success is False and res.nit == ref.nit == 3


def test_scipy_method_status_2_when_the_line_search_fails():
    """A gradient of the wrong sign: L-BFGS-B ends ABNORMAL (status 2), and so do we."""
    def wrong(x):
        return -rosen_der(x)

    ref = minimize(rosen, X0, jac=wrong, method="L-BFGS-B")
    res = minimize(rosen, X0, jac=wrong, method=mm.scipy_method)
    assert res.status == ref.status == 2 and res.success is ref.success is False


@pytest.mark.parametrize("method", ["L-BFGS-B", mm.scipy_method])
def test_scipy_method_callback_forms(method):
    seen = []
    res = minimize(autograd_rosen, X0, method=method, callback=lambda xk: seen.append(xk))
    assert len(seen) == res.nit and all(type(xk) is np.ndarray and xk.shape == (4,) for xk in seen)
    assert len({id(xk) for xk in seen}) == len(seen)  # copies, not one buffer
    np.testing.assert_allclose(seen[-1], res.x)

    results = []

    def new_form(intermediate_result):
        results.append(intermediate_result)

    res = minimize(autograd_rosen, X0, method=method, callback=new_form)
    assert len(results) == res.nit and all(type(r) is OptimizeResult for r in results)
    assert results[-1].fun == pytest.approx(res.fun) and results[-1].x.shape == (4,)


def test_scipy_method_stop_iteration_as_scipy():
    def stop_at_three(intermediate_result):
        if len(calls) == 3:
            raise StopIteration
        calls.append(intermediate_result.x)

    results = []
    for method in ("L-BFGS-B", mm.scipy_method):
        calls = []
        results.append(minimize(autograd_rosen, X0, method=method, callback=stop_at_three))
    ref, res = results
    assert (res.status, res.success, res.message) == (ref.status, ref.success, ref.message) == (
        99, False, "`callback` raised `StopIteration`.")
    assert res.nit == ref.nit == 4


def test_scipy_method_hess_inv_as_lbfgsb():
    """scipy's own test_lbfgsb_hessinv.test_2: both near BFGS's inverse Hessian of a 2-D quadratic."""
    h0 = np.array([[3.0, 0.0], [1.0, 2.0]])
    inverse = np.linalg.inv(h0)

    def f(x):
        return x @ (inverse @ x)

    ref = minimize(f, [10, 20], method="L-BFGS-B")
    bfgs = minimize(f, [10, 20], method="BFGS")
    res = minimize(f, [10, 20], method=mm.scipy_method)
    assert type(res.hess_inv) is type(ref.hess_inv) is LbfgsInvHessProduct
    dense = res.hess_inv.todense()
    np.testing.assert_allclose(dense, bfgs.hess_inv, rtol=1e-2, atol=0.03)
    np.testing.assert_allclose(dense, np.linalg.inv(inverse + inverse.T), rtol=1e-2, atol=0.03)
    np.testing.assert_allclose(dense, ref.hess_inv.todense(), rtol=1e-2, atol=0.03)


def test_scipy_method_hess_inv_keeps_maxcor_pairs():
    res = minimize(autograd_rosen, X0, method=mm.scipy_method, options={"maxcor": 3})
    ref = minimize(rosen, X0, method="L-BFGS-B", options={"maxcor": 3})
    assert res.hess_inv.n_corrs == ref.hess_inv.n_corrs == 3
    assert res.status == 0
    np.testing.assert_allclose(res.x, np.ones(4), atol=1e-4)


def test_scipy_method_no_hess_inv_without_the_metric():
    x0 = np.array([-1.2, 1.0])
    res = minimize(autograd_rosen, x0, method=mm.scipy_method, options={"optimizer": mm.ConjugateMomentum(memory=0)},
                   tol=1e-8)
    ref = minimize(rosen, x0, jac=rosen_der, method="CG", tol=1e-8)  # scipy's CG has no hess_inv either
    assert "hess_inv" not in res and "hess_inv" not in ref
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)


def test_scipy_method_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="does not handle constraints"):
        minimize(rosen, X0, method=mm.scipy_method, constraints=[{"type": "ineq", "fun": np.sum}])
    with pytest.warns(RuntimeWarning, match="does not use Hessian information"):
        minimize(autograd_rosen, X0, method=mm.scipy_method, hess=lambda x: np.eye(4))
    with pytest.warns(OptimizeWarning, match="Unknown solver options: eps"):
        minimize(autograd_rosen, X0, method=mm.scipy_method, options={"eps": 1e-8})


def test_scipy_method_disp_prints(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minimize(autograd_rosen, X0, method=mm.scipy_method, options={"disp": True})
    assert "stopped after" in capsys.readouterr().err


@pytest.mark.parametrize("bounds, match", [
    ([(0, 1)] * 3, "The number of bounds is not compatible with the length of `x0`."),
    ([(0, 1), (2, 1), (None, None), (0, None)], "An upper bound is less than the corresponding lower bound."),
])
def test_scipy_method_checks_bounds_as_lbfgsb(bounds, match):
    for method in ("L-BFGS-B", mm.scipy_method):
        with pytest.raises(ValueError, match=match):
            minimize(rosen, X0, jac=rosen_der, method=method, bounds=bounds)


def test_scipy_method_unbounded_bounds_are_no_bounds(lbfgsb):
    res = minimize(rosen, X0, jac=rosen_der, method=mm.scipy_method, bounds=[(None, None)] * 4, tol=1e-10)
    np.testing.assert_allclose(res.x, lbfgsb.x, atol=1e-6)


def test_scipy_method_maxiter_may_be_a_float_as_in_scipy():
    ref = minimize(rosen, X0, jac=rosen_der, method="L-BFGS-B", options={"maxiter": 2.5})
    res = minimize(rosen, X0, jac=rosen_der, method=mm.scipy_method, options={"maxiter": 2.5})
    assert res.nit == ref.nit == 3 and res.status == ref.status == 1


def test_scipy_method_counts_and_never_repeats_evaluations():
    """nfev is the number of calls of fun, and no point is evaluated twice in a row (scipy's promises)."""
    calls, points = [], []

    def fun(x):
        calls.append(1)  # every call, the failed autograd trace's included
        if type(x) is np.ndarray:
            points.append(x.copy())
        return untraceable_rosen(x)

    with pytest.warns(OptimizeWarning):
        res = minimize(fun, X0, method=mm.scipy_method)
    assert res.nfev == len(calls) == len(points) + 1  # + the trace that failed
    assert not any(np.array_equal(a, b) for a, b in zip(points, points[1:]))
    calls.clear()
    res = minimize(fun, X0, jac=rosen_der, method=mm.scipy_method)
    assert res.nfev == res.njev == len(calls)


def test_scipy_method_all_variables_fixed_as_scipy():
    def f(x, p1=1):
        return np.linalg.norm(x) + p1

    ref = minimize(f, (1.0, 3.0), bounds=[(1, 1), (2, 2)], method="L-BFGS-B")
    res = minimize(f, (1.0, 3.0), bounds=[(1, 1), (2, 2)], method=mm.scipy_method)
    for key in ("success", "message", "nfev", "njev"):
        assert res[key] == ref[key], key
    np.testing.assert_allclose(res.x, ref.x)
    assert res.fun == ref.fun == f([1.0, 2.0])


def test_boxes_in_a_plain_array_are_a_tracing_problem():
    """scipy's own callers wrap x in plain arrays (differential_evolution's polish): autograd cannot follow."""
    def loss(x):  # one variable: an object array of one box under autograd
        return list(map(lambda row: row ** 2, np.atleast_2d(x)))[0]

    with pytest.raises(mm.TracingError, match="autograd could not trace"):
        mm.minimize(loss, np.ones(1))
    with pytest.warns(OptimizeWarning, match="central finite differences"):
        res = minimize(loss, np.ones(1), method=mm.scipy_method)
    assert res.status == 0 and np.abs(res.x).max() < 1e-5
