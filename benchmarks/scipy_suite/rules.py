"""Sorting the outcomes of scipy's tests run with mm.scipy_method: what counts, and why a failure is not a gap.

Classes:
- ``passed``: the test ran ``mm.scipy_method`` and passed.
- ``real gap``: it ran ``mm.scipy_method`` and failed for a reason no row of
  ``RULES`` names. The default, so that a new gap shows.
- ``L-BFGS-B internals``: it ran ``mm.scipy_method`` and failed on a promise of
  L-BFGS-B's own algorithm, which a different method need not keep (a row of
  ``RULES`` says which).
- ``not exercised``: ``mm.scipy_method`` never ran in it (another method, or
  scipy's own functions); its outcome is scipy's and is counted apart.
- ``skipped or xfailed by scipy``.
"""

from __future__ import annotations

import re
from collections import Counter

# (test-name regex, message regex, reason): an exercised failure matching both is L-BFGS-B internals.
RULES: list[tuple[str, str, str]] = [
    (r"test_l_bfgs_b_maxiter", r"STOP: TOTAL NO\. OF ITERATIONS REACHED LIMIT",
     "L-BFGS-B's own message text (nit, x, fun, status 1 and success, checked before it, agree)"),
    (r"test_minimize_l_bfgs_maxls", r"assert not True",
     "maxls=1, L-BFGS-B's line-search budget, expected to make Rosenbrock fail; minimom's search has its own "
     "budget (the option draws 'Unknown solver options: maxls') and converges"),
]
# Known real gaps, given a shared reason (they stay real gaps).
GAPS: list[tuple[str, str, str]] = [
    (r".", r"NotImplementedError: bounds are not yet supported",
     "bounds: minimize has no bounds= yet (issue 22's composite part); scipy_method passes them on once it has"),
]


def classify(nodeid: str, outcome: str, message: str, exercised: bool) -> tuple[str, str]:
    if outcome in ("skipped", "xfailed"):
        return "skipped or xfailed by scipy", message
    if not exercised:
        return "not exercised", outcome
    if outcome == "passed":
        return "passed", ""
    name = nodeid.split("::", 1)[-1]
    for test, text, reason in RULES:
        if re.search(test, name) and re.search(text, message, re.S):
            return "L-BFGS-B internals", reason
    for test, text, reason in GAPS:
        if re.search(test, name) and re.search(text, message, re.S):
            return "real gap", reason
    return "real gap", message


def classified(results: dict) -> list[dict]:
    rows = []
    for nodeid, entry in results.items():
        category, reason = classify(nodeid, entry["outcome"], entry["message"], entry.get("exercised", False))
        rows.append({"nodeid": nodeid, **entry, "category": category, "reason": reason})
    return rows


CLASSES = ("passed", "real gap", "L-BFGS-B internals", "not exercised", "skipped or xfailed by scipy")


def counts(rows: list[dict]) -> dict[str, int]:
    found = Counter(row["category"] for row in rows)
    return {name: found.get(name, 0) for name in CLASSES}


def summary_text(rows: list[dict]) -> str:
    lines = [f"{name}: {n}" for name, n in counts(rows).items()]
    for category in ("real gap", "L-BFGS-B internals"):
        reasons = Counter(row["reason"][:300] for row in rows if row["category"] == category)
        lines += [f"  {category}, {n}: {reason}" for reason, n in reasons.most_common()]
    return "\n".join(lines)
