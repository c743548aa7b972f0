"""How each outcome of scikit-learn's tests, run with minimom's estimators, is classified.

A test that did not pass is one of:

- ``out of scope``: an adapter skipped it, since it asks for something minimom
  does not claim (none since issue 19: the l1 / elasticnet penalties and
  ``positive=True`` are fitted; MultiTask*, *CV, lasso_path / enet_path / lars
  stay scikit-learn's own classes, so their tests fit no minimom estimator).
- ``scikit-learn internals``: it fails on something minimom does not promise:
  scikit-learn's private functions and attributes, which solver ran
  (``solver_``), a solver's own iteration counts or warning texts, validation of
  solver / penalty / dual combinations (solver arguments are ignored), warnings
  about deprecated scikit-learn parameters minimom never had, in-place tricks
  of ``copy_X=False``, ``precompute`` and ``check_input=False`` (options of
  scikit-learn's coordinate descent), scikit-learn's experimental callback API, or a
  comparison with a scikit-learn solver that is itself further from the optimum
  than the test's tolerance (each such rule says how far, checked against a
  tight reference). A failure in a test where no minimom fit ran is counted
  here too: it is about scikit-learn alone.
- ``real gap``: anything else, i.e. minimom's numbers or API. Unknown failures
  land here by default, so that a new gap shows rather than hides.

``RULES`` is searched in order; the first row whose test pattern matches the
test's name (``function[params]``) and whose message pattern matches the
failure's message decides. The real-gap rows only give known gaps a
shared reason; an unmatched failure is a real gap with its message as reason.
Skips and xfails that scikit-learn itself decided (missing array-API
libraries, solver-specific skips) are counted apart, as are passes.
"""

from __future__ import annotations

import re
from collections import Counter

REAL_GAP = "real gap"
OUT_OF_SCOPE = "out of scope"
INTERNALS = "scikit-learn internals"
PASSED = "passed"
SKLEARN_SKIP = "skipped or xfailed by scikit-learn"
CLASSES = (PASSED, REAL_GAP, OUT_OF_SCOPE, INTERNALS, SKLEARN_SKIP)

