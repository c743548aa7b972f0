"""Data in row blocks: numpy arrays, memory-mapped files and dask arrays, summed block by block.

Every pass over chunked data goes through :func:`_block_sum`: a function of one
block of rows returns small arrays (a loss and its gradient, a mean, a d x d
moment) and the blocks' results are added up. On numpy arrays and memmaps the
blocks are read one at a time in this process (a memmap's pages are released
after each block, so memory stays flat); on dask arrays every block is one task
on the active scheduler (a ``distributed.Client`` when one is running) and only
the summed result comes back. dask is imported only when dask input arrives.
"""

from __future__ import annotations

import functools
import mmap
import sys
from collections.abc import Callable, Sequence

import numpy as np

_BLOCK_BYTES = 32 << 20  # rows of numpy arrays and memmaps read per block, about 32 MB at a time
_EXTRA = "pip install 'minimom[dask]'"


def _is_dask(a) -> bool:
    """A dask array, recognized by its type alone so that dask is never imported to ask."""
    kind = type(a)
    return kind.__name__ == "Array" and kind.__module__.split(".")[0] == "dask"


def _memmap_of(a) -> np.memmap | None:
    """The memmap whose memory ``a`` views (``np.asarray`` of a memmap is a plain view of it), or None."""
    while isinstance(a, np.ndarray):
        if isinstance(a, np.memmap) and getattr(a, "_mmap", None) is not None:
            return a
        a = a.base
    return None


def _is_memmap(a) -> bool:
    return _memmap_of(a) is not None


def _dask():
    """``dask`` and ``dask.array``, or a clear error naming the extra."""
    try:
        import dask
        import dask.array as da
    except ImportError as err:
        raise ImportError(f"dask arrays need dask, which is not installed: {_EXTRA} (dask[array] and "
                          "distributed).") from err
    return dask, da


def _is_sparse(a) -> bool:
    """A scipy.sparse matrix or array (if scipy.sparse was never imported, ``a`` is not one)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(a)


def _row_arrays(args: Sequence) -> tuple[list[bool], int | None]:
    """Which of ``args`` hold one row per sample: arrays whose first axis is as long as the first array's.

    Arrays are numpy arrays (memmaps included), dask arrays and scipy.sparse matrices (cut by rows).
    """
    is_array = [(isinstance(a, np.ndarray) or _is_dask(a) or _is_sparse(a)) and a.ndim >= 1 for a in args]
    if not any(is_array):
        return [False] * len(args), None
    n = args[is_array.index(True)].shape[0]
    return [s and a.shape[0] == n for a, s in zip(args, is_array)], n


def _dask_row_chunks(args: Sequence, rows: Sequence[bool], names: Sequence[str]):
    """The row chunks shared by the dask arrays among ``args``, with clear errors when they do not line up."""
    first = rows.index(True)
    chunks = None
    for a, row, name in zip(args, rows, names):
        if not row:
            continue
        if not _is_dask(a):
            raise TypeError(
                f"{name} is a {type(a).__name__} but {names[first]} is a dask array: give both as dask "
                f"arrays with the same row chunks, e.g. {name} = da.from_array({name}, "
                f"chunks={names[first]}.chunks[0]).")
        if any(c != c for c in a.chunks[0]):  # NaN: unknown chunk sizes
            raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first.")
        if chunks is None:
            chunks = a.chunks[0]
        elif a.chunks[0] != chunks:
            raise ValueError(
                f"{name} and {names[first]} are not chunked alike along their rows ({_show(a.chunks[0])} vs "
                f"{_show(chunks)}); rechunk it to match: {name} = {name}.rechunk({{0: {names[first]}.chunks[0]}}).")
    return chunks


def _show(chunks) -> str:
    text = ", ".join(str(c) for c in chunks[:4])
    return f"({text}{', ...' if len(chunks) > 4 else ''}; {len(chunks)} chunks)"


def _block_rows(args: Sequence, rows: Sequence[bool], block_rows: int | None) -> int:
    if block_rows is not None:
        return int(block_rows)
    row_bytes = sum(_row_bytes(a) for a, r in zip(args, rows) if r)
    return max(1, _BLOCK_BYTES // max(row_bytes, 1))


def _row_bytes(a) -> int:
    if _is_sparse(a):  # the stored entries and their column indices, on average per row
        return a.nnz * (a.dtype.itemsize + 8) // max(a.shape[0], 1) + 8
    return a.dtype.itemsize * int(np.prod(a.shape[1:]))


def _release(block) -> None:
    """Drop a memmap block's pages from this process: they stay in the OS page cache, not in our RSS."""
    owner = _memmap_of(block)
    handle = getattr(owner, "_mmap", None)
    if handle is None or getattr(owner, "mode", "r") == "c" or not hasattr(handle, "madvise"):
        return  # not a memmap, or a copy-on-write one whose changed pages would be lost
    try:
        base = np.frombuffer(handle, dtype=np.uint8).ctypes.data
        low, high = np.lib.array_utils.byte_bounds(block)
        start = (low - base) // mmap.PAGESIZE * mmap.PAGESIZE
        handle.madvise(mmap.MADV_DONTNEED, start, high - base - start)
    except (AttributeError, ValueError, OSError):
        pass  # releasing is an optimization; reading stays correct without it


