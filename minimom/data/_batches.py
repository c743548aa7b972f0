"""Mini-batches: the per-sample arrays of ``args`` cut into the same shuffled batches.

Per-sample data may be numpy arrays, pandas DataFrames and Series (cut with
``.iloc``) or scipy.sparse matrices (cut by rows of a CSR copy made once).
Memmaps and dask arrays are never loaded whole: their blocks come in a
shuffled order, their rows shuffled within each block.
"""

from __future__ import annotations

import math
import numbers
import sys

import numpy as np

from ._blocks import _block_rows, _dask, _dask_row_chunks, _is_dask, _is_memmap, _release

_SAMPLE_SEED = 0  # the curvature sample's rows: reproducible, whatever random_state shuffles the epochs


def _kind(a) -> str | None:
    """How to cut ``a`` into rows: "numpy", "pandas", "sparse", "other" (an array we cannot cut) or None."""
    if isinstance(a, np.ndarray):
        return "numpy" if a.ndim >= 1 else None
    sparse = sys.modules.get("scipy.sparse")  # if scipy.sparse was never imported, a is not sparse
    if sparse is not None and sparse.issparse(a):
        return "sparse"
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(a, (pandas.DataFrame, pandas.Series)):
        return "pandas"
    if _is_dask(a):
        return "dask" if a.ndim >= 1 else None
    shape = getattr(a, "shape", None)
    return "other" if isinstance(shape, tuple) and len(shape) >= 1 else None


class _Batches:
    """Cuts the per-sample arrays of ``args`` into the same shuffled mini-batches."""

    def __init__(self, args: tuple, batch_size, random_state):
        kinds = [_kind(a) for a in args]
        data = [i for i, kind in enumerate(kinds) if kind is not None]
        if not data:
            raise ValueError("batch_size needs data: pass the per-sample arrays in args, e.g. args=(X, y).")
        self.first_array = data[0]
        self.n = n = args[self.first_array].shape[0]
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be an integer in [1, {n}] (the number of samples, the length of "
                             f"args[{self.first_array}]), got {batch_size!r}.")
        self.batch_size = int(batch_size)
        self.sliced = [kind is not None and args[i].shape[0] == n for i, kind in enumerate(kinds)]
        for i, kind in enumerate(kinds):
            if kind == "other" and self.sliced[i]:
                raise TypeError(
                    f"In mini-batch mode args[{i}], a {type(args[i]).__name__} with {n} rows, would have to be cut "
                    "into batches, but minimom cuts only numpy, pandas, scipy.sparse and dask data; "
                    f"convert it first, e.g. np.asarray(args[{i}]).")
        self.args = tuple(a.tocsr() if kind == "sparse" and s else a for a, kind, s in zip(args, kinds, self.sliced))
        self.kinds = kinds
        self.blocks = self._blocks()
        # A legacy RandomState shuffles as well as a Generator; anything else seeds a new Generator.
        is_rng = isinstance(random_state, (np.random.Generator, np.random.RandomState))
        self.rng = random_state if is_rng else np.random.default_rng(random_state)

    def explain(self, err):
        """A loss that fails on the first batch with per-sample arrays of unequal length: say why."""
        for i, a in enumerate(self.args):
            if self.kinds[i] is not None and not self.sliced[i]:
                raise ValueError(
                    "In mini-batch mode the data arrays must share their first axis: "
                    f"args[{self.first_array}] has {self.n} rows but args[{i}] has {a.shape[0]}, so args[{i}] was "
                    f"passed whole and the loss failed ({err}). Pass arrays of equal length."
                ) from err

    def _take(self, index, args=None):
        return tuple(_rows(a, kind, index) if s else a
                     for a, kind, s in zip(args or self.args, self.kinds, self.sliced))

    def _blocks(self):
        """Row bounds of the blocks of chunked data (dask chunks, memmap blocks), or None for arrays in memory."""
        chunked = [a for a, s in zip(self.args, self.sliced) if s and (_is_dask(a) or _is_memmap(a))]
        if not chunked or any(s and kind not in ("numpy", "dask") for kind, s in zip(self.kinds, self.sliced)):
            return None
        if any(_is_dask(a) for a in chunked):
            sizes = _dask_row_chunks(self.args, self.sliced, [f"args[{i}]" for i in range(len(self.args))])
        else:
            step = max(_block_rows(self.args, self.sliced, None), self.batch_size)
            sizes = [min(step, self.n - start) for start in range(0, self.n, step)]
        ends = np.cumsum(sizes)
        return list(zip(ends - sizes, ends))

    def _load(self, index) -> tuple:
        """Rows ``index`` (a slice or sorted row numbers) of every sliced array, in memory (read from disk or
        gathered from dask)."""
        pieces = self._take(index)
        if any(_is_dask(a) for a in pieces):
            dask, _ = _dask()
            pieces = dask.compute(*pieces)
        loaded = tuple(np.array(p) if s and _is_memmap(p) else p for p, s in zip(pieces, self.sliced))
        for p, s in zip(pieces, self.sliced):
            if s and _is_memmap(p):
                _release(p)
        return loaded

    def sample(self) -> tuple:
        """A fixed sample of rows drawn at random, bigger than a batch, to estimate the curvature on.

        Random rows, not the first ones: sorted data (small-scale rows first) would otherwise tune the
        step to rows unlike the rest. Its own seed, so the epochs' shuffles do not depend on it.
        """
        size = min(self.n, max(self.batch_size, 2048))
        rows = np.sort(np.random.default_rng(_SAMPLE_SEED).choice(self.n, size, replace=False))
        return self._take(rows) if self.blocks is None else self._load(rows)

    def epoch(self):
        if self.blocks is not None:
            yield from self._blocked_epoch()
            return
        order = self.rng.permutation(self.n)
        for start in range(0, self.n, self.batch_size):
            yield self._take(order[start:start + self.batch_size])

    def run_epoch(self, value_and_grad, x, update, state, args):
        """Optimizer steps over one epoch of batches, then the loss and gradient on all the data (``args``).

        Returns ``(x, state, loss, grad, evaluations)``; a non-finite batch loss or gradient ends the
        epoch early with ``loss`` NaN, leaving the caller to report the divergence.
        """
        evaluations = 0
        for batch_args in self.epoch():
            loss, grad = value_and_grad(x, *batch_args)
            evaluations += 1
            if not (math.isfinite(loss) and np.isfinite(grad).all()):
                return x, state, math.nan, grad, evaluations
            step, state = update(grad, state, x)
            x = x + step
        loss, grad = value_and_grad(x, *args)
        return x, state, loss, grad, evaluations + 1

    def _blocked_epoch(self):
        """Chunked data is never loaded whole: blocks come in a shuffled order, rows shuffled within each.

        Rows left over at the end of a block start the next block's first batch.
        """
        carry = None
        for b in self.rng.permutation(len(self.blocks)):
            block = self._load(slice(*self.blocks[b]))
            block = self._take(self.rng.permutation(self.blocks[b][1] - self.blocks[b][0]), block)
            if carry is not None:
                block = tuple(np.concatenate([c, a]) if s else a for c, a, s in zip(carry, block, self.sliced))
            rows = len(block[self.first_array])
            full = rows - rows % self.batch_size
            for start in range(0, full, self.batch_size):
                yield self._take(slice(start, start + self.batch_size), block)
            carry = self._take(slice(full, rows), block) if full < rows else None
        if carry is not None:
            yield carry


def _rows(a, kind, index):
    return a.iloc[index] if kind == "pandas" else a[index]
