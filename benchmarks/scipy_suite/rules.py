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
RULES: list[tuple[str, str, str]] = []


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
    return "real gap", message


def classified(results: dict) -> list[dict]:
    rows = []
    for nodeid, entry in results.items():
        category, reason = classify(nodeid, entry["outcome"], entry["message"], entry.get("exercised", False))
        rows.append({"nodeid": nodeid, **entry, "category": category, "reason": reason})
    return rows


CLASSES = ("passed", "real gap", "L-BFGS-B internals", "not exercised", "skipped or xfailed by scipy")


def summary_text(rows: list[dict]) -> str:
    counts = Counter(row["category"] for row in rows)
    lines = [f"{name}: {counts.get(name, 0)}" for name in CLASSES]
    gaps = [row for row in rows if row["category"] == "real gap"]
    lines += [f"  real gap: {row['nodeid']}: {row['reason'][:200]}" for row in gaps]
    internals = [row for row in rows if row["category"] == "L-BFGS-B internals"]
    lines += [f"  internals: {row['nodeid']}: {row['reason']}" for row in internals]
    return "\n".join(lines)
