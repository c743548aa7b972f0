"""minimom: gradient-based optimization with momentum, gradients by autograd.

>>> import autograd.numpy as anp
>>> import minimom as mm
>>> res = mm.minimize(lambda t: t[0] ** 2 + t[1] ** 2, [1.0, -2.0])
>>> res.status
'converged'
"""

from . import schedules
from .curvature import Curvature
from .optimize import TracingError, minimize
from .optimizers import Adam, GradientDescent, Momentum, Optimizer
from .result import OptimizeResult

__version__ = "0.1.0"

__all__ = [
    "Adam",
    "Curvature",
    "GradientDescent",
    "Momentum",
    "OptimizeResult",
    "Optimizer",
    "TracingError",
    "minimize",
    "schedules",
]
