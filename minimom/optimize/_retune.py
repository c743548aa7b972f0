"""Re-tuning a self-tuned step rule (``TunedMomentum``) when its run diverges or stalls."""

from __future__ import annotations

_MAX_RETUNES = 8  # a self-tuned run re-tunes (after divergence or a stall) at most this often
_PATIENCE = 100  # iterations without a new best loss or gradient norm that count as a stall


class _Guard:
    """Watches a self-tuned run: its best iterate, and whether it has stalled.

    A stall is _PATIENCE iterations without a new best loss or gradient norm: an
    overshooting cycle that never turns non-finite. The safety factor on the
    curvature grows after a divergence, or when the run stalls again without having
    found a better point to measure the curvature at.
    """

    def __init__(self, iterate):
        self.best, self.best_gnorm = iterate, iterate[3]  # iterate = (x, loss, grad, gnorm)
        self.since_progress, self.retunes, self.safety, self.tuned_at = 0, 0, 1.0, iterate[1]

    def stalled(self, iterate) -> bool:
        _, loss, _, gnorm = iterate
        self.since_progress += 1
        if loss < self.best[1] or gnorm < self.best_gnorm:
            self.since_progress, self.best_gnorm = 0, min(gnorm, self.best_gnorm)
            if loss < self.best[1]:
                self.best = iterate
        return self.since_progress >= _PATIENCE

    def next_safety(self, diverged: bool) -> float:
        if diverged or self.best[1] >= self.tuned_at:
            self.safety *= 4.0
        self.retunes, self.since_progress, self.tuned_at = self.retunes + 1, 0, self.best[1]
        return self.safety
