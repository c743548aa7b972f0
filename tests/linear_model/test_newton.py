"""LogisticRegression's Newton road (one pass per step: value, gradient and Hessian) against scikit-learn,
finite differences and numpy closed forms; and its pass count on dask arrays."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import approx_fprime
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning

import minimom as mm
from minimom.data._design import as_design
from minimom.data._hessian import newton_part
from minimom.linear_model import _logistic_roads, _newton
from minimom.linear_model._objectives import LinearObjective
from minimom.linear_model._row_losses import BinaryLogLoss, MultinomialLogLoss, _sum_zero_basis
from minimom.linear_model._whitening import safe_moments, whitening


def reference(**kwargs):
    return sk.LogisticRegression(solver="newton-cholesky", tol=1e-14, max_iter=1000, **kwargs)


def difference(ours, ref):
    scale = max(1.0, np.max(np.abs(ref.coef_)))
    return max(np.max(np.abs(ours.coef_ - ref.coef_)), np.max(np.abs(ours.intercept_ - ref.intercept_))) / scale


def fit(estimator, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        return estimator.fit(X, y, **kwargs)


def collinear(n=2000, d=12, classes=2, seed=0):
    """scikit-learn's make_classification defaults: 2 informative and 2 redundant features (X is collinear)."""
    return datasets.make_classification(n_samples=n, n_features=d, n_classes=classes, n_clusters_per_class=1,
                                        random_state=seed)


CASES = {
    "collinear binary": lambda: collinear(),
    "collinear 3 classes": lambda: collinear(classes=3),
    "raw breast_cancer": lambda: datasets.load_breast_cancer(return_X_y=True),
    "raw wine": lambda: datasets.load_wine(return_X_y=True),
}


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [1.0, 100.0])
@pytest.mark.parametrize("case", list(CASES))
def test_newton_agrees_with_sklearn_newton_cholesky(case, C, fit_intercept):
    X, y = CASES[case]()
    weights = np.random.default_rng(1).uniform(0.2, 3.0, len(y))
    ours = fit(mm.LogisticRegression(C=C, fit_intercept=fit_intercept), X, y, sample_weight=weights)
    assert ours.optimizer_ == "newton"  # the road under test
    assert ours.n_iter_[0] <= 30 and len(ours.loss_curve_) == ours.n_iter_[0]
    assert np.all(np.diff(ours.loss_curve_) <= 1e-12)  # every step a descent
    ref = reference(C=C, fit_intercept=fit_intercept).fit(X, y, sample_weight=weights)
    assert difference(ours, ref) <= 1e-7


