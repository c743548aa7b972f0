"""Progress for ``verbose=True``: a tqdm bar when available, otherwise a line every tenth of the run."""

from __future__ import annotations

import sys


class _Progress:
    """A tqdm bar when asked and available, otherwise a line every tenth of the run."""

    def __init__(self, total: int, verbose: bool):
        self.bar, self.every, self.count = None, 0, 0
        if not verbose:
            return
        try:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, desc="minimize", unit="it")
        except ImportError:
            self.every = max(1, total // 10)

    def update(self, loss: float):
        self.count += 1
        if self.bar is not None:
            self.bar.update()
            if self.count % 50 == 0:
                self.bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
        elif self.every and self.count % self.every == 0:
            print(f"minimize: iteration {self.count}, loss {loss:.6g}", file=sys.stderr)

    def close(self):
        if self.bar is not None:
            self.bar.close()
