"""Hyperparameter search: random, on the right scale, coarse to fine, in parallel
(Improving Deep Neural Networks notes, sections 24-26: hyperparameter tuning).

- Sample at random rather than on a grid: every trial then tries a new value
  of every hyperparameter.
- Sample on the right scale: a learning rate between 1e-4 and 1 uniformly in
  log10 (``LogUniform``); a momentum beta between 0.9 and 0.999 so that
  1 - beta is log-uniform (``OneMinusLogUniform``).
- Coarse to fine: ``refine`` narrows the space around the best trials.
- Many models in parallel (the "caviar" strategy): trials run in local worker
  processes by default, or through any ``concurrent.futures.Executor``, such
  as a Dask cluster via ``distributed.Client(...).get_executor()``.

Configurations and per-trial seeds are drawn up front from ``seed``, so the
results are the same whichever executor runs them. A trial that raises, returns
something other than a finite number, runs past ``timeout`` or kills its worker
process is recorded as a failed Trial; the search goes on and keeps every
finished result.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import multiprocessing
import numbers
import operator
import os
import pickle
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for_processes
from typing import Any

import numpy as np


class Space:
    """A distribution to sample one hyperparameter from."""

    def sample(self, rng: np.random.Generator) -> Any:
        raise TypeError(f"{type(self).__name__} must define sample()")

    def narrowed(self, values: Sequence[Any]) -> Space:
        """A space around ``values`` (the best trials' values), inside this one."""
        raise TypeError(f"{type(self).__name__} must define narrowed()")


def _check_bounds(name: str, lo: float, hi: float) -> None:
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"{name}: need finite lo <= hi, got {lo}, {hi}")


@dataclass(frozen=True)
class Uniform(Space):
    """Uniform on [lo, hi]."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        _check_bounds(type(self).__name__, self.lo, self.hi)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.lo, self.hi))

    def narrowed(self, values: Sequence[Any]) -> Uniform:
        lo, hi = _widened(min(values), max(values), self.lo, self.hi)
        return Uniform(lo, hi)


@dataclass(frozen=True)
class LogUniform(Space):
    """log10 of the value is uniform: as likely in [1e-4, 1e-3] as in [0.1, 1] (learning rates)."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        _check_bounds("LogUniform", self.lo, self.hi)
        if not 0 < self.lo:
            raise ValueError(f"LogUniform: need 0 < lo <= hi, got {self.lo}, {self.hi}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(10 ** rng.uniform(math.log10(self.lo), math.log10(self.hi)))

    def narrowed(self, values: Sequence[Any]) -> LogUniform:
        lo, hi = _widened(
            math.log10(min(values)),
            math.log10(max(values)),
            math.log10(self.lo),
            math.log10(self.hi),
        )
        return LogUniform(10**lo, 10**hi)


@dataclass(frozen=True)
class OneMinusLogUniform(Space):
    """beta in [lo, hi] with 1 - beta log-uniform: as likely in [0.9, 0.99] as in [0.99, 0.999]."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not 0 <= self.lo <= self.hi < 1:
            raise ValueError(
                f"OneMinusLogUniform: need 0 <= lo <= hi < 1, got {self.lo}, {self.hi}"
            )

    def sample(self, rng: np.random.Generator) -> float:
        return float(1 - 10 ** rng.uniform(math.log10(1 - self.hi), math.log10(1 - self.lo)))

    def narrowed(self, values: Sequence[Any]) -> OneMinusLogUniform:
        gaps = LogUniform(1 - self.hi, 1 - self.lo).narrowed([1 - v for v in values])
        return OneMinusLogUniform(1 - gaps.hi, 1 - gaps.lo)


@dataclass(frozen=True)
class IntUniform(Space):
    """An integer uniform on lo..hi, both included (layer sizes, batch sizes)."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        for name in ("lo", "hi"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (
                isinstance(value, numbers.Integral)
                or (isinstance(value, numbers.Real) and float(value).is_integer())
            ):
                raise TypeError(f"IntUniform: {name} must be an integer, got {value!r}")
            object.__setattr__(self, name, int(value))
        if not self.lo <= self.hi:
            raise ValueError(f"IntUniform: lo must be <= hi, got {self.lo}, {self.hi}")

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.lo, self.hi + 1))

    def narrowed(self, values: Sequence[Any]) -> IntUniform:
        lo, hi = _widened(min(values), max(values), self.lo, self.hi)
        return IntUniform(math.floor(lo), math.ceil(hi))


