"""scikit-learn's own estimator checks, none skipped."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import minimom as mm


@parametrize_with_checks([mm.LinearRegression(), mm.Ridge(), mm.LogisticRegression(), mm.Lasso(), mm.ElasticNet(),
                          mm.LinearRegression(positive=True), mm.Ridge(positive=True),
                          mm.LogisticRegression(l1_ratio=0.5)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