def test_unpenalized_collinear_fit_is_sklearns_on_the_independent_columns():
    """C = inf on exactly collinear X: the optimum is a line; ours is its minimum-norm point (as lstsq's), with
    scikit-learn's predictions and, on the independent columns alone, scikit-learn's coefficients mapped back."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((500, 3))
    X = np.column_stack([base, base[:, 0] + base[:, 1]])  # the 4th column is the sum of the first two
    y = (base @ [1.0, -0.5, 0.3] + rng.logistic(size=500) > 0).astype(int)
    ours = fit(mm.LogisticRegression(C=np.inf), X, y)
    assert ours.optimizer_ == "newton"
    ref = reference(C=np.inf).fit(base, y)
    coef = ours.coef_[0]
    np.testing.assert_allclose(coef[:3] + [coef[3], coef[3], 0.0], ref.coef_[0], atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-7)
    assert abs(coef @ [1.0, 1.0, 0.0, -1.0]) < 1e-8  # no part along the null direction (1, 1, 0, -1)


@pytest.mark.parametrize("classes", [2, 3])
def test_newton_on_sparse_x_agrees_with_sklearn(classes):
    X, y = collinear(n=600, d=10, classes=classes)
    X[np.abs(X) < 0.8] = 0.0
    Xs = sp.csr_matrix(X)
    ours = fit(mm.LogisticRegression(C=2.0), Xs, y)
    assert ours.optimizer_ == "newton"
    assert difference(ours, reference(C=2.0).fit(X, y)) <= 1e-7


def test_wide_problems_keep_the_first_order_road():
    X, y = datasets.make_classification(n_samples=300, n_features=60, random_state=0)
    assert mm.LogisticRegression().fit(X, y).optimizer_ != "newton"
    assert mm.LogisticRegression(optimizer=mm.Momentum()).fit(X[:, :5], y).optimizer_ != "newton"


def problem(kind, fit_intercept=True, seed=0):
    X, y = collinear(n=300, d=6, classes=2 if kind == "binary" else 4, seed=seed)
    X = X * [1.0, 10.0, 0.1, 1.0, 3.0, 1.0] + 5.0  # unscaled, off-centre
    weights = np.random.default_rng(seed).uniform(0.5, 2.0, len(y))
    weights /= weights.sum()
    design = as_design(X)
    if kind == "binary":
        rows, width, curvature = BinaryLogLoss(y == 1, weights), 1, 0.25
    else:
        basis = _sum_zero_basis(4)
        rows, width, curvature = MultinomialLogLoss(y, weights, basis), 3, 0.25
    moments, prescale = safe_moments(design, weights, None, fit_intercept)
    white = whitening(moments, prescale, curvature, 1e-3, fit_intercept)
    objective = LinearObjective(design, moments.mean, white.P, 1e-3, width, 2.0 if fit_intercept else None, rows)
    return _newton.NewtonProblem(objective, white), objective


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("kind", ["binary", "multinomial"])
def test_one_pass_gives_the_value_gradient_and_hessian(kind, fit_intercept):
    """The Newton pass's value, gradient and Hessian at a random point against finite differences of the value
    and of the gradient (scipy's approx_fprime)."""
    newton_problem, objective = problem(kind, fit_intercept)
    theta = np.random.default_rng(3).normal(scale=0.3, size=objective.size)
    value, gradient, hessian = newton_problem.evaluate(theta)
    value_only = lambda t: newton_problem.evaluate(t)[0]  # noqa: E731
    np.testing.assert_allclose(gradient, approx_fprime(theta, value_only, 1e-6), atol=1e-6)
    numeric = approx_fprime(theta, lambda t: newton_problem.evaluate(t)[1], 1e-6)
    np.testing.assert_allclose(hessian, numeric, atol=1e-6)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-14)


