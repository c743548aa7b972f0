"""``RowSum``: a loss that is a sum over the rows of its data, evaluated block by block.

Wrap a loss written for one block of rows and the wrapper evaluates it on data
of any size: numpy arrays, memory-mapped files and dask arrays (one task per
chunk on the active scheduler, only d-vectors coming back). To autograd the
wrapper is one primitive: its forward pass sums the blocks' values and
gradients in a single pass over the data, its gradient is the summed
gradients, and its Hessian-vector products are the summed blocks' products.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable

import autograd.numpy as anp
import numpy as np
from autograd import make_hvp, value_and_grad
from autograd.extend import Box, defvjp, primitive

from ._blocks import _block_sum, _is_dask, _is_sparse, _row_arrays

__all__ = ["RowSum"]


class RowSum:
    """A loss that is a sum over the rows of its data, evaluated block by block.

    ``RowSum(fun)(x, *args)`` is

    .. math:: \\frac{1}{m} \\sum_b \\mathrm{fun}(x, \\mathrm{args}_b) + \\mathrm{penalty}(x)

    where the row arrays of ``args`` (every numpy, dask or scipy.sparse array
    whose first axis is as long as the first array's, as in mini-batch mode;
    sparse ones cut as CSR, for ``fun`` written with :func:`minimom.dot`) are
    cut into blocks of rows ``args_b``, other arguments pass whole to every
    block (when the loss then fails on an array of another length, a
    ``ValueError`` names it and both lengths), and ``m`` is ``n``
    (the number of rows) with ``mean=True``, else 1. The value and gradient
    come from one pass over the data; autograd sees one primitive.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args_b) -> float``: the loss of one block of rows, a sum over
        those rows, written with ``autograd.numpy``.
    penalty : callable, default=None
        ``penalty(x) -> float``, added once (not per block), e.g. an L2 term.
    mean : bool, default=False
        Divide the sum by the number of rows (of the batch, in mini-batch mode).
    block_rows : int, default=None
        Rows per block for numpy arrays and memmaps; ``None`` reads about 32 MB
        at a time. Dask arrays are cut along their own row chunks.

    Attributes
    ----------
    passes : int
        Passes over the data so far (one per value, value-and-gradient, or
        Hessian-vector product on all the rows).

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import minimom as mm
    >>> X = np.arange(12.0).reshape(6, 2); y = X @ np.array([1.0, -2.0])
    >>> loss = mm.RowSum(lambda w, X, y: anp.sum((X @ w - y) ** 2), mean=True, block_rows=4)
    >>> res = mm.minimize(loss, np.zeros(2), args=(X, y))
    >>> np.round(res.x, 6).tolist()
    [1.0, -2.0]
    """

    def __init__(self, fun: Callable, *, penalty: Callable | None = None, mean: bool = False,
                 block_rows: int | None = None):
        if not callable(fun):
            raise TypeError(f"fun must be callable, fun(x, *args_block) -> float; got {fun!r}.")
        if penalty is not None and not callable(penalty):
            raise TypeError(f"penalty must be callable, penalty(x) -> float, or None; got {penalty!r}.")
        if block_rows is not None and (isinstance(block_rows, bool) or not isinstance(block_rows, numbers.Integral)
                                       or block_rows < 1):
            raise ValueError(f"block_rows must be an integer >= 1 or None, got {block_rows!r}.")
        self.fun, self.penalty, self.mean, self.block_rows = fun, penalty, bool(mean), block_rows
        self.passes = 0

    def __repr__(self) -> str:
        return f"RowSum({getattr(self.fun, '__name__', self.fun)!r}, mean={self.mean})"

    def __call__(self, x, *args):
        flat, unflatten = _flatten_traced(x)
        call = _Call(self, unflatten, args)
        value = _row_sum(flat, call) if isinstance(flat, Box) else call.value(flat)
        return value if self.penalty is None else value + self.penalty(x)


class _Call:
    """One evaluation's data and cache: the gradient from the value's pass serves the VJP."""

    def __init__(self, owner: RowSum, unflatten, args: tuple):
        self.owner, self.unflatten, self.args = owner, unflatten, args
        self.rows, self.n = _row_arrays(args)
        if self.n == 0:
            first = self.rows.index(True)
            raise ValueError(f"RowSum got no rows: args[{first}] has shape {args[first].shape}. The loss is a sum "
                             "over the rows of the data; pass at least one row.")
        self.scale = 1.0 / self.n if owner.mean and self.n else 1.0
        self.x = self.gradient = None

    def _sum(self, block_fn, flat, *extra):
        self.owner.passes += 1
        task = functools.partial(block_fn, self.owner.fun, self.unflatten, np.array(flat, dtype=np.float64), *extra)
        try:
            parts = _block_sum(task, self.args, block_rows=self.owner.block_rows)
        except (ValueError, IndexError) as err:
            self._explain(err)
            raise
        return [self.scale * part for part in parts]

    def _explain(self, err):
        """The loss failed with an array passed whole because its length differs from the rows': say so."""
        if self.n is None:
            return
        first = self.rows.index(True)
        for i, (a, row) in enumerate(zip(self.args, self.rows)):
            if not row and (isinstance(a, np.ndarray) or _is_dask(a) or _is_sparse(a)) and a.ndim >= 1:
                raise ValueError(
                    f"RowSum cuts the arrays of args whose first axis is as long as args[{first}]'s ({self.n} rows) "
                    f"into blocks of rows; args[{i}] has {a.shape[0]} rows, so it was passed whole to every block "
                    f"and the loss failed ({type(err).__name__}: {err}). Pass per-row arrays of equal length."
                ) from err

    def value(self, flat) -> float:
        return float(self._sum(_block_value, flat)[0])

    def value_and_grad(self, flat) -> float:
        value, self.gradient = self._sum(_block_value_and_grad, flat)
        self.x = np.array(flat, dtype=np.float64)
        return float(value)

    def grad(self, flat):
        if self.x is None or not np.array_equal(self.x, flat):
            self.value_and_grad(flat)
        return self.gradient

    def hvp(self, flat, vector):
        return self._sum(_block_hvp, flat, np.asarray(vector, dtype=np.float64))[0]


