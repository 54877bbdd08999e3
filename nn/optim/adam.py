"""Adam and AdamW (001_c6b77ffe3f8d6a56.txt section 21; 000 AdamOptimizer)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, check_betas, check_non_negative


class Adam(Optimizer):
    """Momentum and RMSprop with bias correction, as in PyTorch::

    g = dW + weight_decay * W
    m = beta1 m + (1 - beta1) g           v = beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t)             v_hat = v / (1 - beta2^t)
    W := W - lr m_hat / (sqrt(v_hat) + eps)
    """

    flat_updates = True

    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        name = type(self).__name__
        check_non_negative(name, lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(name, betas)
        super().__init__(
            params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        )

    def update(self, param, grad, group, state):
        lr, weight_decay = group["lr"], group["weight_decay"]
        if self.decoupled_weight_decay and weight_decay:
            param.data *= 1 - lr * weight_decay  # AdamW: decay W itself
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        step = state["step"]
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        # lr m_hat / (sqrt(v_hat) + eps), with the bias corrections applied to scalars
        denominator = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2**step) + group["eps"]
        param.data -= (lr / (1 - beta1**step)) * exp_avg / denominator


class AdamW(Adam):
    """Adam with decoupled weight decay: W := W (1 - lr weight_decay), then the Adam step."""

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
