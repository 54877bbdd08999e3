"""Stochastic gradient descent with momentum (001_c6b77ffe3f8d6a56.txt section 19)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .optimizer import Optimizer, check_non_negative


class SGD(Optimizer):
    """W := W - lr * v, as PyTorch defines it::

        g = dW + weight_decay * W
        v = g                                   (first step)
        v = momentum * v + (1 - dampening) * g  (later steps)
        step = g + momentum * v if nesterov else v

    The documents' momentum, v = beta v + (1 - beta) dW, is
    ``SGD(momentum=beta, dampening=beta)``. One difference in the first step:
    PyTorch starts the velocity at v = dW rather than at (1 - beta) dW, i.e.
    without the start-up bias toward zero that 001 section 18 corrects for.
    """

    # two to five numpy calls per parameter: joining the group into one vector and
    # copying it back costs more than it saves (flat.py)
    flat_updates = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        check_non_negative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=weight_decay,
        )
        super().__init__(params, defaults)

    def update(self, param, grad, group, state):
        momentum = group["momentum"]
        if momentum:
            velocity = state.get("momentum_buffer")
            if velocity is None:
                velocity = state["momentum_buffer"] = grad.copy()
            else:
                velocity *= momentum
                velocity += (1 - group["dampening"]) * grad
            grad = grad + momentum * velocity if group["nesterov"] else velocity
        param.data -= group["lr"] * grad