@primitive
def _row_sum(flat, call):
    return call.value_and_grad(flat)


@primitive
def _row_sum_grad(flat, call):
    return call.grad(flat)


defvjp(_row_sum, lambda ans, flat, call: lambda g: g * _row_sum_grad(flat, call))
defvjp(_row_sum_grad, lambda ans, flat, call: lambda vector: call.hvp(flat, vector))


# The block functions run where the block is (a dask worker, or here); each returns a tuple of arrays to sum.
def _on_flat(fun, unflatten):
    return lambda flat, *block: fun(unflatten(flat), *block)


def _block_value(fun, unflatten, flat, *block):
    return (np.asarray(fun(unflatten(flat), *block), dtype=np.float64),)


def _block_value_and_grad(fun, unflatten, flat, *block):
    value, grad = value_and_grad(_on_flat(fun, unflatten))(flat, *block)
    return np.asarray(value, dtype=np.float64), np.asarray(grad, dtype=np.float64)


def _block_hvp(fun, unflatten, flat, vector, *block):
    hvp, _ = make_hvp(_on_flat(fun, unflatten))(flat, *block)
    return (np.asarray(hvp(vector), dtype=np.float64),)


def _flatten_traced(x):
    """``x`` (an array or a dict/list/tuple pytree, possibly of autograd boxes) as one traced 1-D vector.

    Returns it and ``unflatten``, a plain function rebuilding the pytree from a vector.
    """
    leaves = list(_leaves(x))
    shapes = [anp.shape(leaf) for leaf in leaves]
    flat = anp.concatenate([anp.ravel(leaf) for leaf in leaves]) if len(leaves) > 1 else anp.ravel(leaves[0])
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    skeleton = _rebuild(x, iter([None] * len(leaves)))  # the structure alone: no boxes travel to the workers

    def unflatten(vector):
        parts = iter(vector[lo:hi].reshape(s) for lo, hi, s in zip(bounds[:-1], bounds[1:], shapes))
        return _rebuild(skeleton, parts)

    return flat, unflatten


def _plain(tree):
    """The value under any autograd boxes: ``value_and_grad`` of a dict boxes the whole dict."""
    while isinstance(tree, Box):
        tree = tree._value
    return tree


def _leaves(tree):
    plain = _plain(tree)
    if isinstance(plain, dict):
        for key in plain:
            yield from _leaves(tree[key])
    elif isinstance(plain, (list, tuple)):
        for i in range(len(plain)):
            yield from _leaves(tree[i])
    else:
        yield tree


def _rebuild(tree, parts):
    plain = _plain(tree)
    if isinstance(plain, dict):
        return {key: _rebuild(value, parts) for key, value in plain.items()}
    if isinstance(plain, (list, tuple)):
        return type(plain)(_rebuild(value, parts) for value in plain)
    return next(parts)


def _needs_row_sum(fun, args) -> None:
    """Dask arrays in ``args`` cannot go through a plain loss whole: say how to wrap it."""
    if isinstance(fun, RowSum):
        return
    for i, a in enumerate(args):
        if _is_dask(a):
            raise TypeError(
                f"args[{i}] is a dask array, which a plain loss would have to compute whole; wrap the loss so "
                "that it is evaluated chunk by chunk: minimize(mm.RowSum(fun), x0, args=...), with fun the "
                f"loss of one block of rows (a sum over its rows); or, if the data fit in memory, pass "
                f"np.asarray(args[{i}]).")
