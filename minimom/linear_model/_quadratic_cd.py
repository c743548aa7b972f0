"""A small penalized quadratic solved exactly: coordinate descent plus active-set Newton steps.

The sparse models reduce every fit to subproblems of the form

    min_w  0.5 w^T G w - c^T w + sum_j l1_j |w_j| + 0.5 l2 ||w||^2     (w_j >= 0 where ``positive_j``)

on a working set of a few hundred coordinates at most, with ``G`` a (weighted,
centred) Gram matrix formed once per subproblem. One coordinate update then
costs O(k) with ``k`` the working-set size, whatever the number of samples.

Two pieces, plain numpy and scipy (no compiled code of ours):

- cyclic coordinate descent (Friedman et al., 2010) on ``G`` with ``q = c - (G + l2 I) w`` kept up to
  date: it lets features enter (at most ``cap`` per epoch, halved whenever features had to leave again);
- active-set Newton steps (feature-sign search, Lee et al., 2007): on the support ``S`` with the signs of
  ``w``, the optimality conditions are the linear system ``(G_SS + l2 I) w_S = c_S - l1_S sign(w_S)``.
  Its solution is taken when the signs agree, and then checking ``|q_j| <= l1_j`` off the support proves
  optimality to machine precision (the *polish*); otherwise the step stops where the first coordinate
  crosses zero. A singular ``G_SS`` (more features than the data's rank) is handled through its
  eigendecomposition. No step raises the objective.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.linalg.blas import daxpy as _daxpy

_KKT_SLACK = 1e-10  # relative slack on |q_j| <= l1_j when checking a polished point
_RANK_TOLERANCE = 4 * np.finfo(float).eps


def soft_threshold_epochs(H, q, w, l1, diag, positive, epochs, order=None) -> int:
    """``epochs`` cyclic passes of coordinate descent over ``order`` (default: all coordinates).

    ``w`` and ``q = c - H w`` are updated in place (``q -= delta H[j]`` by BLAS ``daxpy``, a third of
    numpy's cost for one row). Returns the passes made.
    """
    l1, diag, positive = l1.tolist(), diag.tolist(), positive.tolist()
    order = range(len(diag)) if order is None else order.tolist()
    in_place = q.dtype == np.float64 and q.flags.c_contiguous and H.dtype == np.float64
    values = w.tolist()
    for _ in range(epochs):
        for j in order:
            d = diag[j]
            if d <= 0.0:
                continue
            old = values[j]
            z = float(q[j]) + d * old
            threshold = l1[j]
            if z > threshold:
                new = (z - threshold) / d
            elif z < -threshold and not positive[j]:
                new = (z + threshold) / d
            else:
                new = 0.0
            if new != old:
                if in_place:
                    _daxpy(H[j], q, a=old - new)
                else:
                    q -= (new - old) * H[j]
                values[j] = new
    w[:] = values
    return epochs


def kkt_violation(q, w, l1, positive) -> float:
    """The largest distance of ``q`` (minus the smooth gradient) from the subdifferential of the penalty."""
    if len(q) == 0:
        return 0.0
    nonzero = w != 0
    on = np.abs(q - l1 * np.sign(w))
    off = np.where(positive, q, np.abs(q)) - l1
    return float(np.max(np.where(nonzero, on, np.maximum(off, 0.0))))


def objective(H, c, w, l1):
    """``0.5 w^T H w - c^T w + sum l1_j |w_j|`` (``H = G + l2 I``)."""
    return 0.5 * float(w @ (H @ w)) - float(c @ w) + float(l1 @ np.abs(w))


def _support_direction(H_SS, b, current):
    """The step from ``current`` to the minimizer of ``0.5 x^T H_SS x - b^T x`` (``t_max = 1``).

    When ``H_SS`` is singular (more features on the support than the data's
    rank) and ``b`` has a part in its null space, the quadratic decreases
    without bound along that part: the step is that ray (``t_max = inf``) and
    a coordinate must reach zero on the way, which lowers the support towards the rank.
    Returns ``(direction, t_max)``, or ``None``.
    """
    try:
        factor = np.linalg.cholesky(H_SS)
        solution = scipy.linalg.cho_solve((factor, True), b)
        if np.all(np.isfinite(solution)):
            return solution - current, 1.0
    except np.linalg.LinAlgError:
        pass
    eigenvalues, vectors = np.linalg.eigh(H_SS)
    kept = eigenvalues > _RANK_TOLERANCE * len(b) * max(eigenvalues[-1], 0.0)
    range_basis = vectors[:, kept]
    null_part = b - range_basis @ (range_basis.T @ b)
    if np.linalg.norm(null_part) > 1e-10 * np.linalg.norm(b):
        return null_part, np.inf
    in_range = range_basis @ ((range_basis.T @ b) / eigenvalues[kept])
    return in_range - range_basis @ (range_basis.T @ current), 1.0


def newton_step(H, c, w, l1, positive):
    """One active-set Newton step on the support of ``w`` (feature-sign search, Lee et al. 2007).

    The minimizer of the quadratic on the support with the signs of ``w``,
    ``(G_SS + l2 I) w_S = c_S - l1_S sign(w_S)``, is taken when its signs agree
    (then ``exact`` says whether ``|q_j| <= l1_j`` holds off the support, i.e. the
    point is optimal); otherwise the step stops at the first coordinate that
    crosses zero, which is set to zero. Either way the objective does not increase.
    Returns ``(w, exact, crossed)``.
    """
    free = (l1 == 0) & ~positive
    support = np.flatnonzero((w != 0) | free)
    if len(support) == 0:
        return w, False, False
    signs = np.sign(w[support])
    signs[free[support]] = 0.0
    current = w[support]
    found = _support_direction(H[np.ix_(support, support)], c[support] - l1[support] * signs, current)
    if found is None:
        return w, False, False
    direction, t_max = found
    bounded = signs != 0
    crossing = bounded & (direction * signs < 0)
    fractions = np.full(len(support), np.inf)
    fractions[crossing] = -current[crossing] / direction[crossing]
    first = int(np.argmin(fractions))
    step = min(t_max, float(fractions[first]))
    if not np.isfinite(step):
        return w, False, False
    moved = current + step * direction
    new = np.zeros_like(w)
    exact = False
    if step < t_max:
        moved[first] = 0.0
        moved[bounded & (moved * signs <= 0)] = 0.0
    else:
        q = c - H[:, support] @ moved
        rest = np.ones(len(c), dtype=bool)
        rest[support] = False
        off = np.where(positive, q, np.abs(q))[rest]
        exact = not np.any(off > l1[rest] * (1 + _KKT_SLACK) + 1e-14 * np.max(np.abs(c)))
    new[support] = moved
    before = objective(H, c, w, l1)
    after = objective(H, c, new, l1)
    if after > before + 1e-13 * (abs(before) + 1e-300):
        return w, False, False
    if step < t_max and t_max == 1.0:
        # The full step with the coordinates that changed sign set to zero (a projected Newton step) often
        # removes all the wrong features at once: taken when it is lower still.
        projected = np.zeros_like(w)
        full = current + direction
        projected[support] = np.where(bounded & (full * signs <= 0), 0.0, full)
        if objective(H, c, projected, l1) < after:
            return projected, False, True
    return new, exact, step < t_max


def solve(G, c, w, l1, l2, positive, tol, max_epochs):
    """Minimize the penalized quadratic from ``w``.

    Alternates one coordinate-descent epoch (which lets features enter and
    leave) with one active-set Newton step on the support (which converges in
    one step once the support and signs are right). Stops when a Newton step
    proves the point optimal, when the KKT violation is ``<= tol``, or after
    ``max_epochs``. Returns ``(w, epochs, exact)``.
    """
    H = G + l2 * np.eye(len(c)) if l2 else G
    diag = H.diagonal().copy()
    free = (l1 == 0) & ~positive
    epochs, cap = 0, len(c)
    while epochs < max_epochs:
        crossings = 0
        for _ in range(len(c) + 1):  # Newton steps while coordinates leave the support
            w, exact, crossed = newton_step(H, c, w, l1, positive)
            if exact:
                return w, max(epochs, 1), True
            if not crossed:
                break
            crossings += 1
        # Features that had to leave again mean too many entered at once (typically more than the rank of the
        # data): let fewer in per epoch; none leaving lets more in.
        cap = max(1, cap // 2) if crossings else min(len(c), 2 * cap)
        q = c - H @ w
        outside = (w == 0) & ~free
        violation = np.where(positive, q, np.abs(q)) - l1
        candidates = np.flatnonzero(outside & (violation > 0))
        if len(candidates) > cap:
            candidates = candidates[np.argpartition(-violation[candidates], cap - 1)[:cap]]
        order = np.union1d(np.flatnonzero(~outside), candidates)
        soft_threshold_epochs(H, q, w, l1, diag, positive, 1, order)
        epochs += 1
        if kkt_violation(q, w, l1, positive) <= tol:
            break
    return w, epochs, False
