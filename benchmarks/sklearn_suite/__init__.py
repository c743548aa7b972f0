"""Run scikit-learn's own linear_model tests with minimom's estimators substituted (see README.md)."""