def _local_blocks(args: Sequence, rows: Sequence[bool], n: int, block_rows: int | None):
    """Yield ``args`` with every row array cut to one block of rows (memmap blocks read into memory)."""
    step = _block_rows(args, rows, block_rows)
    for start in range(0, n, step):
        block = []
        for a, row in zip(args, rows):
            if row and _is_memmap(a):
                piece = a[start:start + step]
                block.append(np.array(piece))
                _release(piece)
            else:
                block.append(a[start:start + step] if row else a)
        yield tuple(block)


def _add(total, part):
    return tuple(t + p for t, p in zip(total, part))


def _merge_all(combine, parts):
    total = parts[0]
    for part in parts[1:]:
        total = tuple(combine(total, part))
    return total


def _block_sum(func: Callable, args: Sequence, *, names: Sequence[str] | None = None,
               block_rows: int | None = None) -> tuple:
    """``sum over row blocks b of func(*args_b)``, where ``func`` returns a tuple of arrays.

    Row arrays (see :func:`_row_arrays`) are cut into blocks; other arguments
    pass whole to every block. Dask row arrays must all be dask arrays with the
    same row chunks; each chunk is one task and only the sum comes back.
    """
    return _block_reduce(func, args, combine=_add, names=names, block_rows=block_rows)


def _block_reduce(func: Callable, args: Sequence, *, combine: Callable, names: Sequence[str] | None = None,
                  block_rows: int | None = None) -> tuple:
    """The blocks' results of ``func`` merged pairwise by ``combine`` (on the workers, for dask arrays)."""
    rows, n = _row_arrays(args)
    if n is None:
        return tuple(func(*args))
    if any(_is_dask(a) for a in args):
        names = names or [f"args[{i}]" for i in range(len(args))]
        dask, _ = _dask()
        _dask_row_chunks(args, rows, names)
        blocks = [_dask_blocks(a) if row else None for a, row in zip(args, rows)]
        nblocks = len(next(b for b in blocks if b is not None))
        task = dask.delayed(func, pure=True)
        parts = [task(*(b[i] if b is not None else a for a, b in zip(args, blocks))) for i in range(nblocks)]
        return dask.compute(_tree_reduce(dask, parts, combine))[0]
    # Sparse row arrays are cut by rows as CSR (COO cannot be sliced, CSC slowly): one sparse copy, never dense.
    args = [a.tocsr() if row and _is_sparse(a) and a.format != "csr" else a for a, row in zip(args, rows)]
    total = None
    for block in _local_blocks(args, rows, n, block_rows):
        part = tuple(func(*block))
        total = part if total is None else tuple(combine(total, part))
    return total


def _dask_blocks(a):
    """One delayed object per row chunk (the columns of a chunk joined into one block)."""
    if a.ndim > 1 and any(len(c) > 1 for c in a.chunks[1:]):
        a = a.rechunk({axis: -1 for axis in range(1, a.ndim)})
    return a.to_delayed().reshape(len(a.chunks[0]), -1)[:, 0].tolist()


def _tree_reduce(dask, parts, combine, fan_in: int = 8):
    """Merge delayed results in a tree, on the workers: every task receives at most ``fan_in`` small results."""
    merge = dask.delayed(functools.partial(_merge_all, combine), pure=True)
    while len(parts) > 1:
        parts = [merge(parts[i:i + fan_in]) for i in range(0, len(parts), fan_in)]
    return parts[0]
