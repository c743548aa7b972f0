"""The step rules and their plug-in protocol.

An optimizer is any object with ``init(params) -> state`` and
``update(grad, state, params) -> (step, new_state)`` on flat float64 arrays
(see :class:`Optimizer`). The built-ins: the heavy ball :class:`Momentum`
(and its per-step form :class:`ConjugateMomentum`, its tuned form
:class:`TunedMomentum`, :class:`GradientDescent`), :class:`Adam`, and the
learning-rate :mod:`~minimom.optimizers.schedules`.
"""

from . import schedules
from ._adam import Adam
from ._base import LearningRate, Optimizer
from ._conjugate import ConjugateMomentum
from ._curvature import Curvature
from ._momentum import GradientDescent, Momentum, TunedMomentum

__all__ = ["Adam", "ConjugateMomentum", "Curvature", "GradientDescent", "LearningRate", "Momentum", "Optimizer",
           "TunedMomentum", "schedules"]
