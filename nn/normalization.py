"""BatchNorm1d (CS229 Lecture 12 notes, section 7.2; Improving Deep Neural Networks notes,
sections 27-30)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_mini import Tensor

from . import functional as F
from .init import float_dtype, size_argument
from .module import Module, Parameter


class BatchNorm1d(Module):
    """Normalize each feature over the batch, then scale by gamma and shift by beta.

    Input (m, num_features) or (m, num_features, L). In training: the batch's
    mean and biased variance, and running estimates updated as
    ``running = (1 - momentum) * running + momentum * batch`` (PyTorch's
    convention: the beta_EMA of the Improving Deep Neural Networks notes' running
    averages, section 30, is ``1 - momentum``; the running variance uses the
    unbiased batch variance).
    In eval mode: the running estimates. ``weight`` is gamma, ``bias`` beta;
    they make the preceding layer's bias redundant.

    ``running_mean`` and ``running_var`` are buffers (ndarrays, in the state
    dict, updated in place); assigning an array or a Tensor to them keeps them
    buffers, and training goes on updating the new values. ``dtype`` (a
    floating dtype; None: the default dtype) is that of the parameters and
    buffers. ``eps`` >= 0 and ``momentum`` in [0, 1].
    """

    regularized = ()  # gamma and beta are not weights: l2_penalty leaves them alone

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, dtype: Any = None
    ) -> None:
        super().__init__()
        self.num_features = size_argument(num_features, "num_features", "BatchNorm1d")
        self.eps = _number_in("eps", eps, 0.0, math.inf)
        self.momentum = _number_in("momentum", momentum, 0.0, 1.0)
        dtype = float_dtype(dtype, "BatchNorm1d")
        self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
        self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


def _number_in(name: str, value: Any, low: float, high: float) -> float:
    """``value`` checked to be a real number in [low, high] (NaN is not)."""
    if value is None:
        raise TypeError(
            f"BatchNorm1d: {name}=None is not supported (PyTorch's cumulative average); give a "
            "number"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"BatchNorm1d: {name} must be a number, got {type(value).__name__}")
    if not low <= value <= high:
        bounds = f">= {low}" if high == math.inf else f"in [{low}, {high}]"
        raise ValueError(f"BatchNorm1d: {name} must be {bounds}, got {value}")
    return value
