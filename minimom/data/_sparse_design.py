"""``SparseDesign``: a scipy.sparse ``X`` behind the :class:`~minimom.data._design.Design` interface.

One block (the whole matrix), scipy's sparse products, never densified; the moments come from
:func:`minimom.data._arrays.sparse_moments`, which centres through d-vectors. Chosen by ``_design._kind``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _arrays
from ._arrays import ScoreWeights
from ._design import Design, _add

__all__ = ["SparseDesign"]


class SparseDesign(Design):
    """scipy.sparse CSR or CSC ``X`` (float64): one block, scipy's sparse products, never densified."""

    def _reduce(self, func, rows, combine=_add):
        return tuple(func(self.X, *rows))

    def moments(self, weights, targets=None, centre=True, scale=None, full=True, shift=None, stride=1):
        self.passes += 1
        if isinstance(weights, ScoreWeights):
            weights = weights.fn(self.X @ weights.coef + weights.offset, *weights.row_data).ravel()
        return _arrays.sparse_moments(self.X, weights, targets, centre, scale, full)

    def column_extremes(self):
        return _arrays.column_extremes_sparse(self.X)

    def matmul(self, coef, offset):
        return np.asarray(self.X @ coef, dtype=np.float64) + offset

    def _xxt(self):
        product = self.X @ self.X.T
        return product.toarray() if sp.issparse(product) else np.asarray(product)
