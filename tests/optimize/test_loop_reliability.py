"""The loop under awkward input (issue 20): anp.where with scalar branches (item 7), a numpy-scalar line_search
(item 14), callbacks returning truthy values, and a Ctrl-C landing anywhere once the run has started.

Numbers are held to analytic optima and numpy's closed forms.
"""

import sys

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import value_and_grad
from conftest import spd_problem

import minimom as mm


# item 7: anp.where with a scalar branch ----------------------------------------------------------------------------
def _where_scalar_branch(x):
    """A scalar where (0-d result) with a float branch, plus a bowl: minimum at (1, 1) where x[0] > 0."""
    return anp.where(x[0] > 0, 1.0, x[0] ** 2 + 1.0) + anp.sum((x - 1.0) ** 2)


@pytest.mark.parametrize("optimizer", [None, mm.TunedMomentum(), mm.Momentum(0.1, 0.5)],
                         ids=["default", "tuned", "fixed"])
def test_where_with_a_scalar_branch_is_differentiated_as_autograd_does(optimizer):
    # Fails before the fix: AttributeError "'float' object has no attribute 'shape'" (the backward pass was
    # seeded with a Python 1.0, which anp.where's VJP reads .shape from).
    x0 = np.array([2.0, -2.0])
    value, gradient = value_and_grad(_where_scalar_branch)(x0)
    assert gradient.tolist() == [2.0, -6.0]  # autograd's own value_and_grad: the analytic gradient
    res = mm.minimize(_where_scalar_branch, x0, optimizer=optimizer)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, [1.0, 1.0], rtol=1e-6)
    assert res.fun == pytest.approx(1.0, rel=1e-12)


def test_where_with_two_scalar_branches_in_a_sum():
    a, b = spd_problem(3, 10.0, seed=0)

    def loss(x):  # the quadratic, plus a constant 0.0 branch that never fires near the minimum
        return 0.5 * x @ (a @ x) - b @ x + anp.sum(anp.where(x > 1e6, 1.0, 0.0))

    res = mm.minimize(loss, np.zeros(3), tol=1e-10)
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), rtol=1e-6)


# item 14: line_search given as a numpy scalar ------------------------------------------------------------------------
class _SteepestDescent(mm.Optimizer):
    def __init__(self, line_search):
        self.line_search = line_search

    def init(self, params):
        return None

    def update(self, grad, state, params):
        return -grad, state


@pytest.mark.parametrize("c2", [np.float32(0.5), np.float64(0.5), np.True_, 0.5], ids=repr)
def test_a_plug_in_may_give_line_search_as_a_numpy_scalar(c2):
    # Fails before the fix for np.float32 and np.True_: "line_search must be True or ... got 0.5" (TypeError).
    a, b = spd_problem(4, 10.0, seed=2)
    res = mm.minimize(lambda x: 0.5 * x @ (a @ x) - b @ x, np.zeros(4), optimizer=_SteepestDescent(c2),
                      maxiter=3000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, np.linalg.solve(a, b), rtol=1e-5)


@pytest.mark.parametrize("c2", [np.float32(1.5), np.float64(0.0), "0.5"], ids=repr)
def test_a_bad_numpy_line_search_constant_is_still_refused(c2):
    with pytest.raises(TypeError, match="line_search"):
        mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=_SteepestDescent(c2))


@pytest.mark.parametrize("c2", [np.False_, None, False], ids=repr)
def test_a_false_line_search_means_none(c2):
    res = mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=mm.Momentum(0.1, 0.5))
    optimizer = mm.Momentum(0.1, 0.5)
    optimizer.line_search = c2
    other = mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=optimizer)
    assert (other.nit, other.nfev) == (res.nit, res.nfev)  # no line search: one evaluation per step


# the callback's return value ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stop", [True, 1, np.True_, np.array(True), np.array([1.0]), 2.5, "yes"], ids=repr)
def test_a_callback_returning_a_true_value_stops_the_run(stop):
    # Fails before the fix for 1, np.array(True), np.array([1.0]), 2.5, "yes": the run went on to "converged".
    calls = []

    def callback(r):
        calls.append(r.nit)
        return stop if r.nit == 3 else None

    res = mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=mm.Momentum(0.01, 0.9), callback=callback)
    assert (res.status, res.success, res.nit, calls) == ("callback", True, 3, [1, 2, 3])


