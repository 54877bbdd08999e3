"""Hyperparameter search: random, on the right scale, coarse to fine, in parallel
(001_c6b77ffe3f8d6a56.txt sections 24-26).

- Sample at random rather than on a grid: every trial then tries a new value
  of every hyperparameter.
- Sample on the right scale: a learning rate between 1e-4 and 1 uniformly in
  log10 (``LogUniform``); a momentum beta between 0.9 and 0.999 so that
  1 - beta is log-uniform (``OneMinusLogUniform``).
- Coarse to fine: ``refine`` narrows the space around the best trials.
- Many models in parallel (the "caviar" strategy): trials run through any
  ``concurrent.futures.Executor``: a local process pool by default, or a
  Dask cluster via ``distributed.Client(...).get_executor()``.

Configurations and per-trial seeds are drawn up front from ``seed``, so the
results are the same whichever executor runs them.
"""

from __future__ import annotations

import inspect
import math
import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np


class Space:
    """A distribution to sample one hyperparameter from."""

    def sample(self, rng: np.random.Generator) -> Any:
        raise TypeError(f"{type(self).__name__} must define sample()")

    def narrowed(self, values: Sequence[Any]) -> Space:
        """A space around ``values`` (the best trials' values), inside this one."""
        raise TypeError(f"{type(self).__name__} must define narrowed()")


@dataclass(frozen=True)
class Uniform(Space):
    """Uniform on [lo, hi]."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not self.lo <= self.hi:
            raise ValueError(f"{type(self).__name__}: lo must be <= hi, got {self.lo}, {self.hi}")

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
        if not 0 < self.lo <= self.hi:
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
        if len(options) == 0:
            raise ValueError("Choice: needs at least one option")
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
    NaN when the trial failed, with the traceback in ``error``."""

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
        score = float(_call(objective, config, seed))
        if math.isnan(score):
            raise ValueError("the objective returned NaN")
        error = None
    except Exception:  # a failing trial is recorded, the search goes on
        score, error = float("nan"), traceback.format_exc()
    return Trial(dict(config), score, seed, time.perf_counter() - start, error)


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
) -> list[Trial]:
    """Evaluate ``objective(config)`` (lower is better) on ``n_trials`` random configurations.

    ``space`` maps names to Spaces. If the objective has a ``seed`` parameter
    it receives the trial's seed, so that its own randomness is reproducible.
    Trials run on ``executor`` (any concurrent.futures.Executor); by default a
    local process pool, which needs ``objective`` defined at module level.
    Returns the trials best first; failed ones (``error`` set) come last.
    """
    if n_trials < 1:
        raise ValueError(f"random_search: n_trials must be >= 1, got {n_trials}")
    drawn = sample_configs(space, n_trials, seed)
    if executor is None:
        with ProcessPoolExecutor(max_workers=min(n_trials, os.cpu_count() or 1)) as pool:
            trials = _run_all(pool, objective, drawn)
    else:
        trials = _run_all(executor, objective, drawn)
    return sorted(trials, key=lambda trial: (trial.failed, trial.score))


def _run_all(
    executor: Executor, objective: Callable[..., float], drawn: list[tuple[dict, int]]
) -> list[Trial]:
    futures = [
        executor.submit(run_trial, objective, config, trial_seed) for config, trial_seed in drawn
    ]
    trials = []
    for future in futures:
        try:
            trials.append(future.result())
        except Exception as error:  # the executor itself failed to run it (e.g. pickling)
            if "pickle" in str(error).lower():
                raise TypeError(
                    "random_search: the objective cannot be sent to worker processes "
                    f"({error}); define it at module level, or pass "
                    "executor=concurrent.futures.ThreadPoolExecutor()"
                ) from error
            raise
    return trials


def refine(
    results: Sequence[Trial], space: Mapping[str, Space], top_k: int = 5
) -> dict[str, Space]:
    """A narrower space around the ``top_k`` best successful trials (coarse to fine)."""
    best = sorted((t for t in results if not t.failed), key=lambda t: t.score)[:top_k]
    if not best:
        raise ValueError("refine: no successful trial to refine around")
    return {
        name: dimension.narrowed([t.config[name] for t in best])
        for name, dimension in space.items()
    }
