"""An objective that carries its exact derivatives is evaluated directly, without autograd's trace."""

import numpy as np

import minimom as mm


class _Quadratic:
    """``0.5 x^T A x - b^T x`` with its own derivatives; calling it through autograd would fail (``float()``)."""

    def __init__(self, A, b):
        self.A, self.b, self.calls = A, b, 0

    def __call__(self, x):
        return float(0.5 * x @ self.A @ x - self.b @ x)  # cuts autograd's trace: must never be traced

    def value_and_gradient(self, x):
        self.calls += 1
        Ax = self.A @ x
        return 0.5 * float(x @ Ax) - float(self.b @ x), Ax - self.b

    def hessian_vector(self, x, v):
        return self.A @ v


def _problem(seed=0, d=8):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((d, d))
    return M @ M.T + d * np.eye(d), rng.standard_normal(d)


def test_the_default_solves_it_as_numpy_does_calling_its_own_derivatives():
    A, b = _problem()
    objective = _Quadratic(A, b)
    res = mm.minimize(objective, np.zeros(len(b)), tol=1e-10)
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), rtol=0, atol=1e-9)
    assert objective.calls == res.nfev


def test_a_tuned_momentum_takes_its_curvature_from_the_own_hessian_vector_product():
    A, b = _problem(1)
    eigenvalues = np.linalg.eigvalsh(A)
    objective = _Quadratic(A, b)
    res = mm.minimize(objective, np.zeros(len(b)), optimizer=mm.TunedMomentum(), maxiter=5000, tol=1e-10)
    assert objective.calls == res.nfev  # the own Hessian-vector product evaluates nothing
    assert res.status == "converged"
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), rtol=0, atol=1e-8)
    # the heavy ball tuned from the exact extremes needs about sqrt(kappa) ln(1/eps) steps, not kappa's
    kappa = eigenvalues[-1] / eigenvalues[0]
    assert res.nit <= 3 * np.sqrt(kappa) * np.log(1e12)
