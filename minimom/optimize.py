"""``minimize``: the loop that turns an autograd loss and an optimizer into a result."""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from autograd import make_hvp, make_vjp, value_and_grad

from .curvature import Curvature
from .optimizers import Momentum
from .result import STATUS_MESSAGES, OptimizeResult

__all__ = ["minimize", "TracingError"]

_MAX_RETUNES = 8  # a self-tuned run re-tunes (after divergence or a stall) at most this often
_PATIENCE = 100  # iterations without a new best loss or gradient norm that count as a stall


class TracingError(TypeError):
    """autograd could not follow the loss function through its parameters."""


def minimize(fun: Callable[..., Any], x0: Any, *, args: tuple = (), optimizer: Any = None,
             maxiter: int = 1000, tol: float = 1e-6, callback: Callable | None = None,
             batch_size: int | None = None, random_state: Any = None,
             verbose: bool = False) -> OptimizeResult:
    """Minimize ``fun(x, *args)`` with gradients from autograd and steps from ``optimizer``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, written with ``autograd.numpy``. Never
        write its gradient: autograd takes it.
    x0 : array_like or pytree
        The starting point: a float array of any shape, or dicts, lists and
        tuples nesting arrays and floats. Integers are promoted to float.
    args : tuple, default=()
        Extra arguments passed to ``fun``.
    optimizer : optimizer, default=None
        Any object with ``init``/``update`` (see :mod:`minimom.optimizers`);
        ``None`` means ``Momentum()``, tuned automatically.
    maxiter : int, default=1000
        The most iterations (epochs in mini-batch mode).
    tol : float, default=1e-6
        Stop when the gradient's infinity norm is ``<= tol``.
    callback : callable, default=None
        ``callback(intermediate_result)`` after every iteration, with an
        :class:`OptimizeResult` of the current state. Returning ``True`` or
        raising ``StopIteration`` stops the run successfully.
    batch_size : int, default=None
        Mini-batch mode: ``n`` is the length of the first array in ``args``;
        every array in ``args`` whose first axis has length ``n`` is cut into
        the same shuffled batches of ``batch_size`` rows, other arguments pass
        through.
        One iteration is then one epoch, after which the loss and gradient on
        all the data are recorded and tested against ``tol``.
    random_state : int, numpy Generator or None, default=None
        Seeds the shuffle of mini-batch mode.
    verbose : bool, default=False
        Show progress (a tqdm bar when tqdm is installed).

    Returns
    -------
    OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``success``, ``status``,
        ``message``, ``history`` and ``optimizer`` (with "auto" resolved).

    Examples
    --------
    >>> import autograd.numpy as anp
    >>> import numpy as np
    >>> import minimom as mm
    >>> res = mm.minimize(lambda p: anp.sum((p["w"] - 3.0) ** 2) + (p["b"] + 1.0) ** 2,
    ...                   {"w": np.zeros(2), "b": 0.0})
    >>> res.status, np.round(res.x["w"], 6).tolist(), round(res.x["b"], 6)
    ('converged', [3.0, 3.0], -1.0)
    """
    maxiter, tol = _check_options(maxiter, tol)
    optimizer = Momentum() if optimizer is None else optimizer
    _check_protocol(optimizer)
    if not isinstance(args, tuple):
        args = (args,)
    x, unflatten, restore = _flatten_x0(x0)

    def flat_fun(flat, *fargs):
        return fun(unflatten(flat), *fargs)

    batches = None if batch_size is None else _Batches(args, batch_size, random_state)
    try:
        loss, grad = _first_evaluation(flat_fun, x, args)
    except (ValueError, IndexError) as err:
        if batches is not None:
            batches.explain(err)
        raise
    run = _Run(flat_fun, x, loss, grad, optimizer, args, maxiter, tol, callback, verbose,
               restore, batches)
    return run.result()


