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


class ShapeError(ValueError):
    """Bad shapes given to an op; the message names the op and the shapes."""


class Node:
    """One recorded op application: the ``ctx`` of its forward and backward.

    Attributes: ``function`` (the Function class), ``name`` (the op's name),
    ``parents`` (the input tensors, None for inputs that need no gradient; once
    a backward has freed the node, an input made by another op is represented
    by that op's node, so that its values can be freed as in PyTorch),
    ``needs_input_grad`` (one bool per positional input), ``saved`` (what
    forward saved). Ops may set any other attribute in forward for backward.
    """

    __slots__ = (
        "__dict__",
        "_arrays",
        "_clock",
        "_inputs",
        "function",
        "needs_input_grad",
        "output_info",
        "_output_array",
        "_output_cell",
        "saved",
        "sequence",
    )
    # Rarely set, so class-level defaults keep node creation (the hot path) short.
    _freed = False
    _observed = False  # True once a hook or retain_grad() watches the output's gradient
    _hooks: list | None = None
    _retained: weakref.ref | None = None

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
        self._inputs = inputs
        self._arrays = arrays
        self._clock = tensor_module.data_clock[0]
        # (shape, dtype, name) of the output, kept when backward lets go of the tensor itself
        self.output_info: tuple | None = None
        # when forward saved its own output: that array, and the output's version cell
        self._output_array: np.ndarray | None = None
        self._output_cell: list[int] | None = None

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def parents(self) -> tuple[Any, ...]:
        """The inputs that get a gradient (None for the others), by position."""
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
        """The tensor whose forward-time data ``value`` is: an input, or the output."""
        for arg, array in zip(self._inputs, self._arrays):
            if array is value and isinstance(arg, Tensor):
                return arg
        if value is self._output_array and value is not None:
            return self._output_tensor()
        return None

    def saved_tensors(self) -> tuple[Any, ...]:
        """``saved`` with each input or output array replaced by its tensor (for create_graph)."""
        return tuple(
            origin if (origin := self._origin(value)) is not None else value
            for value in self.saved  # type: ignore[union-attr]
        )

    def _output_tensor(self) -> Tensor:
        """A tensor equivalent to the output (same data, same node), for create_graph."""
        output = Tensor._from_op(self._output_array, self)
        output._version_cell = self._output_cell
        return output

    def check_versions(self) -> None:
        """Raise if a tensor whose data this op saved was assigned since the forward pass."""
        for value in self.saved:  # type: ignore[union-attr]
            for position, (arg, array) in enumerate(zip(self._inputs, self._arrays)):
                if array is value and isinstance(arg, Tensor) and arg._version > self._clock:
                    raise RuntimeError(_modified_message(self, f"input {position}", arg))
            if value is self._output_array and self._output_cell[0] > self._clock:
                output = self._output_tensor()
                raise RuntimeError(_modified_message(self, "its output", output))

    # ------------------------------------------------------ the output's hooks
    def retain_output(self, tensor: Tensor) -> None:
        self._retained = weakref.ref(tensor)
        self._observed = True

    def output_hooks(self) -> list:
        if self._hooks is None:
            self._hooks = []
            self._observed = True
        return self._hooks


_sequence = itertools.count()


class ForwardContext:
    """The ctx of a forward that is not recorded (no input requires grad, or no_grad)."""

    def __init__(self, count: int) -> None:
        self.needs_input_grad = (False,) * count

    def save_for_backward(self, *values: Any) -> None:
        """Nothing to keep: no backward will run."""


def _modified_message(node: Node, role: str, tensor: Tensor) -> str:
    return (
        f"{node.name}: {role} (shape {tensor.shape}) was modified after the op saved it "
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


class Function:
    """Base class of ops: define static ``forward(ctx, ...)`` and ``backward(ctx, grad)``.

    ``name`` defaults to the class name; it is what ``grad_fn.name``, error
    messages and graph drawings show.
    """

    name: ClassVar[str] = "Function"
    # True for ops whose output may be a view of their first input (transpose, basic
    # indexing, reshape): the output then shares that input's version counter
    returns_view: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
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
        needs = []
        record = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                if arg._requires_grad:
                    record = True
                    needs.append(True)
                    continue
            elif type(arg) is list or type(arg) is tuple:
                arrays.append(np.asarray(arg))  # so that backward can rely on .shape, .T
            else:
                arrays.append(arg)
            needs.append(False)
        if record and _grad_state.enabled:
            ctx = Node(cls, tuple(needs), args, arrays)
        else:
            record = False
            ctx = ForwardContext(len(args))
        try:
            out = cls.forward(ctx, *arrays, **options)
        except ShapeError:
            raise
        except (ValueError, IndexError, TypeError) as error:
            raise type(error)(describe_failure(cls.name, arrays, error)) from None
        if type(out) is not np.ndarray or out.dtype.kind != "f":
            out = _as_output(cls, out)
        result = Tensor._from_op(out, ctx if record else None)
        if cls.returns_view and isinstance(args[0], Tensor) and np.may_share_memory(out, arrays[0]):
            result._version_cell = args[0].shared_version_cell()
        if not record:
            return result
        for value in ctx.saved:
            if value is out:  # version checks and create_graph need to find the output
                ctx._output_array = out
                ctx._output_cell = result.shared_version_cell()
                break
        return result


def describe_failure(name: str, arrays: list[Any], error: Exception) -> str:
    shapes = ", ".join(str(np.shape(a)) for a in arrays if not np.isscalar(a))
    return f"{name}: {error} (input shapes: {shapes})"


def _as_output(function: type[Function], out: Any) -> np.ndarray:
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
