"""Every pass over data: in-memory and sparse arrays, row blocks of memmaps, dask chunks, mini-batches.

The public names are :class:`RowSum` (a loss summed over rows, evaluated block
by block) and :func:`dot` (a product autograd can differentiate, for dense and
scipy.sparse ``X``). Nothing here knows about optimizers or estimators.
"""

from ._products import dot
from ._rowsum import RowSum

__all__ = ["RowSum", "dot"]
