"""Reverse-mode differentiation: the backward walk over recorded nodes.

The walk is iterative (no recursion, so a chain of 100,000 ops works) and
runs each reachable node's backward once, after every node that consumes
its output. Nodes are numbered as they are created, and an op is always
created after its inputs, so taking pending nodes from a max-heap on that
number gives exactly this order: when a node comes out, every consumer it
has in the graph has already sent its gradient, summed into ``pending``.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from . import tensor as tensor_module
from .function import Node, RetainGrad, ShapeError, freed_message
from .grad_mode import _state as _grad_state
from .reductions import sum_rows
from .tensor import Tensor

Gradient = Any  # an ndarray, or a Tensor when the backward pass is recorded


def backward(
    tensor: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """``tensor.backward(...)``: accumulate gradients into the leaves' ``.grad``."""
    if not tensor._requires_grad:
        raise RuntimeError(
            f"backward: this tensor (shape {tensor.shape}) does not require grad: no input "
            "of the ops that made it had requires_grad=True. Create the parameters with "
            "Tensor(..., requires_grad=True), and do not compute the loss under no_grad()."
        )
    seed = _seed_gradient("backward", tensor, gradient, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    leaf_grads, owned = _walk([tensor], [seed], retain_graph, create_graph)
    if owned:
        _store_owned(leaf_grads)
    else:
        for leaf, grad in leaf_grads.items():
            _accumulate(leaf, grad)


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
    unless ``allow_unused=True`` (its gradient is then None).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
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
    seeds = []
    for position, (output, grad_output) in enumerate(zip(outputs, grad_outputs)):
        if not output._requires_grad:
            raise RuntimeError(
                f"grad: output {position} (shape {output.shape}) does not require grad; "
                "it was not computed from any tensor with requires_grad=True"
            )
        seeds.append(_seed_gradient("grad", output, grad_output, create_graph))
    if retain_graph is None:
        retain_graph = create_graph

    wanted_nodes = {t.grad_fn: None for t in inputs if t.grad_fn is not None}
    leaf_grads, _ = _walk(outputs, seeds, retain_graph, create_graph, wanted_nodes, False)
    results: list[Tensor | None] = []
    for position, tensor in enumerate(inputs):
        if tensor.grad_fn is None:
            value = leaf_grads.get(tensor)
        else:
            value = wanted_nodes[tensor.grad_fn]
        if value is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {position} (shape {tensor.shape}) was not used to compute "
                    "the outputs; pass allow_unused=True to get None for it"
                )
            results.append(None)
            continue
        results.append(_as_result_tensor(value, tensor))
    return tuple(results)


