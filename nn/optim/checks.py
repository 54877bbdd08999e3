"""What an optimizer accepts: its parameters, and the value of each hyperparameter.

Each optimizer (and each learning-rate scheduler) lists its hyperparameters
with a rule (``Real``, ``Integer``, ``Betas``, ``Flag``). The rules run when a
group is made (construction, ``add_param_group``) and when one is loaded
(``load_state_dict``); ``step()`` only checks each group's current ``lr``,
which a hand or a scheduler may have changed. Messages begin as PyTorch's
do ("Invalid learning rate: nan").

Where PyTorch only refuses negative values, these rules also refuse NaN
(``nan < 0`` is False, so PyTorch's own check lets it through) and infinity:
either turns every weight into NaN or inf on the first step, and no sane
setting needs them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_mini import Tensor

# PyTorch's wording for each hyperparameter's "Invalid ... value" message
_PHRASES = {"lr": "learning rate", "eps": "epsilon value"}


def phrase(key: str) -> str:
    return _PHRASES.get(key, f"{key} value")


def is_real(value: Any) -> bool:
    """A real number (int, float, numpy scalar), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, Tensor))


@dataclass(frozen=True)
class Real:
    """A finite real number in [low, high], or in [low, high) when ``open_high``."""

    low: float = 0.0
    high: float = math.inf
    open_high: bool = False

    def describe(self) -> str:
        if self.high == math.inf:
            return f"a finite number >= {self.low:g}"
        return f"a number in [{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"

    def fits(self, value: float) -> bool:
        if not math.isfinite(value) or value < self.low:  # NaN fails isfinite
            return False
        return value < self.high if self.open_high else value <= self.high

    def check(self, where: str, key: str, value: Any, invalid: str | None = None) -> None:
        if not is_real(value):
            raise TypeError(
                f"{where}: {key} must be a number, got {type(value).__name__} {value!r}"
                + ("; pass float(...)" if isinstance(value, Tensor) else "")
            )
        if not self.fits(float(value)):
            raise ValueError(
                f"{where}: Invalid {invalid or phrase(key)}: {value}; "
                f"{key} must be {self.describe()}"
            )


@dataclass(frozen=True)
class Integer:
    """An integer (int or numpy integer, not a bool) >= ``low``."""

    low: int = 1

    def check(self, where: str, key: str, value: Any) -> None:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(
                f"{where}: {key} must be an integer, got {type(value).__name__} {value!r}"
            )
        if value < self.low:
            raise ValueError(f"{where}: {key} must be >= {self.low}, got {value}")


@dataclass(frozen=True)
class Betas:
    """Two coefficients of moving averages, each in [0, 1)."""

    def check(self, where: str, key: str, value: Any) -> None:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError(
                f"{where}: {key} must be a pair of numbers (beta1, beta2), got {value!r}"
            )
        for position, beta in enumerate(value):
            Real(0.0, 1.0, open_high=True).check(
                where, f"{key}[{position}]", beta, invalid=f"beta parameter at index {position}"
            )


@dataclass(frozen=True)
class Flag:
    """True or False: anything else (0.0001, the string "False") would be read as a truth
    value without saying so. ``hint`` says what the value was probably meant for."""

    hint: str = ""

    def check(self, where: str, key: str, value: Any) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{where}: {key} must be True or False, got {value!r}{self.hint}")


NON_NEGATIVE = Real()
UNIT_INTERVAL = Real(0.0, 1.0)
FLAG = Flag()
BETAS = Betas()
POSITIVE_INTEGER = Integer(1)
Rule = Real | Integer | Betas | Flag


def check_hyperparameters(where: str, rules: Mapping[str, Rule], values: Mapping[str, Any]) -> None:
    """Apply each rule to its key's value, for the keys ``values`` has."""
    for key, rule in rules.items():
        if key in values:
            rule.check(where, key, values[key])


def check_lr(where: str, lr: Any) -> None:
    """The learning rate a group has now (a scheduler or a hand may have set it)."""
    NON_NEGATIVE.check(where, "lr", lr)


# ------------------------------------------------------------------ parameters
def param_groups_from(name: str, params: Any) -> list[dict[str, Any]]:
    """The groups that ``Optimizer(params, ...)`` stands for: one ``{"params": [...]}``
    for an iterable of tensors, or the given group dicts."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{name}: params argument given to the optimizer should be an iterable of "
            f"Tensors or dicts, but got {type(params).__name__}; pass [tensor] or "
            "model.parameters()"
        )
    if isinstance(params, Mapping):
        raise TypeError(
            f"{name}: params is one dict; pass a list of parameter groups, "
            "[{'params': ..., 'lr': ...}, ...]"
        )
    if isinstance(params, (set, frozenset)):
        raise TypeError(_SET_MESSAGE.format(name=name))
    if not isinstance(params, Iterable) or isinstance(params, (str, bytes)):
        raise TypeError(
            f"{name}: params should be an iterable of Tensors or dicts (such as "
            f"model.parameters()), but got {type(params).__name__}"
        )
    items = list(params)
    if not items:
        raise ValueError(f"{name}: optimizer got an empty parameter list")
    if not isinstance(items[0], Mapping):
        return [{"params": items}]
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise TypeError(
                f"{name}: element {position} of params is a {type(item).__name__} but element "
                "0 is a dict: pass either tensors or parameter-group dicts, not both"
            )
    return items


def group_params(name: str, group: Mapping[str, Any], index: int) -> list[Tensor]:
    """The tensors of parameter group ``index``, each checked: a Tensor, and a leaf."""
    if "params" not in group:
        raise KeyError(f"{name}: parameter group {index} has no 'params' key: {sorted(group)}")
    params = group["params"]
    if isinstance(params, Tensor):
        params = [params]  # {"params": w} is allowed, as in PyTorch
    elif isinstance(params, (set, frozenset)):
        raise TypeError(_SET_MESSAGE.format(name=name))
    elif not isinstance(params, Iterable) or isinstance(params, (str, bytes, Mapping)):
        raise TypeError(
            f"{name}: the 'params' of parameter group {index} should be a Tensor or an "
            f"iterable of Tensors, but got {type(params).__name__}"
        )
    params = list(params)
    for position, param in enumerate(params):
        where = f"parameter {position} of group {index}"
        if not isinstance(param, Tensor):
            raise TypeError(
                f"{name}: optimizer can only optimize Tensors, but {where} is a "
                f"{type(param).__name__}; wrap arrays as nn.Parameter(array) and pass "
                "model.parameters()"
            )
        if not param.is_leaf:
            raise ValueError(
                f"{name}: can't optimize a non-leaf Tensor: {where} was made by "
                f"'{param.grad_fn.name}', so updating it would not change what it was "
                "computed from; pass the leaf tensors (model.parameters())"
            )
    return params


_SET_MESSAGE = (
    "{name}: optimizer parameters need to be organized in ordered collections, but the "
    "ordering of tensors in sets will change between runs (and state_dict() names "
    "parameters by position); please use a list instead"
)
