"""Module-level forms of the ops: ``autograd_mini.exp(x)``, ``concatenate``, ``where``, ...

Each accepts Tensors or anything ``Tensor(...)`` accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .tensor import Tensor, as_tensor


def exp(x: Any) -> Tensor:
    return as_tensor(x).exp()


def log(x: Any) -> Tensor:
    return as_tensor(x).log()


def sqrt(x: Any) -> Tensor:
    return as_tensor(x).sqrt()


def abs(x: Any) -> Tensor:
    return as_tensor(x).abs()


def clip(x: Any, lo: float | None, hi: float | None) -> Tensor:
    return as_tensor(x).clip(lo, hi)


def tanh(x: Any) -> Tensor:
    return as_tensor(x).tanh()


def sigmoid(x: Any) -> Tensor:
    return as_tensor(x).sigmoid()


def relu(x: Any) -> Tensor:
    return as_tensor(x).relu()


def leaky_relu(x: Any, slope: float = 0.01) -> Tensor:
    return as_tensor(x).leaky_relu(slope)


def softmax(x: Any, axis: int = -1) -> Tensor:
    return as_tensor(x).softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return as_tensor(x).log_softmax(axis)


def matmul(a: Any, b: Any) -> Tensor:
    return ops.MatMul.apply(as_tensor(a), b)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; at ties each input gets half the gradient."""
    return ops.Maximum.apply(as_tensor(a), b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; at ties each input gets half the gradient."""
    return ops.Minimum.apply(as_tensor(a), b)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (broadcasting like np.where)."""
    if isinstance(condition, Tensor):
        condition = condition.data
    condition = np.asarray(condition, dtype=bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = as_tensor(a)
    return ops.Where.apply(a, b, condition=condition)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    if len(tensors) == 0:
        raise ValueError("concatenate: needs at least one tensor")
    return ops.Concatenate.apply(*_with_one_tensor(tensors), axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of equal shape along a new axis."""
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor")
    return ops.Stack.apply(*_with_one_tensor(tensors), axis=axis)


def _with_one_tensor(values: Sequence[Any]) -> list[Any]:
    values = list(values)
    if not any(isinstance(v, Tensor) for v in values):
        values[0] = as_tensor(values[0])
    return values
