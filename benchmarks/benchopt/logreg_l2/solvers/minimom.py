"""minimom in benchopt's benchmark_logreg_l2: ``sum log(1 + exp(-y X beta)) + lmbd/2 ||beta||^2``, no intercept.

Two ways in, both with minimom's default optimizer (ConjugateMomentum, the per-step heavy ball):
``api="LogisticRegression"`` is the estimator with ``C = 1/lmbd`` (scikit-learn's objective times ``C``);
``api="minimize"`` is ``minimom.minimize`` on the objective written with autograd.numpy.
Copied into the benchmark's solvers/ folder by benchmarks/benchopt/run.py.
"""

import warnings

import autograd.numpy as anp
import numpy as np
from benchopt import BaseSolver
from sklearn.exceptions import ConvergenceWarning

import minimom as mm


class Solver(BaseSolver):
    name = "minimom"
    requirements = []  # minimom itself, installed in the environment that runs benchopt
    parameters = {"api": ["LogisticRegression", "minimize"]}
    parameter_template = "{api}"
    sampling_strategy = "iteration"  # run(n) refits with at most n iterations, as benchopt's sklearn solver

    def skip(self, X, y, lmbd):
        if len(np.unique(y)) != 2:
            return True, "binary problems only"
        return False, None

    def set_objective(self, X, y, lmbd):
        self.X, self.y, self.lmbd = X, y, lmbd
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        self.beta = np.zeros(X.shape[1])

    def loss(self, beta):
        return anp.sum(anp.logaddexp(0.0, -self.y * (self.X @ beta))) + 0.5 * self.lmbd * anp.dot(beta, beta)

    def run(self, n_iter):
        if self.api == "minimize":
            self.beta = mm.minimize(self.loss, np.zeros(self.X.shape[1]), maxiter=n_iter, tol=0.0).x
            return
        model = mm.LogisticRegression(C=1 / self.lmbd, fit_intercept=False, max_iter=n_iter, tol=0.0)
        self.beta = model.fit(self.X, self.y).coef_.ravel()

    def get_result(self):
        return dict(beta=np.asarray(self.beta, dtype=float).ravel())
