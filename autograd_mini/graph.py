"""The graph: how an op records a node, and the backward walk over the nodes.

Recording. An op is a subclass of ``Function`` with two static methods on
ndarrays (``ops.py`` is the library's table of them)::

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

``Exp.apply(tensor)`` runs ``forward`` on the tensors' arrays and, when an
input requires grad, leaves a ``Node`` (the ``ctx``) in the graph. Positional
arguments are the op's inputs, keyword arguments its options (axis, ...).
``backward`` returns one gradient per positional input (None where there is
none), or a bare gradient for a single input; gradients of broadcast inputs
are summed back to the input's shape by the engine. As in PyTorch, a node
refers to the nodes that made its inputs, not to the intermediate tensors:
the graph keeps no intermediate result alive, only what forward saved.

Walking. ``backward`` runs each reachable node's backward once, after every
node that consumes its output, iteratively (a chain of 100,000 ops works).
Nodes are numbered as they are created, and an op is always created after
its inputs, so taking pending nodes from a max-heap on that number gives
exactly this order: when a node comes out, every consumer has already sent
its gradient, summed into ``pending``. The loop (``_walk``) is short; what
it does only when asked lives in helpers it does not enter otherwise: hooks
and ``grad()``'s targets (``hooks.py``), the recorded backward of
``create_graph`` (``double_backward.py``), version checks (only when some
``.data`` was assigned since the forward pass), and observers (anomaly
mode's checks, ``trace_backward``'s record).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any, ClassVar

import numpy as np

from . import anomaly
from .anomaly import state as anomaly_mode  # (one attribute read per op when off)
from .double_backward import recorded_backward
from .errors import (
    ShapeError,
    arity_message,
    as_output,
    broadcast_backward_error,
    checked_gradient,
    freed_message,
    modified_message,
    named_error,
    needs_gradient_message,
    no_grad_message,
    seed_shape_error,
)
from .grad_mode import _state as _grad_state
from .hooks import RetainGrad, apply_hooks, before_backward
from .kernels import sum_rows
from .tensor import Tensor, data_clock

Gradient = Any  # an ndarray (or numpy scalar), or a Tensor when the backward pass is recorded

# --------------------------------------------------------------------------
# Recording: Function and Node

_sequence = itertools.count()  # node numbers: creation order, a topological order of the graph


class Node:
    """One recorded op application: the ``ctx`` of its forward and backward.

    Attributes: ``function`` (the Function class), ``name`` (the op's name),
    ``parents`` (per positional input that gets a gradient, the node that made
    it, or the leaf tensor itself; None for inputs that need no gradient),
    ``needs_input_grad`` (one bool per positional input), ``saved`` (what
    forward saved; None once backward has freed it), ``output_info`` (shape,
    dtype and name of the output). Ops may set any other attribute in forward
    for backward.
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
    # Rarely set, so class-level defaults keep node creation (the hot path) short: the
    # output's array when forward saved it, the output's version counter once the output
    # (or a view sharing it) has one, and where the user's code called the op (anomaly mode).
    _output_array: np.ndarray | None = None
    _output_cell: list[int] | None = None
    origin: str | None = None

    def __init__(
        self, function: type[Function], needs_input_grad: tuple, inputs: list, arrays: list
    ) -> None:
        self.function = function
        self.needs_input_grad = needs_input_grad
        self.saved: tuple[Any, ...] | None = ()
        self.sequence = next(_sequence)
        self._inputs = inputs  # per input: the Node that made it, a leaf Tensor, or a constant
        self._arrays = arrays  # per input: its values at forward time
        self._clock = data_clock[0]
        self._hooks: list | None = None  # on the output's gradient (retain_grad() is one)
        self.output_name: str | None = None  # the output tensor's name, kept for drawings

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def output_info(self) -> tuple[tuple[int, ...], np.dtype, str | None]:
        """The output's shape, dtype and name: what a drawing shows of a tensor it does not hold."""
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

    def free(self) -> None:
        """Let go of what forward saved (after backward); a second backward will raise."""
        self.saved = self._arrays = None
        self.__dict__.clear()

    def check_saved(self) -> None:
        """Raise if what forward saved was freed, or if a tensor whose data this op saved was
        assigned since the forward pass. (Checked only when some ``.data`` was assigned since
        the forward pass: 8-12% of a small network's backward.)"""
        if self.saved is None:
            raise RuntimeError(freed_message(self.name))
        for value in self.saved:  # type: ignore[union-attr]
            for position, (arg, array) in enumerate(zip(self._inputs, self._arrays)):
                if array is value and _version_of(arg) > self._clock:
                    raise RuntimeError(
                        modified_message(self.name, f"input {position}", array.shape)
                    )
            if value is self._output_array and _version_of(self) > self._clock:
                raise RuntimeError(modified_message(self.name, "its output", value.shape))

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


class ForwardContext:
    """The ctx of a forward that is not recorded (no input requires grad, or no_grad)."""

    origin = None

    def __init__(self, count: int) -> None:
        self.needs_input_grad = (False,) * count

    def save_for_backward(self, *values: Any) -> None:
        """Nothing to keep: no backward will run."""


class Function:
    """Base class of ops: define static ``forward(ctx, ...)`` and ``backward(ctx, grad)``.

    ``name`` (default: the class name) is what ``grad_fn.name``, error
    messages and drawings show; ``formula`` (default: the name) is the
    derivative rule as text, which ``trace_backward`` shows. ``returns_view``
    marks ops whose output may be a view of their first input (transpose,
    basic indexing, reshape): the output then shares that input's version,
    and is a mask if the input was one (a Tensor made from booleans).
    """

    name: ClassVar[str] = "Function"
    formula: ClassVar[str] = "Function"
    returns_view: ClassVar[bool] = False
    # The ops of a table of derivatives (attach_formulas) take a 0-d gradient as the numpy
    # scalar that numpy's 0-d arithmetic gives, so a loss's last steps cost scalar arithmetic
    # (3% of the tiny network's step); other Functions get an ndarray, as documented.
    scalar_gradients: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        if "formula" not in cls.__dict__:
            cls.formula = cls.name
        for method in ("forward", "backward"):
            if not callable(getattr(cls, method, None)):
                raise TypeError(f"Function {cls.__name__} must define a static {method}()")

    forward: ClassVar[Any]
    backward: ClassVar[Any]

    @classmethod
    def apply(cls, *args: Any, **options: Any) -> Tensor:
        """``forward`` on the arrays of ``args``; a Node in the graph if an input requires grad."""
        arrays, inputs, needs = [], [], []  # inputs: what the node keeps (producers of outputs)
        record = False
        for arg in args:  # one explicit loop: faster than comprehensions, and it runs per op
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                if arg._requires_grad:
                    record = True
                    needs.append(True)
                    inputs.append(arg if arg.grad_fn is None else arg.grad_fn)
                    continue
            else:
                arrays.append(arg if type(arg) in _PLAIN_CONSTANTS else _constant(arg))
            inputs.append(arg)
            needs.append(False)
        record = record and _grad_state.enabled
        ctx = Node(cls, tuple(needs), inputs, arrays) if record else ForwardContext(len(args))
        try:
            out = cls.forward(ctx, *arrays, **options)
        except (ValueError, IndexError, TypeError) as error:
            raise named_error(cls.name, arrays, error) from None
        if type(out) is not np.ndarray or out.dtype.kind != "f":
            out = _as_output_array(cls, ctx, out)
        result = Tensor._from_op(out, ctx if record else None)
        if record:
            ctx._output_shape, ctx._output_dtype = out.shape, out.dtype
            for value in ctx.saved:  # version checks and create_graph look for the output
                if value is out:
                    ctx._output_array = out
        if cls.returns_view and isinstance(args[0], Tensor):
            _like_its_input(result, args[0], arrays[0], ctx if record else None)
        if anomaly_mode.enabled:
            anomaly.after_forward(cls, ctx, arrays, out)
        return result


_PLAIN_CONSTANTS = (float, int, np.ndarray)


def _constant(value: Any) -> Any:
    """An input that is not a Tensor, as forward gets it: a list becomes an array, so that
    backward can rely on .shape and .T; a numpy scalar becomes the Python number it holds,
    which, like a numpy scalar in PyTorch, does not widen a float32 tensor (under numpy 2
    ``x32 / np.sqrt(d)`` would be float64)."""
    if type(value) in (list, tuple):
        return np.asarray(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _as_output_array(function: type[Function], ctx: Any, out: Any) -> np.ndarray:
    """A forward's result as a floating ndarray; where forward saved the result itself (a
    numpy scalar, as ``np.exp`` of a 0-d array gives), the array is saved in its place, so
    that version checks and create_graph recognise it as the output."""
    array = as_output(function.name, out)
    if array is not out and type(ctx) is Node:
        for value in ctx.saved:  # (a loop: a generator here cost 2 us per 0-d op)
            if value is out:
                ctx.saved = tuple([array if v is out else v for v in ctx.saved])
                break
    return array


def _like_its_input(result: Tensor, source: Tensor, array: np.ndarray, node: Any) -> None:
    """What a view op's output takes from its input: the version counter, if the output is a
    view of it, and being a mask (a mask reshaped or indexed is a mask, as in PyTorch)."""
    if result._data.base is not None:
        _share_version_if_view(result, source, array, node)
    if getattr(source, "_boolean", False):
        result._boolean = True


def _share_version_if_view(result: Tensor, source: Tensor, array: np.ndarray, node: Any) -> None:
    """A view of its input shares the input's version counter: changing one changes both."""
    out, base = result._data, result._data.base
    if (
        base is array
        or (base is array.base and base is not None)
        or np.may_share_memory(out, array)
    ):
        result._version_cell = cell = source.shared_version_cell()
        if node is not None:
            node._output_cell = cell


_TABLE_ROW = re.compile(r"^ {4}([a-z_]+) {2,}(\S.*)$")


def attach_formulas(table: str, namespace: dict[str, Any]) -> dict[str, str]:
    """Give the ops defined in a module their names and formulas from its table of derivatives.

    ``table`` holds one row per op, ``    name   formula`` (indented four spaces,
    two or more spaces apart; a longer formula goes on in lines indented
    further; the module docstring of ``ops.py`` is one).
    Each Function subclass defined in ``namespace`` (a module's ``globals()``)
    is named after its class in snake case (``LogSoftmax`` is "log_softmax")
    unless it sets ``name``, and gets its row's text as ``formula``. An op
    without a row, or a row without an op, raises. The backward of these ops
    receives a 0-d gradient as a numpy scalar (``scalar_gradients``), so it
    must use only what numpy scalars and ndarrays share. Returns the rows.
    """
    rows = _table_rows(table)
    module = namespace["__name__"]
    ops = [
        value
        for value in namespace.values()
        if isinstance(value, type) and issubclass(value, Function) and value.__module__ == module
    ]
    for op in ops:
        if "name" not in op.__dict__ or op.name == op.__name__:
            op.name = re.sub(r"(?<!^)(?=[A-Z])", "_", op.__name__).lower()
        if op.name not in rows:
            raise TypeError(f"{module}: the op {op.name!r} has no row in the table of derivatives")
        op.formula = rows[op.name]
        op.scalar_gradients = True
    unknown = set(rows) - {op.name for op in ops}
    if unknown:
        raise TypeError(f"{module}: the table of derivatives names no op {sorted(unknown)}")
    return rows


def _table_rows(table: str) -> dict[str, str]:
    rows: dict[str, str] = {}
    name = None
    for line in table.splitlines():
        row = _TABLE_ROW.match(line)
        if row:
            name = row.group(1)
            rows[name] = row.group(2).strip()
        elif name is not None and line.startswith(" " * 8) and line.strip():
            rows[name] += " " + line.strip()  # the row goes on
        else:
            name = None
    return rows


# --------------------------------------------------------------------------
# Walking: backward() and grad()


def backward(
    tensor: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    observer: Any = None,
) -> None:
    """Accumulate d(tensor)/d(leaf) into the ``.grad`` of every leaf that requires grad.
    ``gradient`` is dL/d(tensor), needed unless ``tensor`` has one element. Saved arrays
    are freed unless ``retain_graph`` (default: ``create_graph``); ``create_graph=True``
    records the backward pass (``.grad`` stays an ndarray: see ``grad()``)."""
    if not tensor._requires_grad:
        raise RuntimeError(no_grad_message(tensor.shape))
    data = tensor._data
    if gradient is None and data.size == 1 and not create_graph:  # a loss: dL/dL = 1
        seed = np.ones(data.shape, data.dtype) if data.ndim else data.dtype.type(1)  # see
        # Function.scalar_gradients: a numpy scalar is immutable, so it is safe to share
    else:
        seed = _seed_gradient("backward", tensor, gradient, create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    observer = anomaly.with_checks(observer) if anomaly_mode.enabled else observer
    for leaf, grad in _walk([tensor], [seed], retain, create_graph, None, observer).items():
        leaf._add_to_grad(apply_hooks(leaf._hooks, grad) if leaf._hooks else grad)


def _seed_gradient(caller: str, output: Tensor, gradient: Any, create_graph: bool) -> Gradient:
    """dL/d(output) to start from: 1 for a one-element output, else ``gradient`` (a copy)."""
    data = output._data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(needs_gradient_message(caller, data.shape))
        seed = np.ones(data.shape, dtype=data.dtype)
    elif isinstance(gradient, Tensor) and create_graph:
        seed = gradient  # a differentiable seed (jvp's double-vjp trick differentiates it)
    else:  # never the caller's array: the walk may pass it on as some leaf's .grad
        seed = np.array(gradient._data if isinstance(gradient, Tensor) else gradient, data.dtype)
    if seed.shape != data.shape:
        raise seed_shape_error(caller, seed.shape, data.shape)
    return Tensor._from_op(seed, None) if create_graph and type(seed) is np.ndarray else seed


def _walk(roots: list, seeds: list, retain_graph: bool, create_graph: bool, targets, observer):
    """Run each reachable node's backward once, consumers first; the leaves' gradients."""
    leaf_grads, pending, queue = {}, {}, []  # pending: node -> its output gradient so far
    send = _send if observer is None else observer.sender(_send)
    for root, seed in zip(roots, seeds):
        send(root if root.grad_fn is None else root.grad_fn, seed, pending, queue, leaf_grads)
    recording, _grad_state.enabled = _grad_state.enabled, create_graph
    try:
        while queue:  # a max-heap on node numbers: consumers come out before producers
            node = heappop(queue)[1]
            grad = pending.pop(node)
            if node._hooks is not None or targets is not None:
                grad = before_backward(node, grad, targets)
            input_grads = _run_backward(node, grad, create_graph)
            for parent, need, parent_grad, array in zip(
                node._inputs, node.needs_input_grad, input_grads, node._arrays
            ):
                if need and parent_grad is not None:
                    if type(parent_grad) is not np.ndarray:  # numpy scalars, Tensors, mistakes
                        parent_grad = checked_gradient(node, parent_grad, input_grads)
                    if parent_grad.shape != array.shape:  # the input was broadcast
                        parent_grad = sum_to_shape(parent_grad, array.shape)
                    send(parent, parent_grad, pending, queue, leaf_grads)
            if observer is not None:
                observer.ran(node, grad, input_grads, retain_graph)
            if not retain_graph:
                node.free()
    except SumToShapeError as error:
        raise broadcast_backward_error(node.name, *error.args) from None
    finally:
        _grad_state.enabled = recording
    return leaf_grads


def _run_backward(node: Node, grad: Gradient, create_graph: bool) -> tuple[Gradient, ...]:
    """``node``'s backward on its output's gradient: one gradient (or None) per input."""
    if node.saved is None or node._clock < data_clock[0]:
        node.check_saved()  # freed by an earlier backward, or some .data assigned since (8-12%)
    if create_graph:
        input_grads = recorded_backward(node, grad)
    elif type(grad) is np.ndarray or node.function.scalar_gradients:
        input_grads = node.function.backward(node, grad)
    else:  # backward gets an ndarray, also where 0-d arithmetic gave a numpy scalar
        input_grads = node.function.backward(node, np.asarray(grad))
    if type(input_grads) is not tuple:  # a bare gradient (one input), or a list
        input_grads = tuple(input_grads) if type(input_grads) is list else (input_grads,)
    if len(input_grads) != len(node._inputs):
        raise RuntimeError(arity_message(node.name, len(input_grads), len(node._inputs)))
    return input_grads


def _send(target: Any, grad: Gradient, pending: dict, queue: list, leaf_grads: dict) -> None:
    """Add ``grad`` to what ``target`` (a node, or a leaf tensor) has received so far."""
    if type(target) is Node:  # made by an op: its backward runs once every consumer has sent
        previous = pending.get(target)
        if previous is None:
            pending[target] = grad
            heappush(queue, (-target.sequence, target))
        else:
            pending[target] = previous + grad
    else:
        previous = leaf_grads.get(target)
        leaf_grads[target] = grad if previous is None else previous + grad


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, as tensors; ``.grad`` is untouched.

    ``grad_outputs`` gives dL/d(output) for each output (needed for outputs
    with more than one element). With ``create_graph=True`` the returned
    gradients are themselves differentiable (Hessian-vector products,
    gradient penalties). An input the outputs do not depend on raises,
    unless ``allow_unused=True`` (its gradient is then None). As in PyTorch, only
    the nodes with an input behind them run (and are freed, without
    ``retain_graph``): the graph behind a non-leaf input stays usable.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    seeds = _seeds_for_grad(outputs, inputs, grad_outputs, create_graph)
    if not inputs:  # (after the seeds' checks, as in PyTorch)
        raise RuntimeError("grad: no inputs were given; pass the tensors to differentiate against")
    targets: dict[Node, Gradient] = {t.grad_fn: None for t in inputs if t.grad_fn is not None}
    pruning = _OnlyNeeded(outputs, inputs, targets)
    observer = anomaly.with_checks(pruning) if anomaly_mode.enabled else pruning
    retain = create_graph if retain_graph is None else retain_graph
    leaf_grads = _walk(outputs, seeds, retain, create_graph, targets, observer)
    pruning.finish()
    leaf_grads = {
        leaf: apply_hooks(leaf._hooks, leaf_grads[leaf]) if leaf._hooks else leaf_grads[leaf]
        for leaf in dict.fromkeys(inputs)
        if leaf.grad_fn is None and leaf in leaf_grads  # (other leaves' hooks do not run)
    }
    results: list[Tensor | None] = []
    for position, tensor in enumerate(inputs):
        value = leaf_grads.get(tensor) if tensor.grad_fn is None else targets[tensor.grad_fn]
        if value is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {position} (shape {tensor.shape}) was not used to compute "
                "the outputs; pass allow_unused=True to get None for it"
            )
        results.append(None if value is None else _as_result_tensor(value, tensor))
    return tuple(results)


class _OnlyNeeded:
    """``grad()``'s observer of the walk, so that it runs only the nodes it needs, as
    PyTorch does (the rest of the graph is neither run nor freed): a gradient goes on only
    to ``run`` (the nodes with an input of ``grad()`` behind them) and to its leaf inputs;
    one for the output of a node in ``targets`` that is not in ``run`` is kept in
    ``reached``, summed, for ``finish`` to hand over (through the output's hooks)."""

    def __init__(self, outputs: list[Tensor], inputs: list[Tensor], targets: dict) -> None:
        run = _needed_nodes(outputs, inputs, targets)
        self.receive = run | {t for t in inputs if t.grad_fn is None}
        self.stops = {node for node in targets if node not in run}
        self.targets, self.reached = targets, {}

    def sender(self, send: Any) -> Any:
        receive, stops, reached = self.receive, self.stops, self.reached

        def send_if_needed(target: Any, grad: Any, pending: Any, queue: Any, leaf_grads: Any):
            if target in receive:
                send(target, grad, pending, queue, leaf_grads)
            elif target in stops:
                previous = reached.get(target)
                reached[target] = grad if previous is None else previous + grad

        return send_if_needed

    def ran(self, node: Node, grad: Any, input_grads: tuple, retain_graph: bool) -> None:
        """Nothing to do once a node has run."""

    def finish(self) -> None:
        for node, grad in self.reached.items():
            before_backward(node, grad, self.targets)


def _needed_nodes(outputs: list[Tensor], inputs: list[Tensor], targets: dict) -> set[Node]:
    """The nodes whose backward ``grad()`` must run: those with one of its inputs (a leaf,
    or the output of a node in ``targets``) behind them."""
    leaves = {t for t in inputs if t.grad_fn is None}
    nodes, stack = {}, [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:  # every node the outputs reach (iteratively: long chains)
        node = stack.pop()
        if node not in nodes:
            nodes[node] = None
            stack.extend(
                parent
                for parent, need in zip(node._inputs, node.needs_input_grad)
                if need and type(parent) is Node and parent not in nodes
            )
    run: set[Node] = set()
    for node in sorted(nodes, key=lambda n: n.sequence):  # producers before consumers
        for parent, need in zip(node._inputs, node.needs_input_grad):
            if need and (parent in run or parent in targets or parent in leaves):
                run.add(node)
                break
    return run


def _seeds_for_grad(
    outputs: list[Tensor], inputs: list[Tensor], grad_outputs: Any, create_graph: bool
) -> list[Gradient]:
    """grad()'s arguments checked, and one seed per output."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs]
    else:
        grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs; "
            "give one per output"
        )
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or not tensor._requires_grad:
            raise RuntimeError(
                f"grad: input {position} does not require grad; only tensors with "
                "requires_grad=True (or results computed from them) can be differentiated against"
            )
    for position, output in enumerate(outputs):
        if not output._requires_grad:
            raise RuntimeError(
                f"grad: output {position} (shape {output.shape}) does not require grad; "
                "it was not computed from any tensor with requires_grad=True"
            )
    return [
        _seed_gradient("grad", output, grad_output, create_graph)
        for output, grad_output in zip(outputs, grad_outputs)
    ]


def _as_result_tensor(value: Gradient, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor._from_op(np.array(value, dtype=like.dtype, copy=True), None)


# --------------------------------------------------------------------------
# Un-broadcasting


class SumToShapeError(ValueError):
    """``sum_to_shape``: the gradient's shape is not a broadcast of the input's shape."""


def sum_to_shape(grad: Gradient, shape: tuple[int, ...]) -> Gradient:
    """The sum of ``grad`` over the axes broadcasting added or stretched to reach its shape
    (``SumToShapeError``, a ValueError, when ``shape`` does not broadcast to it)."""
    grad_shape = grad.shape
    if grad_shape == shape:
        return grad
    lead = len(grad_shape) - len(shape)
    if lead == 1 and grad_shape[1:] == shape and type(grad) is np.ndarray:
        return sum_rows(grad)  # one added leading axis (a bias's batch): BLAS, 1.7 -> 0.4 us
    return _sum_over_broadcast_axes(grad, shape, lead)


def _sum_over_broadcast_axes(grad: Gradient, shape: tuple[int, ...], lead: int) -> Gradient:
    if lead < 0:
        raise SumToShapeError(grad.shape, shape)
    axes = list(range(lead))
    for axis, size in enumerate(shape):
        grad_size = grad.shape[lead + axis]
        if size == 1 and grad_size != 1:
            axes.append(lead + axis)
        elif size != grad_size:
            raise SumToShapeError(grad.shape, shape)
    return grad.sum(axis=tuple(axes), keepdims=True).reshape(shape)


__all__ = [
    "Function",
    "Node",
    "ShapeError",
    "SumToShapeError",
    "attach_formulas",
    "backward",
    "grad",
    "sum_to_shape",
]
