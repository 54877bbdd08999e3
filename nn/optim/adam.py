"""Adam and AdamW (Deep Learning Study Notes: Improving Deep Neural Networks, section 21;
CS229 Lecture 12 notes, the AdamOptimizer class)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from .checks import BETAS, FLAG, NON_NEGATIVE, Rule
from .optimizer import Optimizer


class Adam(Optimizer):
    """Momentum and RMSprop with bias correction, as in PyTorch::

        g = dW + weight_decay * W             (g = -dW + ... with maximize)
        m = beta1 m + (1 - beta1) g           v = beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1^t)             v_hat = v / (1 - beta2^t)
        W := W - lr m_hat / (sqrt(v_hat) + eps)

    With ``amsgrad`` (Reddi et al., PyTorch's flag) v_hat uses the largest v
    so far, v_max = max(v_max, v), so the effective step never grows back.
    """

    flat_updates = True
    decoupled_weight_decay = False
    hyperparameters: ClassVar[dict[str, Rule]] = {
        "lr": NON_NEGATIVE,
        "betas": BETAS,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
        "amsgrad": FLAG,
        "maximize": FLAG,
    }
    newer_hyperparameters = ("maximize", "amsgrad")
    state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    required_state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas) if isinstance(betas, list) else betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults)

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
        if group.get("amsgrad"):
            largest = state.get("max_exp_avg_sq")
            if largest is None:  # (max(0, v) = v: starting now is starting from zeros)
                largest = state["max_exp_avg_sq"] = np.zeros_like(param.data)
            np.maximum(largest, exp_avg_sq, out=largest)
            exp_avg_sq = largest
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
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
