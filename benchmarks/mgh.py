"""Test problems of Moré, Garbow & Hillstrom (1981), written as a user would, with ``autograd.numpy``.

J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing unconstrained optimization software",
ACM Trans. Math. Software 7(1), 17-41 (1981). Each problem is ``f(x) = sum_i f_i(x)^2`` with the
paper's residuals ``f_i``, its standard starting point ``x0`` and dimensions. Definitions were
checked against two independent implementations (pyopus ``problems/mgh.py`` and the R package
funconstrain).

``f_star`` is what "solved" is measured against, with ``source`` saying where it comes from:

- ``"paper"``: the paper's exact value (0, or m - n for the linear function), attained at a known
  minimizer ``x_star`` (tests/test_mgh.py checks ``f(x_star) == f_star``);
- ``"paper+scipy"``: the paper prints 6 significant digits; ``f_star`` is the same minimum refined by
  scipy's MINPACK Levenberg-Marquardt (``least_squares(method="lm")``, tolerances 1e-15) from ``x0``,
  and agrees with the printed digits (tests/test_mgh.py checks both). The 6 printed digits alone are
  too coarse for the 1e-6 relative test.

``f_local`` lists other minima the paper gives (or that scipy reaches from ``x0``, marked so in
``note``): a method that ends there found a minimum, not the lowest one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import autograd.numpy as anp
import numpy as np


@dataclass(frozen=True)
class Problem:
    """One test problem: ``fun(x)`` written with autograd.numpy, its start and its reference optimum."""

    name: str
    fun: object
    x0: np.ndarray
    f_star: float
    source: str
    f_published: float | None = None
    x_star: tuple = ()  # known minimizers, each with f(x) == f_star
    f_local: tuple = ()
    note: str = ""
    m: int | None = None
    residuals: object = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return self.x0.size


def _squares(residuals):
    def fun(x):
        r = residuals(x)
        return anp.sum(r * r)
    return fun


def _problem(name, residuals, x0, f_star, source, **kwargs):
    x0 = np.asarray(x0, dtype=float)
    m = np.size(residuals(x0))
    return Problem(name, _squares(residuals), x0, f_star, source, m=m, residuals=residuals, **kwargs)


# --- the residuals, numbered as in the paper -------------------------------------------------------------------
def rosenbrock(x):  # 1
    return anp.stack([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


def freudenstein_roth(x):  # 2
    return anp.stack([-13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1],
                      -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1]])


def powell_badly_scaled(x):  # 3
    return anp.stack([1e4 * x[0] * x[1] - 1.0, anp.exp(-x[0]) + anp.exp(-x[1]) - 1.0001])


def brown_badly_scaled(x):  # 4
    return anp.stack([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])


def beale(x):  # 5
    i = np.arange(1, 4)
    return np.array([1.5, 2.25, 2.625]) - x[0] * (1.0 - x[1] ** i)


def jennrich_sampson(x, m=10):  # 6
    i = np.arange(1, m + 1)
    return 2.0 + 2.0 * i - (anp.exp(i * x[0]) + anp.exp(i * x[1]))


def helical_valley(x):  # 7
    theta = anp.arctan(x[1] / x[0]) / (2 * np.pi) + (0.5 if x[0] < 0 else 0.0)
    return anp.stack([10.0 * (x[2] - 10.0 * theta), 10.0 * (anp.sqrt(x[0] ** 2 + x[1] ** 2) - 1.0), x[2]])


_BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39])


def bard(x):  # 8
    u = np.arange(1.0, 16.0)
    v = 16.0 - u
    w = np.minimum(u, v)
    return _BARD_Y - (x[0] + u / (v * x[1] + w * x[2]))


_GAUSSIAN_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                        0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])


def gaussian(x):  # 9
    t = (8.0 - np.arange(1, 16)) / 2.0
    return x[0] * anp.exp(-x[1] * (t - x[2]) ** 2 / 2.0) - _GAUSSIAN_Y


_MEYER_Y = np.array([34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744,
                     8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872], dtype=float)


def meyer(x):  # 10
    t = 45.0 + 5.0 * np.arange(1, 17)
    return x[0] * anp.exp(x[1] / (t + x[2])) - _MEYER_Y


def box_3d(x, m=10):  # 12
    t = 0.1 * np.arange(1, m + 1)
    return anp.exp(-t * x[0]) - anp.exp(-t * x[1]) - x[2] * (np.exp(-t) - np.exp(-10.0 * t))


def powell_singular(x):  # 13
    return anp.stack([x[0] + 10.0 * x[1], np.sqrt(5.0) * (x[2] - x[3]),
                      (x[1] - 2.0 * x[2]) ** 2, np.sqrt(10.0) * (x[0] - x[3]) ** 2])


def wood(x):  # 14
    return anp.stack([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0], np.sqrt(90.0) * (x[3] - x[2] ** 2), 1.0 - x[2],
                      np.sqrt(10.0) * (x[1] + x[3] - 2.0), (x[1] - x[3]) / np.sqrt(10.0)])


_KO_Y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246])
_KO_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


def kowalik_osborne(x):  # 15
    u = _KO_U
    return _KO_Y - x[0] * (u ** 2 + u * x[1]) / (u ** 2 + u * x[2] + x[3])


def brown_dennis(x, m=20):  # 16
    t = np.arange(1, m + 1) / 5.0
    return (x[0] + t * x[1] - np.exp(t)) ** 2 + (x[2] + x[3] * np.sin(t) - np.cos(t)) ** 2


_OSBORNE1_Y = np.array([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718,
                        0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467,
                        0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406])


def osborne_1(x):  # 17
    t = 10.0 * np.arange(33)
    return _OSBORNE1_Y - (x[0] + x[1] * anp.exp(-t * x[3]) + x[2] * anp.exp(-t * x[4]))


def biggs_exp6(x, m=13):  # 18
    t = 0.1 * np.arange(1, m + 1)
    y = np.exp(-t) - 5.0 * np.exp(-10.0 * t) + 3.0 * np.exp(-4.0 * t)
    return x[2] * anp.exp(-t * x[0]) - x[3] * anp.exp(-t * x[1]) + x[5] * anp.exp(-t * x[4]) - y


_OSBORNE2_Y = np.array([
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608, 0.655, 0.616,
    0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495,
    0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672,
    0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
    0.428, 0.292, 0.162, 0.098, 0.054])


def osborne_2(x):  # 19
    t = np.arange(65) / 10.0
    return _OSBORNE2_Y - (x[0] * anp.exp(-t * x[4]) + x[1] * anp.exp(-(t - x[8]) ** 2 * x[5])
                          + x[2] * anp.exp(-(t - x[9]) ** 2 * x[6]) + x[3] * anp.exp(-(t - x[10]) ** 2 * x[7]))


def watson(x):  # 20
    n = x.shape[0]
    t = np.arange(1, 30) / 29.0
    powers = t[:, None] ** np.arange(n)  # t_i^(j-1), j = 1..n
    derivative = powers[:, :-1] @ (np.arange(1, n) * x[1:])  # sum_j (j-1) x_j t_i^(j-2)
    value = powers @ x  # sum_j x_j t_i^(j-1)
    return anp.concatenate([derivative - value ** 2 - 1.0, anp.stack([x[0], x[1] - x[0] ** 2 - 1.0])])


def extended_rosenbrock(x):  # 21 (the order of the residuals does not change the sum of squares)
    return anp.concatenate([10.0 * (x[1::2] - x[0::2] ** 2), 1.0 - x[0::2]])


def extended_powell(x):  # 22
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    return anp.concatenate([a + 10.0 * b, np.sqrt(5.0) * (c - d), (b - 2.0 * c) ** 2, np.sqrt(10.0) * (a - d) ** 2])


def penalty_1(x):  # 23
    return anp.concatenate([np.sqrt(1e-5) * (x - 1.0), anp.stack([anp.sum(x ** 2) - 0.25])])


def penalty_2(x):  # 24
    n = x.shape[0]
    i = np.arange(2, n + 1)
    y = np.exp(i / 10.0) + np.exp((i - 1) / 10.0)
    e = anp.exp(x / 10.0)
    return anp.concatenate([anp.stack([x[0] - 0.2]), np.sqrt(1e-5) * (e[1:] + e[:-1] - y),
                            np.sqrt(1e-5) * (e[1:] - np.exp(-0.1)),
                            anp.stack([anp.sum(np.arange(n, 0, -1) * x ** 2) - 1.0])])


def variably_dimensioned(x):  # 25
    s = anp.sum(np.arange(1, x.shape[0] + 1) * (x - 1.0))
    return anp.concatenate([x - 1.0, anp.stack([s, s ** 2])])


def trigonometric(x):  # 26
    i = np.arange(1, x.shape[0] + 1)
    return x.shape[0] - anp.sum(anp.cos(x)) + i * (1.0 - anp.cos(x)) - anp.sin(x)


def brown_almost_linear(x):  # 27
    n = x.shape[0]
    return anp.concatenate([x[:-1] + anp.sum(x) - (n + 1.0), anp.stack([anp.prod(x) - 1.0])])


def _grid(n):
    h = 1.0 / (n + 1)
    return h, h * np.arange(1, n + 1)


def discrete_boundary_value(x):  # 28
    h, t = _grid(x.shape[0])
    padded = anp.concatenate([np.zeros(1), x, np.zeros(1)])
    return 2.0 * x - padded[:-2] - padded[2:] + h ** 2 * (x + t + 1.0) ** 3 / 2.0


def discrete_integral_equation(x):  # 29
    h, t = _grid(x.shape[0])
    below = np.tril(np.ones((t.size, t.size)))  # j <= i
    kernel = below * np.outer(1.0 - t, t) + (1.0 - below) * np.outer(t, 1.0 - t)
    return x + h * (kernel @ ((x + t + 1.0) ** 3)) / 2.0


def broyden_tridiagonal(x):  # 30
    padded = anp.concatenate([np.zeros(1), x, np.zeros(1)])
    return (3.0 - 2.0 * x) * x - padded[:-2] - 2.0 * padded[2:] + 1.0


def broyden_banded(x, lower=5, upper=1):  # 31
    n = x.shape[0]
    offset = np.subtract.outer(np.arange(n), np.arange(n))  # i - j
    band = ((offset <= lower) & (offset >= -upper) & (offset != 0)).astype(float)
    return x * (2.0 + 5.0 * x ** 2) + 1.0 - band @ (x * (1.0 + x))


def linear_full_rank(x, m=20):  # 32
    total = 2.0 / m * anp.sum(x)
    return anp.concatenate([x - total - 1.0, -total - np.ones(m - x.shape[0])])


def chebyquad(x):  # 35: T_i shifted to [0, 1]; the integral of T_i over [0, 1] is -1/(i^2 - 1), i even, else 0
    n = x.shape[0]
    y = 2.0 * x - 1.0
    previous, current, rows = anp.ones(n), y, []
    for i in range(1, n + 1):
        if i > 1:
            previous, current = current, 2.0 * y * current - previous
        rows.append(anp.mean(current) + (1.0 / (i * i - 1.0) if i % 2 == 0 else 0.0))
    return anp.stack(rows)


def _repeat(pattern, n):
    return np.tile(np.asarray(pattern, dtype=float), n // len(pattern))


def _start(n):
    t = _grid(n)[1]
    return t * (t - 1.0)


PROBLEMS = [
    _problem("rosenbrock", rosenbrock, [-1.2, 1.0], 0.0, "paper", x_star=((1.0, 1.0),)),
    _problem("freudenstein_roth", freudenstein_roth, [0.5, -2.0], 0.0, "paper", x_star=((5.0, 4.0),),
             f_local=(48.9842536792,), note="from x0, descent methods usually stop at the local 48.9842"),
    _problem("powell_badly_scaled", powell_badly_scaled, [0.0, 1.0], 0.0, "paper"),
    _problem("brown_badly_scaled", brown_badly_scaled, [1.0, 1.0], 0.0, "paper", x_star=((1e6, 2e-6),)),
    _problem("beale", beale, [1.0, 1.0], 0.0, "paper", x_star=((3.0, 0.5),)),
    _problem("jennrich_sampson", jennrich_sampson, [0.3, 0.4], 124.362182356, "paper+scipy", f_published=124.362),
    _problem("helical_valley", helical_valley, [-1.0, 0.0, 0.0], 0.0, "paper", x_star=((1.0, 0.0, 0.0),)),
    _problem("bard", bard, [1.0, 1.0, 1.0], 8.21487730658e-3, "paper+scipy", f_published=8.21487e-3,
             f_local=(17.4286,), note="17.4286 at (0.8406, -inf, -inf)"),
    _problem("gaussian", gaussian, [0.4, 1.0, 0.0], 1.12793276962e-8, "paper+scipy", f_published=1.12793e-8),
    _problem("meyer", meyer, [0.02, 4000.0, 250.0], 87.9458551707, "paper+scipy", f_published=87.9458),
    _problem("box_3d", box_3d, [0.0, 10.0, 20.0], 0.0, "paper",
             x_star=((1.0, 10.0, 1.0), (10.0, 1.0, -1.0), (2.0, 2.0, 0.0))),
    _problem("powell_singular", powell_singular, [3.0, -1.0, 0.0, 1.0], 0.0, "paper", x_star=((0.0,) * 4,)),
    _problem("wood", wood, [-3.0, -1.0, -3.0, -1.0], 0.0, "paper", x_star=((1.0,) * 4,)),
    _problem("kowalik_osborne", kowalik_osborne, [0.25, 0.39, 0.415, 0.39], 3.07505603849e-4, "paper+scipy",
             f_published=3.07505e-4, f_local=(1.02734e-3,), note="1.02734e-3 at (inf, -14.07, -inf, -inf)"),
    _problem("brown_dennis", brown_dennis, [25.0, 5.0, -5.0, -1.0], 85822.2016264, "paper+scipy",
             f_published=85822.2),
    _problem("osborne_1", osborne_1, [0.5, 1.5, -1.0, 0.01, 0.02], 5.46489469748e-5, "paper+scipy",
             f_published=5.46489e-5),
    _problem("osborne_2", osborne_2, [1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5], 4.01377362935e-2,
             "paper+scipy", f_published=4.01377e-2),
    _problem("biggs_exp6", biggs_exp6, [1.0, 2.0, 1.0, 1.0, 1.0, 1.0], 0.0, "paper",
             x_star=((1.0, 10.0, 1.0, 5.0, 4.0, 3.0),), f_local=(5.6556499255e-3,),
             note="the paper also gives the local 5.65565e-3 (m = 13)"),
    _problem("watson_6", watson, np.zeros(6), 2.28767005355e-3, "paper+scipy", f_published=2.28767e-3),
    _problem("watson_9", watson, np.zeros(9), 1.39976013809e-6, "paper+scipy", f_published=1.39976e-6),
    _problem("extended_rosenbrock_100", extended_rosenbrock, _repeat([-1.2, 1.0], 100), 0.0, "paper",
             x_star=((1.0,) * 100,)),
    _problem("extended_powell_100", extended_powell, _repeat([3.0, -1.0, 0.0, 1.0], 100), 0.0, "paper",
             x_star=((0.0,) * 100,)),
    _problem("penalty_1_10", penalty_1, np.arange(1.0, 11.0), 7.08765146709e-5, "paper+scipy",
             f_published=7.08765e-5),
    _problem("penalty_2_10", penalty_2, np.full(10, 0.5), 2.93660537457e-4, "paper+scipy", f_published=2.93660e-4),
    _problem("variably_dimensioned_10", variably_dimensioned, 1.0 - np.arange(1, 11) / 10.0, 0.0, "paper",
             x_star=((1.0,) * 10,)),
    _problem("trigonometric_10", trigonometric, np.full(10, 0.1), 0.0, "paper", x_star=((0.0,) * 10,),
             f_local=(2.79505612188e-5,), note="from x0, scipy reaches the local 2.79506e-5 (not in the paper)"),
    _problem("brown_almost_linear_10", brown_almost_linear, np.full(10, 0.5), 0.0, "paper",
             x_star=((1.0,) * 10,), f_local=(1.0,), note="1 at (0, ..., 0, n + 1)"),
    _problem("discrete_boundary_value_10", discrete_boundary_value, _start(10), 0.0, "paper"),
    _problem("discrete_integral_equation_10", discrete_integral_equation, _start(10), 0.0, "paper"),
    _problem("broyden_tridiagonal_10", broyden_tridiagonal, -np.ones(10), 0.0, "paper"),
    _problem("broyden_banded_10", broyden_banded, -np.ones(10), 0.0, "paper"),
    _problem("linear_full_rank_10", linear_full_rank, np.ones(10), 10.0, "paper", x_star=((-1.0,) * 10,)),
    _problem("chebyquad_8", chebyquad, np.arange(1, 9) / 9.0, 3.51687372568e-3, "paper+scipy",
             f_published=3.51687e-3),
]

BY_NAME = {problem.name: problem for problem in PROBLEMS}
