"""Parameter, Module and Sequential: how layers hold parameters and call each other.

As in PyTorch, assigning a Parameter or a Module to an attribute registers it
under that name, so ``named_parameters()`` yields dotted names such as
``0.weight`` inside a Sequential. Attributes stay ordinary attributes, so a
layer's ``forward`` reads ``self.weight`` at plain attribute speed.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from autograd_mini import RemovableHandle, Tensor
from autograd_mini.function import Node
from autograd_mini.function import _sequence as _node_numbers
from autograd_mini.tensor import as_array
from autograd_mini.viz import register_scope_resolver


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


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


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
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_parent", None)
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if name in self._buffers and isinstance(value, np.ndarray):
            self._buffers[name] = value  # a new array for a buffer stays a buffer
            object.__setattr__(self, name, value)
            return
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            value._owner = weakref.ref(self)
        elif isinstance(value, Module):
            self._modules[name] = value
            object.__setattr__(value, "_parent", weakref.ref(self))
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def __getstate__(self) -> dict[str, Any]:
        """Pickling and deepcopy: everything but the weak link to the parent module."""
        state = dict(self.__dict__)
        state["_parent"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for parameter in self._parameters.values():
            parameter._owner = weakref.ref(self)
        for child in self._modules.values():
            object.__setattr__(child, "_parent", weakref.ref(self))

    @property
    def parent(self) -> Module | None:
        """The module this one was last assigned to as a child (None for the outermost)."""
        return self._parent() if self._parent is not None else None

    def register_buffer(self, name: str, array: np.ndarray) -> None:
        """A state array that is not learned (running statistics); saved in state_dict."""
        object.__setattr__(self, name, array)
        self._buffers[name] = array

    def add_module(self, name: str, module: Module) -> None:
        setattr(self, name, module)

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        first = next(_node_numbers)
        output = self.forward(*args, **kwargs)
        # the graph nodes this call created are numbered in (first, last): draw_graph's
        # group_modules uses it to box each module's ops (the last call only)
        self.__dict__["_last_call"] = (first, next(_node_numbers))
        if self._forward_hooks:
            for hook in list(self._forward_hooks):
                replaced = hook(self, args, output)
                if replaced is not None:
                    output = replaced
        return output

    def register_forward_hook(
        self, hook: Callable[[Module, tuple[Any, ...], Any], Any]
    ) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after each forward; it may return a new output."""
        self._forward_hooks.append(hook)
        return RemovableHandle(self._forward_hooks, hook)

    # ------------------------------------------------------------- traversal
    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, each parameter once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, parameter in module._parameters.items():
                if id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for module_name, module in self.named_modules(prefix):
            for name, array in module._buffers.items():
                yield (f"{module_name}.{name}" if module_name else name), array

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ("" or ``prefix``) and all below it."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = list(module._modules.items())
            for child_name, child in reversed(children):
                stack.append((f"{name}.{child_name}" if name else child_name, child))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    # ------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout active, BatchNorm on batch statistics) here and below."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout off, BatchNorm on running statistics."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to None."""
        for parameter in self.parameters():
            parameter.grad = None

    # ------------------------------------------------------------- state
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter's and buffer's values, by dotted name, module by
        module as in PyTorch (copies, unlike PyTorch: a state dict is a snapshot)."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        seen: set[int] = set()
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name, parameter in module._parameters.items():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    state[prefix + name] = parameter.data.copy()
            for name, array in module._buffers.items():
                state[prefix + name] = np.array(array, copy=True)
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state`` into parameters and buffers, checking names and shapes.

        With ``strict=True`` (the default) missing or unexpected names raise a
        KeyError that lists them; shapes must always match.
        """
        targets: dict[str, tuple[Module, str, str]] = {}
        for module_name, module in self.named_modules():
            for kind, registry in (("parameter", module._parameters), ("buffer", module._buffers)):
                for name in registry:
                    full = f"{module_name}.{name}" if module_name else name
                    targets[full] = (module, name, kind)
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        if strict and (missing or unexpected):
            raise KeyError(
                f"load_state_dict: state does not match {type(self).__name__}: "
                f"missing {missing}, unexpected {unexpected} (pass strict=False to load "
                "the names that match)"
            )
        for full, (module, name, kind) in targets.items():
            if full not in state:
                continue
            value = state[full]
            value = as_array(value)
            current = getattr(module, name)
            current_array = current.data if kind == "parameter" else current
            if value.shape != current_array.shape:
                raise ValueError(
                    f"load_state_dict: '{full}' has shape {value.shape} in the state but "
                    f"{current_array.shape} in the model"
                )
            value = np.array(value, dtype=current_array.dtype, copy=True)
            if kind == "parameter":
                current.data = value
            else:
                current_array[...] = value  # buffers are updated in place by their modules
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = [f"({name}): {_indent(repr(module))}" for name, module in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        lines += ["  " + child for child in children]
        lines.append(")")
        return "\n".join(lines)


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


class Sequential(Module):
    """Modules applied one after another; children are named "0", "1", ..."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {index} is a {type(module).__name__}, not a Module"
                )
            self.add_module(str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            part = Sequential(*modules[index])
            for module in part:  # the slice borrows its modules: they still belong here
                object.__setattr__(module, "_parent", weakref.ref(self))
            return part
        return modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self


def _module_scopes(tensors: list[Tensor], nodes: list[Node]) -> dict[Node, str]:
    """For draw_graph(group_modules=True): the innermost module whose last call made each op.

    Modules are found from the graph's parameters, up to their outermost module.
    """
    roots: dict[int, Module] = {}
    for tensor in tensors:
        module = tensor.owner if isinstance(tensor, Parameter) else None
        while module is not None and module.parent is not None:
            module = module.parent
        if module is not None:
            roots[id(module)] = module
    calls = []  # (span, label, first, last)
    for root in roots.values():
        for name, module in root.named_modules():
            if "_last_call" in module.__dict__ and name:
                first, last = module.__dict__["_last_call"]
                calls.append((last - first, f"{name}: {type(module).__name__}", first, last))
    calls.sort()  # innermost (shortest) calls first
    scopes: dict[Node, str] = {}
    for node in nodes:
        for _, label, first, last in calls:
            if first < node.sequence < last:
                scopes[node] = label
                break
    return scopes


register_scope_resolver(_module_scopes)
