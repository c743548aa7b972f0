r"""Momentum that picks its learning rate and its momentum at every step: conjugate gradients.

Nonlinear conjugate gradients *are* the heavy ball with the best momentum for each
step. With ``v`` the last step and ``d_k = P_k g_k`` the gradient in a metric
``P_k``, every step is::

    v = beta_k * v - lr_k * d_k;   x = x + v

with ``lr_k`` from a line search that satisfies the strong Wolfe conditions and
``beta_k`` the momentum that makes the new step conjugate to the last one
(Hager & Zhang). See :class:`ConjugateMomentum` for the two metrics.
"""

from __future__ import annotations

import copy
import numbers
from typing import NamedTuple

import numpy as np

from ._base import Optimizer
from .schedules import _real

__all__ = ["ConjugateMomentum"]

_EPSILON = float(np.finfo(float).eps)
_MOST_PAIRS, _PAIR_BUDGET = 100, 100_000  # memory="auto": m = min(100, max(10, 100000 // n))


class ConjugateState(NamedTuple):
    x: np.ndarray | None  # the point and gradient of the previous call
    grad: np.ndarray | None
    memory: _Memory | None


class ConjugateMomentum(Optimizer):
    r"""Heavy ball whose learning rate (a line search) and momentum (conjugacy) are chosen at every step.

    With ``v`` the previous step (zero at first), ``s = v`` and
    ``y = g_k - g_{k-1}``, every step is a momentum step::

        v = lr_k * (beta_k * v / lr_{k-1} - d_k);   x = x + v

    i.e. momentum ``lr_k beta_k / lr_{k-1}`` and learning rate ``lr_k`` on the
    preconditioned gradient ``d_k = P_k g_k``. ``minimize`` picks ``lr_k`` by a
    strong Wolfe line search (``line_search`` below is its curvature constant).

    - ``memory=0``: nonlinear conjugate gradients, ``P_k = (s.y / y.y) I`` and
      Hager & Zhang's momentum
      ``beta_k = (y - 2 s (y.y) / (s.y)).g_k (s.y) / (y.y)``, kept above their bound
      ``-(s.y) / (y.y) / (||s|| min(0.01, ||g_{k-1}||))`` (the scale of ``P_k``):
      a descent direction whatever the line search does.
    - ``memory=m > 0``: ``P_k`` is the limited-memory BFGS
      metric of the last ``m`` steps (Nocedal's, in the compact form of Byrd,
      Nocedal & Schnabel), scaled by ``s.y / y.y``. That metric maps ``y`` to
      ``s`` (the secant equation), and in it Hager & Zhang's conjugacy with
      ``theta = 1``, ``beta_k = (y.P g_k - (y.P y / s.y) s.g_k) / s.y``, is
      exactly zero: the metric has absorbed the momentum, as Nazareth showed for
      BFGS and conjugate gradients. So ``beta_k = 0`` and the last ``m`` steps act
      through ``P_k``, which is L-BFGS, the method behind scipy's L-BFGS-B.
    - ``memory="auto"`` (the default): L-BFGS with ``m = min(100, max(10, 100000 // n))``
      pairs for ``n`` parameters, resolved at the start (``res.optimizer.memory``
      says which). More pairs bring the metric closer to full BFGS, which on
      ill-conditioned losses (unscaled features) takes several times fewer steps
      than scipy's ``maxcor=10``; the bound keeps the ``2 m n`` stored numbers and
      the ``O(m n)`` work of a step at about ``10^5`` per ``n``, so large problems
      keep ``m = 10``.

    It needs the loss along the step, so it runs on full-batch gradients only.
    ``Momentum()`` resolves to ``ConjugateMomentum()`` in full-batch mode.
    The state's memory buffers are updated in place (no copies at large d).

    Parameters
    ----------
    memory : int >= 0 or "auto", default="auto"
        How many past steps shape the metric ``P_k``; 0 for plain nonlinear CG;
        "auto" picks ``min(100, max(10, 100000 // n))`` for ``n`` parameters.
    ftol : float in [0, 1), default=0.0
        An opt-in second stopping rule, scipy L-BFGS-B's ``ftol``: ``minimize``
        also stops, with status ``"ftol"``, after a step whose relative decrease
        ``(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1)`` is at most ``ftol``.
        0 (the default) stops on the gradient test ``tol`` only. scipy's default,
        ``2.2e-9``, ends many runs earlier at a looser point, and some far from a
        minimum, where the loss is flat.

    References
    ----------
    W. W. Hager and H. Zhang, "A new conjugate gradient method with guaranteed
    descent and an efficient line search", SIAM J. Optim. 16, 2005.
    J. L. Nazareth, "A relationship between the BFGS and conjugate gradient
    algorithms", SIAM J. Numer. Anal. 16, 1979. J. Nocedal, "Updating
    quasi-Newton matrices with limited storage", Math. Comp. 35, 1980.
    R. H. Byrd, J. Nocedal and R. B. Schnabel, "Representations of quasi-Newton
    matrices and their use in limited memory methods", Math. Prog. 63, 1994.

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import minimom as mm
    >>> rosenbrock = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    >>> res = mm.minimize(rosenbrock, np.array([-1.2, 1.0]), optimizer=mm.ConjugateMomentum())
    >>> res.status, np.round(res.x, 6).tolist()
    ('converged', [1.0, 1.0])
    """

    def __init__(self, memory: int | str = "auto", ftol: float = 0.0):
        auto = isinstance(memory, str) and memory == "auto"
        if not auto and (isinstance(memory, bool) or not isinstance(memory, numbers.Integral) or memory < 0):
            raise ValueError(f"memory must be an integer >= 0 or \"auto\", got {memory!r}; \"auto\" (the default) "
                             "picks 10 to 100 pairs by the number of parameters, 10 is scipy's maxcor.")
        number = _real(ftol)
        if number is None or not 0 <= number < 1:
            raise ValueError(f"ftol must be a number in [0, 1), got {ftol!r}; 0 stops on the gradient test only, "
                             "2.2e-9 is scipy L-BFGS-B's default.")
        self.memory, self.ftol = "auto" if auto else int(memory), number

    # Read like Momentum's hyperparameters: what "auto" resolved to (chosen anew at every step).
    learning_rate = property(lambda self: "line search", doc="Chosen at every step by a strong Wolfe line search.")
    momentum = property(lambda self: "conjugate", doc="Chosen at every step by conjugacy (0 in the L-BFGS metric).")
    nesterov = property(lambda self: False, doc="No look-ahead: a line search picks the rate.")

    @property
    def line_search(self) -> float:
        """The strong Wolfe curvature constant ``c2`` that ``minimize``'s line search uses for this optimizer."""
        return 0.9 if self.memory else 0.1  # quasi-Newton steps need little; CG needs a closer search

    def calibrate(self, curvature) -> ConjugateMomentum:
        """``self``, or with ``memory="auto"`` a copy (of the same class) with the number of pairs for this size."""
        if self.memory != "auto":
            return self
        resolved = copy.copy(self)  # a subclass keeps its own steps
        resolved.memory = _auto_memory(curvature.params.size)
        return resolved

    def init(self, params: np.ndarray) -> ConjugateState:
        """No previous step or gradient yet; an empty curvature memory of ``memory`` pairs."""
        m = _auto_memory(params.size) if self.memory == "auto" else self.memory
        return ConjugateState(None, None, _Memory(m, params.size) if m else None)

    def update(self, grad: np.ndarray, state: ConjugateState, params: np.ndarray):
        """Return the trial step ``beta * v - d_k`` (the line search scales it) and the new state."""
        memory = state.memory
        if state.x is not None:
            s, y = params - state.x, grad - state.grad
            sy, yy = float(s @ y), float(y @ y)
            # Skip a pair without curvature, relative to the problem's own scale (L-BFGS-B's test):
            # s.y must exceed machine epsilon times the decrease -g_{k-1}.s predicted along the step.
            # Both are in the loss's units, so the test reads the same at any scale of x or f; a strong
            # Wolfe step always passes it, as s.y >= (1 - c2) (-g_{k-1}.s) there.
            if sy > _EPSILON * max(-float(state.grad @ s), 0.0) and sy > 0 and yy > 0:
                if memory is None:
                    step = _hager_zhang(grad, state.grad, s, y, sy, yy)
                else:
                    memory.add(s, y, sy, yy)
                    step = memory.descent(grad)
                if float(step @ grad) < 0:
                    return step, ConjugateState(params, grad, memory)
        if memory is not None:  # the first step, or no usable curvature: start over
            memory.clear()
        # Steepest descent, one unit long in x (as scipy's L-BFGS-B starts).
        step = grad * (-1.0 / max(float(np.sqrt(grad @ grad)), 1e-300))
        return step, ConjugateState(params, grad, memory)


