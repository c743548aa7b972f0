"""Mini-batches: the per-sample arrays of ``args`` cut into the same shuffled batches."""

from __future__ import annotations

import numbers

import numpy as np


class _Batches:
    """Cuts the per-sample arrays of ``args`` into the same shuffled mini-batches."""

    def __init__(self, args: tuple, batch_size, random_state):
        arrays = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.ndim >= 1]
        if not arrays:
            raise ValueError("batch_size needs data: pass the per-sample numpy arrays in args, e.g. args=(X, y).")
        self.first_array = arrays[0]
        self.n = n = len(args[self.first_array])
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be an integer in [1, {n}] (the number of samples, the length of "
                             f"args[{self.first_array}]), got {batch_size!r}.")
        self.batch_size = int(batch_size)
        self.args = args
        self.sliced = [i in arrays and len(args[i]) == n for i in range(len(args))]
        # A legacy RandomState shuffles as well as a Generator; anything else seeds a new Generator.
        is_rng = isinstance(random_state, (np.random.Generator, np.random.RandomState))
        self.rng = random_state if is_rng else np.random.default_rng(random_state)

    def explain(self, err):
        """A loss that fails on the first batch with per-sample arrays of unequal length: say why."""
        for i, a in enumerate(self.args):
            if isinstance(a, np.ndarray) and a.ndim >= 1 and not self.sliced[i]:
                raise ValueError(
                    "In mini-batch mode the data arrays must share their first axis: "
                    f"args[{self.first_array}] has {self.n} rows but args[{i}] has {len(a)}, so args[{i}] was "
                    f"passed whole and the loss failed ({err}). Pass arrays of equal length."
                ) from err

    def _take(self, index):
        return tuple(a[index] if s else a for a, s in zip(self.args, self.sliced))

    def sample(self) -> tuple:
        """A fixed sample, bigger than a batch, to estimate the curvature on."""
        return self._take(np.arange(min(self.n, max(self.batch_size, 2048))))

    def epoch(self):
        order = self.rng.permutation(self.n)
        for start in range(0, self.n, self.batch_size):
            yield self._take(order[start:start + self.batch_size])
