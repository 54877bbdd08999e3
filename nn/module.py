"""Parameter and Module: how layers hold parameters, buffers and each other (containers.py
holds Sequential, ModuleList, ModuleDict and the parameter containers).

Assignment registers, as in PyTorch's ``Module.__setattr__``:

====================  ==================================================================
value assigned        effect
====================  ==================================================================
Parameter             registered as a parameter (the name leaves buffers, modules and
                      plain attributes); over a parameter it keeps that parameter's place
None                  over a parameter, module or buffer: the slot stays, holding None
Module                registered as a child module (the name leaves the other registries)
Tensor or ndarray     over a buffer: the new buffer; elsewhere a plain attribute
anything else         a plain attribute, unless the name is a parameter (nn.Parameter or
                      None expected), a child module (a Module, a Parameter or None) or
                      a buffer (a Tensor, an ndarray or None): TypeError
====================  ==================================================================

Beyond PyTorch, which silently ignores them, a list, tuple, set or dict holding
Modules or Parameters (at any depth) raises TypeError and names nn.ModuleList /
nn.ModuleDict / nn.ParameterList / nn.ParameterDict: the optimizer would never
see what it holds.

Registered values are mirrored in the instance ``__dict__``, so a layer's
``forward`` reads ``self.weight`` at plain attribute speed (PyTorch finds
them through ``__getattr__``). Every change to a registry goes through
``_put`` or ``_drop``, which keep the two in step.

Buffers hold ndarrays, updated in place by their modules (BatchNorm's running
statistics). A Tensor given as a buffer is stored as its array, without a
copy: the Tensor sees every update.
"""

from __future__ import annotations

import inspect
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from autograd_mini import RemovableHandle, Tensor


class Parameter(Tensor):
    """A Tensor that is a learnable parameter of a Module (``requires_grad=True``).

    Its ``name`` is its dotted path in the outermost module that holds it
    (``0.weight`` in a Sequential), unless set by hand; graph drawings show it.
    """

    __slots__ = ("_owner",)
    is_parameter = True

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        self._owner: weakref.ref | None = None  # the Module it was assigned to
        super().__init__(data, requires_grad=requires_grad, name=name)

    @property
    def owner(self) -> Module | None:
        """The module this parameter was assigned to, if it is still alive."""
        return self._owner() if self._owner is not None else None

    @property  # type: ignore[override]
    def name(self) -> str | None:
        given = _TENSOR_NAME.__get__(self)
        if given is not None or self.owner is None:
            return given
        return _dotted_name(self.owner, self)

    @name.setter
    def name(self, value: str | None) -> None:
        _TENSOR_NAME.__set__(self, value)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._owner = None  # the unpickled module links its parameters again
        super().__setstate__(state)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_TENSOR_NAME = Tensor.__dict__["_name"]  # the slot behind Tensor.name


def _dotted_name(module: Module, parameter: Parameter) -> str | None:
    """``parameter``'s name inside the outermost module above ``module``."""
    path = [name for name, p in module._parameters.items() if p is parameter][:1]
    while (parent := module.parent) is not None:
        path[:0] = [name for name, child in parent._modules.items() if child is module][:1]
        module = parent
    return ".".join(path) or None


def _typename(value: Any) -> str:
    """PyTorch's ``torch.typename``: ``int``, ``numpy.ndarray``, ``Tensor``, ``Linear``."""
    kind = type(value)
    package = kind.__module__.split(".")[0]
    if package in ("builtins", "autograd_mini", "nn"):
        return kind.__qualname__
    return f"{package}.{kind.__qualname__}"