def _auto_memory(size: int) -> int:
    """``memory="auto"``: 100 pairs up to 1000 parameters, then ``100000 // size``, never below scipy's 10."""
    return min(_MOST_PAIRS, max(10, _PAIR_BUDGET // max(size, 1)))


def _hager_zhang(grad, old_grad, s, y, sy, yy):
    """Nonlinear CG: the scaled gradient plus Hager & Zhang's momentum, its trial length from the last step's."""
    beta = (float(y @ grad) - 2.0 * yy / sy * float(s @ grad)) / sy
    bound = -1.0 / (float(np.sqrt(s @ s)) * min(0.01, float(np.sqrt(old_grad @ old_grad))))
    step = (sy / yy) * (max(beta, bound) * s - grad)  # in the metric P = (s.y / y.y) I
    # First-order change as on the last step (Nocedal & Wright 3.60): alpha_0 = g_{k-1}.s / g_k.p.
    slope = float(grad @ step)
    if slope < 0:
        step = step * min(float(old_grad @ s) / slope, 1e10) if float(old_grad @ s) < 0 else step
    return step


class _Memory:
    """The last ``m`` pairs ``(s, y)`` and ``H g`` by the compact L-BFGS form (Byrd, Nocedal & Schnabel 1994).

    ``H = gamma I + [S  gamma Y] M [S  gamma Y]^T`` with ``gamma = s.y / y.y`` of the
    newest pair and ``M = [[R^-T (D + gamma Y'Y) R^-1, -R^-T], [-R^-1, 0]]``, where
    ``R`` is the upper triangle of ``S'Y`` (oldest first) and ``D`` its diagonal.
    The pairs live in a ring of ``m`` slots (``s`` and ``y`` of slot ``i`` in rows
    ``2i`` and ``2i + 1`` of one ``2m x n`` buffer, never copied), and ``R^-1``, ``D``
    and ``Y'Y`` are kept in slot order. Slots fill in order, so until the ring wraps
    only the first ``k`` are in use and every product runs on ``k``, not ``m``: a
    large ``m`` costs nothing on a short run. Dropping the oldest pair zeroes its row
    and column of ``R^-1`` (what remains is the inverse of the remaining triangle); a
    new pair adds one column, ``-R^-1 r / (s.y)`` with ``r_i = s_i.y``. So ``H g``
    costs two matrix-vector products with the buffer and a few ``k x k`` ones.
    """

    def __init__(self, m: int, n: int):
        self.m = m
        self.rows = np.zeros((2 * m, n))  # s of slot i in row 2i, its y in row 2i + 1
        self.r_inv, self.yy, self.d = np.zeros((m, m)), np.zeros((m, m)), np.zeros(m)
        self.coef = np.empty(2 * m)  # -M [S Y]'g interleaved, scratch for descent
        self.clear()

    def clear(self):
        self.next, self.k, self.gamma = 0, 0, 1.0  # the slot the next pair goes to; slots 0..k-1 in use
        for array in (self.rows, self.r_inv, self.yy, self.d):
            array[...] = 0.0

    def add(self, s, y, sy, yy):
        slot = self.next
        self.next = (slot + 1) % self.m
        self.k = k = max(self.k, slot + 1)
        r_inv = self.r_inv[:k, :k]
        r_inv[slot, :] = r_inv[:, slot] = 0.0
        self.rows[2 * slot], self.rows[2 * slot + 1] = s, y
        with_y = self.rows[: 2 * k] @ y  # s_i.y and y_i.y, interleaved by slot; a fresh array, used in place
        older = with_y[0::2]
        older[slot] = 0.0
        r_inv[:, slot] = r_inv @ older * (-1.0 / sy)
        r_inv[slot, slot] = 1.0 / sy
        self.yy[slot, :k] = self.yy[:k, slot] = with_y[1::2]
        self.d[slot], self.gamma = sy, sy / yy

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The stored ``(S, Y)``, one pair per row, oldest first (scipy's ``LbfgsInvHessProduct(S, Y)`` order)."""
        order = [(self.next + i) % self.m for i in range(self.m)]
        used = [slot for slot in order if self.d[slot] > 0]
        return self.rows[0::2][used], self.rows[1::2][used]

    def descent(self, g):
        """``-H g``."""
        k, gamma = self.k, self.gamma
        rows, r_inv, coef = self.rows[: 2 * k], self.r_inv[:k, :k], self.coef[: 2 * k]
        projections = rows @ g
        t = r_inv @ projections[0::2]
        coef[0::2] = (gamma * (projections[1::2] - self.yy[:k, :k] @ t) - self.d[:k] * t) @ r_inv
        np.multiply(t, gamma, out=coef[1::2])
        step = coef @ rows
        step -= gamma * g
        return step
