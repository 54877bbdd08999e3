"""The functional forms of nn's layers and losses: ``nn.functional.linear(x, w, b)``, ...

Modules call these; they check their inputs and say what is wrong in terms
of the op and the shapes, then run one fused op from ``nn.fused`` or a few
Tensor operators.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_mini
from autograd_mini import ShapeError, Tensor, as_array, as_tensor

from . import fused
from .init import as_generator

# Activations are Tensor methods; these are their functional names.
relu = autograd_mini.relu
leaky_relu = autograd_mini.leaky_relu
sigmoid = autograd_mini.sigmoid
tanh = autograd_mini.tanh
softmax = autograd_mini.softmax
log_softmax = autograd_mini.log_softmax


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b; x of shape (..., in), W of shape (out, in), b of shape (out,)."""
    return fused.Linear.apply(as_tensor(x), weight, bias)


def dropout(
    x: Tensor,
    p: float = 0.5,
    training: bool = True,
    rng: Any = None,
    mask: np.ndarray | None = None,
) -> Tensor:
    """Inverted dropout: zero each entry with probability ``p``, scale the rest by 1/(1 - p).

    ``keep_prob = 1 - p``; the expected value of every entry is unchanged, so
    nothing needs rescaling at test time (Improving Deep Neural Networks notes,
    section 5). ``mask`` (True = keep) fixes which entries are kept, for checks
    against hand computations.
    Identity when not training or when ``p == 0``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p is the drop probability and must be in [0, 1], got {p}")
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep_prob = 1.0 - p
    if mask is None:
        mask = as_generator(rng).random(x.shape) >= p
    elif np.shape(mask) != x.shape:
        raise ValueError(f"dropout: mask of shape {np.shape(mask)} for input of shape {x.shape}")
    return fused.Dropout.apply(x, scale=np.asarray(mask, dtype=x.dtype) / keep_prob)


def batch_norm(
    x: Tensor,
    running_mean: np.ndarray | Tensor | None,
    running_var: np.ndarray | Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each feature (axis 1) of x, of shape (m, C) or (m, C, L), then scale by
    ``weight`` (gamma) and shift by ``bias`` (beta), as PyTorch's F.batch_norm.

    ``training=True``: batch mean and biased variance; running estimates given
    become ``(1 - momentum) * running + momentum * batch`` (unbiased variance),
    in place (Tensors too: their arrays are updated and their versions move).
    ``training=False`` (the default, as in PyTorch): the running estimates
    instead of the batch's.
    """
    running_tensors = [t for t in (running_mean, running_var) if isinstance(t, Tensor)]
    running_mean, running_var = (
        t.data if isinstance(t, Tensor) else t for t in (running_mean, running_var)
    )
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    x = as_tensor(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"batch_norm: input must have shape (m, C) or (m, C, L), got {x.shape}")
    channels = x.shape[1]
    if weight is None:
        weight = np.ones(channels, dtype=x.dtype)
    if bias is None:
        bias = np.zeros(channels, dtype=x.dtype)
    running = (("running_mean", running_mean), ("running_var", running_var))
    for name, value in (("weight", weight), ("bias", bias), *running):
        if value is not None and np.shape(value) != (channels,):
            raise ValueError(
                f"batch_norm: input of shape {x.shape} has {channels} features on axis 1, "
                f"but {name} has shape {np.shape(value)}"
            )
    axes = (0,) if x.ndim == 2 else (0, 2)
    param_shape = (channels,) + (1,) * (x.ndim - 2)
    if training:
        for name, value in running:
            if value is not None and np.asarray(value).dtype.kind != "f":
                raise TypeError(
                    f"batch_norm: {name} must hold floats (it is averaged in place), got "
                    f"dtype {np.asarray(value).dtype}"
                )
        count = x.shape[0] * (x.shape[2] if x.ndim == 3 else 1)  # values per feature
        if count < 2:
            raise ValueError(
                f"batch_norm: training needs more than one value per feature, got input of "
                f"shape {x.shape}; use a larger batch or call .eval()"
            )
        mean = np.add.reduce(x.data, axis=axes, keepdims=True) / count
        centered = x.data - mean
        var = np.add.reduce(centered * centered, axis=axes, keepdims=True) / count  # biased
        if running_mean is not None:
            running_mean *= 1.0 - momentum
            running_mean += momentum * mean.reshape(running_mean.shape)
            running_var *= 1.0 - momentum
            running_var += momentum * var.reshape(running_var.shape) * count / (count - 1)
            for tensor in running_tensors:
                tensor.data = tensor.data  # an assignment: the version moves
        return fused.BatchNorm.apply(
            x, weight, bias, centered=centered, var=var, eps=eps, axes=axes, param_shape=param_shape
        )
    if running_mean is None:
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    inv_std = 1.0 / np.sqrt(running_var.reshape(param_shape) + eps)
    return (x - running_mean.reshape(param_shape)) * (weight.reshape(param_shape) * inv_std) + (
        bias.reshape(param_shape)
    )


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in fused.REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {fused.REDUCTIONS}, got {reduction!r}")


def _same_shape_target(op: str, prediction: Tensor, target: Any) -> Any:
    target_values = as_array(target)
    if target_values.shape != prediction.shape:
        raise ValueError(
            f"{op}: target of shape {target_values.shape} does not match the input of shape "
            f"{prediction.shape}; give one target per prediction (reshape y to {prediction.shape})"
        )
    if isinstance(target, Tensor):
        return target
    return target_values.astype(prediction.dtype, copy=False)


