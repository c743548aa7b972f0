"""minimom in benchopt's benchmark_ridge: ``0.5 ||y - X beta - c||^2 + lmbd/2 ||beta||^2``.

``api="Ridge"`` is the estimator with ``alpha = lmbd`` (scikit-learn's objective, twice this one): its
default solves from the second moments in one step, so its curve is one point. ``api="minimize"`` is
``minimom.minimize`` (default optimizer, ConjugateMomentum) on the objective written with autograd.numpy,
the intercept (when fitted) as the last parameter. Copied into the benchmark by benchmarks/benchopt/run.py.
"""

import warnings

import autograd.numpy as anp
import numpy as np
from benchopt import BaseSolver
from sklearn.exceptions import ConvergenceWarning

import minimom as mm


class Solver(BaseSolver):
    name = "minimom"
    requirements = []
    parameters = {"api": ["Ridge", "minimize"]}
    parameter_template = "{api}"
    sampling_strategy = "iteration"

    def set_objective(self, X, y, lmbd, fit_intercept):
        self.X, self.y, self.lmbd, self.fit_intercept = X, y, lmbd, fit_intercept
        self.size = X.shape[1] + (1 if fit_intercept else 0)
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        self.beta = np.zeros(self.size)

    def loss(self, params):
        d = self.X.shape[1]
        beta = params[:d]
        residual = self.y - self.X @ beta - (params[d] if self.fit_intercept else 0.0)
        return 0.5 * anp.dot(residual, residual) + 0.5 * self.lmbd * anp.dot(beta, beta)

    def run(self, n_iter):
        if n_iter == 0:
            self.beta = np.zeros(self.size)
        elif self.api == "minimize":
            self.beta = mm.minimize(self.loss, np.zeros(self.size), maxiter=n_iter, tol=0.0).x
        else:
            model = mm.Ridge(alpha=self.lmbd, fit_intercept=self.fit_intercept, max_iter=n_iter, tol=0.0)
            model.fit(self.X, self.y)
            self.beta = np.r_[model.coef_.ravel(), [model.intercept_] if self.fit_intercept else []]

    def get_result(self):
        return dict(beta=np.asarray(self.beta, dtype=float))