def _as_result_tensor(value: Gradient, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor._from_op(np.array(value, dtype=like.dtype, copy=True), None)


def _seed_gradient(caller: str, output: Tensor, gradient: Any, create_graph: bool) -> Gradient:
    """dL/d(output) to start from: ones for a single element, else the given array."""
    if gradient is None:
        data = output._data
        if data.size != 1:
            raise RuntimeError(
                f"{caller}: the output has shape {output.shape}, so it needs a gradient: "
                f"pass gradient=<array of shape {output.shape}> holding dL/d(output) "
                "(np.ones(shape) gives the gradient of its sum), or reduce the output to "
                "one element first with .sum() or .mean()"
            )
        seed = _ONE.get(data.dtype) if data.shape == () else None
        if seed is None:
            seed = np.ones(data.shape, dtype=data.dtype)
    else:
        if isinstance(gradient, Tensor):
            if create_graph:
                seed_tensor = gradient
                if seed_tensor.shape != output.shape:
                    raise _seed_shape_error(caller, output, seed_tensor.shape)
                return seed_tensor
            gradient = gradient._data
        seed = np.array(gradient, dtype=output.dtype, copy=True)  # never the caller's array
        if seed.shape != output.shape:
            raise _seed_shape_error(caller, output, seed.shape)
    return Tensor._from_op(np.array(seed), None) if create_graph else seed


# The seed of a scalar output: a numpy scalar, as numpy's own arithmetic on 0-d arrays
# returns, so that the first backward steps (a mean's 1/m, say) cost scalar arithmetic
# (0.1 us) instead of a ufunc call on a 0-d array (0.5 to 1 us). Scalars are immutable.
_ONE = {np.dtype(t): t(1) for t in (np.float16, np.float32, np.float64)}


def _seed_shape_error(caller: str, output: Tensor, shape: tuple[int, ...]) -> ShapeError:
    return ShapeError(
        f"{caller}: gradient has shape {shape} but the output has shape {output.shape}; "
        "the gradient must have the output's shape"
    )


def _walk(
    roots: list[Tensor],
    seeds: list[Gradient],
    retain_graph: bool,
    create_graph: bool,
    wanted_nodes: dict[Node, Gradient] | None = None,
    accumulate: bool = True,
) -> tuple[dict[Tensor, Gradient], bool]:
    """Run every reachable node's backward once, consumers first.

    Returns the leaves' gradients, and whether the walk owns them: True when
    only the library's ops ran (each returns arrays it made, views of them or
    the gradient it got) and no hook replaced a gradient, so that no gradient
    is an array held elsewhere. ``wanted_nodes`` maps nodes whose output
    gradient the caller wants (for ``grad()``) to None; the walk fills in
    their gradients. ``accumulate`` says whether tensors that called
    ``retain_grad()`` get their ``.grad`` (``backward()``) or not (``grad()``,
    which leaves every ``.grad`` alone).
    """
    leaf_grads: dict[Tensor, Gradient] = {}
    pending: dict[Node, Gradient] = {}  # the gradient summed so far for each node's output
    queue: list[tuple[int, Node]] = []  # max-heap on creation order (sequence numbers negated)
    for root, seed in zip(roots, seeds):
        _send(root, seed, leaf_grads, pending, queue)

    owned = not create_graph  # recorded gradients belong to the new graph
    clock = tensor_module.data_clock
    previous_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    try:
        while queue:
            node = heappop(queue)[1]
            grad = pending.pop(node)
            if node._hooks is not None:
                grad = _run_output_hooks(node, grad, accumulate)
                owned = False
            if wanted_nodes is not None and node in wanted_nodes:
                wanted_nodes[node] = grad
            if node.saved is None:
                raise RuntimeError(freed_message(node))
            if node._clock < clock[0]:  # some tensor's .data was assigned since the forward
                node.check_versions()
            if create_graph:
                input_grads = _recorded_backward(node, grad)
            else:
                function = node.function
                if function.new_arrays_only:
                    input_grads = function.backward(node, grad)
                else:  # a custom op: it gets ndarrays, as documented, and its results are checked
                    owned = False
                    input_grads = _custom_gradients(
                        node, function.backward(node, _as_ndarray(grad))
                    )
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            needs = node.needs_input_grad
            if len(input_grads) != len(needs):
                raise RuntimeError(_arity_message(node, len(input_grads)))
            for parent, need, parent_grad, array in zip(
                node._inputs, needs, input_grads, node._arrays
            ):
                if not need or parent_grad is None:
                    continue
                if parent_grad.shape != array.shape:  # the input was broadcast
                    parent_grad = _sum_to_input_shape(parent_grad, array.shape, node)
                # (what _send does, written out: this runs for every edge of the graph)
                if type(parent) is Node:  # made by an op: its backward runs later
                    previous = pending.get(parent)
                    if previous is None:
                        pending[parent] = parent_grad
                        heappush(queue, (-parent.sequence, parent))
                    else:
                        pending[parent] = previous + parent_grad
                else:  # a leaf
                    previous = leaf_grads.get(parent)
                    leaf_grads[parent] = parent_grad if previous is None else previous + parent_grad
            if not retain_graph:  # free what forward saved; a second pass will raise
                node.saved = node._arrays = None
                node.__dict__.clear()
    finally:
        _grad_state.enabled = previous_mode

    for leaf, grad in leaf_grads.items():
        if leaf._hooks:
            leaf_grads[leaf] = _apply_hooks(leaf._hooks, grad)
            owned = False
    return leaf_grads, owned


def _store_owned(leaf_grads: dict[Tensor, Gradient]) -> None:
    """Accumulate gradients the walk owns: a leaf with no .grad yet takes its array as is.

    A leaf takes an ndarray that is the whole of its memory (an array that owns
    it, or a contiguous view of all of it, such as a transpose) unless another
    leaf took that memory already (an add passes the same array to both of its
    inputs); the others are copied, so that no two .grad arrays share memory.
    """
    taken: set[int] = set()
    for leaf, grad in leaf_grads.items():
        if leaf._grad is None and type(grad) is np.ndarray and grad.dtype == leaf._data.dtype:
            memory = grad if grad.base is None else grad.base
            if (
                id(memory) not in taken
                and type(memory) is np.ndarray
                and memory.base is None
                and (memory is grad or _is_all_of(grad, memory))
            ):
                leaf._grad = grad
                taken.add(id(memory))
                continue
        _accumulate(leaf, grad)


def _is_all_of(view: np.ndarray, memory: np.ndarray) -> bool:
    """True when ``view`` holds every element of ``memory`` once (a contiguous view as big)."""
    flags = view.flags
    return view.size == memory.size and (flags.c_contiguous or flags.f_contiguous)


def _send(
    tensor: Tensor,
    grad: Gradient,
    leaf_grads: dict[Tensor, Gradient],
    pending: dict[Node, Gradient],
    queue: list[tuple[int, Node]],
) -> None:
    """Add ``grad`` to what ``tensor`` has received: its node's pending sum, or its leaf sum."""
    node = tensor.grad_fn
    if node is None:
        previous = leaf_grads.get(tensor)
        leaf_grads[tensor] = grad if previous is None else previous + grad
        return
    previous = pending.get(node)
    if previous is None:
        pending[node] = grad
        heappush(queue, (-node.sequence, node))
    else:
        pending[node] = previous + grad


def _recorded_backward(node: Node, grad: Tensor) -> Any:
    """Run ``node``'s backward on Tensors, so that the backward pass is itself recorded."""
    plain_saved = node.saved
    node.saved = node.saved_tensors()
    function = node.function
    try:
        if function.new_arrays_only:
            return function.backward(node, grad)
        return _custom_gradients(node, function.backward(node, grad))
    except TypeError as error:
        if "ufunc" not in str(error):
            raise
        raise TypeError(
            f"{node.name}: create_graph=True runs backward on Tensors, but this backward "
            f"called a numpy function on one ({error}). Write the backward with operators "
            "and Tensor methods to make it differentiable."
        ) from error
    finally:
        node.saved = plain_saved


def _custom_gradients(node: Node, returned: Any) -> tuple[Any, ...]:
    """What a custom Function's backward returned, as a tuple of one gradient per input.

    A list works as a tuple. Each gradient is an ndarray, a numpy scalar, a
    Tensor (under create_graph), None, or a Python int or float, which becomes
    a 0-d array of the input's dtype (so it fits a 0-d input only: for any
    other the shape check that follows raises); anything else is a TypeError
    naming the Function, the input and the type.
    """
    if type(returned) is list:
        returned = tuple(returned)
    elif type(returned) is not tuple:
        returned = (returned,)
    if len(returned) != len(node.needs_input_grad):
        raise RuntimeError(_arity_message(node, len(returned)))
    checked = []
    for position, (value, array) in enumerate(zip(returned, node._arrays)):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = np.asarray(value, dtype=getattr(array, "dtype", np.float64))
        elif value is not None and not isinstance(value, (np.ndarray, np.generic, Tensor)):
            raise TypeError(
                f"{node.name}.backward returned a {type(value).__name__} as the gradient of "
                f"input {position}; return an ndarray of the input's shape "
                f"{np.shape(array)} (or None where the input has no gradient)"
            )
        checked.append(value)
    return tuple(checked)


def _arity_message(node: Node, count: int) -> str:
    return (
        f"{node.name}.backward returned {count} gradients but the op has "
        f"{len(node.needs_input_grad)} positional inputs; return one per input (None where an "
        "input has no gradient)"
    )


def _run_output_hooks(node: Node, grad: Gradient, accumulate: bool) -> Gradient:
    """The output's hooks in order, then retain_grad() (for backward(), not grad())."""
    retain = None
    for hook in list(node._hooks):
        if type(hook) is RetainGrad:
            retain = hook
        else:
            grad = _apply_hooks([hook], grad)
    if accumulate and retain is not None:
        tensor = retain.tensor()
        if tensor is not None:
            _accumulate(tensor, grad)
    return grad


def _as_ndarray(grad: Gradient) -> Gradient:
    """A numpy scalar (what numpy's 0-d arithmetic returns, and a scalar's seed) as a 0-d array.

    The library's own backward functions take either; hooks and custom
    Functions are promised ndarrays.
    """
    return grad if type(grad) is np.ndarray or isinstance(grad, Tensor) else np.array(grad)


def _apply_hooks(hooks: list, grad: Gradient) -> Gradient:
    grad = _as_ndarray(grad)
    for hook in list(hooks):
        replaced = hook(grad)
        if replaced is not None:
            if not isinstance(replaced, (np.ndarray, Tensor)):
                replaced = np.asarray(replaced, dtype=grad.dtype)
            if replaced.shape != grad.shape:
                raise ShapeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of "
                    f"shape {replaced.shape} for a tensor of shape {grad.shape}"
                )
            grad = replaced
    return grad


