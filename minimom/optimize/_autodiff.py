"""The loop's value-and-gradient: autograd's reverse mode with nothing around it."""

from __future__ import annotations

import numpy as np
from autograd.core import make_vjp

# The backward pass starts from a numpy float, as autograd's own value_and_grad does (vspace(ans).ones()):
# a plain Python 1.0 has no .shape, which some VJPs read (anp.where's with a scalar branch).
_ONE = np.float64(1.0)


def lean_value_and_grad(fun):
    """``fun(x, *args) -> (value, gradient)`` by autograd, like ``autograd.value_and_grad`` without its wrappers.

    autograd's ``value_and_grad`` builds argument-selecting closures and checks the
    output's size with ``np.prod`` on every call: a few microseconds that are a large
    share of a step on small data. The loop checked the output once, at the first
    evaluation, so here the trace and the backward pass are all that run.
    """

    def value_and_grad(x, *args):
        vjp, value = make_vjp(lambda point: fun(point, *args), x)
        return value, vjp(_ONE)

    return value_and_grad
