"""Learning-rate schedules (CS229 Lecture 12 notes, section 7.5; Improving Deep Neural
Networks notes, section 22: learning rate decay; Neural Networks and Backpropagation,
Deep Learning course slides).

Each scheduler sets ``lr`` in every parameter group from the group's initial
learning rate lr0 and the number t of ``step()`` calls so far, counted as in
PyTorch: creating the scheduler is step 0 (lr = lr0), and you call
``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per
iteration, if that is your unit of t).

- StepLR:            lr0 * gamma^floor(t / step_size)
- ExponentialLR:     lr0 * gamma^t          (CS229 notes, slides: lr0 e^(-k t), gamma = e^-k)
- InverseTimeLR:     lr0 / (1 + k t)
- CosineAnnealingLR: eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2
- LambdaLR:          lr0 * lr_lambda(t)

A schedule never sets a learning rate that is NaN, infinite or negative: its
arguments are checked when it is made or loaded, and every rate it computes
before any group gets it (a lr_lambda returning NaN, or a group whose rate
was set to NaN by hand, raises ValueError and changes nothing).
"""

from __future__ import annotations

import copy
import math
import types
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from .checks import NON_NEGATIVE, POSITIVE_INTEGER, Integer, Rule, check_hyperparameters, is_real
from .optimizer import Optimizer


