"""minimom: gradient-based optimization with momentum, gradients by autograd.

>>> import autograd.numpy as anp
>>> import minimom as mm
>>> res = mm.minimize(lambda t: t[0] ** 2 + t[1] ** 2, [1.0, -2.0])
>>> res.status
'converged'
"""

import sys as _sys

from .comparison import ComparisonReport, compare
from .data import RowSum, dot
from .linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from .optimize import OptimizeResult, TracingError, covariance, hessian, minimize, scipy_method, standard_errors
from .optimizers import (
    L1,
    Adam,
    ConjugateMomentum,
    Curvature,
    GradientDescent,
    Momentum,
    Optimizer,
    ProximalMomentum,
    TunedMomentum,
    schedules,
)

_sys.modules[__name__ + ".schedules"] = schedules  # ``import minimom.schedules`` as before the wings

__version__ = "0.2.0"

__all__ = [
    "Adam",
    "ComparisonReport",
    "ConjugateMomentum",
    "Curvature",
    "ElasticNet",
    "GradientDescent",
    "L1",
    "Lasso",
    "LinearRegression",
    "LogisticRegression",
    "Momentum",
    "OptimizeResult",
    "Optimizer",
    "ProximalMomentum",
    "Ridge",
    "RowSum",
    "TracingError",
    "TunedMomentum",
    "compare",
    "covariance",
    "dot",
    "hessian",
    "minimize",
    "schedules",
    "scipy_method",
    "standard_errors",
]
