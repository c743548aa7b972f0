r"""The heavy ball with a proximal step: ``ProximalMomentum``, the seed's rule for ``fun(x) + h(x)`` on a box."""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np

from ._curvature import Curvature
from ._momentum import Momentum
from .schedules import _rate_at

__all__ = ["ProximalMomentum"]

_NOISY_RATE, _NOISY_MOMENTUM = 0.5, 0.5  # mini-batch "auto": lr = 0.5 / L, beta = 0.5


class ProximalState(NamedTuple):
    velocity: np.ndarray  # v_k = x_k - x_{k-1}, of the proximal sequence
    point: np.ndarray  # x_k (with nesterov=True, params is the look-ahead y_k and x_k is kept here)
    step_count: int
    since_restart: int


def _no_prox(z, step):
    return z


class ProximalMomentum(Momentum):
    r"""Momentum with a proximal step: the seed's heavy ball (or Nesterov) for ``fun(x) + h(x)``, ``lo <= x <= hi``.

    With ``prox(z, t) = argmin_x t h(x) + ||x - z||^2 / 2`` over the box, ``v_0 = 0``
    and ``lr = learning_rate(k)``::

        x_{k+1} = prox(x_k + beta v_k - lr g(x_k), lr);    v_{k+1} = x_{k+1} - x_k     # heavy ball
        x_{k+1} = prox(y_k - lr g(y_k), lr);                v_{k+1} = x_{k+1} - x_k     # nesterov=True
        y_{k+1} = P(x_{k+1} + beta v_{k+1})                 # the look-ahead, projected into the box

    Without a penalty or bounds (``prox`` the identity) these are exactly
    :class:`Momentum`'s rules, ``v = beta v - lr g; x += v`` and its look-ahead form.
    With Nesterov's look-ahead the gradient is taken at ``y_k``, which the projection
    ``P`` keeps in the box, so ``fun`` is never evaluated outside it.

    "auto" in full-batch mode (both values) is FISTA (Beck & Teboulle 2009): Nesterov's
    look-ahead with ``beta_k = k / (k + 3)`` (``k`` counting steps since the last restart,
    Chambolle & Dossal's sequence), ``lr = 1 / L`` from backtracking on the smooth
    part's quadratic upper bound ``f(x+) <= f(y) + g(y).(x+ - y) + L/2 ||x+ - y||^2``
    (``L`` may also shrink by 10% a step), and gradient restarts (O'Donoghue & Candes 2015).
    In mini-batch mode "auto" is set once from the largest curvature ``L`` at the start
    (Lanczos on a sample): ``lr = 0.5 / L`` and ``beta = 0.5``, a rate stable for a batch's
    curvature too and a momentum that averages noise without amplifying it much (the
    noise scales with ``lr / (1 - beta)``); no search trusts a noisy loss. One number
    given with the other "auto" tunes the other as :class:`TunedMomentum` does.

    Parameters
    ----------
    learning_rate : float, callable or "auto", default="auto"
        The step ``lr`` (and the prox's step); a schedule ``t -> float`` scales step ``t``.
    momentum : float in [0, 1), "auto" or "adaptive", default="auto"
        ``beta``; "adaptive" is ``k / (k + 3)`` with restarts.
    nesterov : bool, default=False
        Take the gradient at the look-ahead point ``y_k``.
    restart : bool or None, default=None
        Reset the momentum when it points uphill: ``g.v > 0`` for the heavy ball (as :class:`Momentum`),
        ``(y_k - x_{k+1}).(x_{k+1} - x_k) > 0`` for Nesterov's (the gradient mapping's test, O'Donoghue
        & Candes). ``None``: on for "adaptive" momentum, off otherwise.

    Notes
    -----
    The optimizer protocol's proximal extension: ``minimize`` calls
    ``proximal_update(grad, state, params, prox)`` instead of ``update`` when there is
    a penalty or a box, with ``prox(z, step)`` the penalty's prox then the box's
    projection (``prox(z, 0)`` is the projection alone); ``params + step`` is then the
    new point, clipped to the box.

    References
    ----------
    A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
    linear inverse problems", SIAM J. Imaging Sci. 2, 2009. A. Chambolle and
    C. Dossal, "On the convergence of the iterates of FISTA", JOTA 166, 2015.
    B. O'Donoghue and E. Candes, "Adaptive restart for accelerated gradient schemes", 2015.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import minimom as mm
    >>> res = mm.minimize(lambda x: anp.sum((x - np.array([3.0, -1.0])) ** 2), np.zeros(2),
    ...                   optimizer=mm.ProximalMomentum(0.1, 0.5), bounds=[(0, 2), (None, None)])
    >>> np.round(res.x, 6).tolist()
    [2.0, -1.0]
    """

    def calibrate(self, curvature: Curvature) -> ProximalMomentum:
        """``self`` with numbers (or both "auto" in full batch: FISTA, run by ``minimize``), else a tuned copy."""
        if "auto" not in (self.learning_rate, self.momentum):
            return self
        if self.learning_rate == self.momentum == "auto" and not curvature.stochastic:
            return self
        if not curvature.stochastic:
            return self._tune(curvature)
        # Noisy gradients: a rate that is stable for a batch's curvature as well as the sample's, and a
        # momentum that averages the noise over a few steps without amplifying it much (lr / (1 - beta)).
        largest, _ = curvature.extremes(steps=20)
        tuned = copy.copy(self)
        if self.learning_rate == "auto":
            tuned.learning_rate = _NOISY_RATE / largest if largest > 0 else _NOISY_RATE
        if self.momentum == "auto":
            tuned.momentum = _NOISY_MOMENTUM
        return tuned

    def init(self, params: np.ndarray) -> ProximalState:
        """A fresh state: ``v = 0`` at ``params`` (numbers only; "auto" is resolved by ``minimize``)."""
        if "auto" in (self.learning_rate, self.momentum):
            raise ValueError("ProximalMomentum has 'auto' hyperparameters: run it through minimom.minimize "
                             "(FISTA with backtracking in full batch), or pass numbers.")
        return ProximalState(np.zeros_like(params), params.copy(), 0, 0)

    def update(self, grad: np.ndarray, state: ProximalState, params: np.ndarray):
        """The rule without a penalty or box: the seed's heavy ball (or Nesterov)."""
        return self.proximal_update(grad, state, params, _no_prox)

    def proximal_update(self, grad: np.ndarray, state: ProximalState, params: np.ndarray, prox):
        """Return ``(step, new_state)`` with ``params + step`` the next point (see the class docstring)."""
        velocity, point, step_count, since_restart = state
        rate = _rate_at(self.learning_rate, step_count) if callable(self.learning_rate) else self.learning_rate
        restart = self.momentum == "adaptive" if self.restart is None else self.restart
        if self.nesterov:  # params is the look-ahead y_k, where grad was taken; point is x_k
            new_point = prox(params - rate * grad, rate)
            velocity = new_point - point
            # O'Donoghue & Candes's gradient restart, with the gradient mapping (y_k - x_k+1) / lr for the gradient.
            restarted = restart and since_restart and (params - new_point) @ velocity > 0
            if restarted:
                since_restart = 0
            beta = since_restart / (since_restart + 3) if self.momentum == "adaptive" else self.momentum
            new_params = prox(new_point + beta * velocity, 0.0) if beta and not restarted else new_point
        else:
            if restart and since_restart and grad @ velocity > 0:  # as Momentum's restart
                velocity, since_restart = np.zeros_like(velocity), 0
            beta = since_restart / (since_restart + 3) if self.momentum == "adaptive" else self.momentum
            new_params = new_point = prox(params + beta * velocity - rate * grad, rate)
            velocity = new_point - params
        return new_params - params, ProximalState(velocity, new_point, step_count + 1, since_restart + 1)