# (class, reason, test-name regex, message regex); first match wins.
RULES: list[tuple[str, str, str, str]] = [
    # --- scikit-learn internals ---
    (INTERNALS, "solver_ records which scikit-learn solver ran", r".", r"no attribute 'solver_'"),
    (INTERNALS, "private attribute or method of scikit-learn's class", r".", r"no attribute '_"),
    (INTERNALS, "n_iter_ of scikit-learn's sag/saga/lsqr solvers (None for its others)", r"^test_n_iter$", r"."),
    (INTERNALS, "the ConvergenceWarning is raised; its text is each scikit-learn solver's own (the n_iter_ check "
                "after it does not run)", r"^test_max_iter\[", r"Regex pattern did not match"),
    (INTERNALS, "iteration counts and warning text of newton-cholesky's fallback to lbfgs",
     r"^test_newton_cholesky_fallback_to_lbfgs", r"^(?!sklearn\.exceptions\.ConvergenceWarning)"),
    (INTERNALS, "copy_X=False lets scikit-learn centre X in place (a memory optimisation, not a result)",
     r"^test_inplace_data_preprocessing", r"> 0\.42"),
    (INTERNALS, "copy_X=False with check_input=False lets scikit-learn's coordinate descent overwrite X (a memory "
                "optimisation, not a result); minimom never writes to X",
     r"^test_enet_copy_X_False_check_input_False$", r"assert np\.False_"),
    (INTERNALS, "check_input=False skips scikit-learn's validation, and its Cython solver then refuses C-ordered X "
                "(the two fits before it, Fortran float64 and float32, pass); minimom reads either order",
     r"^test_check_input_false$", r"DID NOT RAISE ValueError"),
    (INTERNALS, "precompute (a Gram matrix handed to scikit-learn's coordinate descent) is a solver option: the "
                "adapter ignores it, minimom forms its own working-set Gram matrices, so scikit-learn's checks of a "
                "user's Gram do not apply",
     r"^test_(elasticnet_precompute_incorrect_gram|overridden_gram_matrix)$", r"DID NOT (RAISE|WARN)"),
    (INTERNALS, "scikit-learn's advice that its coordinate descent converges badly at alpha=0; minimom's "
                "working-set solver ends with an exact least-squares polish (Lasso(alpha=0) equals LinearRegression "
                "to 3e-16 on 50 x 10 random data, in 1 epoch, where scikit-learn takes 34; "
                "tests/linear_model/test_sparse_models.py)",
     r"^test_lasso_alpha_warning$", r"DID NOT WARN"),
    (INTERNALS, "one epoch of scikit-learn's coordinate descent cannot converge from a bad start; minimom's "
                "working-set homotopy solves this 2 x 4 problem exactly in its one round (duality gap -1.3e-26, the "
                "objective equal to scikit-learn's at tol=1e-14), so no ConvergenceWarning is the right answer",
     r"^test_enet_coordinate_descent_raises_convergence\[", r"DID NOT WARN"),
    (INTERNALS, "fewer coordinate-descent epochs from a warm start: minimom's homotopy solves both the alpha=1e-5 and "
                "the alpha=1e-4 ElasticNet on diabetes in one working-set round (n_iter_ 1 and 1, duality gaps "
                "6.6e-12 and 5.7e-12), so a warm start has no epoch to save",
     r"^test_warm_start_convergence_with_regularizer_decrement$", r"assert 1 > 1"),
    (INTERNALS, "5 + 5 warm-started epochs == 10 epochs holds for stateless cyclic coordinate descent only; "
                "minimom's epochs run on working sets with Anderson extrapolation. Both of minimom's fits are "
                "closer to the optimum (2.5e-2, 2.6e-2) than scikit-learn's (0.21)",
     r"^test_warm_start$", r"not almost equal"),
    (INTERNALS, "dual_gap_ compared at rtol=1e-7 when both numbers are rounding noise: minimom's gap 4.1e-15 "
                "and the test's formula 4.7e-15 on an objective of 0.2 (scikit-learn stops at a gap of 5.9e-4); "
                "away from the optimum minimom's dual_gap_ is the test's formula to 3e-15 relative "
                "(tests/linear_model/test_sparse_models.py)",
     r"^test_lasso_dual_gap$", r"Not equal to tolerance"),
    (INTERNALS, "two identical constant columns and no intercept: the L1 optimum is not unique (any same-sign "
                "split of one coefficient between them). minimom's dense and sparse fits return different splits "
                "at seeds 0, 3, 4 (not 42) with the same objective to 4e-16 relative and the other 23 coefficients "
                "equal to 2e-15; liblinear and saga break the tie alike on both formats",
     r"^test_logreg_l1\[\d+-csr_(array|matrix)\]$", r"Not equal to tolerance"),
    (INTERNALS, "scikit-learn's LinearRegression(positive=True) refuses sparse X (scipy's nnls is dense); minimom "
                "fits it (tests/linear_model/test_positive.py, against nnls)",
     r"^test_raises_value_error_if_positive_and_sparse$", r"DID NOT RAISE TypeError"),
    (INTERNALS, "only scikit-learn's lbfgs solver takes Ridge(positive=True), so it refuses the others; solver "
                "arguments are ignored", r"^test_ridge_positive_error_test\[", r"DID NOT RAISE ValueError"),
    (INTERNALS, "lbfgs's own failure at max_iter=1 on 2 x 2 data with y = +-1e10; minimom's positive least "
                "squares solve is exact in its 1 epoch (coef_ = nnls's, 9.95024876e9), so no ConvergenceWarning",
     r"^test_lbfgs_solver_error$", r"DID NOT WARN|lbfgs solver did not converge"),
    (INTERNALS, "liblinear's own behaviour (random_state in dual, large values, refusing multiclass)",
     r"^test_liblinear_", r"."),
    (INTERNALS, "validation of solver / penalty / dual combinations; solver arguments are ignored",
     r"^test_check_solver_option", r"DID NOT RAISE"),
    (INTERNALS, "warnings about deprecated scikit-learn parameters (penalty, l1_ratio=None, n_jobs) minimom never "
                "had; penalty=None is passed as C=inf",
     r"^test_(penalty_none|penalty_deprecated|l1_ratio_None_deprecated|logisticregression_warns_with_n_jobs)",
     r"DID NOT WARN"),
    (INTERNALS, "scikit-learn 1.9's experimental callback API (sklearn.callback)", r"callback",
     r"set_callbacks|DID NOT WARN"),
    (INTERNALS, "the reference, liblinear at tol=1e-4, is 1.6e-5 from the optimum; minimom is 1.3e-8 from it "
                "(both against lbfgs at tol=1e-14)", r"^test_logistic_cv\[", r"not almost equal to 6 decimals"),
    (INTERNALS, "2 iterations == 1 + 1 warm-started ones holds for stateless Newton solvers only (lbfgs, like "
                "momentum, carries state between iterations)", r"^test_warm_start_newton_solver", r"Not equal"),
    (INTERNALS, "liblinear computes in float64; scikit-learn's other solvers keep float32, as minimom does",
     r"^test_dtype_match\[.*liblinear", r"float32.*float64"),
    (INTERNALS, "liblinear / sag / saga refuse sparse X with 64-bit indices; minimom, like lbfgs, accepts it",
     r"^test_large_sparse_matrix\[.*(liblinear|sag|saga)\]", r"DID NOT RAISE"),
    (INTERNALS, "solvers (svd, cholesky, saga) that cannot fit an intercept on sparse X; minimom can",
     r"^test_ridge_fit_intercept_sparse_error", r"DID NOT RAISE"),
    (INTERNALS, "sag's own warning about the intercept on sparse X (the numbers before it are checked)",
     r"^test_ridge_fit_intercept_sparse_sag", r"DID NOT WARN"),
    (INTERNALS, "the reference, liblinear's path with intercept_scaling=1e4, penalizes the intercept: 1.8e-3 from "
                "the optimum at seed 1, where minimom is 8e-9 from it (against lbfgs at tol=1e-14)",
     r"^test_consistency_path\[", r"with solver = liblinear"),
    # --- real gaps with a shared reason ---
    (REAL_GAP, "scipy.sparse X refused", r".", r"Sparse data was passed|[Ss]parse.*not supported"),
    (REAL_GAP, "float32 X gives float64 results", r".", r"float64.*float32|float32.*float64"),
    (REAL_GAP, "no warm_start", r".", r"warm_start"),
    (REAL_GAP, "max_iter=0 refused", r".", r"'max_iter' parameter .*Got 0 "),
    (REAL_GAP, "one alpha per target refused", r".", r"'alpha' parameter .*Got array"),
    (REAL_GAP, "no sparsify/densify", r".", r"no attribute '(sparsify|densify)'"),
    (REAL_GAP, "no convergence on 10 x 20 separable data with C=1e30, where lbfgs at tol=1e-12 reaches the "
               "objective 5.9e18 in 41 iterations (at its default tol=1e-4 it stops silently at 1e27)",
     r"^test_newton_cholesky_fallback_to_lbfgs", r"^sklearn\.exceptions\.ConvergenceWarning"),
    (REAL_GAP, "tol=1e-8 given: coefficients ~1e-5 from the optimum, where newton-cholesky at the same tol is 1e-7 "
               "from it (on main, minimom's default tol reached 7e-10)", r"^test_LogisticRegressionCV_on_folds", r"."),
]


