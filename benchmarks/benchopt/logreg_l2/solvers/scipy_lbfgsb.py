"""scipy's L-BFGS-B in benchopt's benchmark_logreg_l2 (the benchmark ships no scipy solver): the same
objective and its closed-form gradient, ``maxiter`` iterations, no other stop. Ours, beside minimom.py."""

import numpy as np
from benchopt import BaseSolver
from scipy.optimize import minimize
from scipy.special import expit


class Solver(BaseSolver):
    name = "scipy-lbfgsb"
    requirements = ["scipy"]
    sampling_strategy = "iteration"

    def set_objective(self, X, y, lmbd):
        self.X, self.y, self.lmbd = X, y, lmbd
        self.beta = np.zeros(X.shape[1])

    def value_and_grad(self, beta):
        margin = self.y * (self.X @ beta)
        value = np.sum(np.logaddexp(0.0, -margin)) + 0.5 * self.lmbd * beta @ beta
        grad = -self.X.T @ (self.y * expit(-margin)) + self.lmbd * beta
        return value, grad

    def run(self, n_iter):
        if n_iter == 0:
            self.beta = np.zeros(self.X.shape[1])
            return
        options = {"maxiter": n_iter, "gtol": 0.0, "ftol": 0.0}
        self.beta = minimize(self.value_and_grad, np.zeros(self.X.shape[1]), jac=True, method="L-BFGS-B",
                             options=options).x

    def get_result(self):
        return dict(beta=self.beta)