@dataclass(frozen=True)
class Choice(Space):
    """One of ``options``, equally likely."""

    options: tuple[Any, ...]

    def __init__(self, options: Sequence[Any]) -> None:
        if isinstance(options, (str, bytes)) or len(options) == 0:
            raise ValueError(f"Choice: needs a non-empty list of options, got {options!r}")
        object.__setattr__(self, "options", tuple(options))

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def narrowed(self, values: Sequence[Any]) -> Choice:
        return Choice([option for option in self.options if option in values])


def _widened(
    lo: float, hi: float, floor: float, ceiling: float, margin: float = 0.25
) -> tuple[float, float]:
    """[lo, hi] grown by ``margin`` of its width on each side, kept inside [floor, ceiling]."""
    width = hi - lo if hi > lo else 0.1 * (ceiling - floor)
    return max(floor, lo - margin * width), min(ceiling, hi + margin * width)


@dataclass
class Trial:
    """One evaluated configuration: ``score`` is the objective (lower is better), or
    NaN when the trial failed, with what went wrong (a traceback, a timeout, a dead
    worker process) in ``error``. ``duration`` is in seconds."""

    config: dict[str, Any]
    score: float
    seed: int
    duration: float
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def sample_configs(
    space: Mapping[str, Space], n_trials: int, seed: int = 0
) -> list[tuple[dict, int]]:
    """The (config, trial seed) pairs ``random_search`` evaluates, in order."""
    for name, dimension in space.items():
        if not isinstance(dimension, Space):
            raise TypeError(
                f"random_search: space[{name!r}] is a {type(dimension).__name__}, not a Space"
            )
    rng = np.random.default_rng(seed)
    drawn = []
    for _ in range(n_trials):
        config = {name: dimension.sample(rng) for name, dimension in space.items()}
        drawn.append((config, int(rng.integers(2**31 - 1))))
    return drawn


def run_trial(objective: Callable[..., float], config: dict[str, Any], seed: int) -> Trial:
    """Evaluate one configuration; an exception becomes a failed Trial, never an escape."""
    start = time.perf_counter()
    try:
        score, error = _score(_call(objective, config, seed)), None
    except (Exception, SystemExit):  # recorded (a sys.exit too); the search goes on
        score, error = float("nan"), traceback.format_exc()
    return Trial(dict(config), score, seed, time.perf_counter() - start, error)


def _score(value: Any) -> float:
    """The objective's value as a finite float, or an error saying what it returned."""
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise TypeError(
            f"the objective returned {type(value).__name__} {value!r}, not a number; "
            "return the score to minimize as a float"
        )
    score = float(value)
    if not math.isfinite(score):
        raise ValueError(f"the objective returned {score}; return a finite score (lower is better)")
    return score


def _call(objective: Callable[..., float], config: dict[str, Any], seed: int) -> float:
    try:
        accepts_seed = "seed" in inspect.signature(objective).parameters
    except (TypeError, ValueError):
        accepts_seed = False
    return objective(config, seed=seed) if accepts_seed else objective(config)


