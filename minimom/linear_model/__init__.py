"""scikit-learn-compatible linear models fitted by :func:`minimom.minimize`.

One private module per family (``_least_squares``, ``_logistic``, ``_sparse_models``), their
shared input checks (``_base``), objectives (``_objectives``), the
preconditioner (``_whitening``) and the fits over memmaps and dask arrays
(``_out_of_core``, ``_out_of_core_models``).
"""

from ._least_squares import LinearRegression, Ridge
from ._logistic import LogisticRegression
from ._sparse_models import ElasticNet, Lasso

__all__ = ["ElasticNet", "Lasso", "LinearRegression", "LogisticRegression", "Ridge"]