class _Run:
    """One run of the loop; holds the last good iterate so nothing is lost."""

    def __init__(self, flat_fun, x, loss, grad, optimizer, args, maxiter, tol, callback, verbose,
                 restore, batches):
        self.flat_fun, self.args, self.maxiter, self.tol = flat_fun, args, maxiter, tol
        self.callback, self.restore, self.batches = callback, restore, batches
        self.value_and_grad = value_and_grad(flat_fun)
        self.x, self.loss, self.grad, self.gnorm = x, float(loss), grad, _inf_norm(grad)
        self.nit, self.nfev, self.history = 0, 1, []
        self.base_optimizer = self.optimizer = optimizer
        self.progress = _Progress(maxiter, verbose)

    def _calibrate(self, safety: float):
        calibrate = getattr(self.base_optimizer, "calibrate", None)
        if calibrate is None:
            return self.base_optimizer
        args = self.batches.sample() if self.batches is not None else self.args
        x, hvp_at_x = self.x, []

        def hvp(v):  # traced on first use: optimizers with numbers given never pay for it
            if not hvp_at_x:
                hvp_at_x.append(make_hvp(self.flat_fun)(x, *args)[0])
            return hvp_at_x[0](v)

        return calibrate(Curvature(hvp, x, safety=safety))

    def result(self) -> OptimizeResult:
        # Overflow and NaN are expected in a diverging run, which is detected and reported.
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                if not (math.isfinite(self.loss) and math.isfinite(self.gnorm)):
                    status = "diverged"
                elif self.gnorm <= self.tol:
                    status = "converged"
                else:
                    self.optimizer = self._calibrate(safety=1.0)
                    status = self._loop()
            except KeyboardInterrupt:
                status = "interrupted"
            finally:
                self.progress.close()
        return self._result(status)

    def _loop(self) -> str:
        # A self-tuned optimizer (its calibrate returned a tuned copy) is re-tuned from
        # the best iterate when the run diverges or stalls; numbers given run as given.
        guard = _Guard(self.iterate) if self.optimizer is not self.base_optimizer else None
        state, update = self.optimizer.init(self.x), self.optimizer.update
        while self.nit < self.maxiter:
            x, state, loss, grad = self._advance(update, state)
            gnorm = _inf_norm(grad)  # once per iteration: it tells finiteness, convergence and progress
            finite = math.isfinite(loss) and math.isfinite(gnorm)
            if finite:
                status = self._accept(x, loss, grad, gnorm)
                if status is not None:
                    return status
                if guard is None or not guard.stalled(self.iterate):
                    continue
            if guard is None or guard.retunes == _MAX_RETUNES:
                if not finite:
                    return "diverged"
                continue
            self.x, self.loss, self.grad, self.gnorm = guard.best
            self.optimizer = self._calibrate(safety=guard.next_safety(diverged=not finite))
            state, update = self.optimizer.init(self.x), self.optimizer.update
        return "maxiter"

    def _advance(self, update, state):
        """One iteration: a step (or an epoch of mini-batch steps) and the loss and gradient after it."""
        if self.batches is not None:
            return self._epoch(update, state)
        step, state = update(self.grad, state, self.x)
        x = self.x + step
        loss, grad = self.value_and_grad(x, *self.args)
        self.nfev += 1
        return x, state, loss, grad

    @property
    def iterate(self) -> tuple:
        return self.x, self.loss, self.grad, self.gnorm

    def _accept(self, x, loss, grad, gnorm) -> str | None:
        """Make a finite iterate the current one; return a status if the run should end there."""
        self.x, self.loss, self.grad, self.gnorm = x, float(loss), grad, gnorm
        self.nit += 1
        self.history.append(self.loss)
        self.progress.update(self.loss)
        if self.callback is not None and self._call_back():
            return "callback"
        return "converged" if gnorm <= self.tol else None

    def _epoch(self, update, state):
        """One pass over shuffled mini-batches, then the loss and gradient on all the data."""
        x = self.x
        for batch_args in self.batches.epoch():
            loss, grad = self.value_and_grad(x, *batch_args)
            self.nfev += 1
            if not _finite(loss, grad):
                return x, state, math.nan, grad
            step, state = update(grad, state, x)
            x = x + step
        loss, grad = self.value_and_grad(x, *self.args)
        self.nfev += 1
        return x, state, loss, grad

    def _call_back(self) -> bool:
        try:
            stop = self.callback(self._result("callback", intermediate=True))
            return isinstance(stop, (bool, np.bool_)) and bool(stop)
        except StopIteration:
            return True

    def _result(self, status: str, intermediate: bool = False) -> OptimizeResult:
        gnorm = self.gnorm if math.isfinite(self.gnorm) else math.inf
        message = STATUS_MESSAGES[status].format(gnorm=gnorm, tol=self.tol, maxiter=self.maxiter, nit=self.nit)
        return OptimizeResult(
            x=self.restore(self.x.copy()), fun=self.loss, jac=self.restore(self.grad.copy()),
            nit=self.nit, nfev=self.nfev,
            success=intermediate or status in ("converged", "callback"),
            status="running" if intermediate else status,
            message="In progress." if intermediate else message,
            history=np.array(self.history), optimizer=self.optimizer,
        )


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


def _inf_norm(grad) -> float:
    """max |grad|: NaN or inf when the gradient is not finite."""
    return float(np.max(np.abs(grad))) if grad.size else 0.0


def _finite(loss, grad) -> bool:
    return math.isfinite(loss) and math.isfinite(_inf_norm(grad))


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


def _check_options(maxiter, tol):
    if isinstance(maxiter, bool) or not isinstance(maxiter, numbers.Integral) or maxiter < 0:
        raise ValueError(f"maxiter must be an integer >= 0, got {maxiter!r}.")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}.")
    return int(maxiter), float(tol)


def _check_protocol(optimizer):
    missing = [name for name in ("init", "update") if not callable(getattr(optimizer, name, None))]
    if missing:
        raise TypeError(
            f"optimizer {optimizer!r} does not follow the optimizer protocol: it lacks "
            f"{' and '.join(missing)}. An optimizer needs init(params) -> state and "
            "update(grad, state, params) -> (step, new_state); see minimom.Optimizer."
        )


