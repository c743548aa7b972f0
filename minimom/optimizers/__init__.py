"""The step rules and their plug-in protocol.

An optimizer is any object with ``init(params) -> state`` and
``update(grad, state, params) -> (step, new_state)`` on flat float64 arrays
(see :class:`Optimizer`). The built-ins: the heavy ball :class:`Momentum`
(and its per-step form :class:`ConjugateMomentum`, its tuned form
:class:`TunedMomentum`, :class:`GradientDescent`, its proximal form
:class:`ProximalMomentum`), :class:`Adam`, the penalties :class:`L1` and
:class:`ElasticNet` (value and prox), and the learning-rate :mod:`~minimom.optimizers.schedules`.
"""

from . import schedules
from ._adam import Adam
from ._base import LearningRate, Optimizer
from ._conjugate import ConjugateMomentum
from ._curvature import Curvature
from ._momentum import GradientDescent, Momentum, TunedMomentum
from ._penalties import L1, ElasticNet
from ._proximal import ProximalMomentum

__all__ = ["Adam", "ConjugateMomentum", "Curvature", "ElasticNet", "GradientDescent", "L1", "LearningRate", "Momentum",
           "Optimizer", "ProximalMomentum", "TunedMomentum", "schedules"]