def mse_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of (prediction - target)^2 over all elements."""
    _check_reduction("mse_loss", reduction)
    prediction = as_tensor(prediction)
    target = _same_shape_target("mse_loss", prediction, target)
    return fused.SquaredError.apply(prediction, target, reduction=reduction)


def binary_cross_entropy(probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-[y log p + (1 - y) log(1 - p)] for probabilities p in [0, 1] (logs clamped at -100)."""
    _check_reduction("binary_cross_entropy", reduction)
    probs = as_tensor(probs)
    target = _same_shape_target("binary_cross_entropy", probs, target)
    if not np.all((probs.data >= 0) & (probs.data <= 1)):  # NaN fails this too
        raise ValueError(
            "binary_cross_entropy: inputs must be probabilities in [0, 1] (found values "
            "outside, or NaN); for raw scores (logits) use binary_cross_entropy_with_logits, "
            "which is also more stable"
        )
    return fused.BinaryCrossEntropy.apply(probs, target, reduction=reduction)


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of sigmoid(logits), computed stably for logits of any size."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    logits = as_tensor(logits)
    target = _same_shape_target("binary_cross_entropy_with_logits", logits, target)
    return fused.BinaryCrossEntropyWithLogits.apply(logits, target, reduction=reduction)


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy -sum_k Y_k log softmax(z)_k, the classes on axis 1 as in PyTorch.

    Logits of shape (m, classes), one example's (classes,), or (m, classes, d1, ...)
    (a class score per position, e.g. per pixel); targets are class labels of
    the logits' shape without the class axis ((m,), (), (m, d1, ...)), or
    one-hot / probability targets of the logits' shape. "mean" averages over
    all m * d1 * ... losses, "sum" adds them, "none" returns them in the
    labels' shape. The gradient is softmax(z) - Y (the dZ = Y_hat - Y of Deep Learning Study
    Notes: Improving Deep Neural Networks, section 32), divided by
    that count for "mean".
    """
    _check_reduction("cross_entropy", reduction)
    logits = as_tensor(logits)
    shape = logits.data.shape
    if len(shape) != 2:
        return _cross_entropy_classes_on_axis_1(logits, target, reduction)
    if shape[1] == 0:
        raise _no_classes_error(shape)
    values = as_array(target)
    if values.shape == shape:  # one-hot or probabilities
        target = _same_shape_target("cross_entropy", logits, target)
        return fused.SoftmaxCrossEntropy.apply(logits, target, reduction=reduction, labels=False)
    if values.shape != shape[:1]:
        raise ShapeError(
            f"cross_entropy: target of shape {values.shape} fits logits of shape {shape} "
            f"neither as class labels (shape ({shape[0]},)) nor as probabilities (shape {shape})"
        )
    labels = _class_labels(values, shape[1])
    return fused.SoftmaxCrossEntropy.apply(logits, labels, reduction=reduction, labels=True)


def _cross_entropy_classes_on_axis_1(logits: Tensor, target: Any, reduction: str) -> Tensor:
    """cross_entropy for (classes,) and (m, classes, d1, ...) logits: each position's
    class scores become a row of an (examples, classes) matrix, for the fused op."""
    shape = logits.data.shape
    if len(shape) == 0:
        raise ShapeError(
            "cross_entropy: logits must have a class axis: shape (classes,), (batch, classes) "
            "or (batch, classes, d1, ...), got a 0-d tensor"
        )
    classes = shape[0] if len(shape) == 1 else shape[1]
    if classes == 0:
        raise _no_classes_error(shape)
    loss_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    values = as_array(target)
    if values.shape == shape:  # probabilities, with the classes on the same axis
        target = _same_shape_target("cross_entropy", logits, target)
        rows_target = _classes_last(target, classes)
    elif values.shape == loss_shape:
        rows_target = values.reshape(-1)
    else:
        raise ShapeError(
            f"cross_entropy: target of shape {values.shape} fits logits of shape {shape} "
            f"neither as class labels (shape {loss_shape}) nor as probabilities (shape {shape})"
        )
    losses = cross_entropy(_classes_last(logits, classes), rows_target, reduction)
    return losses.reshape(loss_shape) if reduction == "none" else losses


def _classes_last(x: Any, classes: int) -> Any:
    """(classes,) or (m, classes, d1, ...) as (examples, classes): classes along each row."""
    if x.ndim == 1:
        return x.reshape(1, classes)
    order = (0, *range(2, x.ndim), 1)  # the class axis moved last
    return x.transpose(order).reshape(-1, classes)


def _no_classes_error(shape: tuple[int, ...]) -> ShapeError:
    return ShapeError(
        f"cross_entropy: logits of shape {shape} have no classes (the class axis has size 0)"
    )


def _class_labels(values: np.ndarray, classes: int) -> np.ndarray:
    """Class labels as intp, checked to lie in 0..classes-1."""
    kind = values.dtype.kind
    if kind == "f":
        if not np.all(values == np.round(values)):
            raise ValueError("cross_entropy: class labels must be whole numbers")
    elif kind not in "iu":
        raise TypeError(f"cross_entropy: class labels must be integers, got dtype {values.dtype}")
    labels = values.astype(np.intp, copy=False)
    # one reduction checks both ends: as unsigned 64-bit numbers, negative labels are huge
    if labels.size and np.maximum.reduce(labels.view(np.uintp), axis=None) >= classes:
        bad = labels[(labels < 0) | (labels >= classes)][0]
        raise IndexError(
            f"cross_entropy: target label {bad} is out of range for {classes} classes "
            f"(labels must be 0..{classes - 1})"
        )
    return labels
