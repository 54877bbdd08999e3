"""nn's fused ops: one node each, with the closed-form backward the course notes derive.

Composing these from Tensor ops would give the same gradients; fusing them
costs one node instead of several and uses the formulas of the notes cited below
directly.
Derivatives (``grad`` is dL/d(output); each row is also the op's ``formula``):

    linear          d/dx = grad W,  d/dW = grad^T x,  d/db = sum over rows of grad
    dropout         d/dx = grad * D / keep_prob  (D: the keep mask of the forward pass)
    batch_norm      d/dx = (m dx_hat - sum(dx_hat) - x_hat sum(dx_hat x_hat)) / (m std),
                    dx_hat = grad * gamma;  d/dgamma = sum(grad * x_hat),  d/dbeta = sum(grad)
    cross_entropy   d/dz = (softmax(z) - Y) / m  (for reduction="mean")
    binary_cross_entropy_with_logits  d/dz = (sigmoid(z) - y) / m
    binary_cross_entropy  d/dp = (p - y) / (p (1 - p)) / m
    mse_loss        d/dy_hat = 2 (y_hat - y) / m

Forward: linear is y = x W^T + b; dropout y = x D / keep_prob; batch_norm
x_hat = (x - mu) / sqrt(var + eps), y = gamma x_hat + beta (CS229 Lecture 12
notes, section 7.2, BatchNormalization.backward); the losses are softmax
cross-entropy (Improving Deep Neural Networks notes, section 32; CS229
Additional Notes on Backpropagation), binary cross-entropy on logits and on
probabilities, and the squared error, each averaged over the m examples (or
summed, or kept per example).

As in ``autograd_mini.ops``, each backward uses operations that ndarrays and
Tensors share, so it also runs, differentiably, under ``create_graph=True``;
where a formula reuses a value cached by forward, the recorded path
recomputes it from the saved input instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_mini import Function, ShapeError, Tensor, attach_formulas
from autograd_mini.kernels import (
    matrix_product,
    shape_constant,
    shifted_exponentials,
    sum_along,
    sum_rows,
)

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    total = np.add.reduce(losses, axis=None, keepdims=False)  # .sum() minus a Python layer
    return np.asarray(total / losses.size if reduction == "mean" else total)


def _scaled(grad: Any, reduction: str, count: int) -> Any:
    """dL/d(loss_i): grad / count for "mean", grad for "sum", grad_i for "none"."""
    return grad / count if reduction == "mean" else grad


class Linear(Function):
    """y = x W^T + b for x of shape (..., in), W of shape (out, in), b of shape (out,)."""

    name = "linear"

    @staticmethod
    def forward(ctx, x, weight, bias):
        if x.shape[-1:] != weight.shape[1:]:
            raise ShapeError(
                f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features, "
                f"but the weight of shape {weight.shape} expects {weight.shape[1]}"
            )
        ctx.save_for_backward(x, weight)
        y = x.dot(weight.T)  # x @ W^T (dot and matmul agree for a matrix on the right)
        if bias is not None:
            y += bias  # y is a fresh array: add in place
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        need_x, need_weight, need_bias = ctx.needs_input_grad
        grad_x = matrix_product(grad, weight) if need_x else None  # dx = g W
        if grad.ndim != 2:  # fold leading dimensions into the batch
            grad = grad.reshape(-1, weight.shape[0])
            x = x.reshape(-1, weight.shape[1])
        grad_weight = matrix_product(grad.T, x) if need_weight else None  # dW = g^T x = delta a^T
        grad_bias = None
        if need_bias:  # db = sum over examples
            grad_bias = sum_rows(grad) if type(grad) is np.ndarray else grad.sum(axis=0)
        return grad_x, grad_weight, grad_bias


class Dropout(Function):
    """x * D / keep_prob for a fixed keep mask D; the backward applies the same mask."""

    name = "dropout"

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale  # D / keep_prob: a constant of the forward pass
        return x * scale

    @staticmethod
    def backward(ctx, grad):
        # dA = dA * D / keep_prob (Neural Networks course notes, section 5.1)
        return grad * ctx.scale


class BatchNorm(Function):
    """Batch normalization with batch statistics (training mode).

    ``centered`` (x minus its batch mean) and ``var`` (the biased batch
    variance) over ``axes`` are computed by the caller, which also updates
    the running averages with them.
    """

    name = "batch_norm"

    @staticmethod
    def forward(ctx, x, gamma, beta, centered, var, eps, axes, param_shape):
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = centered * inv_std
        ctx.save_for_backward(x, gamma)
        ctx.x_hat, ctx.inv_std = x_hat, inv_std
        ctx.eps, ctx.axes, ctx.param_shape = eps, axes, param_shape
        return x_hat * gamma.reshape(param_shape) + beta.reshape(param_shape)

    @staticmethod
    def backward(ctx, grad):
        x, gamma = ctx.saved
        axes = ctx.axes
        if isinstance(x, Tensor):  # recorded backward: x_hat and 1/std as functions of x
            mean = x.mean(axis=axes, keepdims=True)
            inv_std = 1.0 / (x.var(axis=axes, keepdims=True) + ctx.eps).sqrt()
            x_hat = (x - mean) * inv_std
        else:
            x_hat, inv_std = ctx.x_hat, ctx.inv_std
        m = x_hat.size // inv_std.size  # examples per feature
        d_x_hat = grad * gamma.reshape(ctx.param_shape)
        grad_x = (
            inv_std
            / m
            * (
                m * d_x_hat
                - d_x_hat.sum(axis=axes, keepdims=True)
                - x_hat * (d_x_hat * x_hat).sum(axis=axes, keepdims=True)
            )
        )
        grad_gamma = (grad * x_hat).sum(axis=axes).reshape(gamma.shape)
        grad_beta = grad.sum(axis=axes).reshape(gamma.shape)
        return grad_x, grad_gamma, grad_beta


def one_hot(labels: np.ndarray, num_classes: int, dtype: Any = np.float64) -> np.ndarray:
    """Y with Y[i, labels[i]] = 1: the one-hot targets of the Improving Deep Neural Networks
    notes (section 31)."""
    encoded = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    encoded[np.arange(labels.shape[0]), labels] = 1
    return encoded


class SoftmaxCrossEntropy(Function):
    """-sum_k Y_k log softmax(z)_k per example, from logits z of shape (m, classes).

    ``target`` holds class labels (``labels=True``, integers of shape (m,)) or
    probabilities of z's shape (one-hot or soft). The backward is the
    Improving Deep Neural Networks notes' dZ = Y_hat - Y (times sum_k Y_k, which is 1 for
    real targets).
    """

    name = "cross_entropy"

    @staticmethod
    def forward(ctx, logits, target, reduction, labels):
        shifted, exp, total = shifted_exponentials(logits, 1)  # log softmax: shifted - log total
        ctx.probs = exp / total  # Y_hat = softmax(z), for backward's Y_hat - Y
        if labels:
            # -log Y_hat of the true class; the flat index picks one entry per row cheaply
            true_class = _flat_index(target, logits.shape[1])
            losses = np.log(total[:, 0]) - shifted.reshape(-1)[true_class]
            ctx.true_class = true_class
        else:
            # a log-probability below the lowest float (logits more than 1.8e308 apart) is
            # kept at the lowest float, so that 0 * log p stays 0 for the loss and its gradient
            log_probs = np.maximum(shifted - np.log(total), _lowest(logits.dtype))
            ctx.log_probs = log_probs
            losses = -sum_along(target * log_probs, 1)[:, 0]
        result = _reduce(losses, reduction)
        finite = math.isfinite(result) if result.ndim == 0 else np.isfinite(result).all()
        if not finite and np.isfinite(logits).all():
            # logits more than 1.8e308 apart: a log-probability below the lowest float;
            # such an example's loss is kept at the largest float instead of inf
            losses = np.minimum(losses, np.finfo(losses.dtype).max)
            with np.errstate(over="ignore"):  # (a sum of several of them is inf)
                if reduction == "mean" and losses.size:  # divided first: the mean stays finite
                    result = np.asarray(np.add.reduce(losses / losses.size, axis=None))
                else:
                    result = _reduce(losses, reduction)
        ctx.save_for_backward(logits, target)
        ctx.reduction, ctx.labels = reduction, labels
        return result

    @staticmethod
    def backward(ctx, grad):
        logits, target = ctx.saved
        m = logits.shape[0]
        if isinstance(logits, Tensor):  # recorded backward: Y_hat as a function of the logits
            probs = logits.softmax(axis=1)
            grad = _scaled(grad, ctx.reduction, m)
            if ctx.reduction == "none":
                grad = grad.reshape(-1, 1)
            if ctx.labels:
                return grad * (probs - one_hot(target, logits.shape[1], logits.dtype)), None
            grad_logits = grad * (probs * target.sum(axis=1, keepdims=True) - target)
            grad_target = -logits.log_softmax(axis=1) * grad if ctx.needs_input_grad[1] else None
            return grad_logits, grad_target
        scale = _scaled(grad, ctx.reduction, m)  # dL/d(loss_i)
        if ctx.reduction == "none":
            scale = scale.reshape(-1, 1)
        if ctx.labels:  # dZ = (Y_hat - Y) * scale: subtract the one-hot Y at the true classes
            # C order whatever the logits' layout (a transposed matrix gives Fortran-ordered
            # probabilities), so that reshape(-1) is a view and the subtraction lands in delta
            delta = np.multiply(ctx.probs, scale, order="C")
            delta.reshape(-1)[ctx.true_class] -= scale if scale.ndim == 0 else scale[:, 0]
            return delta, None
        grad_logits = scale * (ctx.probs * sum_along(target, 1) - target)
        grad_target = -ctx.log_probs * scale if ctx.needs_input_grad[1] else None
        return grad_logits, grad_target


_LOWEST = {np.dtype(t): np.finfo(t).min for t in (np.float16, np.float32, np.float64)}


def _lowest(dtype: np.dtype) -> Any:
    lowest = _LOWEST.get(dtype)
    return np.finfo(dtype).min if lowest is None else lowest


def _flat_index(labels: np.ndarray, classes: int) -> np.ndarray:
    """labels[i] + i * classes: where row i's true class sits in the flattened (m, classes)."""
    m = labels.shape[0]
    return (
        shape_constant(("row starts", m, classes), lambda: np.arange(0, m * classes, classes))
        + labels
    )


