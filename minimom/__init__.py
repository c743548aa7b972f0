"""minimom: gradient-based optimization with momentum, gradients by autograd.

>>> import autograd.numpy as anp
>>> import minimom as mm
>>> res = mm.minimize(lambda t: t[0] ** 2 + t[1] ** 2, [1.0, -2.0])
>>> res.status
'converged'
"""

from . import schedules
from .adam import Adam
from .comparison import ComparisonReport, compare
from .conjugate import ConjugateMomentum
from .curvature import Curvature
from .linear_model import LinearRegression, LogisticRegression, Ridge
from .optimize import TracingError, minimize
from .optimizers import GradientDescent, Momentum, Optimizer, TunedMomentum
from .products import dot
from .result import OptimizeResult
from .rowsum import RowSum

__version__ = "0.2.0"

__all__ = [
    "Adam",
    "ComparisonReport",
    "ConjugateMomentum",
    "Curvature",
    "GradientDescent",
    "LinearRegression",
    "LogisticRegression",
    "Momentum",
    "OptimizeResult",
    "Optimizer",
    "Ridge",
    "RowSum",
    "TracingError",
    "TunedMomentum",
    "compare",
    "dot",
    "minimize",
    "schedules",
]
