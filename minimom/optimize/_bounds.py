"""``penalty=`` and ``bounds=`` read at the edge: flat weights and a flat box, shaped like ``x0``.

:class:`_Composite` is what the loop sees: the smooth loss's partner, ``h(x)``
(a penalty, or none) plus the indicator of the box ``lo <= x <= hi``, with its value,
its prox (the penalty's prox, then clipped to the box: exact for separable
penalties) and the proximal-gradient residual ``x - prox(x - g, 1)`` that ``tol``
is tested against.
"""

from __future__ import annotations

import copy
import numbers

import numpy as np

from ..optimizers._momentum import Momentum
from ..optimizers._proximal import ProximalMomentum
from ._arguments import _as_array_if_flat
from ._pytree import _flatten_x0

_BOUNDS_HELP = ("bounds must be a pytree of (lo, hi) pairs shaped like x0, scipy's list of (lo, hi) pairs (one per "
                "parameter), or a scipy.optimize.Bounds; None for no bound")


class _Composite:
    """The non-smooth part of ``fun(x) + h(x)`` subject to ``lo <= x <= hi``, on flat arrays."""

    def __init__(self, penalty, lo, hi):
        self.penalty, self.lo, self.hi = penalty, lo, hi
        weights = getattr(penalty, "_weights", None)
        # The built-ins are separable, sum l1|x| + l2 x^2/2: the default quasi-Newton method uses their weights.
        self.weights = None if penalty is None else weights() if weights is not None else None
        self.separable = penalty is None or self.weights is not None

    def project(self, x: np.ndarray) -> np.ndarray:
        """The closest point of the box (clipping is exact: the result is never outside it)."""
        if self.lo is None:
            return x
        return np.minimum(np.maximum(x, self.lo), self.hi)

    def prox(self, z: np.ndarray, step) -> np.ndarray:
        """The prox of ``step * h`` plus the box: the penalty's prox, then the box's projection."""
        if self.penalty is not None and np.any(step):
            z = np.asarray(self.penalty.prox(z, step), dtype=float)
        return self.project(z)

    def value(self, x: np.ndarray) -> float:
        return 0.0 if self.penalty is None else float(self.penalty.value(x))

    def residual(self, x: np.ndarray, grad: np.ndarray) -> float:
        """``max |x - prox(x - g, 1)|``: the projected gradient for a box (L-BFGS-B's), 0 at a minimum."""
        if x.size == 0:
            return 0.0
        if self.penalty is None and self.lo is not None:  # a box: the projected gradient, without the prox's layers
            return float(np.abs(x - np.minimum(np.maximum(x - grad, self.lo), self.hi)).max())
        return float(np.max(np.abs(x - self.prox(x - grad, 1.0))))


def _composite(penalty, bounds, x0, optimizer=None, batch_size=None):
    """``(composite, optimizer)``: the flat penalty and box for ``x0`` (None when neither is given: the plain
    loop runs), and the optimizer to run (``optimizer=None``: ``Momentum()``, or ``ProximalMomentum()`` for a
    penalty or bounds in mini-batch mode).

    ``ProximalMomentum()`` with "auto" in full batch runs FISTA, which lives in the composite
    loop, even with neither (its prox is then the identity).
    """
    if penalty is None and bounds is None:
        fista = (isinstance(optimizer, ProximalMomentum) and batch_size is None
                 and optimizer.learning_rate == optimizer.momentum == "auto")
        return (_Composite(None, None, None) if fista else None), (Momentum() if optimizer is None else optimizer)
    if optimizer is None:
        optimizer = ProximalMomentum() if batch_size is not None else Momentum()
    x0 = _as_array_if_flat(x0)  # as minimize reads it: a flat list of numbers is an array
    # Its size; _problem flattens (and checks) x0 itself, so a numeric array needs no flattening here.
    size = x0.size if isinstance(x0, np.ndarray) and x0.dtype.kind in "biuf" else _flatten_x0(x0)[0].size
    if penalty is not None:
        penalty = _flat_penalty(penalty, x0, size)
    lo, hi = (None, None) if bounds is None else _flat_bounds(bounds, x0, size)
    return _Composite(penalty, lo, hi), optimizer


def _flat_penalty(penalty, x0, size):
    if isinstance(penalty, type):
        raise ValueError(f"penalty must be an instance, got the class {penalty.__name__}; e.g. penalty=mm.L1(0.1).")
    missing = [name for name in ("value", "prox") if not callable(getattr(penalty, name, None))]
    if missing:
        raise ValueError(f"penalty {penalty!r} lacks {' and '.join(missing)}: a penalty is mm.L1(alpha), "
                         "mm.ElasticNet(alpha, l1_ratio), or any object with value(x) -> float and "
                         "prox(z, step) -> array on flat float64 arrays.")
    check = getattr(penalty, "_check_penalty", None)
    if check is not None:  # a penalty that validates lazily (mm.Lasso, mm.ElasticNet: estimators that are penalties)
        check()
    alpha = getattr(penalty, "alpha", None)
    if getattr(penalty, "_weights", None) is None or isinstance(alpha, float):
        return penalty
    flat = _flat_like(alpha, x0, size, "penalty alpha", _alpha_leaf)
    bound = copy.copy(penalty)
    bound.alpha = flat
    return bound