def _leaves(tree, path="x0"):
    """Yield ``(path, leaf)`` in a fixed order: dict values in key order, then list/tuple items."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, f"{path}[{key!r}]")
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, tree


def _rebuild(tree, parts):
    """``tree``'s structure with its leaves replaced, in order, by ``next(parts)``."""
    if isinstance(tree, dict):
        return {key: _rebuild(value, parts) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_rebuild(value, parts) for value in tree)
    return next(parts)


def _check_leaf(path, leaf):
    array = np.asarray(leaf)
    if array.dtype.kind == "c":
        raise TypeError(f"{path} is complex; minimom minimizes over real parameters only.")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{path} must be numeric (a float array or number), got {type(leaf).__name__} "
                        f"of dtype {array.dtype}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{path} contains NaN or inf; start from finite values.")
    return array


def _flatten_x0(x0):
    """Flatten ``x0`` once, at the edge, to one float64 vector (as ``autograd.misc.flatten`` does).

    Returns the vector, ``unflatten`` for the objective (autograd traces its
    slices), and ``restore`` for results (scalar leaves come back as floats).
    """
    leaves = [_check_leaf(path, leaf) for path, leaf in _leaves(x0)]
    flat = np.concatenate([leaf.ravel() for leaf in leaves]).astype(np.float64) if leaves else np.empty(0)
    if flat.size == 0:
        raise ValueError("x0 is empty; give at least one parameter to optimize.")
    if isinstance(x0, np.ndarray):  # the common case: nothing to rebuild
        shape = x0.shape
        return flat, (lambda v: v.reshape(shape)), (lambda v: v.reshape(shape))
    bounds = np.cumsum([0] + [leaf.size for leaf in leaves])
    shapes = [leaf.shape for leaf in leaves]
    scalars = [np.ndim(leaf) == 0 and not isinstance(leaf, np.ndarray) for _, leaf in _leaves(x0)]

    def unflatten(v):
        return _rebuild(x0, (v[lo:hi].reshape(shape) for lo, hi, shape in zip(bounds[:-1], bounds[1:], shapes)))

    def restore(v):
        parts = (float(v[lo]) if scalar else v[lo:hi].reshape(shape)
                 for lo, hi, shape, scalar in zip(bounds[:-1], bounds[1:], shapes, scalars))
        return _rebuild(x0, parts)

    return flat, unflatten, restore


_TRACING_HELP = (
    "autograd could not trace the loss function through its parameters: {why}. "
    "Write the loss with autograd.numpy (import autograd.numpy as anp) on the parameters: "
    "no float(), numpy.asarray() or plain numpy calls on them, and no in-place assignment "
    "(x[i] = ...); build new arrays instead (e.g. anp.concatenate, anp.where)."
)


def _first_evaluation(flat_fun, x, args):
    """Evaluate once with checks that turn autograd's puzzles into clear errors."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            vjp, value = make_vjp(flat_fun)(x, *args)
    except Exception as err:
        _raise_if_untraceable(flat_fun, x, args, err)
        raise
    _check_value(value)
    detached = False
    for caught_warning in caught:  # autograd's "independent of input" is ours to explain; re-issue the rest
        if "independent of input" in str(caught_warning.message):
            detached = True
        else:
            warnings.warn_explicit(caught_warning.message, caught_warning.category, caught_warning.filename,
                                   caught_warning.lineno)
    if detached and _depends_on_x(flat_fun, x, args, value):
        why = "the loss came back as a plain number, cut off from the parameters"
        raise TracingError(_TRACING_HELP.format(why=why))
    grad = vjp(np.ones_like(value, dtype=float) if np.ndim(value) else 1.0)
    grad = np.asarray(grad)
    if grad.dtype == object:
        raise TracingError(_TRACING_HELP.format(why="the gradient came back as an object array"))
    return float(value), grad.astype(np.float64)


def _check_value(value):
    if isinstance(value, (str, bytes)):
        raise TypeError(f"fun must return a real number, got a {type(value).__name__}: {value!r}.")
    value = np.asarray(getattr(value, "_value", value))
    if value.dtype.kind == "c":
        raise TypeError("fun must return a real number, got a complex one; return e.g. its real part or modulus.")
    if value.dtype.kind not in "biuf":
        raise TypeError(f"fun must return a real number, got dtype {value.dtype}.")
    if value.size != 1:
        raise ValueError(f"fun must return a scalar, got an array of shape {value.shape}; "
                         "reduce it, e.g. with anp.sum or anp.mean.")


def _depends_on_x(flat_fun, x, args, value) -> bool:
    bumped = x + 1e-3 * (1 + np.abs(x))
    try:
        return float(flat_fun(bumped, *args)) != float(value)
    except Exception:
        return False


def _raise_if_untraceable(flat_fun, x, args, err):
    """If ``fun`` works on plain arrays but not under autograd, say so instead of a cryptic error."""
    try:
        flat_fun(x.copy(), *args)
    except Exception:
        return  # the function is broken on plain numbers too: its own error is the clearest
    raise TracingError(_TRACING_HELP.format(why=f"{type(err).__name__}: {err}")) from err
