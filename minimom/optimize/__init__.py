"""The loop: :func:`minimize`, its :class:`OptimizeResult`, and what the loop needs.

``x0 -> flatten -> value_and_grad -> optimizer step -> result``: pytrees are
flattened once at the edge (``_pytree``), the input is checked once at the
public boundary (``_checks``), steps that ask for it are scaled by a strong
Wolfe line search (``_linesearch``), and every way a run ends has one sentence
in one table (:data:`STATUS_MESSAGES`).
"""

from ._checks import TracingError
from ._inference import covariance, hessian, standard_errors
from ._minimize import minimize
from ._result import STATUS_MESSAGES, OptimizeResult
from ._scipy import scipy_method

__all__ = [
    "STATUS_MESSAGES",
    "OptimizeResult",
    "TracingError",
    "covariance",
    "hessian",
    "minimize",
    "scipy_method",
    "standard_errors",
]
