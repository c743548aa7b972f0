"""scipy's L-BFGS-B in benchopt's benchmark_ridge (the benchmark ships no scipy solver): the same objective
and its closed-form gradient, ``maxiter`` iterations, no other stop. Ours, beside minimom.py."""

import numpy as np
from benchopt import BaseSolver
from scipy.optimize import minimize


class Solver(BaseSolver):
    name = "scipy-lbfgsb"
    requirements = ["scipy"]
    sampling_strategy = "iteration"

    def set_objective(self, X, y, lmbd, fit_intercept):
        self.X, self.y, self.lmbd, self.fit_intercept = X, y, lmbd, fit_intercept
        self.size = X.shape[1] + (1 if fit_intercept else 0)
        self.beta = np.zeros(self.size)

    def value_and_grad(self, params):
        d = self.X.shape[1]
        beta = params[:d]
        residual = self.y - self.X @ beta - (params[d] if self.fit_intercept else 0.0)
        value = 0.5 * residual @ residual + 0.5 * self.lmbd * beta @ beta
        grad = -self.X.T @ residual + self.lmbd * beta
        if self.fit_intercept:
            grad = np.r_[grad, -residual.sum()]
        return value, grad

    def run(self, n_iter):
        if n_iter == 0:
            self.beta = np.zeros(self.size)
            return
        options = {"maxiter": n_iter, "gtol": 0.0, "ftol": 0.0}
        self.beta = minimize(self.value_and_grad, np.zeros(self.size), jac=True, method="L-BFGS-B",
                             options=options).x

    def get_result(self):
        return dict(beta=self.beta)
