"""Module-level forms of the ops: ``autograd_mini.exp(x)``, ``concatenate``, ``where``, ...

Each accepts Tensors or anything ``Tensor(...)`` accepts, and PyTorch's
``dim=`` wherever it takes ``axis=``.
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


def clip(x: Any, lo: Any = None, hi: Any = None, *, min: Any = None, max: Any = None) -> Tensor:
    return as_tensor(x).clip(lo, hi, min=min, max=max)


def tanh(x: Any) -> Tensor:
    return as_tensor(x).tanh()


def sigmoid(x: Any) -> Tensor:
    return as_tensor(x).sigmoid()


def relu(x: Any) -> Tensor:
    return as_tensor(x).relu()


def leaky_relu(x: Any, slope: float = 0.01) -> Tensor:
    return as_tensor(x).leaky_relu(slope)


def softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    return as_tensor(x).softmax(axis, dim=dim)


def log_softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    return as_tensor(x).log_softmax(axis, dim=dim)


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


def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (PyTorch's ``cat``)."""
    if dim is not None:
        axis = _one_axis("concatenate", axis, dim)
    return ops.Concatenate.apply(*_parts("concatenate", tensors), axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of equal shape along a new axis."""
    if dim is not None:
        axis = _one_axis("stack", axis, dim)
    return ops.Stack.apply(*_parts("stack", tensors), axis=axis)


cat = concatenate  # PyTorch's name


def _one_axis(op: str, axis: int, dim: int) -> int:
    if axis != 0:
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; give one of them")
    return dim


def _parts(op: str, tensors: Any) -> list[Any]:
    """The tensors to join, as a list whose first tensor-like entry is a Tensor."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise TypeError(
            f"{op}: expects a list or tuple of tensors, got a single {type(tensors).__name__} "
            f"of shape {tensors.shape}; write {op}([a, b, ...])"
        )
    values = list(tensors)
    if not values:
        raise ValueError(f"{op}: needs at least one tensor")
    if not any(isinstance(v, Tensor) for v in values):
        values[0] = as_tensor(values[0])
    return values
