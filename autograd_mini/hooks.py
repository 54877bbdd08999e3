"""Hooks on gradients: ``register_hook``, ``retain_grad()``, and ``grad()``'s targets.

The backward walk enters these only for nodes that have hooks or are one
of ``grad()``'s inputs (``before_backward``), and for leaves with hooks once
the walk is done (``apply_hooks``); a plain ``backward()`` never does.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import tensor as _tensor  # (a module: tensor.py imports this one first)
from .errors import ShapeError

if TYPE_CHECKING:
    from .graph import Node


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hook", "_hooks")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class RetainGrad:
    """The hook ``retain_grad()`` adds: the backward walk stores the gradient on the tensor.

    It runs after the other hooks (as in PyTorch), and only for ``backward()``:
    ``grad()`` leaves every ``.grad`` alone.
    """

    __slots__ = ("tensor",)

    def __init__(self, tensor: Any) -> None:
        self.tensor = weakref.ref(tensor)


def before_backward(node: Node, grad: Any, targets: dict | None) -> Any:
    """The output's hooks in order, then retain_grad(), which only ``backward()`` honours
    (``targets`` is None); and, for ``grad()``, the gradient kept when the node's output
    is one of its inputs (``targets``)."""
    if node._hooks is not None:
        retain = None
        for hook in list(node._hooks):
            if type(hook) is RetainGrad:
                retain = hook
            else:
                grad = apply_hooks([hook], grad)
        if targets is None and retain is not None:
            tensor = retain.tensor()
            if tensor is not None:
                tensor._add_to_grad(grad)
    if targets is not None and node in targets:
        targets[node] = grad
    return grad


def apply_hooks(hooks: list, grad: Any) -> Any:
    """``grad`` through each hook in turn; a hook may return a replacement (or None)."""
    if type(grad) is not np.ndarray and not isinstance(grad, _tensor.Tensor):
        grad = np.asarray(grad)  # hooks are promised ndarrays (or Tensors under create_graph)
    for hook in list(hooks):
        replaced = hook(grad)
        if replaced is not None:
            if not isinstance(replaced, (np.ndarray, _tensor.Tensor)):
                replaced = _as_gradient(hook, replaced, grad)
            if replaced.shape != grad.shape:
                raise ShapeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of "
                    f"shape {replaced.shape} for a tensor of shape {grad.shape}"
                )
            grad = replaced
    return grad


def _as_gradient(hook: Callable, value: Any, grad: Any) -> np.ndarray:
    """What a hook returned (a list, a number) as an array like ``grad``, or a TypeError."""
    try:
        return np.asarray(value, dtype=grad.dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"hook {getattr(hook, '__name__', hook)!r} returned {type(value).__name__}, not a "
            f"gradient, for a tensor of shape {grad.shape}; return an ndarray of that shape, "
            "or None to keep the gradient"
        ) from None
