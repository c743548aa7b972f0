"""scikit-learn-compatible linear models fitted by :func:`minimom.minimize`.

One private module per family (``_least_squares``, ``_logistic``, ``_sparse_models`` with its solvers
``_enet_solver``, ``_quadratic_cd``, ``_positive``, ``_prox_newton``, ``_sparse_logistic``), what they
share (``_base``), objectives (``_objectives``) and the preconditioner
(``_whitening``). Each ``fit`` wraps ``X`` once in a design of the data wing
(:func:`minimom.data._design.fit_design`): arrays in memory, sparse matrices,
memmaps and dask arrays then take the same fit (the working-set solvers of the
sparse models read columns, so they take every kind but dask).
"""

from ._least_squares import LinearRegression, Ridge
from ._logistic import LogisticRegression
from ._sparse_models import ElasticNet, Lasso

__all__ = ["ElasticNet", "Lasso", "LinearRegression", "LogisticRegression", "Ridge"]
