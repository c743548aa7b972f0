"""What a fitted linear classifier answers: scores, classes, probabilities, and ``coef_`` made sparse or dense.

``LinearClassifierOutputs`` holds the methods that read ``coef_``, ``intercept_`` and ``classes_`` only, so the
classifier's module is left with its fit. Binary models have one row of coefficients (``scores`` of shape (n,)),
multinomial ones a row per class: ``P(k | x) = softmax(x W^T + b)_k``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ._base import by_rows, linear_scores

__all__ = ["LinearClassifierOutputs"]


class LinearClassifierOutputs(ClassifierMixin):
    """Prediction methods of a linear classifier fitted with ``coef_``, ``intercept_`` and ``classes_``."""

    @by_rows
    def decision_function(self, X):
        """Class scores ``X @ coef_.T + intercept_``: shape (n,) for two classes, else (n, n_classes)."""
        scores = linear_scores(self, X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    @by_rows
    def predict(self, X):
        """The most probable class of each sample."""
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def score(self, X, y, sample_weight=None) -> float:
        """The mean accuracy of ``predict(X)`` against ``y`` (weighted by ``sample_weight``): scikit-learn's
        ``ClassifierMixin.score``."""
        return super().score(X, y, sample_weight=sample_weight)

    @by_rows
    def predict_log_proba(self, X):
        """Log-probabilities of the classes, shape (n, n_classes), computed stably."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return -np.logaddexp(0.0, np.column_stack([scores, -scores]))
        return log_softmax(scores, axis=1)

    @by_rows
    def predict_proba(self, X):
        """Probabilities of the classes, shape (n, n_classes)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return softmax(scores, axis=1)

    def sparsify(self):
        """Store ``coef_`` as a scipy.sparse CSR matrix (as scikit-learn's ``sparsify``). Returns ``self``."""
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before sparsifying.")
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense ndarray again (as scikit-learn's ``densify``). Returns ``self``."""
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before densifying.")
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