class BinaryCrossEntropyWithLogits(Function):
    """-[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], stable for any z; dz = sigmoid(z) - y."""

    name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(ctx, logits, target, reduction):
        # max(z, 0) - z y + log(1 + e^-|z|): never exponentiates a positive number
        e = np.exp(-np.abs(logits))
        losses = np.maximum(logits, 0) - logits * target + np.log1p(e)
        ctx.save_for_backward(logits, target)
        ctx.reduction, ctx.e = reduction, e
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, grad):
        logits, target = ctx.saved
        grad = _scaled(grad, ctx.reduction, logits.size)
        if isinstance(logits, Tensor):
            probs = logits.sigmoid()
        else:  # sigmoid(z) from forward's e = exp(-|z|): 1 / (1 + e) for z >= 0, e / (1 + e) below
            probs = np.where(logits >= 0, 1.0, ctx.e) / (1.0 + ctx.e)
        grad_target = -logits * grad if ctx.needs_input_grad[1] else None
        return grad * (probs - target), grad_target


class BinaryCrossEntropy(Function):
    """-[y log p + (1 - y) log(1 - p)] on probabilities, each log clamped at -100 (PyTorch)."""

    name = "binary_cross_entropy"

    @staticmethod
    def forward(ctx, probs, target, reduction):
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped
            log_p = np.maximum(np.log(probs), -100.0)
            log_1mp = np.maximum(np.log1p(-probs), -100.0)
        ctx.save_for_backward(probs, target)
        ctx.log_p, ctx.log_1mp, ctx.reduction = log_p, log_1mp, reduction
        return _reduce(-(target * log_p + (1 - target) * log_1mp), reduction)

    @staticmethod
    def backward(ctx, grad):
        probs, target = ctx.saved
        grad = _scaled(grad, ctx.reduction, probs.size)
        # dL/dp = (p - y) / (p (1 - p)), the denominator kept above 1e-12 (PyTorch)
        grad_probs = grad * (probs - target) / (probs * (1 - probs)).clip(1e-12, None)
        grad_target = None
        if ctx.needs_input_grad[1]:
            if isinstance(probs, Tensor):
                log_p, log_1mp = (
                    probs.log().clip(-100.0, None),
                    (1 - probs).log().clip(-100.0, None),
                )
            else:
                log_p, log_1mp = ctx.log_p, ctx.log_1mp
            grad_target = (log_1mp - log_p) * grad
        return grad_probs, grad_target


class SquaredError(Function):
    """(y_hat - y)^2, reduced; d/dy_hat = 2 (y_hat - y)."""

    name = "mse_loss"

    @staticmethod
    def forward(ctx, prediction, target, reduction):
        difference = prediction - target
        ctx.save_for_backward(prediction, target)
        ctx.reduction = reduction
        return _reduce(difference * difference, reduction)

    @staticmethod
    def backward(ctx, grad):
        prediction, target = ctx.saved
        grad = _scaled(grad, ctx.reduction, prediction.size)
        grad_prediction = grad * 2.0 * (prediction - target)
        return grad_prediction, (-grad_prediction if ctx.needs_input_grad[1] else None)


FORMULAS = attach_formulas(__doc__, globals())  # every op above: its name and its row
