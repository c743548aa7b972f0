"""scipy's own minimize tests with minimom's scipy_method swapped in for L-BFGS-B (see README.md)."""
