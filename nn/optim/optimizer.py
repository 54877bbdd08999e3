"""Optimizer: parameter groups, per-parameter state, zero_grad, step, state_dict."""

from __future__ import annotations

import copy
import math
import numbers
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from autograd_mini import Tensor, enable_grad

from .checks import Rule, check_hyperparameters, check_lr, group_params, param_groups_from
from .flat import FlatGroup

_INF = math.inf


class Optimizer:
    """Base class: subclasses define ``update(param, grad, group, state)``.

    ``update`` changes one parameter by assigning its ``.data`` (which bumps
    its version counter), computing with ndarrays: ``grad`` is an ndarray and
    ``state`` a dict of ndarrays that the optimizer keeps for that parameter.

    A group's ``weight_decay`` is added to the gradient here, once for every
    optimizer (g = dW + weight_decay W, PyTorch's L2 form), unless the
    optimizer decays the weights itself (``decoupled_weight_decay``, AdamW).
    With ``maximize`` the gradient is negated first (gradient ascent), as in PyTorch.

    ``params`` is an iterable of leaf tensors (or a Module's ``parameters()``),
    or of dicts ``{"params": [...], "lr": ...}`` for parameter groups with
    their own hyperparameters, as in PyTorch. Tensors with
    ``requires_grad=False`` (frozen layers) are accepted: they get no
    gradient, so ``step()`` skips them.
    """

    decoupled_weight_decay = False
    # True when update() is elementwise (all of this library's optimizers): a group's
    # parameters are then updated as one vector (flat.py), in a few numpy calls
    flat_updates = False
    # each hyperparameter and the values it may take (checks.py), checked whenever a
    # group is made or loaded; those of newer_hyperparameters may be missing from a
    # saved state (saved before they existed): the group keeps its own value
    hyperparameters: ClassVar[dict[str, Rule]] = {}
    newer_hyperparameters: ClassVar[tuple[str, ...]] = ("maximize",)
    # the entries update() keeps per parameter (None: any), those a non-empty entry must
    # have, and the counters among them (integers; the others are arrays shaped like it)
    state_keys: ClassVar[tuple[str, ...] | None] = None
    required_state_keys: ClassVar[tuple[str, ...]] = ()
    counters: ClassVar[tuple[str, ...]] = ("step",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "update" in cls.__dict__:  # a new update() says what it is, or is assumed unknown
            if "flat_updates" not in cls.__dict__:
                cls.flat_updates = False
            if "state_keys" not in cls.__dict__:
                cls.state_keys, cls.required_state_keys = None, ()

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self.check_group(name, defaults)
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        # as PyTorch, a defaultdict: optimizer.state[param] is {} before its first step
        self.state: dict[Tensor, dict[str, Any]] = defaultdict(dict)
        self._flat: dict[int, FlatGroup] = {}  # by group index; rebuilt when it no longer fits
        for group in param_groups_from(name, params):
            self.add_param_group(group)

    def check_group(self, where: str, group: Mapping[str, Any]) -> None:
        """Raise if a hyperparameter of ``group`` is not one this optimizer can use."""
        check_hyperparameters(where, self.hyperparameters, group)

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (the others: the defaults).

        Nothing is added if the group is refused: a parameter that is not a
        leaf Tensor, one already in the optimizer, an invalid hyperparameter.
        """
        name = type(self).__name__
        index = len(self.param_groups)
        if not isinstance(param_group, Mapping):
            raise TypeError(
                f"{name}: param_group must be a dict, but got {type(param_group).__name__}"
            )
        params = group_params(name, param_group, index)
        if len({id(p) for p in params}) != len(params):
            raise ValueError(
                f"{name}: a parameter is listed twice in parameter group {index}; it would be "
                "updated twice per step"
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(
                f"{name}: some parameters appear in more than one parameter group "
                f"(group {index} repeats a parameter of an earlier group)"
            )
        group = dict(param_group)
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self.check_group(f"{name}: parameter group {index}", group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``grad`` to None, or with ``set_to_none=False`` fill the
        gradient arrays with zeros in place (as PyTorch's ``zero_grad``)."""
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none or param.grad is None:
                    param.grad = None
                elif type(param.grad) is np.ndarray and param.grad.flags.writeable:
                    param.grad.fill(0)
                else:
                    param.grad = np.zeros_like(param.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient.

        ``closure``, if given, recomputes the loss (zero_grad, forward,
        backward) before the update, as in PyTorch; its loss is returned.
        A group is checked before any of its parameters changes: its ``lr``
        (a number >= 0, which a hand or a scheduler may have changed) and each
        gradient (an ndarray shaped like its parameter).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # update() works on ndarrays (param.data, grad), so nothing here is recorded
        for index, group in enumerate(self.param_groups):
            params = self._params_to_update(index, group)
            decay = 0.0 if self.decoupled_weight_decay else group.get("weight_decay", 0.0)
            maximize = group.get("maximize", False)
            if self.flat_updates and len(params) > 1:
                if self._update_flat(index, params, decay, maximize):
                    continue
            self._flat.pop(index, None)  # updated one by one: a joined layout is out of date
            self._update_each(index, params, decay, maximize)
        return loss

    def _params_to_update(self, index: int, group: dict[str, Any]) -> list[Tensor]:
        """The group's parameters that have a gradient, once its lr and those gradients
        are checked (one type, shape and dtype comparison per parameter)."""
        lr = group.get("lr", 0.0)  # (an Optimizer subclass may have no learning rate)
        if lr.__class__ is not float or not 0.0 <= lr < _INF:  # (NaN fails this too)
            check_lr(f"{type(self).__name__}.step: parameter group {index}", lr)
        params = []
        for param in group["params"]:
            grad = param.grad  # (read once: a property, and this runs for every parameter)
            if grad is None:
                continue
            data = param.data
            if (
                grad.__class__ is not np.ndarray
                or grad.shape != data.shape
                or grad.dtype != data.dtype
            ):
                self._check_grad(index, group, param)
            params.append(param)
        return params

    def _update_each(self, index: int, params: list[Tensor], decay: float, maximize: bool) -> None:
        """Update group ``index``'s ``params`` one by one (the reference path)."""
        state, update, group = self.state, self.update, self.param_groups[index]
        try:
            for param in params:
                grad = -param.grad if maximize else param.grad
                if decay:
                    grad = grad + decay * param.data
                param_state = state.get(param)
                if param_state is None:
                    param_state = state[param] = {}
                update(param, grad, group, param_state)
        except ValueError as error:  # numpy's broadcasting error; say which state is stale
            problem = self._state_mismatch(index, params)
            if problem is None:
                raise
            raise ValueError(problem) from error

    def _update_flat(self, index: int, params: list[Tensor], decay: float, maximize: bool) -> bool:
        """Update group ``index``'s ``params`` as one vector; False if they cannot be."""
        flat = self._flat.get(index)
        if flat is None or not flat.matches(params, self.state):
            problem = self._state_mismatch(index, params)
            if problem is not None:
                raise ValueError(problem)
            if not FlatGroup.usable(params, [self.state.get(p) for p in params]):
                return False
            states = [self.state.setdefault(p, {}) for p in params]
            flat = self._flat[index] = FlatGroup(tuple(params), states)
        flat.update(self, self.param_groups[index], decay, maximize)
        return True

    def _check_grad(self, index: int, group: dict[str, Any], param: Tensor) -> None:
        """Raise unless ``param.grad`` is an ndarray (a subclass will do) of its shape and dtype.

        A float32 gradient on a float64 parameter would make the update float32
        (numpy keeps the array's precision): PyTorch refuses such a gradient too.
        """
        grad, data = param.grad, param.data
        if isinstance(grad, np.ndarray) and grad.shape == data.shape and grad.dtype == data.dtype:
            return
        position = next(i for i, p in enumerate(group["params"]) if p is param)
        where = f"{type(self).__name__}.step: parameter {position} of group {index}"
        if not isinstance(grad, np.ndarray):
            raise TypeError(
                f"{where} has a grad of type {type(grad).__name__}; .grad must be an ndarray "
                f"of the parameter's shape {data.shape} and dtype {data.dtype} (or None)"
                + ("; assign the tensor's .data" if isinstance(grad, Tensor) else "")
            )
        if grad.shape != data.shape:
            raise ValueError(
                f"{where} has shape {data.shape} but its grad has shape {grad.shape}; "
                "a gradient assigned by hand must have its parameter's shape"
            )
        raise TypeError(
            f"{where} is {data.dtype} but its grad is {grad.dtype}; assign a gradient of the "
            f"parameter's dtype (grad.astype(np.{data.dtype}))"
        )

    def _state_mismatch(self, index: int, params: list[Tensor]) -> str | None:
        """What is wrong if a parameter's state arrays no longer have its shape, else None."""
        group = self.param_groups[index]
        for param in params:
            for key, value in self.state.get(param, {}).items():
                if isinstance(value, np.ndarray) and value.shape != param.data.shape:
                    position = next(i for i, p in enumerate(group["params"]) if p is param)
                    return (
                        f"{type(self).__name__}.step: parameter {position} of group {index} "
                        f"has shape {param.data.shape} but its state {key!r} has shape "
                        f"{value.shape}: its data was replaced by an array of another shape. "
                        "Start its state afresh with optimizer.state[param].clear()"
                    )
        return None

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
                k: np.array(v, copy=True) if isinstance(v, np.ndarray) else copy.deepcopy(v)
                for k, v in values.items()
            }
            for param, values in self.state.items()
            if id(param) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned, for the same parameters in the same order.

        Everything is checked before anything changes, so a state that does
        not fit (another model's, another optimizer type's) raises and leaves
        this optimizer as it was. The values are copied: later steps do not
        change ``state_dict``.
        """
        groups, state = self._read_state_dict(state_dict)
        for group, values in zip(self.param_groups, groups):
            group.update(values)
        self.state = defaultdict(dict, state)
        self._flat = {}

    def _read_state_dict(
        self, state_dict: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[Tensor, dict[str, Any]]]:
        """The groups' new hyperparameters and the new state, copied; raises if they do not fit."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(
                    f"{name}: the state has no {key!r}; pass what optimizer.state_dict() "
                    "(or nn.load_optimizer_state) returned"
                )
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)):
            raise TypeError(f"{name}: 'param_groups' must be a list of dicts")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: {len(saved_groups)} parameter groups in the state, "
                f"{len(self.param_groups)} in the optimizer"
            )
        params_by_id: dict[int, Tensor] = {}
        groups = []
        for index, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            groups.append(self._read_group(f"{name}: parameter group {index}", saved, group))
            for saved_id, param in zip(map(int, saved["params"]), group["params"]):
                if saved_id in params_by_id:
                    raise ValueError(
                        f"{name}: parameter index {saved_id} is listed twice in the groups"
                    )
                params_by_id[saved_id] = param
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise TypeError(f"{name}: 'state' must be a dict from parameter index to its state")
        state = {}
        for key, entry in saved_state.items():
            saved_id = _parameter_index(name, key)
            if saved_id not in params_by_id:
                raise ValueError(
                    f"{name}: the state has an entry for parameter index {saved_id}, which no "
                    f"parameter group lists (they list {sorted(params_by_id)})"
                )
            param = params_by_id[saved_id]
            state[param] = self._read_entry(f"{name}: state of parameter {saved_id}", param, entry)
        return groups, state

    def _read_group(self, where: str, saved: Any, group: dict[str, Any]) -> dict[str, Any]:
        """A saved group's hyperparameters (copied), checked against ``group``."""
        if not isinstance(saved, Mapping):
            raise TypeError(f"{where} must be a dict, got {type(saved).__name__}")
        if "params" not in saved:
            raise ValueError(f"{where} has no 'params' (the indexes of its parameters)")
        ids = saved["params"]
        if not isinstance(ids, (list, tuple)) or not all(_is_index(i) for i in ids):
            raise TypeError(f"{where}: 'params' must be a list of parameter indexes, got {ids!r}")
        if len(ids) != len(group["params"]):
            raise ValueError(
                f"{where} has {len(ids)} parameters in the state but "
                f"{len(group['params'])} in the optimizer"
            )
        values = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
        missing = [
            k
            for k in self.hyperparameters
            if k not in values and k not in self.newer_hyperparameters
        ]
        if missing:
            raise ValueError(
                f"{where} has no {missing[0]!r} (it has {', '.join(sorted(values))}): was this "
                f"state saved from another optimizer? {type(self).__name__}'s groups have "
                f"{', '.join(sorted(self.hyperparameters))}"
            )
        self.check_group(where, {**group, **values})
        return values

    def _read_entry(self, where: str, param: Tensor, entry: Any) -> dict[str, Any]:
        """One parameter's saved state, checked and copied (arrays in the parameter's dtype)."""
        if not isinstance(entry, Mapping):
            raise TypeError(f"{where} must be a dict, got {type(entry).__name__}")
        known = self.state_keys
        if known is not None:
            unknown = [k for k in entry if k not in known]
            if unknown:
                raise ValueError(
                    f"{where}: {unknown[0]!r} is not state that {type(self).__name__} keeps "
                    f"({', '.join(known)}): was this state saved from another optimizer?"
                )
            missing = [k for k in self.required_state_keys if k not in entry]
            if entry and missing:
                raise ValueError(f"{where} has no {missing[0]!r}")
        restored = {}
        for key, value in entry.items():
            if key in self.counters:
                restored[key] = _count(f"{where}: {key!r}", value)
            elif isinstance(value, np.ndarray) or known is not None:
                restored[key] = _state_array(f"{where}: {key!r}", value, param)
            else:
                restored[key] = copy.deepcopy(value)
        return restored

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _is_index(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _parameter_index(where: str, key: Any) -> int:
    """A state key: a parameter index (an int, or its digits as nn.load_optimizer_state's
    JSON gives them)."""
    if _is_index(key):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    raise TypeError(f"{where}: state keys must be parameter indexes, got {key!r}")


def _count(where: str, value: Any) -> int:
    """A step counter: an integer >= 0 (PyTorch saves it as a float, 3.0: accepted)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{where} must be an integer, got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and value >= 0 and float(value).is_integer()):
        raise ValueError(f"{where} must be an integer >= 0, got {value!r}")
    return int(value)


def _state_array(where: str, value: Any, param: Tensor) -> np.ndarray:
    """A state array: numbers, shaped like ``param``; a copy in its dtype."""
    if isinstance(value, Tensor):
        value = value.data
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{where} must be an ndarray, got {type(value).__name__}")
    if not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.complexfloating):
        raise TypeError(f"{where} must hold real numbers, got dtype {value.dtype}")
    if value.shape != param.data.shape:
        raise ValueError(
            f"{where} has shape {value.shape} but the parameter has shape {param.data.shape}: "
            "is this the state of another model?"
        )
    return np.array(value, dtype=param.data.dtype, copy=True)
