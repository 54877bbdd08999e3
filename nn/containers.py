"""The containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict.

They hold modules (or parameters) as registered children, so everything in
them trains, is saved and follows train()/eval(), with PyTorch's API.
Sequential and ModuleList address children by position (negative ints and
slices too; a slice holds the same modules), ModuleDict and ParameterDict by
key, in insertion order.
"""

from __future__ import annotations

import operator
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import Any

import numpy as np

from autograd_mini import Tensor

from .module import Module, Parameter, _indent, _typename


def _position(index: Any, length: int) -> int:
    """``index`` (an int, negative from the end) as a position in 0..length-1."""
    position = operator.index(index)
    if not -length <= position < length:
        raise IndexError(f"index {position} is out of range")
    return position + length if position < 0 else position


def _checked_modules(owner: str, modules: Iterable[Any]) -> list[Module]:
    """``modules`` as a list, each checked to be a Module (before any is added)."""
    if not isinstance(modules, Iterable) or isinstance(modules, (Mapping, str)):
        raise TypeError(
            f"{owner} should be called with an iterable of Modules, got {_typename(modules)}"
        )
    modules = list(modules)
    for index, module in enumerate(modules):
        if not isinstance(module, Module):
            raise TypeError(f"{owner}: item {index} is a {_typename(module)}, not a Module")
    return modules


class _Sequence(Module):
    """What Sequential and ModuleList share: children in order, addressed by position."""

    def _renumber(self, modules: list[Module | None]) -> None:
        """Make ``modules`` the children, named "0", "1", ... (as after a deletion in PyTorch)."""
        for name in list(self._modules):
            self._drop(name)
        for index, module in enumerate(modules):
            self._put(self._modules, str(index), module)

    def _borrow(self, part: Module) -> Module:
        """A slice holds this container's modules without taking them from it."""
        for module in part._modules.values():
            if module is not None:
                object.__setattr__(module, "_parent", weakref.ref(self))
        return part

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __setitem__(self, index: int, module: Module) -> None:
        name = list(self._modules)[_position(index, len(self))]
        if not isinstance(module, Module):  # (setattr would let a Parameter replace it)
            raise TypeError(
                f"cannot assign '{_typename(module)}' as child module '{name}' (nn.Module expected)"
            )
        setattr(self, name, module)

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            positions = set(range(len(modules))[index])
        else:
            positions = {_position(index, len(modules))}
        self._renumber([m for i, m in enumerate(modules) if i not in positions])
        for position in positions:
            self._release(modules[position])

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index`` (as list.insert)."""
        _checked_modules(f"{type(self).__name__}.insert", [module])
        modules = list(self._modules.values())
        modules.insert(operator.index(index), module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module


class Sequential(_Sequence):
    """Modules applied one after another: ``Sequential(m0, m1, ...)`` names the children
    "0", "1", ...; ``Sequential(OrderedDict(name=module, ...))`` names them."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(index), module) for index, module in enumerate(modules)]
        for index, (name, module) in enumerate(items):
            if not isinstance(module, Module):
                where = f"argument {index}" if name == str(index) else f"{name!r}"
                hint = (
                    " (to name the modules, pass an OrderedDict)"
                    if isinstance(module, Mapping)
                    else ""
                )
                raise TypeError(f"Sequential: {where} is a {_typename(module)}, not a Module{hint}")
        for name, module in items:
            self.add_module(name, module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return self._borrow(Sequential(OrderedDict(list(self._modules.items())[index])))
        return list(self._modules.values())[_position(index, len(self))]

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in _checked_modules("Sequential.extend", modules):
            self.append(module)
        return self

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, but "
                f"{_typename(other)} is given."
            )
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, but "
                f"{_typename(other)} is given."
            )
        return self.extend(list(other))


class ModuleList(_Sequence):
    """A list of modules, registered as children "0", "1", ...: their parameters train.

    Indexing takes negative ints and slices (a slice is a ModuleList of the
    same modules); ``append``, ``extend``, ``insert``, ``pop``, ``+``, ``del``
    and item assignment work as on a list. It has no forward: iterate it.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Module | ModuleList:
        if isinstance(index, slice):
            return self._borrow(ModuleList(list(self._modules.values())[index]))
        return self._modules[str(_position(index, len(self)))]

    def append(self, module: Module) -> ModuleList:
        return self.extend([module])

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each of ``modules`` at the end (all are checked before any is added)."""
        modules = _checked_modules(f"{type(self).__name__}.extend", modules)
        offset = len(self)
        for index, module in enumerate(modules):
            self.add_module(str(offset + index), module)
        return self

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList(chain(self, _checked_modules("ModuleList +", other)))

    def _child_lines(self) -> list[str]:
        """PyTorch's ModuleList repr: a run of equal modules shows once, ``(0-2): 3 x ...``."""
        runs: list[list[Any]] = []  # [first, last, repr]
        for index, module in enumerate(self._modules.values()):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        lines = []
        for first, last, text in runs:
            if first == last:
                lines.append(f"({first}): {_indent(text)}")
            else:
                lines.append(f"({first}-{last}): {last - first + 1} x {_indent(text)}")
        return lines


