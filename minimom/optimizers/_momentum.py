"""The heavy ball: ``Momentum`` with its tuned form ``TunedMomentum`` and ``GradientDescent``."""

from __future__ import annotations

import copy
import math
from typing import NamedTuple

import numpy as np

from ._base import LearningRate, Optimizer, _check_flag, _check_fraction, _check_learning_rate
from ._conjugate import ConjugateMomentum
from ._curvature import Curvature
from .schedules import _rate_at

__all__ = ["Momentum", "TunedMomentum", "GradientDescent"]


class MomentumState(NamedTuple):
    velocity: np.ndarray
    step_count: int
    since_restart: int


class Momentum(Optimizer):
    r"""Gradient descent with momentum (Polyak's heavy ball, or Nesterov's look-ahead).

    The update, with ``v`` starting at zero::

        v    = momentum * v - learning_rate(t) * grad
        step = v                                        # heavy ball
        step = momentum * v - learning_rate(t) * grad   # nesterov=True

    and ``minimize`` sets ``params = params + step``.

    Parameters
    ----------
    learning_rate : float, callable or "auto", default="auto"
        Step size, or a schedule ``t -> float`` of the 0-based step count (it
        scales only that step's gradient). With both "auto" in full-batch mode
        (heavy ball or Nesterov), :class:`minimom.ConjugateMomentum` takes the
        steps, choosing the rate and the momentum at every step; otherwise
        "auto" picks it from the curvature at the starting point (see Notes).
    momentum : float in [0, 1), "auto" or "adaptive", default="auto"
        The fraction of the velocity kept from one step to the next.
        "adaptive" is Nesterov's ``k / (k + 3)``, ``k`` counting steps since
        the last restart: the choice when the smallest curvature is unknown.
    nesterov : bool, default=False
        Use Nesterov's look-ahead step.
    restart : bool or None, default=None
        Reset the velocity when it points uphill, ``grad . v > 0`` (adaptive
        gradient restart, O'Donoghue & Candes 2015). ``None`` means on for
        "adaptive" momentum and when "auto" resolves to Nesterov's, off
        otherwise: numbers given by the user are used exactly as the rule above
        says. The per-step method that full-batch "auto" resolves to has no
        velocity to restart, so there it has no effect.

    Notes
    -----
    Where "auto" is tuned once (mini-batch mode, one number given, or
    :class:`TunedMomentum`), ``calibrate`` estimates the largest and smallest Hessian
    eigenvalues ``L`` and ``mu`` (Lanczos on Hessian-vector products) and uses
    the textbook optimum for quadratics: heavy ball
    ``learning_rate = 4 / (sqrt(L) + sqrt(mu))**2``,
    ``momentum = ((sqrt(L) - sqrt(mu)) / (sqrt(L) + sqrt(mu)))**2``; Nesterov
    ``learning_rate = 1 / L``, ``momentum = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)``
    with ``kappa = L / mu``. When ``mu`` cannot be had (a non-convex or flat
    start), it resolves to "adaptive", with learning rate ``1 / L``.

    References
    ----------
    B. T. Polyak, "Some methods of speeding up the convergence of iteration
    methods", 1964. Y. Nesterov, "A method of solving a convex programming
    problem with convergence rate O(1/k^2)", 1983. B. O'Donoghue and
    E. Candes, "Adaptive restart for accelerated gradient schemes", 2015.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import minimom as mm
    >>> res = mm.minimize(lambda x: anp.sum(x ** 2), np.array([1.0, -2.0]),
    ...                   optimizer=mm.Momentum(learning_rate=0.1, momentum=0.5))
    >>> res.status
    'converged'
    """

    def __init__(self, learning_rate: LearningRate | str = "auto", momentum: float | str = "auto",
                 nesterov: bool = False, restart: bool | None = None):
        self.learning_rate = _check_learning_rate(learning_rate, allow_auto=True)
        self.momentum = _check_fraction("momentum", momentum, allow_auto=True, typical=0.9)
        self.nesterov = _check_flag("nesterov", nesterov)
        self.restart = _check_flag("restart", restart, allow_none=True)

    def calibrate(self, curvature: Curvature) -> Optimizer:
        """Resolve "auto": the per-step method in full batch, else the curvature-tuned rule (``self`` if no "auto").

        In full-batch mode, ``Momentum()`` (both "auto") becomes
        :class:`minimom.ConjugateMomentum`, which picks the learning rate and the
        momentum at every step; so does ``Momentum(nesterov=True)``: Nesterov's
        look-ahead is a fixed-rate stand-in for the conjugacy that the per-step
        method computes exactly. Otherwise (mini-batch mode, or one number given)
        the "auto" values are tuned once from the curvature at the start, as
        :class:`TunedMomentum` does (``TunedMomentum(nesterov=True)`` for the tuned look-ahead).
        """
        if "auto" not in (self.learning_rate, self.momentum):
            return self
        if self.learning_rate == self.momentum == "auto" and not curvature.stochastic:
            return ConjugateMomentum().calibrate(curvature)
        return self._tune(curvature)

    def _tune(self, curvature: Curvature) -> Momentum:
        """A copy with every "auto" hyperparameter resolved from the curvature at the start."""
        tuned = copy.copy(self)
        if self.restart is None:
            # The tuned heavy ball oscillates by design on quadratics: restarting it would
            # only throw its speed away. Nesterov's and the adaptive momentum need restarts.
            tuned.restart = self.momentum == "adaptive" or self.momentum == "auto" and self.nesterov
        if self.momentum == "adaptive":
            largest, smallest = curvature.extremes(steps=20)  # only L is needed
        else:
            largest, smallest = curvature.extremes()
        if not largest > 0:
            # Flat or concave where the run starts: scale by the strongest curvature
            # there is (or by 1 if there is none), with the same safety factor.
            largest = curvature.safety * (-smallest if smallest < 0 else 1.0)
        # mu is known when Lanczos sees clear positive curvature at both ends.
        mu = smallest if smallest > 1e-12 * largest else None
        if self.momentum == "auto":
            if mu is None:
                tuned.momentum, tuned.restart = "adaptive", self.restart is not False
            elif self.nesterov:
                root = math.sqrt(largest / mu)
                tuned.momentum = (root - 1) / (root + 1)
            elif self.learning_rate == "auto":
                tuned.momentum = ((math.sqrt(largest) - math.sqrt(mu)) / (math.sqrt(largest) + math.sqrt(mu))) ** 2
            else:  # heavy ball with a given rate: damp the slowest mode critically
                lr = self.learning_rate if not callable(self.learning_rate) else self.learning_rate(0)
                tuned.momentum = max(0.0, 1 - math.sqrt(min(lr * mu, 1.0))) ** 2
        if self.learning_rate == "auto":
            if self.nesterov or tuned.momentum == "adaptive":
                tuned.learning_rate = 1 / largest
            else:  # the heavy ball's optimum for its momentum: (1 + sqrt(beta))**2 / L
                tuned.learning_rate = (1 + math.sqrt(tuned.momentum)) ** 2 / largest
        return tuned

    def init(self, params: np.ndarray) -> MomentumState:
        """Zero velocity, step count 0. "auto" hyperparameters must have been resolved by ``calibrate`` first."""
        if "auto" in (self.learning_rate, self.momentum):
            raise ValueError(
                "Momentum has 'auto' hyperparameters: run it through minimom.minimize, which "
                "calibrates it, or call calibrate(curvature) first, or pass numbers."
            )
        return MomentumState(np.zeros_like(params), 0, 0)

    def update(self, grad: np.ndarray, state: MomentumState, params: np.ndarray):
        """Return ``(step, new_state)``: ``v = momentum*v - lr(t)*grad``, ``step = v``.

        With ``nesterov=True`` the step looks ahead: ``step = momentum*v - lr(t)*grad``.
        """
        velocity, step_count, since_restart = state
        rate = _rate_at(self.learning_rate, step_count) if callable(self.learning_rate) else self.learning_rate
        restart = self.momentum == "adaptive" if self.restart is None else self.restart
        if restart and since_restart and grad @ velocity > 0:
            velocity, since_restart = np.zeros_like(velocity), 0
        beta = since_restart / (since_restart + 3) if self.momentum == "adaptive" else self.momentum
        velocity = beta * velocity - rate * grad
        step = beta * velocity - rate * grad if self.nesterov else velocity
        return step, MomentumState(velocity, step_count + 1, since_restart + 1)