def _alpha_leaf(path, value, shape):
    try:
        array = None if isinstance(value, (bool, str, dict)) else np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None:
        raise ValueError(f"{path} must be a number >= 0 or an array, got {value!r}.")
    try:
        array = np.broadcast_to(array, shape)
    except ValueError:
        raise ValueError(f"{path} has shape {array.shape}, which does not fit its parameter's shape {shape}; "
                         "give a number or an array of that shape.") from None
    if not (np.all(np.isfinite(array)) and np.all(array >= 0)):
        raise ValueError(f"{path} must be finite and >= 0 (0 leaves a parameter unpenalized), got {value!r}.")
    return array.ravel()


def _flat_like(tree, x0, size, name, leaf):
    """``tree`` walked beside ``x0``: ``leaf(path, node, shape)`` at each of x0's leaves, flattened in x0's order."""
    if not isinstance(x0, (dict, list, tuple)):
        return leaf(name, tree, np.shape(x0))
    parts = []

    def walk(node, like, path):
        if isinstance(like, dict):
            if not isinstance(node, dict) or set(node) != set(like):
                keys = sorted(map(repr, like))
                raise ValueError(f"{path} must be a dict with x0's keys {', '.join(keys)}, got {node!r}.")
            for key in like:
                walk(node[key], like[key], f"{path}[{key!r}]")
        elif isinstance(like, (list, tuple)):
            if not isinstance(node, (list, tuple)) or len(node) != len(like):
                raise ValueError(f"{path} must be a list or tuple of {len(like)} items, shaped like x0, "
                                 f"got {node!r}.")
            for i, (child, child_like) in enumerate(zip(node, like)):
                walk(child, child_like, f"{path}[{i}]")
        else:
            parts.append(leaf(path, node, np.shape(like)))

    walk(tree, x0, name)
    return np.concatenate(parts) if parts else np.empty(0)


def _flat_bounds(bounds, x0, size):
    """``(lo, hi)``: flat float arrays (-inf/inf where unbounded), checked ``lo <= hi``."""
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):  # scipy.optimize.Bounds
        lo, hi = (_side(side, size, f"bounds.{name}") for side, name in ((bounds.lb, "lb"), (bounds.ub, "ub")))
    elif _scipy_pairs(bounds, size):
        lo = np.array([_end(pair[0], -np.inf, f"bounds[{i}][0]") for i, pair in enumerate(bounds)])
        hi = np.array([_end(pair[1], np.inf, f"bounds[{i}][1]") for i, pair in enumerate(bounds)])
    else:
        ends = _flat_like(bounds, x0, size, "bounds", _pair_leaf)
        lo, hi = ends[0::2].copy(), ends[1::2].copy()
    if lo.size != size:
        raise ValueError(f"{_BOUNDS_HELP}: got {lo.size} bounds for {size} parameters.")
    wrong = lo > hi
    if wrong.any():
        i = np.flatnonzero(wrong)[0]
        raise ValueError(f"bounds has lo > hi for parameter {i} (flat index): lo={float(lo[i])!r} > "
                         f"hi={float(hi[i])!r}; every lower bound must be at most its upper bound.")
    return lo, hi


def _scipy_pairs(bounds, size) -> bool:
    """scipy's list of ``(lo, hi)`` pairs: ``size`` pairs of numbers or None (this reading wins when both fit)."""
    if not isinstance(bounds, (list, tuple)) or len(bounds) != size:
        return False
    return all(isinstance(pair, (list, tuple)) and len(pair) == 2 and all(
        end is None or isinstance(end, numbers.Real) and not isinstance(end, bool) for end in pair) for pair in bounds)


def _end(value, default, path):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or np.isnan(value):
        raise ValueError(f"{path} must be a number or None, got {value!r}.")
    return float(value)


def _side(value, size, path):
    if value is None:
        raise ValueError(f"{path} must be numbers (use +-np.inf for no bound), got None.")
    array = np.asarray(value, dtype=float)
    if np.isnan(array).any():
        raise ValueError(f"{path} contains NaN; use -np.inf or np.inf for no bound.")
    if array.shape == (size,):
        return array.copy()
    try:
        return np.broadcast_to(array, (size,)).astype(float)
    except ValueError:
        raise ValueError(f"{_BOUNDS_HELP}: {path} has shape {array.shape} for {size} parameters.") from None


def _pair_leaf(path, node, shape):
    if not isinstance(node, (list, tuple)) or len(node) != 2:
        raise ValueError(f"{_BOUNDS_HELP}: {path} should be a (lo, hi) pair for a parameter of shape {shape}, "
                         f"got {node!r}.")
    ends = []
    for end, default, side in ((node[0], -np.inf, "lo"), (node[1], np.inf, "hi")):
        if end is None:
            ends.append(np.full(shape, default))
            continue
        try:
            array = np.asarray(end, dtype=float) if not isinstance(end, (bool, str)) else None
        except (TypeError, ValueError):
            array = None
        if array is None or np.any(np.isnan(array)):
            raise ValueError(f"{path}: {side} must be a number, an array or None, got {end!r}.")
        try:
            ends.append(np.broadcast_to(array, shape))
        except ValueError:
            raise ValueError(f"{path}: {side} has shape {array.shape}, which does not fit its parameter's "
                             f"shape {shape}.") from None
    return np.stack([ends[0].ravel(), ends[1].ravel()], axis=1).ravel()