def _pairs(owner: str, items: Any) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of a mapping, or of an iterable of pairs (as dict.update)."""
    if isinstance(items, (Mapping, _Dict)):  # (a ModuleDict or ParameterDict too, as PyTorch)
        return list(items.items())
    if not isinstance(items, Iterable) or isinstance(items, str):
        raise TypeError(
            f"{owner} should be called with a mapping or an iterable of key/value pairs, "
            f"but got {_typename(items)}"
        )
    pairs = []
    for index, pair in enumerate(items):
        if not isinstance(pair, Iterable) or isinstance(pair, str):
            raise TypeError(
                f"{owner} sequence element #{index} should be Iterable; is {_typename(pair)}"
            )
        pair = tuple(pair)
        if len(pair) != 2:
            raise ValueError(
                f"{owner} sequence element #{index} has length {len(pair)}; 2 is required"
            )
        pairs.append(pair)
    return pairs


class _Dict(Module):
    """What ModuleDict and ParameterDict share: entries of one registry, in insertion order.

    Each defines ``_check_entry(key, value)``, which raises for an entry it cannot take.
    """

    _registry = "_modules"

    def _entries(self) -> OrderedDict:
        return getattr(self, self._registry)

    def __getitem__(self, key: str) -> Any:
        return self._entries()[key]

    def __delitem__(self, key: str) -> None:
        if key not in self._entries():
            raise KeyError(key)
        self._drop(key)

    def __len__(self) -> int:
        return len(self._entries())

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries())

    def __contains__(self, key: Any) -> bool:
        return key in self._entries()

    def keys(self) -> Iterable[str]:
        return self._entries().keys()

    def values(self) -> Iterable[Any]:
        return self._entries().values()

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._entries().items()

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._entries()):
            self._drop(key)

    def update(self, entries: Any) -> None:
        """Add or replace entries from a mapping or an iterable of (key, value) pairs
        (all are checked before any is added)."""
        pairs = _pairs(f"{type(self).__name__}.update", entries)
        for key, value in pairs:
            self._check_entry(key, value)
        for key, value in pairs:
            self[key] = value


class ModuleDict(_Dict):
    """A dict of modules, registered as children under their keys (in insertion order)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _check_entry(self, key: Any, value: Any) -> None:
        if not isinstance(value, Module):
            raise TypeError(f"ModuleDict: {key!r} is a {_typename(value)}, not a Module")
        self._check_name("module", key, self._modules, assigning=False)

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)


def _as_parameter(value: Any, where: str) -> Parameter:
    """A Parameter as is; a Tensor or ndarray becomes a Parameter of the same array."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, (Tensor, np.ndarray)):
        return Parameter(value)
    raise TypeError(f"{where} is a {_typename(value)}; expected an nn.Parameter (or a Tensor)")


def _parameter_summary(parameter: Parameter | None) -> str:
    """PyTorch's one-line form: ``Parameter containing: [float64 of size 3x4]``."""
    if parameter is None:
        return "None"
    size = "x".join(str(n) for n in parameter.shape)
    return f"Parameter containing: [{parameter.dtype} of size {size}]"


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", ...: all of them train.

    Tensors and arrays given are wrapped in a Parameter (sharing their array).
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, index: int | slice) -> Parameter | ParameterList:
        values = list(self._parameters.values())
        if isinstance(index, slice):
            part = ParameterList(values[index])
            for parameter in part:  # the slice borrows them: their names still come from here
                parameter._owner = weakref.ref(self)
            return part
        return values[_position(index, len(values))]

    def __setitem__(self, index: int, value: Any) -> None:
        position = _position(index, len(self))
        self.register_parameter(str(position), _as_parameter(value, f"item {position}"))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def append(self, value: Any) -> ParameterList:
        return self.extend([value])

    def extend(self, values: Iterable[Any]) -> ParameterList:
        if not isinstance(values, Iterable) or isinstance(values, (str, Tensor, np.ndarray)):
            raise TypeError(
                f"ParameterList.extend should be called with an iterable, got {_typename(values)}"
            )
        offset = len(self)
        checked = [_as_parameter(v, f"item {offset + i}") for i, v in enumerate(values)]
        for index, parameter in enumerate(checked):
            self.register_parameter(str(offset + index), parameter)
        return self

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def extra_repr(self) -> str:
        return "\n".join(
            f"({name}): {_parameter_summary(p)}" for name, p in self._parameters.items()
        )


class ParameterDict(_Dict):
    """A dict of parameters, registered under their keys (in insertion order).

    Tensors and arrays given are wrapped in a Parameter (sharing their array).
    """

    _registry = "_parameters"

    def __init__(self, parameters: Mapping[str, Any] | Iterable | None = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def _check_entry(self, key: Any, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(
                "ParameterDict keys must be strings (they become attribute names), got "
                f"{_typename(key)}"
            )
        _as_parameter(value, f"ParameterDict: {key!r}")
        self._check_name("parameter", key, self._parameters, assigning=False)

    def __setitem__(self, key: str, value: Any) -> None:
        self._check_entry(key, value)
        self.register_parameter(key, _as_parameter(value, f"ParameterDict: {key!r}"))

    def get(self, key: str, default: Any = None) -> Any:
        return self._parameters.get(key, default)

    def extra_repr(self) -> str:
        return "\n".join(
            f"({name}): {_parameter_summary(p)}" for name, p in self._parameters.items()
        )