def test_the_first_step_from_the_moments_pass_is_the_pass_at_zero():
    """Without a pass at zero: the value, gradient and Hessian from the moments (signs as targets) are the pass's."""
    X, y = collinear(n=400, d=8)
    weights = np.full(len(y), 1 / len(y))
    design = as_design(X)
    rows = BinaryLogLoss(y == 1, weights)
    moments, prescale = safe_moments(design, weights, rows.row_data[0], True)
    white = whitening(moments, prescale, 0.25, 1e-3, True)
    objective = LinearObjective(design, moments.mean, white.P, 1e-3, 1, 2.0, rows)
    expected = _newton.NewtonProblem(objective, white).evaluate(np.zeros(objective.size))
    first = _newton.first_binary(objective, white)
    assert first[0] == pytest.approx(np.log(2.0))
    np.testing.assert_allclose(first[1], expected[1], atol=1e-14)
    null = _newton.NewtonProblem._null_curvature(white, objective.size, 1)
    np.testing.assert_allclose(first[2] + (0 if null is None else null), expected[2] + (0 if null is None else null),
                               atol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_the_block_kernel_is_numpys_closed_form(sparse):
    """``newton_part`` with the squared error's rows: value, ``[X 1]^T r`` and ``[X 1]^T diag(c) [X 1]``."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 4))
    X[X < 0.5] = 0.0
    coef, offset = rng.standard_normal((4, 1)), np.array([0.3])
    target, c = rng.standard_normal((5000, 1)), rng.uniform(0.0, 2.0, (5000, 1))

    def rows_fn(scores, target, c):
        residual = scores - target
        return 0.5 * float(np.sum(residual**2)), residual, c

    value, G, H = newton_part(coef, offset, rows_fn, sp.csr_matrix(X) if sparse else X, target, c)
    Xt = np.column_stack([X, np.ones(len(X))])
    residual = X @ coef + offset - target
    assert value == pytest.approx(0.5 * np.sum(residual**2), rel=1e-12)
    np.testing.assert_allclose(G, Xt.T @ residual, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(H, Xt.T @ (c * Xt), rtol=1e-12, atol=1e-9)


def test_a_stalled_newton_run_continues_on_the_first_order_road(monkeypatch):
    """If the line search finds no decrease (forced here), the fit goes on from that point and still converges."""
    X, y = datasets.load_breast_cancer(return_X_y=True)
    original = _newton.newton

    def stall(problem, x0, max_iter, tol, first=None, near=False):
        found = original(problem, x0, 2, tol, first, near)
        return found._replace(status="stalled")

    monkeypatch.setattr(_logistic_roads, "newton", stall)
    ours = fit(mm.LogisticRegression(), X, y)
    assert ours.optimizer_ != "newton" and ours.n_iter_[0] > 2
    assert difference(ours, reference().fit(X, y)) <= 1e-7


@pytest.mark.parametrize("classes, d", [(2, 80), (3, 45)])
@pytest.mark.parametrize("stalls", [False, True])
def test_the_first_order_road_hands_off_to_newton_near_the_optimum(monkeypatch, classes, d, stalls):
    """Beyond Newton's sizes, up to NEWTON_HANDOFF unknowns, minimize's rounds hand the last steps to Newton
    (from the Hessian at the hand-off point, then BFGS updates); if Newton's line search stalls there (forced),
    the rounds go on. Either way the fit is scikit-learn's tight one."""
    X, y = collinear(n=4000, d=d, classes=classes, seed=1)
    assert _newton.hands_off(as_design(X), classes - 1, None) and (d + 1) * (classes - 1) <= _newton.NEWTON_HANDOFF
    original, calls = _newton.newton, []

    def spy(problem, x0, max_iter, tol, first=None, near=False):
        calls.append(near)
        found = original(problem, x0, 1 if stalls else max_iter, tol, first, near)
        return found._replace(status="stalled") if stalls else found

    monkeypatch.setattr(_logistic_roads, "newton", spy)
    ours = fit(mm.LogisticRegression(), X, y)
    assert calls == [True]  # handed off once, near the optimum (not a Newton run from the start)
    assert ours.optimizer_ != "newton"
    assert difference(ours, reference().fit(X, y)) <= 1e-7


@pytest.mark.dask
@pytest.mark.parametrize("classes", [2, 3])
def test_dask_fit_takes_at_most_ten_passes_and_agrees_with_sklearn(dask_client, classes):
    """Newton steps on a dask array: every pass returns the value, gradient and Hessian, so the whole fit
    (moments pass included) reads X at most 10 times."""
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 8)) * np.linspace(0.5, 4.0, 8) + np.linspace(-2.0, 5.0, 8)
    logits = (X - X.mean(0)) @ rng.standard_normal((8, classes)) * 0.3  # 8 Newton steps for 2 classes, as sklearn
    y = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    Xd, yd = da.from_array(X, chunks=(3_000, 8)), da.from_array(y, chunks=3_000)
    ours = fit(mm.LogisticRegression(), Xd, yd)
    assert ours.optimizer_ == "newton" and ours.n_passes_ <= 10
    assert difference(ours, reference().fit(X, y)) <= 1e-7


