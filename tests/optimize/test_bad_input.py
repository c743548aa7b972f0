"""Issue 13: every promise kept under bad input (items 1 and 3-14; the command line is in test_cli_errors.py).

Each test checks what the user sees: an error naming the argument, the value and the fix; an
honest status; or the right answer, compared with an analytic optimum or an equivalent run.
"""

import threading
import tracemalloc
import warnings
from collections import OrderedDict, namedtuple

import autograd.numpy as anp
import numpy as np
import pytest
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning

import minimom as mm
from minimom.optimizers._curvature import Curvature


def square(x):
    return anp.sum(x**2)


# 1. Ctrl-C in an estimator's fit stops the script -------------------------------------------------------------
class InterruptAfter(mm.Optimizer):
    """Plain gradient steps; the `calls`-th update raises KeyboardInterrupt, as Ctrl-C would."""

    def __init__(self, calls=3):
        self.calls = calls

    def init(self, params):
        return 0

    def update(self, grad, state, params):
        if state == self.calls:
            raise KeyboardInterrupt
        return -0.01 * grad, state + 1


@pytest.mark.parametrize("estimator", [mm.LinearRegression(), mm.Ridge(), mm.LogisticRegression()],
                         ids=lambda e: type(e).__name__)
def test_ctrl_c_during_fit_propagates(estimator):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    y = (X[:, 0] > 0).astype(int)
    estimator.set_params(optimizer=InterruptAfter())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no half-fitted model with a mere warning
        with pytest.raises(KeyboardInterrupt):
            estimator.fit(X, y)
    assert not hasattr(estimator, "coef_")


def test_minimize_itself_still_returns_interrupted():
    res = mm.minimize(square, np.array([1.0, 2.0]), optimizer=InterruptAfter())
    assert res.status == "interrupted" and res.nit == 3
    np.testing.assert_allclose(res.x, np.array([1.0, 2.0]) * 0.98**3)


# 3. threads leave the warnings machinery alone ----------------------------------------------------------------
def test_minimize_does_not_touch_the_process_wide_warning_state():
    filters, show = warnings.filters, warnings.showwarning
    seen = []

    def loss(x):
        seen.append(warnings.filters is filters and warnings.showwarning is show)
        return anp.sum(x**2)

    mm.minimize(loss, np.ones(2), optimizer=mm.Momentum(0.1, 0.5), maxiter=3)
    assert seen and all(seen)


def test_warnings_still_show_after_minimize_in_many_threads():
    filters, show = list(warnings.filters), warnings.showwarning
    errors = []

    def work():
        try:
            for _ in range(5):
                mm.minimize(square, np.ones(3), optimizer=mm.Momentum(0.01, 0.5), maxiter=5)
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert warnings.filters == filters and warnings.showwarning is show
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        mm.LogisticRegression(max_iter=1).fit(np.arange(8.0).reshape(4, 2) ** 2, np.array([0, 1, 1, 0]))


def test_a_loss_cut_off_from_x_is_still_explained():
    from autograd.tracer import getval  # the plain value: the loss no longer depends on x for autograd

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and autograd's own "independent of input" warning stays quiet
        with pytest.raises(mm.TracingError, match="cut off from the parameters"):
            mm.minimize(lambda x: anp.sum(getval(x) ** 2), np.ones(2))


def test_a_constant_loss_is_fine_and_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mm.minimize(lambda x: 3.0, np.ones(2))
    assert res.status == "converged" and res.fun == 3.0


# 4. a start where nothing is finite is not "diverged" ---------------------------------------------------------
@pytest.mark.parametrize("fun, x0, what", [
    (lambda x: anp.sum(anp.sqrt(x - 2.0)), np.ones(2), "loss NaN"),
    (lambda x: anp.sum(anp.sqrt(x)), np.zeros(2), "gradient inf"),
    (square, np.full(2, 1e308), "x0=1e308"),
])
def test_non_finite_start_has_an_honest_status(fun, x0, what):
    with np.errstate(all="ignore"):
        res = mm.minimize(fun, x0)
    assert res.status == "invalid_start" and not res.success and res.nit == 0
    assert "learning rate" not in res.message and "x0" in res.message and "finite" in res.message
    np.testing.assert_array_equal(res.x, x0)
    assert "invalid_start" in mm.optimize.STATUS_MESSAGES