def _first_line(message: str) -> str:
    """The message's first line, with the second when the first says little (``AssertionError:``)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    head = " ".join(lines[:2]) if len(lines) > 1 and len(lines[0]) < 25 else (lines[0] if lines else "")
    return head[:200]


def classify(nodeid: str, outcome: str, message: str, exercised: bool) -> tuple[str, str]:
    """Return ``(class, reason)`` for one test's outcome.

    ``outcome`` is pytest's (passed, failed, skipped, xfailed, xpassed);
    ``exercised`` says whether a minimom fit ran during the test.
    """
    if outcome in ("passed", "xpassed"):
        return PASSED, ""
    message = re.sub(r"^Skipped: ", "", message or "")
    if outcome == "skipped" and message.startswith(OUT_OF_SCOPE):
        return OUT_OF_SCOPE, message
    if outcome in ("skipped", "xfailed"):
        return SKLEARN_SKIP, _first_line(message)
    name = nodeid.split("::")[-1]
    first = _first_line(message)
    for category, reason, name_pattern, message_pattern in RULES:
        if re.search(name_pattern, name) and re.search(message_pattern, message):
            return category, reason
    if not exercised:
        return INTERNALS, "no minimom fit ran in this test: " + first
    return REAL_GAP, first


def counts(rows: list[dict]) -> dict[str, int]:
    """Tests per class, in the order of ``CLASSES``."""
    found = Counter(r["category"] for r in rows)
    return {c: found.get(c, 0) for c in CLASSES}


def summary_text(rows: list[dict]) -> str:
    """Counts per class and the real gaps grouped by reason, for a terminal."""
    exercised = sum(1 for r in rows if r["category"] == PASSED and r.get("exercised"))
    lines = [f"{c:>34}: {n}" for c, n in counts(rows).items()]
    lines.append(f"{'(passed with a minimom fit)':>34}: {exercised}")
    gaps = Counter(r["reason"] for r in rows if r["category"] == REAL_GAP)
    if gaps:
        lines += ["", "real gaps by reason:"] + [f"  {n:4d}  {reason}" for reason, n in gaps.most_common()]
    return "\n".join(lines)
