"""Pytrees flattened once, at the edge: ``x0`` to one float64 vector and back."""

from __future__ import annotations

import numpy as np


def _leaves(tree, path="x0"):
    """Yield ``(path, leaf)`` in a fixed order: dict values in key order, then list/tuple items."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, f"{path}[{key!r}]")
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, tree


def _rebuild(tree, parts):
    """``tree``'s structure with its leaves replaced, in order, by ``next(parts)``."""
    if isinstance(tree, dict):
        items = [(key, _rebuild(value, parts)) for key, value in tree.items()]
        return dict(items) if type(tree) is dict else _same_type(tree, items)
    if isinstance(tree, (list, tuple)):
        items = [_rebuild(value, parts) for value in tree]
        if hasattr(tree, "_fields"):  # a namedtuple takes its fields as arguments
            return type(tree)(*items)
        return items if type(tree) is list else _same_type(tree, items)
    return next(parts)


def _same_type(tree, items):
    """``items`` in the container type of ``tree`` (an OrderedDict, a list subclass, ...)."""
    try:
        return type(tree)(items)
    except TypeError:  # e.g. a defaultdict, whose first argument is its factory
        if isinstance(tree, dict):
            rebuilt = tree.copy()
            rebuilt.update(items)
            return rebuilt
        return list(items) if isinstance(tree, list) else tuple(items)


def _check_leaf(path, leaf):
    array = np.asarray(leaf)
    if array.dtype.kind == "c":
        raise TypeError(f"{path} is complex; minimom minimizes over real parameters only.")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{path} must be numeric (a float array or number), got {type(leaf).__name__} "
                        f"of dtype {array.dtype}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{path} contains NaN or inf; start from finite values.")
    return array


def _flatten_x0(x0):
    """Flatten ``x0`` once, at the edge, to one float64 vector (as ``autograd.misc.flatten`` does).

    Returns the vector, ``unflatten`` for the objective (autograd traces its
    slices), and ``restore`` for results (scalar leaves come back as floats).
    """
    leaves = [_check_leaf(path, leaf) for path, leaf in _leaves(x0)]
    flat = np.concatenate([leaf.ravel() for leaf in leaves]).astype(np.float64) if leaves else np.empty(0)
    if flat.size == 0:
        raise ValueError("x0 is empty; give at least one parameter to optimize.")
    if isinstance(x0, np.ndarray) and x0.ndim == 1:  # already flat: no reshape node in the traced loss
        return flat, (lambda v: v), (lambda v: v)
    if isinstance(x0, np.ndarray):  # the common case: nothing to rebuild
        shape = x0.shape
        return flat, (lambda v: v.reshape(shape)), (lambda v: v.reshape(shape))
    bounds = np.cumsum([0] + [leaf.size for leaf in leaves])
    shapes = [leaf.shape for leaf in leaves]
    scalars = [np.ndim(leaf) == 0 and not isinstance(leaf, np.ndarray) for _, leaf in _leaves(x0)]

    def unflatten(v):
        return _rebuild(x0, (v[lo:hi].reshape(shape) for lo, hi, shape in zip(bounds[:-1], bounds[1:], shapes)))

    def restore(v):
        parts = (float(v[lo]) if scalar else v[lo:hi].reshape(shape)
                 for lo, hi, shape, scalar in zip(bounds[:-1], bounds[1:], shapes, scalars))
        return _rebuild(x0, parts)

    return flat, unflatten, restore