@pytest.mark.parametrize("variant", ["sample_weight", "no_intercept", "balanced", "sparse", "weak_penalty"])
def test_the_handoff_keeps_every_option_of_the_fit(monkeypatch, variant):
    """The hand-off (60 features, binary: 61 unknowns) with sample weights, without an intercept, with balanced
    class weights, on sparse X and at C = 1e4 lands on scikit-learn's tight fit."""
    X, y = datasets.make_classification(n_samples=3000, n_features=60, random_state=2)
    params, fit_params = {}, {}
    if variant == "sample_weight":
        fit_params["sample_weight"] = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    elif variant == "no_intercept":
        params["fit_intercept"] = False
    elif variant == "balanced":
        params["class_weight"] = "balanced"
    elif variant == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) < 0.8, 0.0, X))
    else:
        params["C"] = 1e4
    original, calls = _newton.newton, []

    def spy(problem, x0, max_iter, tol, first=None, near=False):
        calls.append(near)
        return original(problem, x0, max_iter, tol, first, near)

    monkeypatch.setattr(_logistic_roads, "newton", spy)
    ours = fit(mm.LogisticRegression(**params), X, y, **fit_params)
    assert calls == [True]
    assert difference(ours, reference(**params).fit(X, y, **fit_params)) <= 1e-8


def test_the_handoff_leaves_newton_an_iteration_and_keeps_the_first_whitening(monkeypatch):
    """Re-whitenings (rounds of 3 iterations here) before and after a stalled hand-off all blend in the
    whitening made at the start; at every max_iter the hand-off runs only while an iteration is left for
    Newton, and the fit stops at max_iter with a ConvergenceWarning."""
    X, y = collinear(n=4000, d=60, seed=1)
    monkeypatch.setattr(_logistic_roads, "_round_length", lambda d, binary: 3)
    original_newton, original_rewhitened, budgets, firsts = _newton.newton, _logistic_roads._rewhitened, [], []

    def stall(problem, x0, max_iter, tol, first=None, near=False):
        budgets.append(max_iter)
        return original_newton(problem, x0, min(max_iter, 1), tol, first, near)._replace(status="stalled")

    def rewhitened(estimator, objective, white, x, penalty, rows, curvature_at_zero, first):
        firsts.append(first)
        return original_rewhitened(estimator, objective, white, x, penalty, rows, curvature_at_zero, first)

    monkeypatch.setattr(_logistic_roads, "newton", stall)
    monkeypatch.setattr(_logistic_roads, "_rewhitened", rewhitened)
    ours = fit(mm.LogisticRegression(), X, y)
    assert len(budgets) == 1 and len(firsts) >= 2 and all(first is firsts[0] for first in firsts)
    assert difference(ours, reference().fit(X, y)) <= 1e-7
    for max_iter in range(1, ours.n_iter_[0]):
        budgets.clear()
        with pytest.warns(ConvergenceWarning):
            short = mm.LogisticRegression(max_iter=max_iter).fit(X, y)
        assert short.n_iter_[0] == max_iter == len(short.loss_curve_) and all(b >= 1 for b in budgets)


@pytest.mark.parametrize("n, d, classes, road", [
    (569, 30, 2, "newton"),  # breast_cancer's 31 unknowns: small data, Newton from the start
    (178, 13, 3, "newton"),  # wine's 28
    (100000, 20, 2, "newton"),  # 21 unknowns, whatever n
    (10000, 40, 2, "handoff"),  # 41 unknowns on 1.7e7 = n u^2: the first-order road, then Newton
    (100000, 12, 3, "handoff"),  # 26 unknowns
    (4000, 200, 2, "first-order"),
])
def test_the_roads_by_size(n, d, classes, road):
    design = as_design(np.zeros((n, d)))
    width = classes - 1
    taken = ("newton" if _newton.use_newton(design, width, None) else
             "handoff" if _newton.hands_off(design, width, None) else "first-order")
    assert taken == road
    assert not _newton.use_newton(design, width, mm.ConjugateMomentum())  # a user's optimizer runs as given
