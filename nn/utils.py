"""Gradient utilities: clipping, and diagnostics of how gradients and activations flow."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd_mini import Tensor, no_grad
from autograd_mini.tensor import as_array

from .module import Module


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0
) -> float:
    """Scale all gradients together so their total norm is at most ``max_norm``.

    The total norm is taken over all gradients as if concatenated into one
    vector; if it exceeds ``max_norm`` every gradient is multiplied by
    max_norm / (total + 1e-6) (PyTorch's rule). Returns the total norm before clipping.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(g))) for g in grads)
    else:
        total = float(sum(np.sum(np.abs(g) ** norm_type) for g in grads) ** (1.0 / norm_type))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in grads:
            g *= scale
    return total


def grad_norms(module: Module) -> OrderedDict[str, float]:
    """The L2 norm of each parameter's gradient after backward, by dotted name.

    Parameters without a gradient are left out. Vanishing gradients show as
    norms that shrink toward the first layers, exploding ones as norms that grow.
    """
    return OrderedDict(
        (name, float(np.linalg.norm(p.grad)))
        for name, p in module.named_parameters()
        if p.grad is not None
    )


def activation_stats(module: Module, x: Any) -> OrderedDict[str, dict[str, float]]:
    """Mean, standard deviation and fraction of exact zeros of every layer's output.

    Runs ``module(x)`` once without recording a graph, with a forward hook
    on each layer (each module without children), in the module's current
    mode; the module is left as it was (running statistics included).
    """
    stats: OrderedDict[str, dict[str, float]] = OrderedDict()

    def recorder(name: str):
        def record(_module: Module, _inputs: tuple, output: Any) -> None:
            values = as_array(output)
            stats[name] = {
                "mean": float(values.mean()),
                "std": float(values.std()),
                "zero_fraction": float(np.mean(values == 0)),
            }

        return record

    layers = [(name, m) for name, m in module.named_modules() if not m._modules]
    handles = [m.register_forward_hook(recorder(name or type(m).__name__)) for name, m in layers]
    buffers = [(array, array.copy()) for _, array in module.named_buffers()]
    try:
        with no_grad():
            module(x if isinstance(x, Tensor) else Tensor(x))
    finally:
        for handle in handles:
            handle.remove()
        for array, saved in buffers:
            array[...] = saved
    return stats


def plot_grad_norms(
    models: Module | Mapping[str, Module], ax: Any = None, weights_only: bool = True
):
    """Plot each layer's gradient norm (log scale) for one model or several, by label.

    Call after ``backward()``. With a bad initialization the curve falls
    (vanishing) or climbs (exploding) toward the first layer; with He
    initialization on ReLU layers it stays level. Returns the matplotlib Axes.
    Needs matplotlib (``pip install 'autograd-mini[plot]'``).
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plot_grad_norms needs matplotlib: pip install 'autograd-mini[plot]'"
        ) from error
    if isinstance(models, Module):
        models = {"": models}
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, model in models.items():
        norms = grad_norms(model)
        if weights_only:
            norms = OrderedDict((k, v) for k, v in norms.items() if k.endswith("weight"))
        if not norms:
            raise ValueError(
                f"plot_grad_norms: {label or 'the model'} has no gradients; call backward() first"
            )
        ax.plot(range(1, len(norms) + 1), list(norms.values()), marker="o", label=label or None)
        ax.set_xticks(range(1, len(norms) + 1), list(norms), rotation=45, ha="right")
    ax.set_yscale("log")
    ax.set_xlabel("parameter (input side to output side)")
    ax.set_ylabel("gradient norm ||dJ/dW||")
    ax.set_title("Gradient norm per layer")
    if any(models):
        ax.legend()
    return ax
