"""The kinds of ``X`` read as dense row blocks: an ndarray in memory, and a memory-mapped file.

Both cut ``X`` into row blocks of about ``_block_bytes`` and sum the block
kernels of :mod:`minimom.data._arrays` over them (:class:`~minimom.data._design.Design`'s
interface); a memmap's blocks are copies whose pages are released after use.
"""

from __future__ import annotations

import numpy as np

from . import _arrays
from ._blocks import _release
from ._design import Design, _add

__all__ = ["DenseDesign", "MemmapDesign"]

_SAMPLE_ROWS = 1024  # rows of the first block that decide whether the moments need a centre
_NORMAL_SPREAD = 1e-250  # a variance this small may have lost its digits to underflow: centre then


class DenseDesign(Design):
    """An ndarray in memory (float64 or float32), read in row-block views of about ``_block_bytes``."""

    _block_bytes = 2 << 20  # a block read twice in a pass (scores, then X^T R) is still in cache the second time

    def _read(self, rows: slice):
        return self.X[rows]

    _blocks = None  # the row slices, cut once (X keeps its shape for the design's life)

    def _reduce(self, func, rows, combine=_add):
        blocks = self._blocks
        if blocks is None:
            blocks = self._blocks = _arrays._row_blocks(self.X, self._block_bytes)
        if len(blocks) == 1 and self._lean:
            return tuple(func(self.X, *rows))  # the lean path: no slicing
        total = None
        for b in blocks:
            part = tuple(func(self._read(b), *(r[b] for r in rows)))
            total = part if total is None else tuple(combine(total, part))
        return total

    def _shift(self, weights):
        """The first block's weighted mean; zeros (no centring copy of each block) where a sample of the first
        block's rows has every column's mean within a standard deviation of zero: the second moment about zero
        then loses no more digits than about the mean (a constant column needs a mean of exactly zero)."""
        b = _arrays._row_blocks(self.X, self._block_bytes)[0]
        block = _arrays._as_float(self._read(b))
        w = weights[b]
        sample, ws = block[:_SAMPLE_ROWS], w[:_SAMPLE_ROWS]
        total = float(ws.sum())
        if total > 0:
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # (then not about zero)
                mean = ws @ sample / total
                spread = ws @ np.square(sample - mean) / total
                near = ((mean == 0) & (spread == 0)) | ((mean * mean <= spread) & (spread > _NORMAL_SPREAD))
            if np.all(near):
                return np.zeros(self.n_features)
        weight = float(w.sum())
        return w @ block / weight if weight > 0 else block.mean(axis=0)  # (any centre near the rows will do)

    def matmul(self, coef, offset):
        out = np.empty((self.n_rows, coef.shape[1]))
        for b in _arrays._row_blocks(self.X, self._block_bytes):
            np.add(_arrays._as_float(self._read(b)) @ coef, offset, out=out[b])
        return out

    def _xxt(self):
        product = np.zeros((self.n_rows, self.n_rows))
        blocks = _arrays._row_blocks(self.X, self._block_bytes)
        for r in blocks:
            for c in blocks:
                product[r, c] = _arrays._as_float(self._read(r)) @ _arrays._as_float(self._read(c)).T
        return product


class MemmapDesign(DenseDesign):
    """A memory-mapped file: every row block is copied into memory and its pages released after use."""

    _check_finite, _lean, costly_passes = True, False, True
    _block_bytes = 2 << 20  # blocks are copies here (a few at a time): small, so memory stays flat at any size of X

    def _read(self, rows: slice):
        piece = self.X[rows]
        block = np.array(piece)
        _release(piece)
        return block

    @classmethod
    def validate(cls, estimator, X, y, sample_weight, **kwargs):
        """Checked without reading ``X`` (NaN and inf are caught in the first pass)."""
        from sklearn.utils.validation import validate_data

        X, y = validate_data(estimator, X, y, dtype=None, ensure_all_finite=False, **kwargs)
        if X.dtype.kind not in "fiub":
            raise ValueError(f"X must hold numbers; got dtype {X.dtype}.")
        return cls(X), y, sample_weight