def random_search(
    objective: Callable[..., float],
    space: Mapping[str, Space],
    n_trials: int,
    seed: int = 0,
    executor: Executor | None = None,
    timeout: float | None = None,
) -> list[Trial]:
    """Evaluate ``objective(config)`` (lower is better) on ``n_trials`` random configurations.

    ``space`` maps names to Spaces. If the objective has a ``seed`` parameter
    it receives the trial's seed, so that its own randomness is reproducible.
    Returns the trials best first; failed ones (``error`` set, score NaN) come
    last, in the order they were drawn. A trial fails when the objective raises
    or returns something other than a finite number, when it runs longer than
    ``timeout`` seconds, or when its worker process dies; the others go on.

    By default the trials run in local worker processes (one per core), which
    needs ``objective`` (and the configurations) picklable: defined at module
    level. Each process runs one trial at a time, so a failure is pinned on its
    own trial: a trial past ``timeout`` has its process stopped (terminated, then
    killed), a trial whose process dies (out of memory, a crash in native code,
    ``os._exit``) is recorded as failed and not re-run, and in both cases a new
    process takes the trials not yet run.

    With ``executor`` (any concurrent.futures.Executor: a thread pool, or Dask's
    ``client.get_executor()``) a timed-out trial is cancelled where the executor
    can, and otherwise abandoned: a running thread or Dask task cannot be
    stopped and keeps its worker busy until it returns. A trial's clock then
    starts when it is submitted, and with a timeout no more trials are submitted
    at once than the executor has workers (``max_workers``, or the Dask
    cluster's threads), so that queued trials do not run out of time while they
    wait. An executor that breaks (a ProcessPoolExecutor whose worker died)
    fails the trials it had not finished; the finished ones are kept.

    Ctrl-C (KeyboardInterrupt) stops the worker processes (or cancels the
    trials not yet started on ``executor``) and propagates; the interrupt's
    ``trials`` attribute holds the trials finished so far, best first.
    """
    n_trials = _count("n_trials", n_trials)
    if n_trials < 1:
        raise ValueError(f"random_search: n_trials must be >= 1, got {n_trials}")
    if timeout is not None and not (isinstance(timeout, numbers.Real) and timeout > 0):
        raise ValueError(f"random_search: timeout must be None or seconds > 0, got {timeout!r}")
    drawn = sample_configs(space, n_trials, seed)
    finished: dict[int, Trial] = {}
    try:
        if executor is None:
            _LocalSearch(objective, drawn, timeout, finished).run()
        else:
            _run_on_executor(executor, objective, drawn, timeout, finished)
    except KeyboardInterrupt as interrupt:
        interrupt.trials = _best_first(finished[i] for i in sorted(finished))  # type: ignore[attr-defined]
        raise
    return _best_first(finished[i] for i in range(n_trials))


def _count(name: str, value: Any) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"random_search: {name} must be an int, got {value!r}") from None


def _best_first(trials: Iterable[Trial]) -> list[Trial]:
    """Successful trials by score, then failed ones in their given order (a stable sort)."""
    return sorted(trials, key=lambda trial: (trial.failed, 0.0 if trial.failed else trial.score))


def _failed(drawn: tuple[dict, int], error: str, duration: float) -> Trial:
    config, seed = drawn
    return Trial(dict(config), float("nan"), seed, duration, error)


def _not_sendable(error: BaseException) -> TypeError:
    return TypeError(
        "random_search: the objective cannot be sent to worker processes "
        f"({type(error).__name__}: {error}); define it at module level, or pass "
        "executor=concurrent.futures.ThreadPoolExecutor()"
    )


