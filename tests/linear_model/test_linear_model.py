"""The estimators land on scikit-learn's solutions (tight references), and behave as estimators."""

import pickle

import numpy as np
import pytest
from conftest import load_standardized as load
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import minimom as mm

TIGHT = 1e-6
pytestmark = pytest.mark.usefixtures("one_blas_thread")


def tight_logistic(**kwargs):
    return sk.LogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=1000, **kwargs)


def max_difference(ours, ref):
    coef = np.max(np.abs(np.asarray(ours.coef_) - ref.coef_))
    intercept = np.max(np.abs(np.asarray(ours.intercept_) - np.asarray(ref.intercept_)))
    return max(coef, intercept)


def assert_same_fit(ours, ref):
    assert np.shape(ours.coef_) == np.shape(ref.coef_)
    assert np.shape(ours.intercept_) == np.shape(ref.intercept_)
    assert max_difference(ours, ref) <= TIGHT


REGRESSION_CASES = [
    ("diabetes", lambda: mm.LinearRegression(), lambda: sk.LinearRegression()),
    ("diabetes", lambda: mm.Ridge(alpha=1.0), lambda: sk.Ridge(alpha=1.0, solver="cholesky")),
    ("diabetes", lambda: mm.Ridge(alpha=100.0), lambda: sk.Ridge(alpha=100.0, solver="cholesky")),
    ("linnerud", lambda: mm.Ridge(alpha=1.0), lambda: sk.Ridge(alpha=1.0, solver="cholesky")),
    ("linnerud", lambda: mm.LinearRegression(), lambda: sk.LinearRegression()),
]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("name, ours, ref", REGRESSION_CASES)
def test_regression_matches_sklearn(name, ours, ref, fit_intercept):
    X, y = load(name)
    assert_same_fit(ours().set_params(fit_intercept=fit_intercept).fit(X, y),
                    ref().set_params(fit_intercept=fit_intercept).fit(X, y))


CLASSIFICATION_CASES = [("breast_cancer", 0.01), ("breast_cancer", 1.0), ("breast_cancer", 100.0),
                        ("iris", 1.0), ("wine", 1.0), ("digits", 1.0)]


@pytest.mark.parametrize("name, C", CLASSIFICATION_CASES)
def test_logistic_matches_sklearn(name, C):
    X, y = load(name)
    ours = mm.LogisticRegression(C=C).fit(X, y)
    ref = tight_logistic(C=C).fit(X, y)
    assert_same_fit(ours, ref)
    assert ours.n_iter_.shape == (1,)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_logistic_without_intercept_matches_sklearn(name):
    X, y = load(name)
    assert_same_fit(mm.LogisticRegression(fit_intercept=False).fit(X, y),
                    tight_logistic(fit_intercept=False).fit(X, y))


def test_multinomial_intercepts_sum_to_zero():
    X, y = load("wine")
    assert abs(mm.LogisticRegression().fit(X, y).intercept_.sum()) <= 1e-10


@pytest.mark.parametrize("name, ours, ref", [
    ("diabetes", mm.Ridge(alpha=3.0), sk.Ridge(alpha=3.0, solver="cholesky")),
    ("diabetes", mm.LinearRegression(), sk.LinearRegression()),
    ("breast_cancer", mm.LogisticRegression(), tight_logistic()),
    ("iris", mm.LogisticRegression(C=10.0), tight_logistic(C=10.0)),
])
def test_sample_weights_match_sklearn(name, ours, ref):
    X, y = load(name)
    weights = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    assert_same_fit(ours.fit(X, y, sample_weight=weights), ref.fit(X, y, sample_weight=weights))


@pytest.mark.parametrize("estimator", [mm.Ridge(alpha=2.0), mm.LogisticRegression(C=0.5)])
def test_integer_sample_weights_equal_repeated_rows(estimator):
    X, y = load("iris")
    counts = np.random.default_rng(1).integers(0, 4, len(y))
    weighted = estimator.fit(X, y, sample_weight=counts).coef_.copy()
    repeated = estimator.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts)).coef_
    np.testing.assert_allclose(weighted, repeated, atol=1e-9)


def test_string_labels_and_class_weight_match_sklearn():
    X, y = load("wine")
    names = np.array(["barolo", "grignolino", "barbera"])[y]
    for class_weight in [None, "balanced", {"barolo": 2.0, "grignolino": 1.0, "barbera": 0.5}]:
        ours = mm.LogisticRegression(class_weight=class_weight).fit(X, names)
        ref = tight_logistic(class_weight=class_weight).fit(X, names)
        assert_same_fit(ours, ref)
        np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_unpenalized_logistic_matches_sklearn():
    X, y = datasets.make_classification(n_samples=300, n_features=5, n_informative=3, n_redundant=0, flip_y=0.2,
                                        class_sep=0.5, random_state=0)
    ours = mm.LogisticRegression(C=np.inf).fit(X, y)
    ref = tight_logistic(C=np.inf).fit(X, y)
    assert_same_fit(ours, ref)


