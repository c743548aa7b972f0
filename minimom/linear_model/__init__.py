"""scikit-learn-compatible linear models fitted by :func:`minimom.minimize`.

One private module per family (``_least_squares``, ``_logistic``), what they
share (``_base``), objectives (``_objectives``) and the preconditioner
(``_whitening``). Each ``fit`` wraps ``X`` once in a design of the data wing
(:func:`minimom.data._design.fit_design`): arrays in memory, sparse matrices,
memmaps and dask arrays then take the same fit.
"""

from ._least_squares import LinearRegression, Ridge
from ._logistic import LogisticRegression

__all__ = ["LinearRegression", "LogisticRegression", "Ridge"]
