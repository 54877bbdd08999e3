"""Optimizer: parameter groups, per-parameter state, zero_grad, step, state_dict."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd_mini import Tensor, enable_grad

from .flat import FlatGroup


class Optimizer:
    """Base class: subclasses define ``update(param, grad, group, state)``.

    ``update`` changes one parameter by assigning its ``.data`` (which bumps
    its version counter), computing with ndarrays: ``grad`` is an ndarray and
    ``state`` a dict of ndarrays that the optimizer keeps for that parameter.

    A group's ``weight_decay`` is added to the gradient here, once for every
    optimizer (g = dW + weight_decay W, PyTorch's L2 form), unless the
    optimizer decays the weights itself (``decoupled_weight_decay``, AdamW).

    ``params`` is an iterable of tensors (or a Module's ``parameters()``), or
    a list of dicts ``{"params": [...], "lr": ...}`` for parameter groups
    with their own hyperparameters, as in PyTorch.
    """

    decoupled_weight_decay = False
    # True when update() is elementwise (all of this library's optimizers): a group's
    # parameters are then updated as one vector (flat.py), in a few numpy calls
    flat_updates = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "update" in cls.__dict__ and "flat_updates" not in cls.__dict__:
            cls.flat_updates = False  # a new update() may not be elementwise: it says if it is

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._flat: dict[int, FlatGroup] = {}  # by group index; rebuilt when it no longer fits
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for position, param in enumerate(group["params"]):
            if not isinstance(param, Tensor) or not param.requires_grad:
                raise TypeError(
                    f"{type(self).__name__}: parameter {position} is not a Tensor that "
                    "requires grad; pass model.parameters()"
                )
        if len({id(p) for p in group["params"]}) != len(group["params"]):
            raise ValueError(
                f"{type(self).__name__}: a parameter is listed twice; it would be updated twice"
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(f"{type(self).__name__}: a parameter appears in two groups")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.param_groups.append(group)

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to None."""
        for group in self.param_groups:
            for param in group["params"]:
                param.grad = None

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient.

        ``closure``, if given, recomputes the loss (zero_grad, forward,
        backward) before the update, as in PyTorch; its loss is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # update() works on ndarrays (param.data, grad), so nothing here is recorded
        state, update = self.state, self.update
        for index, group in enumerate(self.param_groups):
            decay = 0.0 if self.decoupled_weight_decay else group.get("weight_decay", 0.0)
            params = [p for p in group["params"] if p.grad is not None]
            if self.flat_updates and len(params) > 1 and self._update_flat(index, params, decay):
                continue
            self._flat.pop(index, None)  # updated one by one: a joined layout is out of date
            for param in params:
                grad = param.grad + decay * param.data if decay else param.grad
                param_state = state.get(param)
                if param_state is None:
                    param_state = state[param] = {}
                update(param, grad, group, param_state)
        return loss

    def _update_flat(self, index: int, params: list[Tensor], decay: float) -> bool:
        """Update group ``index``'s ``params`` as one vector; False if they cannot be."""
        flat = self._flat.get(index)
        if flat is None or not flat.matches(params, self.state):
            if not FlatGroup.usable(params, [self.state.get(p) for p in params]):
                return False
            states = [self.state.setdefault(p, {}) for p in params]
            flat = self._flat[index] = FlatGroup(tuple(params), states)
        flat.update(self, self.param_groups[index], decay)
        return True

    def __getstate__(self) -> dict[str, Any]:
        """Copies (deepcopy, pickle) rebuild the one-vector layouts from the state."""
        state = dict(self.__dict__)
        state["_flat"] = {}
        return state

    def update(
        self, param: Tensor, grad: np.ndarray, group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        raise TypeError(f"{type(self).__name__} must define update()")

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and per-parameter state (copied), parameters named by position."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for param in group["params"]:
                index.setdefault(id(param), len(index))
                packed["params"].append(index[id(param)])
            groups.append(packed)
        state = {
            index[id(param)]: {
                k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
                for k, v in values.items()
            }
            for param, values in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned, for the same parameters in the same order."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {len(groups)} parameter groups in the "
                f"state, {len(self.param_groups)} in the optimizer"
            )
        params_by_index = {}
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: a group has {len(saved['params'])} "
                    f"parameters in the state but {len(group['params'])} in the optimizer"
                )
            params_by_index.update(zip(saved["params"], group["params"]))
        for saved, group in zip(groups, self.param_groups):
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for key, values in state_dict["state"].items():
            param = params_by_index[int(key)]
            restored = {}
            for name, value in values.items():
                if isinstance(value, np.ndarray):
                    if value.shape != param.shape:
                        raise ValueError(
                            f"{type(self).__name__}.load_state_dict: state '{name}' of shape "
                            f"{value.shape} for a parameter of shape {param.shape}"
                        )
                    value = np.array(value, dtype=param.dtype, copy=True)
                restored[name] = value
            self.state[param] = restored

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def check_non_negative(optimizer: str, **values: float) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{optimizer}: {name} must be >= 0, got {value}")


def check_betas(optimizer: str, betas: tuple[float, float]) -> None:
    for position, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{optimizer}: betas[{position}] must be in [0, 1), got {beta}")