def test_raw_unstandardized_data_still_match():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    assert_same_fit(mm.LogisticRegression().fit(X, y), tight_logistic().fit(X, y))
    X, y = datasets.load_diabetes(return_X_y=True)
    X = X * 100 + 50
    assert_same_fit(mm.Ridge(alpha=0.1).fit(X, y), sk.Ridge(alpha=0.1, solver="cholesky").fit(X, y))


def test_fitted_attributes():
    X, y = load("iris")
    clf = mm.LogisticRegression().fit(X, y)
    assert clf.coef_.shape == (3, 4) and clf.intercept_.shape == (3,) and clf.n_features_in_ == 4
    assert len(clf.loss_curve_) == clf.n_iter_[0] and np.all(np.diff(clf.loss_curve_[-10:]) <= 1e-12)
    assert clf.decision_function(X).shape == (150, 3)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X), rtol=1e-12)
    binary = mm.LogisticRegression().fit(X, y == 2)
    assert binary.coef_.shape == (1, 4) and binary.intercept_.shape == (1,)
    assert binary.decision_function(X).shape == (150,)
    reg = mm.Ridge().fit(X, X[:, :2])
    assert reg.coef_.shape == (2, 4) and reg.intercept_.shape == (2,)
    assert isinstance(mm.Ridge().fit(X, y).intercept_, float)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("ours, ref", [(mm.LinearRegression, sk.LinearRegression), (mm.Ridge, sk.Ridge)])
@pytest.mark.parametrize("targets", [None, 1, 3])
def test_regression_attribute_shapes_match_sklearn(ours, ref, targets, fit_intercept):
    X, y = load("diabetes")
    if targets is not None:
        y = np.column_stack([y * (k + 1) for k in range(targets)])
    a, b = ours(fit_intercept=fit_intercept).fit(X, y), ref(fit_intercept=fit_intercept).fit(X, y)
    assert np.shape(a.coef_) == np.shape(b.coef_) and np.shape(a.intercept_) == np.shape(b.intercept_)
    assert type(a.intercept_) is type(b.intercept_) or np.ndim(b.intercept_) > 0
    assert max_difference(a, b) <= TIGHT * max(1, targets or 1)


def test_feature_names_from_dataframes():
    frame = datasets.load_diabetes(as_frame=True)
    reg = mm.LinearRegression().fit(frame.data, frame.target)
    np.testing.assert_array_equal(reg.feature_names_in_, frame.data.columns)


def test_pipeline_grid_search_cross_validation_and_pickle():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), mm.LogisticRegression())
    search = GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.95
    scores = cross_val_score(make_pipeline(StandardScaler(), mm.Ridge()), *load("diabetes"), cv=3)
    reference = cross_val_score(make_pipeline(StandardScaler(), sk.Ridge()), *load("diabetes"), cv=3)
    np.testing.assert_allclose(scores, reference, atol=1e-9)
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(restored.predict_proba(X), search.best_estimator_.predict_proba(X))


def test_custom_optimizer_parameter_is_used_and_left_unchanged():
    X, y = load("diabetes")
    optimizer = mm.Momentum(learning_rate=0.5, momentum=0.5)
    reg = mm.Ridge(optimizer=optimizer).fit(X, y)
    assert reg.optimizer is optimizer and reg.optimizer_.learning_rate == 0.5
    assert_same_fit(reg, sk.Ridge(solver="cholesky").fit(X, y))


def test_stopping_early_warns():
    X, y = load("breast_cancer")
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        mm.LogisticRegression(max_iter=2).fit(X, y)


@pytest.mark.parametrize("estimator, match", [
    (mm.Ridge(alpha=-1.0), "alpha"),
    (mm.LogisticRegression(C=-1.0), "'C'"),
    (mm.LogisticRegression(C=0.0), "'C'"),
    (mm.LinearRegression(max_iter=-1), "max_iter"),
    (mm.LogisticRegression(max_iter=-1), "max_iter"),
    (mm.Ridge(max_iter=0), "max_iter"),  # scikit-learn's Ridge wants max_iter >= 1 too
    (mm.Ridge(alpha=np.inf), "alpha"),
    (mm.Ridge(tol=-1.0), "tol"),
])
def test_bad_hyperparameters(estimator, match):
    X, y = load("iris")
    with pytest.raises(ValueError, match=match):
        estimator.fit(X, y)


def test_bad_optimizer_parameter():
    with pytest.raises(TypeError, match="'optimizer' parameter"):
        mm.Ridge(optimizer="sgd").fit(*load("diabetes"))


def test_standard_sklearn_errors():
    X, y = load("iris")
    with pytest.raises(NotFittedError):
        mm.LogisticRegression().predict(X)
    with pytest.raises(ValueError, match="NaN"):
        mm.Ridge().fit(np.where(X > 2, np.nan, X), y)
    clf = mm.LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="class"):
        mm.LogisticRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="Unknown label type"):
        mm.LogisticRegression().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        mm.LinearRegression().fit(X, y[:-1])


