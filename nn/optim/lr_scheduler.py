"""Learning-rate schedules (000_adf05432061c94f4.txt section 7.5; 001 section 22; 004).

Each scheduler sets ``lr`` in every parameter group from the group's initial
learning rate lr0 and the number t of ``step()`` calls so far, counted as in
PyTorch: creating the scheduler is step 0 (lr = lr0), and you call
``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per
iteration, if that is your unit of t).

- StepLR:            lr0 * gamma^floor(t / step_size)
- ExponentialLR:     lr0 * gamma^t          (the documents' lr0 e^(-k t): gamma = e^-k)
- InverseTimeLR:     lr0 / (1 + k t)
- CosineAnnealingLR: eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2
- LambdaLR:          lr0 * lr_lambda(t)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .optimizer import Optimizer


class LRScheduler:
    """Base class. Like PyTorch's schedulers these are chainable: each ``step()``
    updates the rate the group has now (``next_lr``), so two schedulers on one
    optimizer compose, and a rate changed by hand is decayed from its new
    value. ``closed_form(lr0, t)`` is the formula above; it is used when
    resuming with ``last_epoch`` and it is what a lone scheduler follows.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {optimizer!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        elif any("initial_lr" not in group for group in optimizer.param_groups):
            raise KeyError(f"{type(self).__name__}: resuming needs 'initial_lr' in every group")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self._step_count = 0
        self.step()

    def closed_form(self, lr0: float, t: int) -> float:
        raise TypeError(f"{type(self).__name__} must define closed_form()")

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        """The rate for step t from the current rate ``lr`` (default: the closed form)."""
        return self.closed_form(lr0, t)

    def step(self) -> None:
        """Advance t by one and set each group's learning rate."""
        self._step_count += 1
        self.last_epoch += 1
        t = self.last_epoch
        resuming = self._step_count == 1 and t > 0
        self._last_lr = []
        for index, (group, lr0) in enumerate(zip(self.optimizer.param_groups, self.base_lrs)):
            if resuming:
                lr = self._closed_form_for_group(index, lr0, t)
            else:
                lr = self._next_lr_for_group(index, group["lr"], lr0, t)
            group["lr"] = lr
            self._last_lr.append(lr)

    def _closed_form_for_group(self, index: int, lr0: float, t: int) -> float:
        return self.closed_form(lr0, t)

    def _next_lr_for_group(self, index: int, lr: float, lr0: float, t: int) -> float:
        return self.next_lr(lr, lr0, t)

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` steps (step decay)."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def closed_form(self, lr0: float, t: int) -> float:
        return lr0 * self.gamma ** (t // self.step_size)

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        return lr * self.gamma if t > 0 and t % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every step (exponential decay)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def closed_form(self, lr0: float, t: int) -> float:
        return lr0 * self.gamma**t

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        return lr * self.gamma if t > 0 else lr


class InverseTimeLR(LRScheduler):
    """lr0 / (1 + k t) (inverse-time decay; the documents' 1 / (1 + decay_rate * epoch))."""

    def __init__(self, optimizer: Optimizer, k: float, last_epoch: int = -1):
        if k < 0:
            raise ValueError(f"InverseTimeLR: k must be >= 0, got {k}")
        self.k = k
        super().__init__(optimizer, last_epoch)

    def closed_form(self, lr0: float, t: int) -> float:
        return lr0 / (1 + self.k * t)

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        return lr * (1 + self.k * (t - 1)) / (1 + self.k * t) if t > 0 else lr


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from lr0 down to ``eta_min`` over ``T_max`` steps (PyTorch's recursion)."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def closed_form(self, lr0: float, t: int) -> float:
        return self.eta_min + (lr0 - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        if t == 0:
            return lr
        if (t - 1 - self.T_max) % (2 * self.T_max) == 0:  # at the bottom: start back up
            return lr + (lr0 - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
        ratio = (1 + math.cos(math.pi * t / self.T_max)) / (
            1 + math.cos(math.pi * (t - 1) / self.T_max)
        )
        return ratio * (lr - self.eta_min) + self.eta_min


class LambdaLR(LRScheduler):
    """lr0 * lr_lambda(t); ``lr_lambda`` may be a list with one function per group."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ):
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: {len(lr_lambda)} functions for {groups} groups")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def _closed_form_for_group(self, index: int, lr0: float, t: int) -> float:
        return lr0 * self.lr_lambdas[index](t)

    def _next_lr_for_group(self, index: int, lr: float, lr0: float, t: int) -> float:
        return self._closed_form_for_group(index, lr0, t)

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}
