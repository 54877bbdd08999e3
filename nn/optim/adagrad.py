"""AdaGrad (Neural Networks and Backpropagation, Deep Learning course slides)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from .checks import FLAG, NON_NEGATIVE, Rule
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """G = G + dW^2;  W := W - lr_t dW / (sqrt(G) + eps), lr_t = lr / (1 + (t - 1) lr_decay).

    The accumulated G only grows, so the effective learning rate only shrinks
    (the problem RMSprop addresses). Updates as in PyTorch (``maximize`` negates dW).
    """

    flat_updates = True
    hyperparameters: ClassVar[dict[str, Rule]] = {
        "lr": NON_NEGATIVE,
        "lr_decay": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
        "initial_accumulator_value": NON_NEGATIVE,
        "eps": NON_NEGATIVE,
        "maximize": FLAG,
    }
    state_keys = ("step", "sum")
    required_state_keys = ("step", "sum")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            eps=eps,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def update(self, param, grad, group, state):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param.data, group["initial_accumulator_value"])
        state["step"] += 1
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        param.data -= lr * grad / (np.sqrt(state["sum"]) + group["eps"])