# 5. schedules are checked at every step ---------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda s: mm.Momentum(s, 0.5), lambda s: mm.Adam(s),
                                  lambda s: mm.GradientDescent(s)])
def test_a_schedule_going_bad_mid_run_is_an_error(make):
    optimizer = make(lambda t: 0.1 - 0.01 * t)  # 0 at step 10, then negative
    with pytest.raises(ValueError, match=r"schedule.*returned 0\.0.* at step 10"):
        mm.minimize(square, np.ones(2), optimizer=optimizer, tol=0, maxiter=100)


def test_a_schedule_returning_nan_later_is_an_error():
    schedule = lambda t: 0.1 if t < 3 else float("nan")  # noqa: E731
    with pytest.raises(ValueError, match="at step 3"):
        mm.minimize(square, np.ones(2), optimizer=mm.Momentum(schedule, 0.5), tol=0, maxiter=10)


# 6. mini-batches of pandas and scipy.sparse data ------------------------------------------------------------
def mse(w, X, y):
    if hasattr(X, "to_numpy"):
        X, y = X.to_numpy(), np.asarray(y)
    elif scipy.sparse.issparse(X):
        X = X.toarray()
    return anp.mean((X @ w - y) ** 2)


@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("kind", ["DataFrame", "csr", "coo", "csr_array"])
def test_minibatches_of_pandas_and_sparse_match_numpy(kind, batch_size):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 3))
    X[X < 0.3] = 0.0
    y = X @ np.array([1.0, -2.0, 0.5])
    data = {"DataFrame": lambda: (pd.DataFrame(X, columns=list("abc")), pd.Series(y)),
            "csr": lambda: (scipy.sparse.csr_matrix(X), y), "coo": lambda: (scipy.sparse.coo_matrix(X), y),
            "csr_array": lambda: (scipy.sparse.csr_array(X), y)}[kind]()
    options = dict(optimizer=mm.Momentum(0.05, 0.5), batch_size=batch_size, maxiter=20, tol=0, random_state=3)
    expected = mm.minimize(mse, np.zeros(3), args=(X, y), **options)
    res = mm.minimize(mse, np.zeros(3), args=data, **options)
    np.testing.assert_allclose(res.x, expected.x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.history, expected.history, rtol=1e-12)


def test_minibatches_of_an_array_we_cannot_cut_are_a_clear_error():
    da = pytest.importorskip("dask.array")
    X = np.ones((10, 2))
    with pytest.raises(TypeError, match=r"args\[0\].*np.asarray"):
        mm.minimize(mse, np.zeros(2), args=(da.from_array(X), np.ones(10)), batch_size=2)


# 7. a plug-in's output is checked once per run --------------------------------------------------------------
class Plugin(mm.Optimizer):
    def __init__(self, make_step):
        self.make_step = make_step

    def init(self, params):
        return None

    def update(self, grad, state, params):
        return self.make_step(grad, state)


@pytest.mark.parametrize("make_step, error, match", [
    (lambda g, s: (np.zeros(3), s), ValueError, r"shape \(3,\) for 2 parameters"),
    (lambda g, s: (np.zeros((2, 1)), s), ValueError, r"shape \(2, 1\)"),
    (lambda g, s: -0.1 * g, TypeError, r"array of shape \(2,\).*\(step, new_state\)"),
    (lambda g, s: (-0.1j * g, s), TypeError, "complex"),
    (lambda g, s: [-0.1 * g], TypeError, r"\(step, new_state\)"),
], ids=["length", "shape", "bare array", "complex", "list"])
def test_a_plugin_breaking_the_protocol_gets_a_clear_error(make_step, error, match):
    with pytest.raises(error, match=match) as info:
        mm.minimize(square, np.ones(2), optimizer=Plugin(make_step))
    assert "protocol" in str(info.value)


def test_calibrate_returning_none():
    class Forgetful(Plugin):
        def calibrate(self, curvature):
            curvature.extremes()

    with pytest.raises(TypeError, match="calibrate.*returned None.*protocol"):
        mm.minimize(square, np.ones(2), optimizer=Forgetful(lambda g, s: (-0.1 * g, s)))


