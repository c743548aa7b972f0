"""Timing for the benchmarks: interleaved repeats, medians (the machine is shared and noisy)."""

from __future__ import annotations

import statistics
import time


def median_times(functions: dict, repeats: int) -> dict:
    """Median seconds of each zero-argument function, run interleaved ``repeats`` times."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}