class TunedMomentum(Momentum):
    r"""The heavy ball (or Nesterov) with "auto" values tuned once from the curvature at the start.

    The same rule and parameters as :class:`Momentum`; "auto" always means the
    textbook optimum for the quadratic model at the starting point (see
    :class:`Momentum`'s Notes), in full batch as in mini-batch mode. This was
    ``Momentum()``'s default before the per-step method; it needs no line search,
    so it suits losses that are cheap to differentiate but whose value is noisy.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import minimom as mm
    >>> res = mm.minimize(lambda x: anp.sum(np.arange(1.0, 4.0) * x ** 2), np.ones(3),
    ...                   optimizer=mm.TunedMomentum())
    >>> res.status, round(res.optimizer.momentum, 3)
    ('converged', 0.072)
    """

    def calibrate(self, curvature: Curvature) -> Momentum:
        """Return a copy with every "auto" hyperparameter resolved from ``curvature`` (``self`` if none is)."""
        return self._tune(curvature) if "auto" in (self.learning_rate, self.momentum) else self


class GradientDescent(Momentum):
    """Plain gradient descent, ``step = -learning_rate(t) * grad``: :class:`Momentum` with ``momentum=0``.

    Parameters
    ----------
    learning_rate : float, callable or "auto", default="auto"
        Step size or schedule; "auto" uses ``1 / L``, ``L`` the largest
        Hessian eigenvalue at the start.
    """

    def __init__(self, learning_rate: LearningRate | str = "auto"):
        super().__init__(learning_rate=learning_rate, momentum=0.0, nesterov=False, restart=False)

    def calibrate(self, curvature: Curvature) -> GradientDescent:
        """Resolve ``learning_rate="auto"`` to ``1/L``, ``L`` the largest Hessian eigenvalue (``self`` otherwise)."""
        if self.learning_rate != "auto":
            return self
        largest, _ = curvature.extremes()
        tuned = copy.copy(self)
        tuned.learning_rate = 1 / largest if largest > 0 else 1.0
        return tuned

    def __repr__(self) -> str:
        return f"GradientDescent(learning_rate={self.learning_rate!r})"
