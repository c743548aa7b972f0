"""The orthant-wise projected L-BFGS step: the reduced metric against dense BFGS, the pseudo-gradient by its slopes."""

import numpy as np
import pytest

from minimom.optimize._composite import _finite
from minimom.optimizers._projected import ReducedMemory, arc_point, box_slopes, pseudo_gradient


def dense_bfgs(pairs, theta):
    """The BFGS Hessian approximation from theta I and the pairs, by the textbook update (Nocedal & Wright 6.19)."""
    B = theta * np.eye(len(pairs[0][0]))
    for s, y in pairs:
        Bs = B @ s
        B = B - np.outer(Bs, Bs) / (s @ Bs) + np.outer(y, y) / (y @ s)
    return B


@pytest.mark.parametrize("steps", [1, 3, 5, 9])
def test_reduced_direction_is_the_dense_bfgs_newton_step_on_the_free_set(steps):
    rng = np.random.default_rng(steps)
    n, m = 8, 4
    A = rng.standard_normal((n, n))
    A = A @ A.T + np.eye(n)
    memory, pairs = ReducedMemory(m, n), []
    for _ in range(steps):
        s = rng.standard_normal(n)
        y = A @ s
        memory.add(s, y, s @ y, y @ y)
        pairs = (pairs + [(s, y)])[-m:]
    s, y = pairs[-1]
    B = dense_bfgs(pairs, (y @ y) / (s @ y))
    g = rng.standard_normal(n)
    np.testing.assert_allclose(memory.direction(g, None), -np.linalg.solve(B, g), rtol=1e-9, atol=1e-12)
    free = rng.random(n) < 0.6
    d = memory.direction(g, free)
    np.testing.assert_allclose(d[free], -np.linalg.solve(B[np.ix_(free, free)], g[free]), rtol=1e-9, atol=1e-12)
    assert np.all(d[~free] == 0)


def test_pseudo_gradient_is_the_steepest_feasible_slope():
    x = np.array([1.0, 0.0, 0.0, 0.0, -2.0, 0.5, 1.0])
    g = np.array([0.3, 0.5, -2.0, 3.0, 0.1, 1.0, -1.0])
    l1 = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    lo = np.array([-5.0, -5.0, -5.0, -5.0, -5.0, 0.5, -5.0])
    hi = np.array([5.0, 5.0, 5.0, 0.0, 5.0, 5.0, 1.0])
    pg = pseudo_gradient(x, g, l1, lo, hi)

    def F(z):
        return z @ g + l1 @ np.abs(z)  # the linear model of f plus the penalty

    for i in range(7):  # one-sided slopes by finite differences, feasible directions only
        e = np.eye(7)[i] * 1e-7
        up = (F(x + e) - F(x)) / 1e-7 if x[i] < hi[i] else np.inf
        down = (F(x) - F(x - e)) / 1e-7 if x[i] > lo[i] else -np.inf
        expected = up if up < 0 else down if down > 0 else 0.0
        assert pg[i] == pytest.approx(expected, abs=1e-6), i


def test_arc_point_stops_at_zero_and_at_the_bounds():
    x, d = np.array([1.0, -1.0, 0.5, 0.0]), np.array([-3.0, 0.5, 2.0, -1.0])
    orthant = np.array([1.0, -1.0, 1.0, -1.0])
    point = arc_point(x, d, 1.0, orthant, np.full(4, -0.5), np.full(4, 2.0))
    np.testing.assert_array_equal(point, [0.0, -0.5, 2.0, -0.5])


def test_box_slopes_against_the_projected_gradient_and_the_bounds():
    rng = np.random.default_rng(3)
    n = 12
    lo, hi = -rng.random(n), rng.random(n)
    lo[0], hi[1] = -np.inf, np.inf
    x = rng.uniform(lo.clip(-1), hi.clip(None, 1))
    x[2], x[3], x[4], x[5] = lo[2], hi[3], lo[4], hi[5]  # at a bound: pushed out (2, 3) or pulled in (4, 5)
    g = rng.standard_normal(n)
    g[2], g[3], g[4], g[5], g[6] = 1.0, -1.0, -1.0, 1.0, 0.0
    slopes = box_slopes(x, g, lo, hi)
    assert slopes.residual == np.max(np.abs(x - np.clip(x - g, lo, hi)))  # scipy's projected gradient
    held = np.zeros(n, dtype=bool)
    held[[2, 3, 6]] = True  # a feasible move along -g is impossible (2, 3) or flat (6)
    np.testing.assert_array_equal(slopes.free, ~held)
    np.testing.assert_array_equal(slopes.pg, np.where(held, 0.0, g))
    assert slopes.free_count == n - 3
    np.testing.assert_array_equal(np.flatnonzero(slopes.pinned), [4, 5])  # free, and sitting at a bound


def test_the_finiteness_test_survives_an_overflowing_sum_of_squares():
    with np.errstate(over="ignore"):  # as minimize runs its loop
        assert _finite(np.array([1e200, -3e200, 1.0]))  # g.g overflows, every entry is finite
    assert not _finite(np.array([1.0, np.nan]))
    assert not _finite(np.array([np.inf, 1.0]))
    assert _finite(np.zeros(3))
