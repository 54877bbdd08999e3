"""Losses as modules, and the L2 cost term (Improving Deep Neural Networks
notes, section 3)."""

from __future__ import annotations

from typing import Any

from autograd_mini import Tensor

from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean of (prediction - target)^2 over all elements (PyTorch's; no 1/2 factor)."""

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.mse_loss(prediction, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (after a Sigmoid)."""

    def forward(self, probs: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(probs, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits: the sigmoid is inside, stable for any logit."""

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on logits; targets are class labels or (one-hot) probabilities.

    One fused op whose gradient is softmax(z) - Y, divided by m (the notes' dZ = Y_hat - Y,
    section 32).
    """

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(logits, target, self.reduction)


def l2_penalty(module: Module, lam: float, m: int) -> Tensor:
    """lambda / (2 m) * sum_l ||W^[l]||_F^2 over the layers' weights (not biases, not BatchNorm).

    Add it to the cost; its gradient is the notes' dW += lambda / m * W.
    A module names the parameters it regularizes in ``regularized``; by
    default those with two or more dimensions (weight matrices). A weight
    shared by several layers (tied) counts once, as in ``parameters()``.
    """
    weights = []
    for sub in module.modules():
        if sub.regularized is None:
            weights += [p for p in sub._parameters.values() if p is not None and p.ndim >= 2]
        else:
            weights += [
                p for name in sub.regularized if (p := getattr(sub, name, None)) is not None
            ]
    weights = list({id(w): w for w in weights}.values())  # a tied weight is one parameter
    if not weights:
        raise ValueError(f"l2_penalty: {type(module).__name__} has no regularized weights")
    total = (weights[0] * weights[0]).sum()
    for weight in weights[1:]:
        total = total + (weight * weight).sum()
    return total * (lam / (2.0 * m))