# ------------------------------------------------------------ local worker processes
def _serve(connection: Connection, payload: bytes) -> None:
    """A worker process: run the (config, seed) pairs sent over ``connection``, one at a
    time, sending back each Trial, until the parent closes it or stops the process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        # (in memory, from this search's own parent process: the objective the user passed)
        objective = pickle.loads(payload)
    except Exception:  # every trial then fails with the reason, instead of a silent death
        objective = _cannot_load(traceback.format_exc())
    while True:
        try:
            config, seed = connection.recv()
        except EOFError:
            return
        connection.send(run_trial(objective, config, seed))


def _cannot_load(reason: str) -> Callable[[dict], float]:
    def objective(config: dict) -> float:
        raise RuntimeError(f"the worker process could not load the objective:\n{reason}")

    return objective


class _Worker:
    """One local process that runs the trials handed to it, one at a time."""

    def __init__(self, context: Any, payload: bytes) -> None:
        self.connection, self._child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(self._child_end, payload), daemon=True)
        self.task: int | None = None  # the index of the trial it is running
        self.started = 0.0

    def start(self) -> None:
        self.process.start()
        self._child_end.close()  # the parent's copy: closed, it sees EOF when the child dies

    def run(self, index: int, config: dict, seed: int) -> None:
        self.task, self.started = index, time.perf_counter()
        with contextlib.suppress(OSError):  # the process has just died: the next check says so
            self.connection.send((config, seed))

    def result(self) -> Trial | None:
        """The trial it sent back, or None when the process died before sending it."""
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            return None

    def exit_description(self) -> str:
        self.process.join(timeout=1.0)
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"exit code {code}: killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def stop(self) -> None:
        """Terminate the process (SIGTERM), kill it if it has not ended within a second."""
        if self.process.pid is not None:
            if self.process.is_alive():
                self.process.terminate()
                self.process.join(timeout=1.0)
            if self.process.is_alive():
                self.process.kill()
            self.process.join()
        self._child_end.close()
        self.connection.close()


class _LocalSearch:
    """The trials of ``drawn`` in local worker processes, one per core, each running
    one trial at a time; results go into ``finished`` (index -> Trial) as they come."""

    def __init__(
        self,
        objective: Callable[..., float],
        drawn: list[tuple[dict, int]],
        timeout: float | None,
        finished: dict[int, Trial],
    ) -> None:
        try:
            self.payload = pickle.dumps(objective)
            pickle.dumps(drawn)
        except Exception as error:  # pickling raises PicklingError, AttributeError, TypeError
            raise _not_sendable(error) from error
        self.drawn, self.timeout, self.finished = drawn, timeout, finished
        self.context = multiprocessing.get_context()
        self.todo = deque(range(len(drawn)))
        self.workers: list[_Worker] = []

    def run(self) -> None:
        try:
            for _ in range(min(len(self.drawn), os.cpu_count() or 1)):
                self._give_next(self._new_worker())
            while busy := [worker for worker in self.workers if worker.task is not None]:
                waitables = [w.connection for w in busy] + [w.process.sentinel for w in busy]
                wait_for_processes(waitables, timeout=self._time_left(busy))
                now = time.perf_counter()
                for worker in busy:
                    self._check(worker, now)
        finally:  # also on Ctrl-C: no process outlives the search
            for worker in self.workers:
                worker.stop()

    def _new_worker(self) -> _Worker:
        worker = _Worker(self.context, self.payload)
        self.workers.append(worker)  # listed before it starts, so that it is always stopped
        worker.start()
        return worker

    def _give_next(self, worker: _Worker) -> None:
        if self.todo:
            index = self.todo.popleft()
            worker.run(index, *self.drawn[index])

    def _time_left(self, busy: list[_Worker]) -> float | None:
        if self.timeout is None:
            return None
        first_deadline = min(worker.started for worker in busy) + self.timeout
        return max(0.0, first_deadline - time.perf_counter())

    def _check(self, worker: _Worker, now: float) -> None:
        """Record the worker's trial if it has finished, died or run out of time."""
        index = worker.task
        assert index is not None
        alive = worker.process.is_alive()  # before reading: a dead process has sent all it will
        trial = worker.result() if worker.connection.poll() else None
        if trial is not None:
            self.finished[index] = trial
            worker.task = None
            if worker.process.is_alive():
                self._give_next(worker)
                return
        elif not alive or worker.connection.poll():
            self.finished[index] = _failed(
                self.drawn[index],
                f"worker process died ({worker.exit_description()}) while running this trial "
                "(out of memory, a crash in native code, os._exit?); it was not re-run, and "
                "the other trials went on in a new process",
                now - worker.started,
            )
        elif self.timeout is not None and now - worker.started >= self.timeout:
            self.finished[index] = _failed(
                self.drawn[index],
                f"timed out after {self.timeout:g} s; its worker process was stopped and "
                "the other trials went on in a new process",
                now - worker.started,
            )
        else:
            return  # still running
        self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self.workers.remove(worker)
        if self.todo:
            self._give_next(self._new_worker())