@pytest.mark.parametrize("cls", [mm.Momentum, mm.Adam])
def test_the_class_instead_of_an_instance(cls):
    with pytest.raises(TypeError, match=rf"instance.*{cls.__name__}\(\).*protocol"):
        mm.minimize(square, np.ones(2), optimizer=cls)
    with pytest.raises(TypeError, match="instance"):
        mm.Ridge(optimizer=cls).fit(np.eye(3), np.ones(3))


def test_a_good_plugin_runs_as_before():
    # step = -0.5 * grad of x**2 = -x: the minimum in one step
    res = mm.minimize(square, np.array([1.0, -2.0]), optimizer=Plugin(lambda g, s: (-0.5 * g, s)), tol=0)
    assert res.status == "converged" and res.nit == 1
    np.testing.assert_array_equal(res.x, 0.0)


# 8. namedtuple and OrderedDict x0 ---------------------------------------------------------------------------
Params = namedtuple("Params", "w b")


def test_namedtuple_x0_comes_back_as_the_same_namedtuple():
    seen = []
    res = mm.minimize(lambda p: anp.sum((p.w - 3.0) ** 2) + (p.b + 1.0) ** 2, Params(np.zeros(2), 0.0),
                      callback=lambda r: seen.append(type(r.x)))
    assert type(res.x) is Params and type(res.jac) is Params and set(seen) == {Params}
    np.testing.assert_allclose(res.x.w, 3.0, atol=1e-6)
    assert res.x.b == pytest.approx(-1.0, abs=1e-6) and isinstance(res.x.b, float)


def test_ordereddict_x0_comes_back_as_an_ordereddict_in_order():
    x0 = OrderedDict([("b", 0.0), ("w", np.zeros(2))])
    res = mm.minimize(lambda p: anp.sum((p["w"] - 3.0) ** 2) + (p["b"] + 1.0) ** 2, x0)
    assert type(res.x) is OrderedDict and list(res.x) == ["b", "w"]
    np.testing.assert_allclose(res.x["w"], 3.0, atol=1e-6)


# 9. a loss of one element, shape (1,) or (1, 1), is a scalar, as in scipy ----------------------------------
@pytest.mark.parametrize("shape", [(1,), (1, 1)])
def test_size_one_loss_is_accepted(shape):
    def loss(x):
        return anp.reshape(anp.sum((x - 2.0) ** 2), shape)

    res = mm.minimize(loss, np.zeros(3))
    assert res.status == "converged" and isinstance(res.fun, float)
    np.testing.assert_allclose(res.x, 2.0, atol=1e-6)


# 10. calibration memory is bounded; no calibration when no step is asked for -------------------------------
def test_lanczos_memory_is_bounded_at_large_d_and_still_finds_the_extremes():
    d = 100_000  # a 100-step basis would take 80 MB
    diagonal = np.linspace(1.0, 100.0, d)
    tracemalloc.start()
    try:
        largest, smallest = Curvature(lambda v: diagonal * v, np.zeros(d)).extremes()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * 8 * d  # a few vectors, not 100
    assert 100.0 <= largest <= 100.0 * 1.01 and 1.0 <= smallest <= 1.05


def test_small_problems_keep_full_reorthogonalization_exactly():
    a = np.diag(np.arange(1.0, 6.0))
    largest, smallest = Curvature(lambda v: a @ v, np.zeros(5)).extremes()
    assert largest == pytest.approx(5.0, rel=1e-10) and smallest == pytest.approx(1.0, rel=1e-10)


def test_maxiter_zero_does_not_calibrate():
    calls = []

    class Tuned(Plugin):
        def calibrate(self, curvature):
            calls.append(curvature.extremes())
            return self

    res = mm.minimize(square, np.ones(2), optimizer=Tuned(lambda g, s: (-0.1 * g, s)), maxiter=0)
    assert res.status == "maxiter" and res.nit == 0 and res.nfev == 1 and not calls