def _accumulate(tensor: Tensor, grad: Gradient) -> None:
    """``tensor.grad += grad`` as an ndarray of the tensor's dtype (a fresh copy first)."""
    if isinstance(grad, Tensor):
        grad = grad._data
    if tensor._grad is None:
        # np.array copies, and makes an ndarray of the numpy scalars that 0-d arithmetic gives
        tensor._grad = np.array(grad, dtype=tensor._data.dtype)
    else:
        tensor._grad += grad


def _sum_to_input_shape(grad: Gradient, shape: tuple[int, ...], node: Node) -> Gradient:
    """Sum a broadcast gradient back to an input's ``shape`` (works on arrays and Tensors)."""
    try:
        return sum_to_shape(grad, shape)
    except ValueError:
        raise ShapeError(
            f"{node.name}.backward returned a gradient of shape {grad.shape} for an input "
            f"of shape {shape}; it must have the input's shape (or broadcast to it)"
        ) from None


def sum_to_shape(grad: Gradient, shape: tuple[int, ...]) -> Gradient:
    """The sum of ``grad`` over the axes that broadcasting added or stretched to reach it.

    Raises ValueError when ``shape`` does not broadcast to ``grad.shape``.
    """
    grad_shape = grad.shape
    if grad_shape == shape:
        return grad
    lead = len(grad_shape) - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {grad_shape} to {shape}")
    if grad_shape[lead:] == shape:  # only leading axes were added (a bias, say)
        if lead == 1 and type(grad) is np.ndarray:
            return sum_rows(grad)
        return grad.sum(axis=tuple(range(lead)))
    axes = list(range(lead))
    for axis, size in enumerate(shape):
        grad_size = grad_shape[lead + axis]
        if size == 1 and grad_size != 1:
            axes.append(lead + axis)
        elif size != grad_size:
            raise ValueError(f"cannot sum shape {grad_shape} to {shape}")
    return grad.sum(axis=tuple(axes), keepdims=True).reshape(shape)