# ------------------------------------------------------------ any concurrent.futures.Executor
def _run_on_executor(
    executor: Executor,
    objective: Callable[..., float],
    drawn: list[tuple[dict, int]],
    timeout: float | None,
    finished: dict[int, Trial],
) -> None:
    """Submit the trials to ``executor`` and collect them into ``finished``; with a
    timeout, at most as many at a time as it has workers (when it says)."""
    todo = deque(range(len(drawn)))
    limit = _capacity(executor) if timeout is not None else None
    running: dict[Future, tuple[int, float]] = {}  # future -> (trial index, submitted at)
    try:
        while todo or running:
            while todo and (limit is None or len(running) < limit):
                index, first = todo.popleft(), not finished and not running
                future = _submit(executor, objective, drawn[index], first)
                running[future] = (index, time.perf_counter())
            wait(running, timeout=_time_left(running, timeout), return_when=FIRST_COMPLETED)
            now = time.perf_counter()
            for future, (index, submitted) in list(running.items()):
                trial = _settled(future, drawn[index], now - submitted, timeout)
                if trial is not None:
                    finished[index] = trial
                    del running[future]
    except BaseException:  # Ctrl-C among others: trials not started yet are not started
        for future in running:
            future.cancel()
        raise


def _time_left(running: dict[Future, tuple[int, float]], timeout: float | None) -> float | None:
    if timeout is None or not running:
        return None
    first_deadline = min(submitted for _, submitted in running.values()) + timeout
    return max(0.0, first_deadline - time.perf_counter())


def _settled(
    future: Future, drawn: tuple[dict, int], elapsed: float, timeout: float | None
) -> Trial | None:
    """The trial of ``future`` if it is done or out of time (then cancelled where the
    executor can), else None."""
    if future.done():
        return _collected(future, drawn, elapsed)
    if timeout is None or elapsed < timeout:
        return None
    future.cancel()
    return _failed(
        drawn,
        f"timed out after {timeout:g} s (counted from its submission); the executor cannot "
        "stop a running thread or Dask task, so it may still be running there",
        elapsed,
    )


def _submit(
    executor: Executor, objective: Callable[..., float], drawn: tuple[dict, int], first: bool
) -> Future:
    """Submit one trial; a failure to submit is the trial's failure, except for the first
    trial (nothing is lost then: the executor is unusable, e.g. shut down) and pickling."""
    try:
        return executor.submit(run_trial, objective, *drawn)
    except Exception as error:
        if _is_pickling_error(error):
            raise _not_sendable(error) from error
        if first:
            raise
        failed: Future = Future()
        failed.set_exception(error)
        return failed


def _collected(future: Future, drawn: tuple[dict, int], duration: float) -> Trial:
    """The Trial a done future holds; an executor's own failure becomes a failed Trial."""
    try:
        return future.result()
    except Exception as error:  # the trial itself never raises: run_trial records that
        if _is_pickling_error(error):
            raise _not_sendable(error) from error
        return _failed(
            drawn,
            f"the executor could not run the trial ({type(error).__name__}: {error})",
            duration,
        )


def _is_pickling_error(error: BaseException) -> bool:
    return isinstance(error, pickle.PicklingError) or "pickle" in str(error).lower()


def _capacity(executor: Executor) -> int | None:
    """How many trials ``executor`` runs at once, where it tells: ``max_workers`` of a
    thread or process pool, or the threads of a Dask client's workers."""
    workers = getattr(executor, "_max_workers", None)
    if isinstance(workers, int) and workers > 0:
        return workers
    threads = getattr(getattr(executor, "_client", None), "nthreads", None)
    if callable(threads):
        total = sum(threads().values())
        return total if total > 0 else None
    return None


def refine(
    results: Sequence[Trial], space: Mapping[str, Space], top_k: int = 5
) -> dict[str, Space]:
    """A narrower space around the ``top_k`` best successful trials (coarse to fine)."""
    if operator.index(top_k) < 1:
        raise ValueError(f"refine: top_k must be >= 1, got {top_k}")
    best = sorted((t for t in results if not t.failed), key=lambda t: t.score)[:top_k]
    if not best:
        raise ValueError("refine: no successful trial to refine around")
    for name in space:
        if any(name not in t.config for t in best):
            raise KeyError(
                f"refine: the trials have no value for {name!r}; pass the space they were "
                "sampled from"
            )
    return {
        name: dimension.narrowed([t.config[name] for t in best])
        for name, dimension in space.items()
    }