# 11. parameters are checked at the public boundary ---------------------------------------------------------
@pytest.mark.parametrize("make, name", [
    (lambda: mm.Adam(beta1=1.0), "beta1"),
    (lambda: mm.Adam(beta2=-0.1), "beta2"),
    (lambda: mm.Adam(eps=float("inf")), "eps"),
    (lambda: mm.Adam(eps=0.0), "eps"),
    (lambda: mm.Momentum(learning_rate=10**400), "learning_rate"),
    (lambda: mm.Momentum(learning_rate=-(10**400)), "learning_rate"),
    (lambda: mm.Momentum(nesterov="no"), "nesterov"),
    (lambda: mm.Momentum(nesterov=None), "nesterov"),
    (lambda: mm.Momentum(restart="maybe"), "restart"),
    (lambda: mm.Momentum(0.1, momentum=np.float64(1.0)), "momentum"),
    (lambda: mm.schedules.step_decay(0.1, every=np.int64(0)), "every"),
    (lambda: mm.schedules.exponential_decay(10**400, 0.5), "learning_rate"),
])
def test_bad_parameters_name_the_argument(make, name):
    with pytest.raises(ValueError, match=rf"^{name} must") as info:
        make()
    assert len(str(info.value)) < 250  # 10**400 is not printed in full


def test_numpy_scalars_are_numbers():
    adam = mm.Adam(learning_rate=np.float32(0.5), beta1=np.float64(0.5), eps=np.float32(1e-8))
    assert adam.eps == pytest.approx(1e-8) and isinstance(adam.eps, float)
    schedule = mm.schedules.step_decay(np.float64(0.1), drop=np.float32(0.5), every=np.int64(10))
    assert schedule(25) == pytest.approx(0.025)
    momentum = mm.Momentum(np.float32(0.5), np.int64(0), nesterov=np.bool_(True))
    res = mm.minimize(square, np.ones(2), optimizer=momentum, maxiter=2, tol=0)
    assert res.nit == 1 and res.status == "converged"  # lr 0.5 on x**2: one step to the minimum
    np.testing.assert_array_equal(res.x, 0.0)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"callback": 5}, TypeError, "callback must be a function"),
    ({"callback": "print"}, TypeError, "callback must be a function"),
    ({"random_state": "seed"}, ValueError, "random_state"),
    ({"random_state": -1}, ValueError, "random_state"),
    ({"random_state": 1.5}, ValueError, "random_state"),
])
def test_bad_options_fail_before_the_first_iteration(kwargs, error, match):
    calls = []

    def loss(x):
        calls.append(1)
        return anp.sum(x**2)

    with pytest.raises(error, match=match):
        mm.minimize(loss, np.ones(2), **kwargs)
    assert not calls


@pytest.mark.parametrize("estimator", [mm.LinearRegression, mm.Ridge, mm.LogisticRegression])
@pytest.mark.parametrize("value", ["no", None, 1])
def test_fit_intercept_must_be_a_bool(estimator, value):
    with pytest.raises(ValueError, match=rf"fit_intercept.*{value!r}"):
        estimator(fit_intercept=value).fit(np.eye(4), np.array([0, 1, 0, 1]))


# 13. small things ---------------------------------------------------------------------------------------------
def test_nfev_counts_every_evaluation_including_calibration():
    calls = []

    def loss(x):
        calls.append(1)
        return anp.sum(np.arange(1.0, 4.0) * (x - 1.0) ** 2)

    res = mm.minimize(loss, np.zeros(3))
    assert res.status == "converged" and res.nfev == len(calls)


def test_auto_is_resolved_even_when_x0_already_meets_tol():
    res = mm.minimize(lambda x: anp.sum((x - 1.0) ** 2), np.ones(3))
    assert res.status == "converged" and res.nit == 0
    assert "'auto'" not in repr(res.optimizer)


# 14. the callback's intermediate result is cheap and cannot corrupt the run ---------------------------------
def test_intermediate_results_are_read_only_views_with_the_right_values():
    seen = []

    def callback(r):
        assert not r.x.flags.writeable and not r.jac.flags.writeable and not r.history.flags.writeable
        with pytest.raises(ValueError):
            r.x[0] = 99.0
        np.testing.assert_allclose(r.jac, 2 * r.x)
        assert len(r.history) == r.nit and r.history[-1] == r.fun == square(r.x)
        seen.append((r.x, r.fun))

    res = mm.minimize(square, np.array([1.0, -2.0]), optimizer=mm.Momentum(0.05, 0.5), maxiter=300, tol=0,
                      callback=callback)
    assert len(seen) == res.nit == 300 == len(res.history)
    np.testing.assert_array_equal(res.history, [fun for _, fun in seen])  # views kept their values
    np.testing.assert_array_equal(res.x, seen[-1][0])
    assert res.history.flags.writeable and res.x.flags.writeable  # the final result is the user's own