def test_binary_log_loss_primitive_gradient_matches_autograd_chain():
    import autograd.numpy as anp
    from autograd import grad

    from minimom.linear_model.losses import weighted_binary_log_loss

    rng = np.random.default_rng(0)
    z, y, w = rng.standard_normal(50) * 5, (rng.random(50) < 0.5).astype(float), rng.random(50)

    def chain(z):
        return anp.sum(w * (anp.logaddexp(0.0, z) - y * z))

    assert weighted_binary_log_loss(z, y, w) == pytest.approx(chain(z), rel=1e-14)
    np.testing.assert_allclose(grad(lambda z: weighted_binary_log_loss(z, y, w))(z), grad(chain)(z), rtol=1e-12)


def test_diagonal_whitening_for_wide_data_still_matches(monkeypatch):
    # Force the per-feature (vector) preconditioner used for very wide data on a small problem.
    from minimom.linear_model import _least_squares as linear_model
    from minimom.linear_model import _logistic as logistic

    monkeypatch.setattr(linear_model, "FULL_MAX_FEATURES", 2)
    monkeypatch.setattr(logistic, "FULL_MAX_FEATURES", 2)
    X, y = load("breast_cancer")
    assert_same_fit(mm.LogisticRegression(max_iter=20_000).fit(X, y), tight_logistic().fit(X, y))
    X, y = load("diabetes")
    assert_same_fit(mm.Ridge(alpha=1.0, optimizer=mm.Momentum(), max_iter=20_000).fit(X, y),
                    sk.Ridge(alpha=1.0, solver="cholesky").fit(X, y))


@pytest.mark.parametrize("diagonal", [False, True])
def test_l2_penalty_primitive_gradient_matches_autograd_chain(diagonal):
    import autograd.numpy as anp
    from autograd import grad

    from minimom.linear_model.losses import l2_penalty, unwhiten

    rng = np.random.default_rng(1)
    M = rng.standard_normal((6, 6))
    P = rng.random(6) + 0.5 if diagonal else M @ M.T  # symmetric, as the estimators' P is
    V = rng.standard_normal((6, 3))

    def chain(V):
        return 0.5 * 0.7 * anp.sum(unwhiten(P, V) ** 2)

    assert l2_penalty(V, P, 0.7) == pytest.approx(chain(V), rel=1e-14)
    np.testing.assert_allclose(grad(lambda V: l2_penalty(V, P, 0.7))(V), grad(chain)(V), rtol=1e-12)


def test_multinomial_log_loss_primitive_gradient_matches_autograd_chain():
    import autograd.numpy as anp
    from autograd import grad
    from autograd.scipy.special import logsumexp

    from minimom.linear_model.losses import weighted_multinomial_log_loss

    rng = np.random.default_rng(2)
    logits, w = rng.standard_normal((40, 4)) * 10, rng.random(40)
    Y = np.eye(4)[rng.integers(0, 4, 40)]

    def chain(logits):
        return anp.sum(w * (logsumexp(logits, axis=1) - anp.sum(Y * logits, axis=1)))

    assert weighted_multinomial_log_loss(logits, Y, w) == pytest.approx(chain(logits), rel=1e-13)
    np.testing.assert_allclose(grad(lambda L: weighted_multinomial_log_loss(L, Y, w))(logits), grad(chain)(logits),
                               rtol=1e-12, atol=1e-15)


def test_hessian_vector_products_through_the_primitives_match_autograd_chains():
    # Momentum("auto") differentiates the hand-written gradients again: they must be autograd-traceable.
    import autograd.numpy as anp
    from autograd import make_hvp
    from autograd.scipy.special import logsumexp

    from minimom.linear_model import losses

    rng = np.random.default_rng(3)
    Z, w = rng.standard_normal((30, 4)), rng.random(30)
    y, Y = (rng.random(30) < 0.5).astype(float), np.eye(3)[rng.integers(0, 3, 30)]
    P = np.diag(rng.random(4) + 0.5)
    pairs = [
        (lambda v: losses.weighted_binary_log_loss(Z @ v, y, w),
         lambda v: anp.sum(w * (anp.logaddexp(0.0, Z @ v) - y * (Z @ v))), 4),
        (lambda v: losses.weighted_multinomial_log_loss(Z @ v.reshape(4, 3), Y, w),
         lambda v: anp.sum(w * (logsumexp(Z @ v.reshape(4, 3), axis=1) - anp.sum(Y * (Z @ v.reshape(4, 3)), axis=1))),
         12),
        (lambda v: losses.l2_penalty(v.reshape(4, 1), P, 0.3), lambda v: 0.15 * anp.sum((P @ v) ** 2), 4),
    ]
    for fast, chain, size in pairs:
        x, direction = rng.standard_normal(size), rng.standard_normal(size)
        np.testing.assert_allclose(make_hvp(fast)(x)[0](direction), make_hvp(chain)(x)[0](direction), rtol=1e-10)
