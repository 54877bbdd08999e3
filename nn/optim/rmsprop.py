"""RMSprop (Deep Learning Study Notes: Improving Deep Neural Networks, section 20;
Neural Networks and Backpropagation, Deep Learning course slides)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from .checks import FLAG, NON_NEGATIVE, UNIT_INTERVAL, Rule
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """S = alpha S + (1 - alpha) dW^2;  W := W - lr dW / (sqrt(S) + eps), as in PyTorch.

    ``alpha`` is the notes' beta_2 (section 20; the slides' gamma). ``centered`` divides by
    the estimated standard deviation instead; ``momentum`` adds a velocity on the step;
    ``maximize`` negates dW. ``alpha`` must be in [0, 1]: above 1, S turns
    negative and its square root NaN.
    """

    flat_updates = True
    hyperparameters: ClassVar[dict[str, Rule]] = {
        "lr": NON_NEGATIVE,
        "alpha": UNIT_INTERVAL,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
        "momentum": NON_NEGATIVE,
        "centered": FLAG,
        "maximize": FLAG,
    }
    state_keys = ("step", "square_avg", "grad_avg", "momentum_buffer")
    required_state_keys = ("step", "square_avg")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def update(self, param, grad, group, state):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param.data)
        state["step"] += 1
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(param.data))
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denominator = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = np.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buffer = state.setdefault("momentum_buffer", np.zeros_like(param.data))
            buffer *= group["momentum"]
            buffer += grad / denominator
            param.data -= group["lr"] * buffer
        else:
            param.data -= group["lr"] * grad / denominator
