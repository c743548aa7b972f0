"""A line search that satisfies the strong Wolfe conditions, for optimizers that ask for one.

Along a trial step ``p`` from ``x`` it looks for a scale ``a > 0`` with

- sufficient decrease: ``f(x + a p) <= f(x) + c1 a g(x).p``;
- curvature: ``|g(x + a p).p| <= c2 |g(x).p|``,

by bracketing then zooming with safeguarded cubic interpolation (Nocedal & Wright,
*Numerical Optimization*, 2nd ed., algorithms 3.5 and 3.6; the interpolation of
Moré & Thuente 1994). ``a = 1`` is tried first: the optimizer scales its step so
that one is a good guess.

Near a minimum the decrease a step can make falls below the rounding error of
``f``; there the curvature condition together with ``f(x + a p) <= f(x) + eps |f(x)|``
is accepted too, and values within ``eps |f(x)|`` of ``f(x)`` steer the search by
their slopes alone: the approximate Wolfe conditions of Hager & Zhang (2005), with
``eps`` far below their 1e-6.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

_C1 = 1e-4  # sufficient decrease, as in scipy's line searches; c2 (curvature) is the optimizer's choice
_MAX_EVALUATIONS = 30
_EPS = 1e-10  # the relative rise in f that the approximate Wolfe conditions forgive


class SearchFailed(Exception):
    """The line search ended without a Wolfe point: ``status`` says why, ``point`` is the lowest point found.

    ``"no_decrease"``: no point along the step is lower than the start (``point`` is None).
    ``"step_collapsed"``: lower points exist, but the search interval shrank to the
    resolution of floating point (or the trials ran out) without meeting the
    curvature condition, as at a kink; ``point`` is the lowest of them, ``(x, loss, grad)``.
    ``"unbounded"``: the loss reached -inf, or kept falling as steeply over every
    trial of the bracketing phase (at least a billion-fold range of steps);
    ``point`` is the lowest finite point.
    """

    def __init__(self, status: str, point: tuple | None = None):
        super().__init__(status)
        self.status, self.point = status, point


def wolfe_search(evaluate, x, loss, grad, step, c2=0.9):
    """Return ``(x_new, loss_new, grad_new)`` at ``x + a * step`` for a strong-Wolfe ``a``.

    ``evaluate(x) -> (loss, grad)``; ``c2`` is the curvature constant (0.9 suits
    quasi-Newton steps, 0.1 conjugate gradients). :class:`SearchFailed` is raised,
    with the lowest point that has sufficient decrease if there is one, when the
    step size collapses or ``_MAX_EVALUATIONS`` trials do not find a Wolfe point.
    """
    slope0 = float(grad @ step)
    if not slope0 < 0:
        raise SearchFailed("no_decrease")
    armijo, curvature, roundoff = _C1 * slope0, -c2 * slope0, _EPS * abs(loss)
    best = None  # (x, loss, grad) of the lowest point with sufficient decrease

    def trial(a):
        nonlocal best
        x_new = x + step if a == 1.0 else x + a * step  # the same numbers; one operation fewer on the common path
        f, g = evaluate(x_new)
        f = float(f)
        if f == -math.inf:
            raise SearchFailed("unbounded", best)
        d = float(g @ step)  # not finite when g is not (inf * 0 is NaN too)
        if not (math.isfinite(f) and math.isfinite(d)):
            return math.inf, None, x_new, g
        if f <= loss + a * armijo and (best is None or f < best[1]):
            best = (x_new, f, g)
        return f, d, x_new, g

    # Bracketing: grow a until the interval [lo, a] must contain an acceptable point.
    lo, f_lo, d_lo = 0.0, loss, slope0
    a, evaluations = 1.0, 0
    while True:
        f, d, x_new, g = trial(a)
        evaluations += 1
        if d is not None and abs(d) <= curvature and f <= loss + roundoff:
            return x_new, f, g  # approximately Wolfe
        if d is None or f > loss + max(a * armijo, roundoff) or (lo > 0 and f >= f_lo and f > loss + roundoff):
            hi, f_hi, d_hi = a, f, d
            break
        if abs(d) <= curvature:
            return x_new, f, g
        if d >= 0:
            hi, f_hi, d_hi = lo, f_lo, d_lo
            lo, f_lo, d_lo = a, f, d
            break
        if evaluations >= _MAX_EVALUATIONS:  # still going down, steeply, a billion-fold step later
            raise SearchFailed("unbounded", best)
        step_up = _cubic_minimizer(lo, f_lo, d_lo, a, f, d)
        lo, f_lo, d_lo = a, f, d
        a = min(max(step_up, 2.0 * a), 10.0 * a) if math.isfinite(step_up) and step_up > a else 4.0 * a

    # Zoom: shrink [lo, hi] (lo the lower end with sufficient decrease) around an acceptable point.
    resolution = 1e-16 / float(np.max(np.abs(step) / (np.abs(x) + 1e-300)))  # the width that still moves x
    widths = [math.inf, math.inf]
    while evaluations < _MAX_EVALUATIONS:
        width = hi - lo
        if abs(width) <= resolution:  # below floating point's resolution: a kink, a wrong gradient, rounding
            _fail(best)
        if abs(width) > 0.66 * widths[-2]:
            a = lo + 0.5 * width  # two trials shrank the interval too little: bisect (Moré & Thuente)
        elif d_hi is not None and abs(f_hi - loss) <= roundoff and abs(f_lo - loss) <= roundoff:
            a = lo - d_lo * width / (d_hi - d_lo)  # values lost in rounding: the secant on the slopes
        elif d_hi is not None and math.isfinite(f_hi):
            a = _cubic_minimizer(lo, f_lo, d_lo, hi, f_hi, d_hi)
        elif math.isfinite(f_hi):
            a = _quadratic_minimizer(lo, f_lo, d_lo, hi, f_hi)
        else:
            a = lo + 0.1 * width  # a non-finite end: back off towards the good side
        # Safeguard: trust the interpolant inside [lo + 0.001 w, hi - 0.1 w]; clip it to there (a step
        # too long by orders of magnitude is found in one or two trials), bisect if it failed.
        t = (a - lo) / width if math.isfinite(a) else 0.5
        a = lo + min(max(t, 1e-3), 0.9) * width
        widths.append(abs(width))
        f, d, x_new, g = trial(a)
        evaluations += 1
        if d is not None and abs(d) <= curvature and f <= loss + roundoff:
            return x_new, f, g
        if d is None or f > loss + max(a * armijo, roundoff) or (f >= f_lo and f > loss + roundoff):
            hi, f_hi, d_hi = a, f, d
            continue
        if abs(d) <= curvature:
            return x_new, f, g
        if d * (hi - lo) >= 0:
            hi, f_hi, d_hi = lo, f_lo, d_lo
        lo, f_lo, d_lo = a, f, d
    _fail(best)  # out of trials


def _fail(best):
    """The step size collapsed or the trials ran out: "step_collapsed" with the lowest point, if any is lower."""
    raise SearchFailed("step_collapsed" if best is not None else "no_decrease", best)


def _cubic_minimizer(a, fa, da, b, fb, db):
    """The minimizer of the cubic through ``(a, fa, da)`` and ``(b, fb, db)``; NaN if it has none."""
    with np.errstate(all="ignore"):
        d1 = da + db - 3 * (fa - fb) / (a - b)
        radicand = d1 * d1 - da * db
        if not radicand >= 0:
            return math.nan
        d2 = math.copysign(math.sqrt(radicand), b - a)
        denominator = db - da + 2 * d2
        return b - (b - a) * (db + d2 - d1) / denominator if denominator else math.nan


def _quadratic_minimizer(a, fa, da, b, fb):
    """The minimizer of the parabola with value ``fa`` and slope ``da`` at ``a`` and value ``fb`` at ``b``."""
    h = b - a
    curvature = (fb - fa - da * h) / (h * h)
    return a - da / (2 * curvature) if curvature > 0 else math.nan


def _curvature_constant(optimizer) -> float | None:
    """The strong Wolfe ``c2`` an optimizer asks for with its ``line_search`` attribute (True: 0.9), or None."""
    c2 = getattr(optimizer, "line_search", None)
    if isinstance(c2, (bool, np.bool_)):  # numpy's booleans too
        c2 = 0.9 if c2 else None
    if c2 is None:
        return None
    # Any real number, numpy scalars included (np.float32(0.5)), as ftol accepts them.
    if not (isinstance(c2, numbers.Real) and 1e-4 < c2 < 1):
        raise TypeError(f"{optimizer!r}.line_search must be True or the strong Wolfe curvature constant, a number "
                        f"in (1e-4, 1) such as 0.9, got {c2!r}; leave it unset for an optimizer that takes its own "
                        "steps.")
    return float(c2)


def _relative_ftol(optimizer) -> float:
    """The opt-in ``ftol`` of a line-search optimizer (0: stop on the gradient test only)."""
    ftol = getattr(optimizer, "ftol", 0.0)
    if not (isinstance(ftol, numbers.Real) and not isinstance(ftol, bool) and 0 <= ftol < 1):
        raise TypeError(f"{optimizer!r}.ftol must be a number in [0, 1): minimize also stops after a step whose "
                        f"relative decrease of the loss is at most ftol (0: never), got {ftol!r}.")
    return float(ftol)
