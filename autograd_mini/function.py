"""Function: how an op is defined, and Node: the record it leaves in the graph.

An op is a subclass of ``Function`` with two static methods that work on
ndarrays::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved
            return grad * y

``Exp.apply(tensor)`` runs ``forward`` on the tensors' arrays and, when some
input requires grad, records a ``Node`` (the ``ctx``) in the graph. Positional
arguments are the op's inputs; keyword arguments are options (axis, ...).
``backward`` returns one gradient per positional argument (None where there is
none), or a bare gradient when there is one positional argument. Gradients of
broadcast inputs are summed back to the input's shape by the engine.

``create_graph=True`` runs ``backward`` on Tensors instead of arrays, with the
values saved by ``save_for_backward`` replaced by the tensors they came from;
a backward written with operators and Tensor methods is then itself
differentiable. Arrays that are neither an input nor the output of forward
are constants for double backward, so save inputs and outputs, not values
derived from them.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any, ClassVar

import numpy as np

from . import tensor as tensor_module
from .grad_mode import _state as _grad_state
from .tensor import Tensor


class ShapeError(ValueError, RuntimeError):
    """Bad shapes given to an op; the message names the op and the shapes.

    A ValueError, as numpy raises for such shapes, and a RuntimeError, as
    PyTorch does, so that either ``except`` clause catches it.
    """


class ArgumentError(ValueError, RuntimeError):
    """A bad option given to an op (``clip(None, None)``); ValueError and RuntimeError alike."""


class Node:
    """One recorded op application: the ``ctx`` of its forward and backward.

    Attributes: ``function`` (the Function class), ``name`` (the op's name),
    ``parents`` (per positional input that gets a gradient, the node that made
    it, or the leaf tensor itself; None for inputs that need no gradient),
    ``needs_input_grad`` (one bool per positional input), ``saved`` (what
    forward saved; None once backward has freed it), ``output_info`` (shape,
    dtype and name of the output). Ops may set any other attribute in forward
    for backward.

    As in PyTorch, a node refers to the nodes that made its inputs, not to the
    intermediate tensors themselves: the graph keeps no intermediate result
    alive, only what forward saved, and backward frees that.
    """

    __slots__ = (
        "__dict__",
        "function",
        "needs_input_grad",
        "saved",
        "sequence",
        "_inputs",
        "_arrays",
        "_clock",
        "_hooks",
        "_output_shape",
        "_output_dtype",
        "output_name",
    )
    # Rarely set, so class-level defaults keep node creation (the hot path) short:
    # the output's array when forward saved it, and the output's version counter once
    # the output (or a view sharing it) has one (Tensor.shared_version_cell sets it).
    _output_array: np.ndarray | None = None
    _output_cell: list[int] | None = None

    def __init__(
        self,
        function: type[Function],
        needs_input_grad: tuple[bool, ...],
        inputs: tuple[Any, ...],
        arrays: list[Any],
    ) -> None:
        self.function = function
        self.needs_input_grad = needs_input_grad
        self.saved: tuple[Any, ...] | None = ()
        self.sequence = next(_sequence)  # creation order: a topological order of the graph
        self._inputs = inputs  # per input: its producer Node, a leaf or constant Tensor, or a value
        self._arrays = arrays  # per input: its values at forward time
        self._clock = tensor_module.data_clock[0]
        self._hooks: list | None = None  # on the output's gradient (retain_grad() is one)
        self.output_name: str | None = None  # the output tensor's name, kept for drawings

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def output_info(self) -> tuple[tuple[int, ...], np.dtype, str | None]:
        """(shape, dtype, name) of the output: what a drawing shows of a tensor it does not hold."""
        return self._output_shape, self._output_dtype, self.output_name

    @property
    def parents(self) -> tuple[Any, ...]:
        """Per positional input: the node that made it, or the leaf (None: it needs no grad)."""
        return tuple(
            [arg if need else None for arg, need in zip(self._inputs, self.needs_input_grad)]
        )

    def __repr__(self) -> str:
        return f"<grad_fn {self.name}>"

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (inputs, the output, or constants) for backward as ``ctx.saved``."""
        self.saved = values

    # ---------------------------------------------- where saved values came from
    def _origin(self, value: Any) -> Tensor | None:
        """A tensor whose forward-time data ``value`` is: an input, or the output."""
        for arg, array in zip(self._inputs, self._arrays):
            if array is value:
                if isinstance(arg, Tensor):
                    return arg
                if isinstance(arg, Node):
                    return arg._as_output_tensor(array)
        if value is self._output_array and value is not None:
            return self._as_output_tensor(value)
        return None

    def saved_tensors(self) -> tuple[Any, ...]:
        """``saved`` with each input or output array replaced by a tensor (for create_graph)."""
        return tuple(
            origin if (origin := self._origin(value)) is not None else value
            for value in self.saved  # type: ignore[union-attr]
        )

    def _as_output_tensor(self, array: np.ndarray) -> Tensor:
        """A tensor standing for this node's output (its data, this node, its version counter)."""
        return Tensor._from_op(array, self)  # (its counter is the node's: shared_version_cell)

    def check_versions(self) -> None:
        """Raise if a tensor whose data this op saved was assigned since the forward pass."""
        for value in self.saved:  # type: ignore[union-attr]
            for position, (arg, array) in enumerate(zip(self._inputs, self._arrays)):
                if array is value and _version_of(arg) > self._clock:
                    raise RuntimeError(_modified_message(self, f"input {position}", array.shape))
            if value is self._output_array and _version_of(self) > self._clock:
                raise RuntimeError(_modified_message(self, "its output", value.shape))

    # ------------------------------------------------------ the output's hooks
    def retain_output(self, tensor: Tensor) -> None:
        hooks = self.output_hooks()
        if not any(type(hook) is RetainGrad for hook in hooks):
            hooks.append(RetainGrad(tensor))

    def output_hooks(self) -> list:
        if self._hooks is None:
            self._hooks = []
        return self._hooks

    def retained_tensor(self) -> Tensor | None:
        """The output tensor, if ``retain_grad()`` was called on it and it is still alive."""
        for hook in self._hooks or ():
            if type(hook) is RetainGrad:
                return hook.tensor()
        return None


def _version_of(value: Any) -> int:
    """The version of a tensor, or of the output of a node (0 for other values)."""
    if isinstance(value, Tensor):
        return value._version
    if isinstance(value, Node) and value._output_cell is not None:
        return value._output_cell[0]
    return 0


class RetainGrad:
    """The hook ``retain_grad()`` adds: the backward walk stores the gradient on the tensor.

    It runs after the other hooks (as in PyTorch), and only for ``backward()``:
    ``grad()`` leaves every ``.grad`` alone.
    """

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = weakref.ref(tensor)


_sequence = itertools.count()


class ForwardContext:
    """The ctx of a forward that is not recorded (no input requires grad, or no_grad)."""

    def __init__(self, count: int) -> None:
        self.needs_input_grad = (False,) * count

    def save_for_backward(self, *values: Any) -> None:
        """Nothing to keep: no backward will run."""


def _modified_message(node: Node, role: str, shape: tuple[int, ...]) -> str:
    return (
        f"{node.name}: {role} (shape {shape}) was modified after the op saved it "
        "for backward, so its gradient would be wrong. Assigning .data (x.data = ..., "
        "x.data -= ...) counts as a modification: run the forward pass again after "
        "modifying it, or modify a copy."
    )


def freed_message(node: Node) -> str:
    return (
        f"{node.name}: trying to backward through the graph a second time, but its "
        "saved arrays were freed after the first backward. Pass retain_graph=True to "
        "the first backward() (or grad()) if you need to go through the graph again."
    )


# Where the library defines its ops; each of these modules says so at its top.
_LIBRARY_OP_MODULES = ("autograd_mini.ops", "nn.fused")


class Function:
    """Base class of ops: define static ``forward(ctx, ...)`` and ``backward(ctx, grad)``.

    ``name`` defaults to the class name; it is what ``grad_fn.name``, error
    messages and graph drawings show.
    """

    name: ClassVar[str] = "Function"
    # True for ops whose output may be a view of their first input (transpose, basic
    # indexing, reshape): the output then shares that input's version counter
    returns_view: ClassVar[bool] = False
    # True for the library's own ops, whose backward returns only arrays it made, views
    # of them, or the gradient it received; never an array held elsewhere (saved, an
    # input, a constant). The engine then stores such gradients as leaves' .grad without
    # copying them. For any other Function it copies.
    new_arrays_only: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        cls.new_arrays_only = cls.__module__ in _LIBRARY_OP_MODULES
        for method in ("forward", "backward"):
            if not callable(getattr(cls, method, None)):
                raise TypeError(f"Function {cls.__name__} must define a static {method}()")

    forward: ClassVar[Any]
    backward: ClassVar[Any]

    @classmethod
    def apply(cls, *args: Any, **options: Any) -> Tensor:
        """Run the op on ``args`` and record it in the graph when some input requires grad."""
        # One explicit loop: faster than comprehensions on Python < 3.12, and this runs per op.
        arrays = []
        inputs = []  # what the node keeps: producer nodes for op outputs, else the argument
        needs = []
        record = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                if arg._requires_grad:
                    record = True
                    needs.append(True)
                    producer = arg.grad_fn
                    inputs.append(arg if producer is None else producer)
                    continue
            elif type(arg) is list or type(arg) is tuple:
                arrays.append(np.asarray(arg))  # so that backward can rely on .shape, .T
            else:
                arrays.append(arg)
            inputs.append(arg)
            needs.append(False)
        if record and _grad_state.enabled:
            ctx = Node(cls, tuple(needs), inputs, arrays)
        else:
            record = False
            ctx = ForwardContext(len(args))
        try:
            out = cls.forward(ctx, *arrays, **options)
        except (ValueError, IndexError, TypeError) as error:
            raise _named_error(cls, arrays, error) from None
        if type(out) is not np.ndarray or out.dtype.kind != "f":
            out = _as_output(cls, out)
        if not record:
            result = Tensor._from_op(out, None)
        else:
            result = Tensor._from_op(out, ctx)
            ctx._output_shape = out.shape
            ctx._output_dtype = out.dtype
            for value in ctx.saved:
                if value is out:  # version checks and create_graph need to find the output
                    ctx._output_array = out
                    break
        if cls.returns_view and out.base is not None and isinstance(args[0], Tensor):
            if _is_view_of(out, arrays[0]):  # changing one changes the other: one version
                result._version_cell = cell = args[0].shared_version_cell()
                if record:
                    ctx._output_cell = cell
        return result


def _is_view_of(out: np.ndarray, array: np.ndarray) -> bool:
    """True when ``out`` shares ``array``'s memory (numpy names the owner as ``base``)."""
    base = out.base
    return (
        base is array
        or (base is array.base and base is not None)
        or (np.may_share_memory(out, array))
    )


def _named_error(function: type[Function], arrays: list[Any], error: Exception) -> Exception:
    """The error a forward raised, as the same kind of error naming the op and the shapes.

    Errors the op raised itself already say so, and pass unchanged. numpy's
    errors have their own constructors (``x + "a"`` raises one that takes a
    ufunc and dtypes), so the new error is of the builtin kind numpy's error is:
    an axis out of range stays numpy's AxisError (a ValueError and an
    IndexError), and in the library's own ops any other ValueError is about
    shapes (broadcasting, reshape, joining), so it becomes a ShapeError.
    """
    name = function.name
    if isinstance(error, ShapeError) or str(error).startswith(f"{name}:"):
        return error
    message = describe_failure(name, arrays, error)
    if isinstance(error, np.exceptions.AxisError):
        return np.exceptions.AxisError(message)
    if isinstance(error, IndexError):
        return IndexError(message)
    if isinstance(error, ValueError):
        return (
            ShapeError(message)
            if function.__module__ in _LIBRARY_OP_MODULES
            else ValueError(message)
        )
    return TypeError(message)


def describe_failure(name: str, arrays: list[Any], error: Exception) -> str:
    """``name: <what went wrong> (input shapes: ...)``, said plainly for the common failures."""
    shapes = [np.shape(a) for a in arrays if not np.isscalar(a) and a is not None]
    text = str(error)
    if "could not be broadcast" in text and len(shapes) == 2:
        return (
            f"{name}: shapes {shapes[0]} and {shapes[1]} cannot be broadcast together: "
            "aligned from the right, each pair of dimensions must be equal or one of them 1 "
            "(reshape an operand, e.g. x.reshape(-1, 1), or transpose it)"
        )
    if isinstance(error, TypeError) and (strange := _unsupported_operand(arrays)) is not None:
        position, value = strange
        kind = type(value).__name__
        if isinstance(value, np.ndarray):
            kind = f"an array of dtype {value.dtype}"
        return (
            f"{name}: unsupported operand {position} of type {kind}; "
            "ops take Tensors, ndarrays of numbers and Python numbers"
        )
    listed = ", ".join(str(shape) for shape in shapes)
    return f"{name}: {text} (input shapes: {listed})"


def _unsupported_operand(arrays: list[Any]) -> tuple[int, Any] | None:
    """The first positional operand that is neither a number nor a numeric array."""
    for position, value in enumerate(arrays):
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                return position, value
        elif value is not None and not isinstance(value, (int, float, np.number, np.bool_)):
            return position, value
    return None


def _as_output(function: type[Function], out: Any) -> np.ndarray:
    """``out`` as a floating ndarray (numpy scalars from full reductions become 0-d arrays)."""
    if isinstance(out, np.floating):
        return np.asarray(out)
    if isinstance(out, tuple):
        raise TypeError(
            f"{function.name}.forward returned a tuple; a Function has exactly one "
            "output (split it into several Functions)"
        )
    array = np.asarray(out)
    if array.dtype.kind == "c":
        raise TypeError(
            f"{function.name}: an operand is complex; tensors hold real floating-point "
            "numbers, so complex arithmetic is not supported"
        )
    if array.dtype.kind != "f":
        raise TypeError(
            f"{function.name}.forward returned an array of dtype {array.dtype}; "
            "an op's output must be floating point"
        )
    return array
