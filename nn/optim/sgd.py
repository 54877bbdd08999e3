"""Stochastic gradient descent with momentum (Deep Learning Study Notes: Improving Deep
Neural Networks, section 19: gradient descent with momentum)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .checks import FLAG, NON_NEGATIVE, UNIT_INTERVAL, Flag, Rule
from .optimizer import Optimizer


class SGD(Optimizer):
    """W := W - lr * v, as PyTorch defines it::

        g = dW + weight_decay * W               (g = -dW + ... with maximize)
        v = g                                   (first step)
        v = momentum * v + (1 - dampening) * g  (later steps)
        step = g + momentum * v if nesterov else v

    The notes' momentum (section 19), v = beta v + (1 - beta) dW, is
    ``SGD(momentum=beta, dampening=beta)``. One difference in the first step:
    PyTorch starts the velocity at v = dW rather than at (1 - beta) dW, i.e.
    without the start-up bias toward zero that the Improving Deep Neural
    Networks notes (section 18, bias correction) correct for.

    The order of the arguments is API.md's: ``nesterov`` comes before
    ``weight_decay`` (PyTorch has them the other way round), which is one
    reason ``nesterov`` must be True or False.
    """

    # two to five numpy calls per parameter: joining the group into one vector and
    # copying it back costs more than it saves (flat.py)
    flat_updates = False
    hyperparameters: ClassVar[dict[str, Rule]] = {
        "lr": NON_NEGATIVE,
        "momentum": NON_NEGATIVE,
        "dampening": UNIT_INTERVAL,
        "nesterov": Flag(
            hint=" (SGD's fifth argument is nesterov here, weight_decay the sixth: "
            "pass weight_decay=... by name)"
        ),
        "weight_decay": NON_NEGATIVE,
        "maximize": FLAG,
    }
    state_keys = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def check_group(self, where: str, group: Mapping[str, Any]) -> None:
        super().check_group(where, group)
        if group.get("nesterov") and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"{where}: Nesterov momentum requires a momentum and zero dampening "
                f"(momentum > 0, dampening = 0), got momentum={group['momentum']}, "
                f"dampening={group['dampening']}"
            )

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