@pytest.mark.parametrize("go_on", [None, False, 0, np.False_, np.array(False), 0.0, ""], ids=repr)
def test_a_callback_returning_a_false_value_goes_on(go_on):
    res = mm.minimize(lambda x: anp.sum(x**2), np.ones(2), optimizer=mm.Momentum(0.1, 0.5),
                      callback=lambda r: go_on)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, 0.0, atol=1e-6)


def test_a_callback_returning_a_longer_array_is_a_clear_error():
    with pytest.raises(TypeError, match=r"callback returned an array of shape \(2,\)"):
        mm.minimize(lambda x: anp.sum(x**2), np.ones(2), callback=lambda r: r.x > 0)


# a Ctrl-C that lands anywhere after the run started ------------------------------------------------------------
class _InterruptAt:
    """A tracer that raises KeyboardInterrupt at the k-th line executed once the run has started.

    Counting starts when the loop (``_Run._loop``) is entered: after the first evaluation and the checks,
    which come before there is anything to return. Every line of Python that runs from there counts: the loop,
    the optimizer, autograd, numpy's errstate, the building of the result. This is the forced form of a
    Ctrl-C landing at a random moment.
    """

    def __init__(self, k):
        self.k, self.count, self.started, self.fired = k, 0, False, False

    def __call__(self, frame, event, arg):
        if not self.started and frame.f_code.co_name == "_loop" and "optimize" in frame.f_code.co_filename:
            self.started = True
        return self.local if self.started else None

    def local(self, frame, event, arg):
        if event == "line" and not self.fired:
            self.count += 1
            if self.count == self.k:
                self.fired = True
                raise KeyboardInterrupt
        return self.local


def _run_with_interrupt_at(k):
    tracer = _InterruptAt(k)
    sys.settrace(tracer)
    try:
        res = mm.minimize(lambda x: anp.sum((x - 1.0) ** 2), np.zeros(2), optimizer=mm.Momentum(0.5, 0.0))
    except KeyboardInterrupt:
        pytest.fail(f"a KeyboardInterrupt at line {k} of the run escaped minimize")
    finally:
        sys.settrace(None)
    return res, tracer


def test_a_keyboard_interrupt_anywhere_after_the_start_gives_a_result():
    # Fails before the fix: an interrupt that lands while the result is built (or in np.errstate's exit, or the
    # progress bar's close) escapes minimize as a KeyboardInterrupt.
    _, untouched = _run_with_interrupt_at(0)  # k = 0 never fires: count every line once
    lines = untouched.count
    assert 20 < lines < 5000
    for k in range(1, lines + 1):
        res, tracer = _run_with_interrupt_at(k)
        assert tracer.fired
        assert res.status == "interrupted" and not res.success, k
        assert np.isfinite(res.fun) and res.fun == pytest.approx(np.sum((res.x - 1.0) ** 2), abs=0.0)
    res, _ = _run_with_interrupt_at(lines + 1)  # past the end: the run ends as it would have
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, [1.0, 1.0])


# a self-tuned run that climbs back up keeps its best iterate (item 3) ---------------------------------------------
def test_a_self_tuned_run_that_climbs_ends_at_its_lowest_iterate():
    # Fails before the fix: log cosh tuned at x0 = 5 (curvature sech^2(5) = 1.8e-4) overshoots to |x| ~ 100 and
    # stays there, finite; at maxiter it returned x = -115 with loss 115, far above the loss 4.3 at x0.
    def loss(x):
        return anp.sum(anp.log(anp.cosh(x)))

    x0 = np.array([5.0])
    res = mm.minimize(loss, x0, optimizer=mm.TunedMomentum(), maxiter=50)
    assert res.status == "maxiter" and not res.success and res.nit == 50
    assert res.fun == pytest.approx(np.log(np.cosh(5.0)), rel=1e-12) and res.fun <= np.min(res.history)
    np.testing.assert_array_equal(res.x, x0)  # nothing lost: the start was the lowest point seen
    assert np.max(np.abs(res.jac)) == pytest.approx(np.tanh(5.0), rel=1e-12)  # the gradient at the returned x
    assert f"{np.tanh(5.0):.3g}" in res.message  # the message speaks of the returned point
    longer = mm.minimize(loss, x0, optimizer=mm.TunedMomentum(), maxiter=2000)  # re-tuned after the stall
    assert longer.status == "converged"
    np.testing.assert_allclose(longer.x, 0.0, atol=1e-6)  # the analytic minimum
