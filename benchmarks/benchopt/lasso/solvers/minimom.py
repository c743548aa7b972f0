"""minimom in benchopt's benchmark_lasso: ``0.5 ||y - X beta - c||^2 + lmbd ||beta||_1``.

``minimom.Lasso`` with ``alpha = lmbd / n_samples`` (scikit-learn's objective, this one divided by n), ``tol=0``
and ``max_iter = n`` (benchopt's iteration strategy: each point is a fresh fit with at most ``n`` epochs, as
benchopt's scikit-learn solver does). Copied into the benchmark's solvers/ folder by benchmarks/benchopt/run.py.
"""

import warnings

import numpy as np
from benchopt import BaseSolver
from sklearn.exceptions import ConvergenceWarning

import minimom as mm


class Solver(BaseSolver):
    name = "minimom"
    requirements = []
    sampling_strategy = "iteration"

    def set_objective(self, X, y, lmbd, fit_intercept):
        self.X, self.y, self.lmbd, self.fit_intercept = X, y, lmbd, fit_intercept
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        self.beta = np.zeros(X.shape[1] + (1 if fit_intercept else 0))

    def run(self, n_iter):
        if n_iter == 0:
            self.beta = np.zeros(self.X.shape[1] + (1 if self.fit_intercept else 0))
            return
        model = mm.Lasso(alpha=self.lmbd / self.X.shape[0], fit_intercept=self.fit_intercept, max_iter=n_iter,
                         tol=0.0)
        model.fit(self.X, self.y)
        coef = np.asarray(model.coef_, dtype=float).ravel()
        self.beta = np.r_[coef, [model.intercept_] if self.fit_intercept else []]

    def get_result(self):
        return dict(beta=self.beta)
