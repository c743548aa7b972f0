"""Progress for ``verbose=True``: a tqdm bar when available, otherwise lines on stderr."""

from __future__ import annotations

import sys


class _Progress:
    """A tqdm bar when asked and available; otherwise a line every tenth of ``maxiter`` and a final line.

    The final line is printed however short the run, so ``verbose=True`` always says something.
    """

    def __init__(self, total: int, verbose: bool):
        self.bar, self.every, self.count, self.loss = None, 0, 0, None
        self.verbose, self.closed = verbose, False
        if not verbose:
            return
        try:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, desc="minimize", unit="it")
        except ImportError:
            self.every = max(1, total // 10)

    def update(self, loss: float):
        self.count += 1
        self.loss = loss
        if self.bar is not None:
            self.bar.update()
            if self.count % 50 == 0:
                self.bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
        elif self.every and self.count % self.every == 0:
            print(f"minimize: iteration {self.count}, loss {loss:.6g}", file=sys.stderr)

    def close(self, status: str | None = None):
        if self.closed:  # once: a result built again after a Ctrl-C does not close it twice
            return
        self.closed = True
        if self.bar is not None:
            self.bar.close()
        elif self.verbose:
            loss = "" if self.loss is None else f", loss {self.loss:.6g}"
            ended = f" ({status})" if status else ""
            print(f"minimize: stopped after {self.count} iterations{loss}{ended}", file=sys.stderr)
