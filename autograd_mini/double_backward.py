"""``create_graph=True``: a node's backward run on Tensors, so that it is itself recorded.

Every backward in ``ops.py`` (and nn's fused ops) is written with operators
and methods that ndarrays and Tensors share, so the same formula runs here on
Tensors, and its result can be differentiated again (Hessian-vector
products, gradient penalties). What forward saved is arrays; for the
recorded run each saved array is replaced by the tensor it came from, an
input or the op's output, so that the second derivative flows through it.
Any other saved array is a constant of the second derivative. An array that
several inputs hold (``x * x.detach()``, ``x / x.data``: the detached copy
shares x's ndarray) is matched by order: the k-th time forward saved it
stands for the k-th of those inputs, as the library's ops save their inputs
in order; otherwise the constant copy would be differentiated as x.
"""

from __future__ import annotations

from typing import Any

from . import graph as _graph  # (a module: graph.py imports this one first)
from .tensor import Tensor


def recorded_backward(node: _graph.Node, grad: Tensor) -> Any:
    """Run ``node``'s backward on Tensors, with its saved arrays replaced by their tensors."""
    plain_saved = node.saved
    shared = _positions_of_shared_arrays(node)
    node.saved = tuple(_as_tensor_if_known(node, value, shared) for value in plain_saved)
    try:
        return node.function.backward(node, grad)
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


def _positions_of_shared_arrays(node: _graph.Node) -> dict[int, list[int]]:
    """For each array that more than one distinct input holds: their positions, in order."""
    positions: dict[int, list[int]] = {}
    for position, array in enumerate(node._arrays):
        positions.setdefault(id(array), []).append(position)
    return {
        key: found
        for key, found in positions.items()
        if len({id(node._inputs[p]) for p in found}) > 1
    }


def _as_tensor_if_known(node: _graph.Node, value: Any, shared: dict[int, list[int]]) -> Any:
    """The tensor whose forward-time data ``value`` is (an input or the output), else ``value``."""
    positions = shared.get(id(value))
    if positions:  # the next of the inputs that hold this array (the last one stays)
        position = positions.pop(0) if len(positions) > 1 else positions[0]
        pairs = [(node._inputs[position], node._arrays[position])]
    else:
        pairs = list(zip(node._inputs, node._arrays))
    for arg, array in pairs:
        if array is value:
            if isinstance(arg, Tensor):
                return arg
            if isinstance(arg, _graph.Node):  # the node that made this input
                return output_tensor(arg, array)
            return value  # a constant input
    if value is node._output_array and value is not None:
        return output_tensor(node, value)
    return value


def output_tensor(node: _graph.Node, array: Any) -> Tensor:
    """A tensor standing for ``node``'s output: its data, its node, its version counter."""
    return Tensor._from_op(array, node)  # (its counter is the node's: shared_version_cell)
