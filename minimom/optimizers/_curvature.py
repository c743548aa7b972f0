"""Curvature of the objective, for optimizers that tune themselves.

An optimizer may define ``calibrate(curvature) -> optimizer``; :func:`minimom.minimize`
calls it once before the first step with a :class:`Curvature` at the starting point
and runs the optimizer it returns. Nothing is computed until the optimizer asks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from autograd import grad, make_vjp

__all__ = ["Curvature"]


class Curvature:
    """The Hessian of the objective at one point, seen through Hessian-vector products.

    Parameters
    ----------
    hvp : callable
        ``hvp(v) -> H @ v`` for flat float64 vectors ``v``.
    params : ndarray
        The (flat) point at which the Hessian is taken.
    safety : float, default=1.0
        A factor applied to :meth:`extremes`' largest eigenvalue. ``minimize``
        raises it when a self-tuned run diverges, so the optimizer re-tunes
        more cautiously from the last good iterate.
    stochastic : bool, default=False
        True in mini-batch mode: the optimizer will see noisy gradients, so it
        must not rely on line searches.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([1.0, 10.0])
    >>> largest, smallest = Curvature(lambda v: A @ v, np.zeros(2)).extremes()
    >>> round(largest, 12), round(smallest, 12)
    (10.0, 1.0)
    """

    def __init__(self, hvp: Callable[[np.ndarray], np.ndarray], params: np.ndarray, safety: float = 1.0,
                 stochastic: bool = False):
        self.hvp = hvp
        self.params = params
        self.safety = safety
        self.stochastic = stochastic
        self._extremes = None

    def extremes(self, steps: int = 100) -> tuple[float, float]:
        """Estimate the largest and smallest Hessian eigenvalues, ``(L, mu)``.

        ``steps`` Lanczos iterations on Hessian-vector products, from a fixed
        start so runs are reproducible; with full reorthogonalization while the
        basis takes at most 32 MB (``steps * size * 8`` bytes), plain Lanczos
        (memory ``O(size)``) beyond.
        ``L`` is the largest Ritz value plus its residual, so it bounds an
        eigenvalue from above and is exact once the Krylov space is complete;
        ``mu`` is the smallest Ritz value, an estimate from above. A ``mu <= 0``
        says the point is not (strictly) convex as far as Lanczos can tell.
        """
        if self._extremes is None:
            self._extremes = _lanczos_extremes(self.hvp, self.params.size, steps)
        largest, smallest = self._extremes
        return largest * self.safety, smallest

    def __repr__(self) -> str:
        return f"Curvature(size={self.params.size}, safety={self.safety}, stochastic={self.stochastic})"


def _hvp_at(fun, params, args) -> Callable[[np.ndarray], np.ndarray]:
    """``v -> H v``, the Hessian of ``fun(., *args)`` at ``params`` (autograd's ``make_hvp``).

    Adding zeros times the parameters keeps a constant loss or gradient (a linear or constant
    loss) on autograd's tape, so that autograd issues no "independent of input" warning; the
    product is then exactly zero, which is the truth.
    """
    def connected_fun(p, *fargs):
        return fun(p, *fargs) + 0.0 * p[0]

    gradient = grad(connected_fun)

    def connected_gradient(p, *fargs):
        return gradient(p, *fargs) + 0.0 * p

    return make_vjp(connected_gradient)(params, *args)[0]


_BASIS_BYTES = 32 * 2**20  # the Lanczos basis is kept (for reorthogonalization) only while it fits in this


def _lanczos_extremes(hvp, size: int, steps: int) -> tuple[float, float]:
    steps = min(steps, size)
    rng = np.random.default_rng(0)
    # Full reorthogonalization keeps spurious copies of the top eigenvalue out of the Ritz
    # values, at steps * size floats and steps**2 * size flops. At large d, plain Lanczos
    # (three vectors) does: its lost orthogonality only duplicates converged Ritz values,
    # and the extremes, all we need, stay right.
    keep_basis = steps * size * 8 <= _BASIS_BYTES
    basis = np.empty((steps, size)) if keep_basis else None
    q = rng.standard_normal(size)
    q /= np.linalg.norm(q)
    q_previous = np.zeros(size)
    alphas, betas = [], []
    residual = 0.0
    for k in range(steps):
        w = np.asarray(hvp(q), dtype=float)
        alpha = float(q @ w)
        alphas.append(alpha)
        if keep_basis:
            basis[k] = q
            for _ in range(2):  # twice is enough
                w -= basis[: k + 1].T @ (basis[: k + 1] @ w)
        else:
            w -= alpha * q + (betas[-1] if betas else 0.0) * q_previous
            w -= (q @ w) * q  # local reorthogonalization against round-off
        residual = float(np.linalg.norm(w))
        scale = max(abs(a) for a in alphas) or 1.0
        if residual <= 1e-10 * scale or k == steps - 1:
            break
        betas.append(residual)
        q_previous, q = q, w / residual
    tridiagonal = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
    ritz, vectors = np.linalg.eigh(tridiagonal)
    # |last component| * residual bounds the distance of the top Ritz value to the spectrum.
    bound = abs(vectors[-1, -1]) * residual
    return float(ritz[-1] + bound), float(ritz[0])
