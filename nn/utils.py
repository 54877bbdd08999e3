"""Gradient utilities: clipping, and diagnostics of how gradients and activations flow."""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd_mini import Tensor, as_array, no_grad

from .module import Module


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> np.float64:
    """Scale all gradients together so that their total norm is at most ``max_norm``.

    As PyTorch: the total norm is that of all the gradients joined into one
    vector, ``||(||g_1||_p, ..., ||g_n||_p)||_p`` (``norm_type`` p, ``inf``
    for the largest magnitude); when it exceeds ``max_norm`` each gradient is
    multiplied, in place, by max_norm / (total + 1e-6). Parameters without a
    gradient are skipped. Returns the total norm before clipping (0.0 when
    there is no gradient), a float that also has ``.item()`` like PyTorch's
    0-d tensor.

    A total norm of NaN or inf means a gradient already holds one: with
    ``error_if_nonfinite=True`` that raises RuntimeError; by default (as in
    PyTorch) the gradients are multiplied by the resulting NaN or 0.
    ``foreach`` is accepted for PyTorch compatibility (numpy has one way).
    """
    params = _parameters("clip_grad_norm_", parameters)
    max_norm = _limit("clip_grad_norm_", "max_norm", max_norm)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def get_total_norm(
    tensors: Iterable[np.ndarray | Tensor],
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> np.float64:
    """The ``norm_type``-norm of ``tensors`` (gradients) joined into one vector, as PyTorch's
    ``torch.nn.utils.get_total_norm``: the norm of their norms. 0.0 for no tensors."""
    p = _norm_type(norm_type)
    arrays = [t.data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    arrays = [a for a in arrays if a.size]  # (an empty array adds nothing, and has no max)
    if not arrays:
        return np.float64(0.0)
    # in float64: a float32 (or float16) gradient's squares overflow its own precision long
    # before its norm does, and an inf total would scale an exploding gradient to zero
    # (PyTorch accumulates the norm in a wider type too)
    norms = np.array(
        [np.linalg.norm(a.ravel().astype(np.float64, copy=False), ord=p) for a in arrays]
    )
    total = np.float64(np.linalg.norm(norms, ord=p))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    total_norm: float,
    foreach: bool | None = None,
) -> None:
    """Multiply every gradient by max_norm / (total_norm + 1e-6) when that is below 1
    (or NaN), in place; the second half of ``clip_grad_norm_``, as in PyTorch."""
    params = _parameters("clip_grads_with_norm_", parameters)
    max_norm = _limit("clip_grads_with_norm_", "max_norm", max_norm)
    scale = max_norm / (float(total_norm) + 1e-6)
    if scale >= 1.0:  # (False for NaN: the gradients then become NaN, as in PyTorch)
        return
    for grad in _distinct_grads(params):
        grad *= scale


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach: bool | None = None
) -> None:
    """Clip every gradient elementwise into [-clip_value, clip_value], in place (PyTorch's
    ``clip_grad_value_``). Parameters without a gradient are skipped."""
    params = _parameters("clip_grad_value_", parameters)
    clip_value = _limit("clip_grad_value_", "clip_value", clip_value)
    for grad in _distinct_grads(params):
        np.clip(grad, -clip_value, clip_value, out=grad)


def _parameters(function: str, parameters: Any) -> list[Tensor]:
    """The tensors given: one Tensor, or an iterable of them (a generator is read once)."""
    if isinstance(parameters, Tensor):
        return [parameters]
    if isinstance(parameters, (Module, Mapping, str)) or not isinstance(parameters, Iterable):
        raise TypeError(
            f"{function}: parameters must be a Tensor or an iterable of Tensors "
            f"(model.parameters()), got {type(parameters).__name__}"
        )
    params = list(parameters)
    for position, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(
                f"{function}: parameter {position} is a {type(param).__name__}, not a Tensor; "
                "pass model.parameters()"
            )
    return params


def _limit(function: str, name: str, value: Any) -> float:
    """A bound: a number >= 0 (inf: no bound). NaN or a negative bound would turn every
    gradient into NaN or flip its sign."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{function}: {name} must be a number, got {type(value).__name__}")
    if not value >= 0:  # (NaN fails this too)
        raise ValueError(f"{function}: {name} must be a number >= 0 (inf: no limit), got {value}")
    return float(value)


def _norm_type(norm_type: Any) -> float:
    """p of the p-norm: a number > 0, or inf (also as the string 'inf', as PyTorch allows)."""
    if isinstance(norm_type, bool):
        raise TypeError(f"norm_type must be a number or 'inf', got {norm_type!r}")
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        raise TypeError(f"norm_type must be a number or 'inf', got {norm_type!r}") from None
    if not p > 0:
        raise ValueError(f"norm_type must be > 0 (2.0, 1.0, inf, ...), got {norm_type!r}")
    return p


def _distinct_grads(params: list[Tensor]) -> list[np.ndarray]:
    """Each gradient array once, even if two parameters were given the same one by hand
    (scaling it twice would clip it twice); each checked to be a float array."""
    grads: dict[int, np.ndarray] = {}
    for position, param in enumerate(params):
        grad = param.grad
        if grad is None:
            continue
        if not isinstance(grad, np.ndarray) or not np.issubdtype(grad.dtype, np.floating):
            raise TypeError(
                f"the grad of parameter {position} is {type(grad).__name__} "
                f"{getattr(grad, 'dtype', '')}; gradients are clipped in place, so each must "
                "be a floating-point ndarray"
            )
        grads.setdefault(id(grad), grad)
    return list(grads.values())


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