class LRScheduler:
    """Base class. Like PyTorch's schedulers these are chainable: each ``step()``
    updates the rate the group has now (``next_lr``), so two schedulers on one
    optimizer compose, and a rate changed by hand is decayed from its new
    value. ``closed_form(lr0, t)`` is the formula above; it is used when
    resuming with ``last_epoch`` and it is what a lone scheduler follows.
    """

    # the scheduler's own arguments (attributes of the same names) and their rules
    arguments: ClassVar[dict[str, Rule]] = {}

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {optimizer!r}")
        check_hyperparameters(name, self.arguments, vars(self))
        Integer(-1).check(name, "last_epoch", last_epoch)
        groups = optimizer.param_groups
        if last_epoch == -1:
            self.base_lrs = [group.get("initial_lr", group["lr"]) for group in groups]
        else:
            for index, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param 'initial_lr' is not specified in param_groups[{index}] "
                        "when resuming (last_epoch >= 0): load the optimizer's state first"
                    )
            self.base_lrs = [group["initial_lr"] for group in groups]
        self.optimizer = optimizer
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self._step_count = 0
        self.step()  # raises, before any group changes, if a rate would be invalid
        for group, lr0 in zip(groups, self.base_lrs):
            group.setdefault("initial_lr", lr0)

    def closed_form(self, lr0: float, t: int) -> float:
        raise TypeError(f"{type(self).__name__} must define closed_form()")

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        """The rate for step t from the current rate ``lr`` (default: the closed form)."""
        return self.closed_form(lr0, t)

    def step(self) -> None:
        """Advance t by one and set each group's learning rate.

        Every new rate is computed and checked before any group gets one; a
        rate that is not a finite number >= 0 raises ValueError and leaves
        the optimizer and t as they were.
        """
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}.step: the optimizer has {len(groups)} parameter groups "
                f"but this scheduler was made for {len(self.base_lrs)}; make the scheduler "
                "after the last add_param_group"
            )
        t = self.last_epoch + 1
        resuming = self._step_count == 0 and t > 0
        rates = []
        for index, (group, lr0) in enumerate(zip(groups, self.base_lrs)):
            if resuming:
                lr = self._closed_form_for_group(index, lr0, t)
            else:
                lr = self._next_lr_for_group(index, group["lr"], lr0, t)
            rates.append(self._checked(index, lr, group["lr"], t))
        self._step_count += 1
        self.last_epoch = t
        for group, lr in zip(groups, rates):
            group["lr"] = lr
        self._last_lr = rates

    def _checked(self, index: int, lr: Any, current: Any, t: int) -> float:
        """``lr`` as a float, if it is a usable learning rate; else a ValueError saying why."""
        if is_real(lr) and math.isfinite(lr) and lr >= 0:
            return float(lr)
        raise ValueError(
            f"{type(self).__name__}.step: at step {t} the rate for parameter group {index} "
            f"would be {lr!r} (the group's lr is {current!r}, its initial lr "
            f"{self.base_lrs[index]!r}); a learning rate must be a finite number >= 0"
        )

    def _closed_form_for_group(self, index: int, lr0: float, t: int) -> float:
        return self.closed_form(lr0, t)

    def _next_lr_for_group(self, index: int, lr: float, lr0: float, t: int) -> float:
        return self.next_lr(lr, lr0, t)

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and functions), copied, as in PyTorch."""
        return {
            k: copy.deepcopy(v)
            for k, v in self.__dict__.items()
            if k not in self._not_saved and not callable(v)
        }

    _not_saved: ClassVar[tuple[str, ...]] = ("optimizer",)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (copied); checked first, so a state of
        another scheduler type or for another number of groups changes nothing."""
        self._restore(self._checked_state(state_dict))

    def _checked_state(self, state_dict: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``state_dict``, if it is a state of this scheduler for this optimizer."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        own = self.state_dict()
        unknown = sorted(set(state_dict) - set(own))
        missing = sorted(set(own) - set(state_dict))
        if unknown or missing:
            raise ValueError(
                f"{name}: the state's keys do not match this scheduler's (unknown: "
                f"{', '.join(unknown) or 'none'}; missing: {', '.join(missing) or 'none'}): "
                "was it saved from another scheduler?"
            )
        check_hyperparameters(name, self.arguments, state_dict)
        Integer(-1).check(name, "last_epoch", state_dict["last_epoch"])
        Integer(0).check(name, "_step_count", state_dict["_step_count"])
        groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            rates = state_dict[key]
            if not isinstance(rates, (list, tuple)) or len(rates) not in (groups, 0):
                raise ValueError(
                    f"{name}: {key!r} must list one rate per parameter group ({groups}), "
                    f"got {rates!r}: is this the state of a scheduler of another optimizer?"
                )
            for index, lr in enumerate(rates):
                NON_NEGATIVE.check(f"{name}: {key}[{index}]", "lr", lr)
        return copy.deepcopy(dict(state_dict))

    def _restore(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` steps (step decay)."""

    arguments: ClassVar[dict[str, Rule]] = {"step_size": POSITIVE_INTEGER, "gamma": NON_NEGATIVE}

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def closed_form(self, lr0: float, t: int) -> float:
        return lr0 * self.gamma ** (t // self.step_size)

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        return lr * self.gamma if t > 0 and t % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every step (exponential decay)."""

    arguments: ClassVar[dict[str, Rule]] = {"gamma": NON_NEGATIVE}

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def closed_form(self, lr0: float, t: int) -> float:
        return lr0 * self.gamma**t

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        return lr * self.gamma if t > 0 else lr


class InverseTimeLR(LRScheduler):
    """lr0 / (1 + k t) (inverse-time decay; the Improving Deep Neural Networks notes'
    alpha0 / (1 + decay_rate * epoch_num), section 22)."""

    arguments: ClassVar[dict[str, Rule]] = {"k": NON_NEGATIVE}

    def __init__(self, optimizer: Optimizer, k: float, last_epoch: int = -1):
        self.k = k
        super().__init__(optimizer, last_epoch)

    def closed_form(self, lr0: float, t: int) -> float:
        return lr0 / (1 + self.k * t)

    def next_lr(self, lr: float, lr0: float, t: int) -> float:
        return lr * (1 + self.k * (t - 1)) / (1 + self.k * t) if t > 0 else lr


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from lr0 down to ``eta_min`` over ``T_max`` steps (PyTorch's recursion)."""

    arguments: ClassVar[dict[str, Rule]] = {"T_max": POSITIVE_INTEGER, "eta_min": NON_NEGATIVE}

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ):
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
    """lr0 * lr_lambda(t); ``lr_lambda`` may be a list with one function per group.

    ``lr_lambda(t)`` must return a finite number >= 0; anything else raises
    at that step (TypeError or ValueError, naming t and the value) before any
    group changes.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ):
        groups = len(getattr(optimizer, "param_groups", ()))
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(
                    f"LambdaLR: Expected {groups} lr_lambdas, but got {len(lr_lambda)} "
                    f"({len(lr_lambda)} functions for {groups} groups)"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for index, function in enumerate(self.lr_lambdas):
            if not callable(function):
                raise TypeError(
                    f"LambdaLR: lr_lambda for group {index} must be a function of the step "
                    f"t, got {type(function).__name__}"
                )
        super().__init__(optimizer, last_epoch)

    def _closed_form_for_group(self, index: int, lr0: float, t: int) -> float:
        factor = self.lr_lambdas[index](t)
        if isinstance(factor, np.ndarray) and factor.ndim == 0:
            factor = factor.item()  # (np.exp(...) of an array, say)
        if not is_real(factor):
            raise TypeError(
                f"LambdaLR.step: lr_lambda({t}) returned {type(factor).__name__} {factor!r} "
                f"for parameter group {index}; it must return a number (the factor of the "
                "initial lr)"
            )
        if not math.isfinite(factor) or factor < 0:
            raise ValueError(
                f"LambdaLR.step: lr_lambda({t}) returned {factor!r} for parameter group "
                f"{index}; it must return a finite number >= 0 (the factor of the initial lr)"
            )
        return lr0 * factor

    def _next_lr_for_group(self, index: int, lr: float, lr0: float, t: int) -> float:
        return self._closed_form_for_group(index, lr0, t)

    _not_saved: ClassVar[tuple[str, ...]] = ("optimizer", "lr_lambdas")

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch: ``lr_lambdas`` holds None for each plain function and the
        attributes (``__dict__``) of each callable object."""
        state = super().state_dict()
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else copy.deepcopy(vars(fn))
            for fn in self.lr_lambdas
        ]
        return state

    def _checked_state(self, state_dict: Mapping[str, Any]) -> dict[str, Any]:
        state = super()._checked_state(state_dict)
        saved = state["lr_lambdas"]
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self.lr_lambdas):
            raise ValueError(
                f"LambdaLR.load_state_dict: 'lr_lambdas' must list {len(self.lr_lambdas)} "
                f"entries (None, or the attributes of a callable object), got {saved!r}"
            )
        for index, (function, attributes) in enumerate(zip(self.lr_lambdas, saved)):
            if attributes is not None and not (
                isinstance(attributes, Mapping) and hasattr(function, "__dict__")
            ):
                raise ValueError(
                    f"LambdaLR.load_state_dict: lr_lambdas[{index}] holds {attributes!r}, "
                    f"which cannot be the attributes of {function!r}"
                )
        return state

    def _restore(self, state: dict[str, Any]) -> None:
        saved = state.pop("lr_lambdas")
        super()._restore(state)
        for function, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                vars(function).update(attributes)