def _joined(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: the names it did not find on either side."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )

    __str__ = __repr__


class _PlainMessage:
    """str() of the error is its message (KeyError would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# load_state_dict's errors are also RuntimeErrors, the class PyTorch raises for all of them
class StateDictKeyError(_PlainMessage, KeyError, RuntimeError):
    """Missing or unexpected names in ``load_state_dict(strict=True)``."""


class StateDictValueError(_PlainMessage, ValueError, RuntimeError):
    """A value of the wrong shape in ``load_state_dict``."""


class StateDictTypeError(_PlainMessage, TypeError, RuntimeError):
    """A value that is not an array of numbers, or cannot be cast to the model's dtype."""


_CONTAINERS = (list, tuple, set, frozenset, dict)
_DONE = object()  # the end of an iterator


def _registrables_inside(value: Any) -> tuple[list[Module], list[Parameter]]:
    """The Modules and Parameters anywhere in nested lists, tuples, sets and dict values."""
    modules, parameters = [], []
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if isinstance(item, Module):
            modules.append(item)
        elif isinstance(item, Parameter):
            parameters.append(item)
        elif isinstance(item, _CONTAINERS) and id(item) not in seen:
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return modules, parameters


def _refuse_unregistered(owner: Any, name: str, value: Any) -> None:
    """Raise if ``value`` is a container holding Modules or Parameters: in a plain list,
    tuple, set or dict they are not registered (API.md: raise, where PyTorch ignores them)."""
    modules, parameters = _registrables_inside(value)
    if not modules and not parameters:
        return
    container = _typename(value)
    as_dict = isinstance(value, dict)
    if modules:
        what, replacement = "Modules", "nn.ModuleDict({...})" if as_dict else "nn.ModuleList([...])"
    else:
        what = "Parameters"
        replacement = "nn.ParameterDict({...})" if as_dict else "nn.ParameterList([...])"
    raise TypeError(
        f"cannot assign a {container} holding {what} to '{name}' of "
        f"{type(owner).__name__}: {what.lower()} in a plain {container} are not registered, "
        "so parameters(), state_dict(), train()/eval() and the optimizer never see them "
        f"(nothing in them would train). Use {replacement} instead (nest the containers "
        "for nested structures); to keep them out "
        f"of the model on purpose, use object.__setattr__(self, {name!r}, value)."
    )


def _buffer_array(value: Any) -> np.ndarray | None:
    """What a buffer holds: an ndarray (a Tensor's own array, not a copy) or None."""
    return value.data if isinstance(value, Tensor) else value


class Module:
    """Base class of layers and models: define ``forward``; call the module to run it.

    Subclasses call ``super().__init__()`` first, then assign Parameters,
    sub-Modules and buffers (``register_buffer``) as attributes.
    """

    # the parameters nn.l2_penalty regularizes; None: those with 2 or more dimensions
    # (weight matrices, not biases or BatchNorm's gamma and beta)
    regularized: tuple[str, ...] | None = None

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "_parent", None)
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        state = self.__dict__
        parameters = state.get("_parameters")
        if isinstance(value, Parameter):
            if parameters is None:
                raise AttributeError(self._before_init("parameters"))
            self._check_parameter(name, value, parameters, assigning=True)
            if name not in parameters:
                self._drop(name)
            self._put(parameters, name, value)
        elif parameters is not None and name in parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(nn.Parameter or None expected); to change its values assign "
                    f"module.{name}.data = ..., or wrap the new value: nn.Parameter(value)"
                )
            self._put(parameters, name, None)
        elif isinstance(value, Module):
            if parameters is None:
                raise AttributeError(self._before_init("module"))
            self._check_name("module", name, self._modules, assigning=True)
            if name not in self._modules:
                self._drop(name)
            self._put(self._modules, name, value)
        elif parameters is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            self._put(self._modules, name, None)
        elif parameters is not None and name in self._buffers:
            if value is not None and not isinstance(value, (Tensor, np.ndarray)):
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as buffer '{name}' "
                    "(Tensor, numpy.ndarray or None expected)"
                )
            self._put(self._buffers, name, _buffer_array(value))
        else:
            if isinstance(value, _CONTAINERS):
                _refuse_unregistered(self, name, value)
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                self._drop(name)
                return
        object.__delattr__(self, name)

    def _put(self, registry: OrderedDict, name: str, value: Any) -> None:
        """Set ``registry[name]`` (keeping its place if it is there) and its attribute."""
        old = registry.get(name)
        registry[name] = value
        self.__dict__[name] = value
        if old is not value:
            self._release(old)
        if isinstance(value, Parameter):
            value._owner = weakref.ref(self)
        elif isinstance(value, Module):
            object.__setattr__(value, "_parent", weakref.ref(self))

    def _drop(self, name: str) -> None:
        """Remove ``name`` from every registry and the plain attributes (PyTorch's remove_from)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                self._release(registry.pop(name))
        self._non_persistent_buffers_set.discard(name)
        self.__dict__.pop(name, None)

    def _release(self, old: Any) -> None:
        """A parameter or child that leaves this module (and is not held here under another
        name) no longer names itself after it."""
        if old is None or any(
            value is old
            for registry in (self._parameters, self._modules)
            for value in registry.values()
        ):
            return
        if isinstance(old, Parameter) and old.owner is self:
            old._owner = None
        elif isinstance(old, Module) and old.parent is self:
            object.__setattr__(old, "_parent", None)

    def _before_init(self, what: str) -> str:
        return (
            f"cannot assign {what} before Module.__init__() call: call super().__init__() "
            f"first in {type(self).__name__}.__init__"
        )

    def _check_name(self, kind: str, name: Any, registry: Mapping, assigning: bool) -> None:
        """PyTorch's checks of a new entry's name: a non-empty string without a dot, and
        not an attribute already. An assignment (``self.name = value``) may replace an
        instance attribute or a plain class-level default, not a method or property."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if name in registry:
            return
        if assigning:
            taken = hasattr(inspect.getattr_static(type(self), name, None), "__get__")
        else:
            taken = hasattr(self, name)
        if taken:
            raise KeyError(f"attribute '{name}' already exists")

    def _check_parameter(
        self, name: Any, param: Any, registry: Mapping, assigning: bool = False
    ) -> None:
        self._check_name("parameter", name, registry, assigning)
        if param is None:
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                f"must be created explicitly. To express '{name}' as a function of another "
                "Tensor, compute the value in the forward() method."
            )

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None slot, as Linear's ``bias`` without bias) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(self._before_init("parameter"))
        self._check_parameter(name, param, self._parameters)
        self._put(self._parameters, name, param)

    def register_buffer(
        self, name: str, tensor: np.ndarray | Tensor | None, persistent: bool = True
    ) -> None:
        """A state array that is not learned (running statistics), saved in ``state_dict``
        unless ``persistent=False``.

        The buffer holds an ndarray: a Tensor is stored as its own array (not a
        copy), so the Tensor sees the module's in-place updates;
        ``module.<name>`` returns that ndarray.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError(self._before_init("buffer"))
        self._check_name("buffer", name, self._buffers, assigning=False)
        if tensor is not None and not isinstance(tensor, (Tensor, np.ndarray)):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(Tensor, numpy.ndarray or None required)"
            )
        self._put(self._buffers, name, _buffer_array(tensor))
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add ``module`` (or a None slot) as the child ``name``, as ``self.<name> = module``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if "_modules" not in self.__dict__:
            raise AttributeError(self._before_init("module"))
        self._check_name("module", name, self._modules, assigning=False)
        self._put(self._modules, name, module)

    register_module = add_module

    def __getstate__(self) -> dict[str, Any]:
        """Pickling and deepcopy: everything but the weak link to the parent module."""
        state = dict(self.__dict__)
        state["_parent"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_non_persistent_buffers_set", set())  # older pickles
        self.__dict__.setdefault("_forward_pre_hooks", [])
        for parameter in self._parameters.values():
            if parameter is not None:
                parameter._owner = weakref.ref(self)
        for child in self._modules.values():
            if child is not None:
                object.__setattr__(child, "_parent", weakref.ref(self))

    @property
    def parent(self) -> Module | None:
        """The module this one was last assigned to as a child (None for the outermost)."""
        return self._parent() if self._parent is not None else None

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # (the hook loops written here, not in helpers: nn's drawing notes keep global hooks
        # on every call, and two calls fewer per module are 2% of the MLP training step)
        for hook in (*_GLOBAL_FORWARD_PRE_HOOKS, *self._forward_pre_hooks):
            replaced = hook(self, args)  # new inputs, or None
            if replaced is not None:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        output = self.forward(*args, **kwargs)
        for hook in (*_GLOBAL_FORWARD_HOOKS, *self._forward_hooks):
            replaced = hook(self, args, output)  # a new output, or None
            if replaced is not None:
                output = replaced
        return output

    def register_forward_pre_hook(
        self, hook: Callable[[Module, tuple[Any, ...]], Any]
    ) -> RemovableHandle:
        """Call ``hook(module, inputs)`` before each forward; it may return new inputs."""
        self._forward_pre_hooks.append(hook)
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(
        self, hook: Callable[[Module, tuple[Any, ...], Any], Any]
    ) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after each forward; it may return a new output."""
        self._forward_hooks.append(hook)
        return RemovableHandle(self._forward_hooks, hook)

    # ------------------------------------------------------------- traversal
    def named_modules(
        self, memo: set[Module] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (named ``prefix``) and all below it, depth
        first. A module held under several names comes once, under its first name, unless
        ``remove_duplicate=False``; ``memo`` is the set of modules to skip (and it grows)."""
        if remove_duplicate:
            return self._walk(prefix, set() if memo is None else memo)
        return self._walk(prefix, None)

    def _walk(self, prefix: str, seen: set[Module] | None) -> Iterator[tuple[str, Module]]:
        """Depth-first, children in order, without recursion. ``seen``: skip modules met
        before; None: every path, skipping only a module inside itself (a cycle)."""
        stack: list[tuple[str, Module, frozenset[int]]] = [(prefix, self, frozenset())]
        while stack:
            name, module, above = stack.pop()
            if seen is not None:
                if module in seen:
                    continue
                seen.add(module)
            yield name, module
            above = above | {id(module)}
            for child_name, child in reversed(module._modules.items()):
                if child is not None and id(child) not in above:
                    stack.append((_joined(name, child_name), child, above))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, child) for each direct child, each module once."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        seen: set[int] = set()
        for module_name, module in modules if recurse else [(prefix, self)]:
            for name, member in getattr(module, registry).items():
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield _joined(module_name, name), member

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter held under several names (tied)
        comes once, under its first name, unless ``remove_duplicate=False``."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, ndarray) for every buffer, persistent or not."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        for _, array in self.named_buffers(recurse=recurse):
            yield array

    def get_submodule(self, target: str) -> Module:
        """The module at the dotted path ``target`` ("" is this module)."""
        module: Module = self
        if target == "":
            return module
        for item in target.split("."):
            if item not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = module._modules[item]
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (``"0.weight"``)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        if not isinstance(module._parameters.get(name), Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return module._parameters[name]

    def get_buffer(self, target: str) -> np.ndarray:
        """The buffer at the dotted path ``target`` (``"1.running_mean"``)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first), then on this module; returns self."""
        order: list[Module] = []  # post-order: children (in order) before their parent
        seen = {id(self)}
        stack = [(self, iter(self._modules.values()))]
        while stack:
            module, children = stack[-1]
            child = next(children, _DONE)
            if child is _DONE:
                stack.pop()
                order.append(module)
            elif child is not None and id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(child._modules.values())))
        for module in order:
            fn(module)
        return self

    # ------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout active, BatchNorm on batch statistics) here and below."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"training mode is expected to be boolean, got {_typename(mode)}")
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout off, BatchNorm on running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient recording on or off for every parameter (to freeze layers)."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``grad`` to None (or to zeros, ``set_to_none=False``)."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad = np.zeros_like(parameter.grad)

    # ------------------------------------------------------------- state
    def state_dict(
        self, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Any]:
        """Every parameter's and persistent buffer's values, by dotted name (after
        ``prefix``), module by module as in PyTorch.

        The values are copies (ndarrays), unlike PyTorch's: a state dict is a
        snapshot that training does not change afterwards. ``keep_vars=True``
        gives the Parameters and buffer arrays themselves. A parameter or module
        held under several names (tied) appears under each, as in PyTorch.
        """
        state: Any = OrderedDict() if destination is None else destination
        for slot in self._state_slots():
            state[prefix + slot.name] = slot.holder if keep_vars else slot.array.copy()
        return state

    def _state_slots(self) -> list[_Slot]:
        """Where each name of the state lives, on every path to each module (a tied
        module under each of its names), in PyTorch's order."""
        slots = []
        for module_name, module in self._walk("", None):
            for name, parameter in module._parameters.items():
                if parameter is not None:
                    slots.append(_Slot(_joined(module_name, name), module, name, "parameter"))
            skipped = module._non_persistent_buffers_set
            for name, array in module._buffers.items():
                if array is not None and name not in skipped:
                    slots.append(_Slot(_joined(module_name, name), module, name, "buffer"))
        return slots

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Everything is checked before anything changes, so a load that raises
        changes nothing: with ``strict=True`` (the default) missing or
        unexpected names raise ``StateDictKeyError`` (a KeyError); a value that
        is not an array of numbers, or that cannot be cast to the model's
        dtype, ``StateDictTypeError``; a wrong shape ``StateDictValueError``
        (all three are RuntimeErrors too, as in PyTorch). Parameters keep their
        identity (an optimizer holding them still updates them) and their
        version moves. The names of one tied parameter must carry equal values.
        Returns ``(missing_keys, unexpected_keys)``, as PyTorch.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                "load_state_dict: expected a mapping of names to arrays (a state dict), "
                f"got {_typename(state_dict)}"
            )
        slots = self._state_slots()
        names = {slot.name for slot in slots}
        missing = [slot.name for slot in slots if slot.name not in state_dict]
        unexpected = [key for key in state_dict if key not in names]
        if strict and (missing or unexpected):
            raise StateDictKeyError(self._key_report(slots, state_dict, missing, unexpected))
        for array, value, targets in _plan_load(slots, state_dict):
            _fill(array, value, targets)
        return IncompatibleKeys(missing, unexpected)

    def _key_report(
        self, slots: list[_Slot], state: Mapping, missing: list[str], unexpected: list[Any]
    ) -> str:
        lines = [
            f"load_state_dict: the state does not match {type(self).__name__}: "
            f"missing {missing}, unexpected {unexpected}"
        ]
        present: dict[int, str] = {}  # the first name the state has for each array
        for slot in slots:
            if slot.name in state:
                present.setdefault(id(slot.array), slot.name)
        for slot in slots:
            if slot.name not in state and id(slot.array) in present:
                lines.append(
                    f"  '{slot.name}' is tied to '{present[id(slot.array)]}' (one {slot.kind} "
                    "under two names), which the state has"
                )
        lines.append("Pass strict=False to load the names that match.")
        return "\n".join(lines)

    # ------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr."""
        return ""

    def _child_lines(self) -> list[str]:
        return [f"({name}): {_indent(repr(module))}" for name, module in self._modules.items()]

    def __repr__(self) -> str:
        """PyTorch's layout: extra_repr, then one line per child, indented."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = self._child_lines()
        lines = extra_lines + child_lines
        if not lines:
            return f"{type(self).__name__}()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _loadable(key: str, value: Any, current: np.ndarray, kind: str) -> np.ndarray:
    """``value`` as an array that can be copied into ``current``, or a StateDict error."""
    if isinstance(value, Tensor):
        array = value.data
    elif value is None or isinstance(value, (str, bytes, Mapping, Module)):
        raise StateDictTypeError(
            f"load_state_dict: '{key}' is {_typename(value)} {value!r:.40} in the state, "
            f"not an array; the model's {kind} has shape {current.shape}"
        )
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise StateDictTypeError(
                f"load_state_dict: '{key}' ({_typename(value)}) is not an array of numbers: {error}"
            ) from None
    if array.dtype.kind not in "biuf":
        raise StateDictTypeError(
            f"load_state_dict: '{key}' has dtype {array.dtype} in the state; a {kind} holds numbers"
        )
    if array.shape != current.shape:
        raise StateDictValueError(
            f"load_state_dict: '{key}' has shape {array.shape} in the state but "
            f"{current.shape} in the model"
        )
    if not np.can_cast(array.dtype, current.dtype, "same_kind"):
        raise StateDictTypeError(
            f"load_state_dict: '{key}' holds {array.dtype} values; the model's {kind} is "
            f"{current.dtype} and cannot take them without losing their fractions"
        )
    return array


class _Slot(NamedTuple):
    """One name of a state dict and where its value lives in the model."""

    name: str
    module: Module
    attr: str
    kind: str  # "parameter" or "buffer"

    @property
    def holder(self) -> Parameter | np.ndarray:
        registry = self.module._parameters if self.kind == "parameter" else self.module._buffers
        return registry[self.attr]

    @property
    def array(self) -> np.ndarray:
        holder = self.holder
        return holder.data if self.kind == "parameter" else holder


def _plan_load(
    slots: list[_Slot], state: Mapping
) -> list[tuple[np.ndarray, np.ndarray, list[_Slot]]]:
    """(model array, checked value, slots holding that array) for each array to fill,
    with every check done and nothing changed. Names of one tied array must agree."""
    plan: dict[int, tuple[np.ndarray, np.ndarray, list[_Slot]]] = {}
    for slot in slots:
        if slot.name not in state:
            continue
        array = slot.array
        value = _loadable(slot.name, state[slot.name], array, slot.kind)
        if id(array) not in plan:
            plan[id(array)] = (array, value, [slot])
            continue
        _, first_value, tied = plan[id(array)]
        if not np.array_equal(first_value, value, equal_nan=value.dtype.kind == "f"):
            raise StateDictValueError(
                f"load_state_dict: '{tied[0].name}' and '{slot.name}' are one {slot.kind} in "
                "the model (tied) but have different values in the state; make them equal, "
                "or leave one out and pass strict=False"
            )
        tied.append(slot)
    return list(plan.values())


def _fill(array: np.ndarray, value: np.ndarray, slots: list[_Slot]) -> None:
    """Copy ``value`` into the model's ``array`` in place (PyTorch's copy_), so whoever
    holds the array sees the new values; each parameter's version moves, so a graph
    that saved the old values raises. A read-only array is replaced by a new one."""
    if array.flags.writeable:
        np.copyto(array, value, casting="same_kind")
        new = array
    else:
        new = np.array(value, dtype=array.dtype)
    for slot in slots:
        if slot.kind == "parameter":
            slot.holder.data = new  # an assignment, even of the same array: the version moves
        elif new is not array:
            slot.module._put(slot.module._buffers, slot.attr, new)


# ---------------------------------------------------------------- hooks on every module
# As PyTorch's torch.nn.modules.module.register_module_forward_(pre_)hook: hooks that run
# around every module's forward, before the module's own hooks (nn/drawing.py uses them).
_GLOBAL_FORWARD_PRE_HOOKS: list[Callable[[Module, tuple[Any, ...]], Any]] = []
_GLOBAL_FORWARD_HOOKS: list[Callable[[Module, tuple[Any, ...], Any], Any]] = []


def register_module_forward_pre_hook(
    hook: Callable[[Module, tuple[Any, ...]], Any],
) -> RemovableHandle:
    """Call ``hook(module, inputs)`` before the forward of every module; it may return new
    inputs. Returns a handle whose ``remove()`` unregisters it."""
    _GLOBAL_FORWARD_PRE_HOOKS.append(hook)
    return RemovableHandle(_GLOBAL_FORWARD_PRE_HOOKS, hook)


def register_module_forward_hook(
    hook: Callable[[Module, tuple[Any, ...], Any], Any],
) -> RemovableHandle:
    """Call ``hook(module, inputs, output)`` after the forward of every module; it may return
    a new output. Returns a handle whose ``remove()`` unregisters it."""
    _GLOBAL_FORWARD_HOOKS.append(hook)
    return RemovableHandle(_GLOBAL_FORWARD_HOOKS, hook)
