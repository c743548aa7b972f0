r"""Non-smooth penalties by their proximal maps: :class:`L1` and :class:`ElasticNet`.

A penalty ``h`` is any object with two methods on flat float64 arrays:

``value(x) -> float``
    ``h(x)``;
``prox(z, step) -> ndarray``
    ``argmin_x h(x) + ||x - z||^2 / (2 step)``, the proximal map of ``step * h``
    (``step`` a number >= 0, or an array of one step per coordinate).

Both built-ins are separable, ``h(x) = sum_i l1_i |x_i| + l2_i x_i^2 / 2``, so their
prox is a soft-threshold followed by a shrink, coordinate by coordinate::

    prox(z, t)_i = sign(z_i) max(|z_i| - t l1_i, 0) / (1 + t l2_i)

and, with a box ``lo <= x <= hi``, the prox of ``h`` plus the box is that point
clipped to the box: exact for every separable convex 1-D penalty.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["L1", "ElasticNet", "SeparablePenalty"]


def check_l1_ratio(l1_ratio) -> float:
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, numbers.Real) or not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}; 1 is the lasso, 0 ridge, "
                         "0.5 an even mix.")
    return float(l1_ratio)


def _check_alpha(alpha):
    """A number >= 0, or a pytree of them (checked leaf by leaf when ``minimize`` flattens it like ``x0``)."""
    if isinstance(alpha, (list, tuple)) and alpha and all(isinstance(a, numbers.Real) for a in alpha):
        alpha = np.asarray(alpha, dtype=float)  # a flat list of numbers is an array, as minimize reads x0
    if isinstance(alpha, (dict, list, tuple, np.ndarray)):
        return alpha
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 <= alpha < np.inf:
        raise ValueError(f"alpha must be a finite number >= 0 (or a pytree of them shaped like x0, 0 for an "
                         f"unpenalized leaf), got {alpha!r}; e.g. alpha=0.1.")
    return float(alpha)


def soft_threshold(z: np.ndarray, threshold) -> np.ndarray:
    """``sign(z) max(|z| - threshold, 0)``: the prox of ``threshold * |.|``; exact zeros below the threshold."""
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


class SeparablePenalty:
    r"""The penalty protocol for ``h(x) = sum_i l1_i |x_i| + l2_i x_i^2 / 2``, given ``_weights() -> (l1, l2)``.

    ``value`` and ``prox`` follow from the weights; :class:`L1`, :class:`ElasticNet` and the
    estimators :class:`minimom.Lasso` and :class:`minimom.ElasticNet` (which are penalties too) share them.
    A subclass may define ``_check_penalty()``, called once by ``minimize`` before the run, to validate
    lazily (an estimator's ``__init__`` must not validate).
    """

    def _weights(self):
        raise NotImplementedError

    def value(self, x: np.ndarray) -> float:
        """``sum_i l1_i |x_i| + l2_i x_i^2 / 2`` on a flat array."""
        l1, l2 = self._weights()
        return float(np.sum(l1 * np.abs(x)) + 0.5 * np.sum(l2 * x * x))

    def prox(self, z: np.ndarray, step) -> np.ndarray:
        """``sign(z) max(|z| - step l1, 0) / (1 + step l2)``: the prox of ``step * h``."""
        l1, l2 = self._weights()
        return soft_threshold(z, step * l1) / (1.0 + step * l2)


class L1(SeparablePenalty):
    r"""The lasso penalty ``h(x) = sum_i alpha_i |x_i|``, handled by its prox (soft-thresholding).

    ``prox(z, t) = sign(z) max(|z| - t alpha, 0)``: coordinates whose ``|z_i|`` is at
    most ``t alpha_i`` become exact zeros.

    Parameters
    ----------
    alpha : float >= 0 or pytree
        The weight: a number, or a pytree shaped like ``x0`` (numbers or arrays per
        leaf; 0 leaves a leaf unpenalized, e.g. an intercept).

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import minimom as mm
    >>> res = mm.minimize(lambda x: anp.sum((x - np.array([3.0, 0.05])) ** 2), np.zeros(2), penalty=mm.L1(0.2))
    >>> res.x.tolist()  # soft-thresholded: 3 - 0.1, and an exact zero
    [2.9, 0.0]
    """

    def __init__(self, alpha=1.0):
        self.alpha = _check_alpha(alpha)

    def _weights(self):
        """``(l1, l2)``: the separable form's weights (numbers or flat arrays)."""
        return self.alpha, 0.0

    def value(self, x: np.ndarray) -> float:
        """``sum_i alpha_i |x_i|`` on a flat array."""
        return float(np.sum(self.alpha * np.abs(x)))

    def prox(self, z: np.ndarray, step) -> np.ndarray:
        """Soft-thresholding, ``sign(z) max(|z| - step alpha, 0)``: the prox of ``step * h``."""
        return soft_threshold(z, step * self.alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha!r})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and repr(self) == repr(other)

    __hash__ = None


class ElasticNet(L1):
    r"""The elastic net ``h(x) = alpha (l1_ratio |x|_1 + (1 - l1_ratio) / 2 ||x||^2)``, by its prox.

    ``prox(z, t) = sign(z) max(|z| - t alpha l1_ratio, 0) / (1 + t alpha (1 - l1_ratio))``.
    scikit-learn's ``ElasticNet`` penalty with the same ``alpha`` and ``l1_ratio``.

    Parameters
    ----------
    alpha : float >= 0 or pytree
        The overall weight (a pytree shaped like ``x0``, 0 for an unpenalized leaf).
    l1_ratio : float in [0, 1], default=0.5
        The share of the L1 term: 1 is :class:`L1`, 0 a ridge penalty ``alpha ||x||^2 / 2``.
    """

    def __init__(self, alpha=1.0, l1_ratio: float = 0.5):
        super().__init__(alpha)
        self.l1_ratio = check_l1_ratio(l1_ratio)

    def _weights(self):
        return self.alpha * self.l1_ratio, self.alpha * (1.0 - self.l1_ratio)

    def __repr__(self) -> str:
        return f"ElasticNet(alpha={self.alpha!r}, l1_ratio={self.l1_ratio!r})"
