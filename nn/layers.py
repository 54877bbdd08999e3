"""Linear and the activation layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_mini import Tensor, as_tensor, get_default_dtype

from . import functional as F
from .init import as_generator, initialize_
from .module import Module, Parameter


class Linear(Module):
    """y = x W^T + b, W of shape (out_features, in_features) (the documents' n^[l] by n^[l-1]).

    ``init`` chooses W's distribution: "he" N(0, 2/n_in) (default, for ReLU),
    "lecun" N(0, 1/n_in) (the documents' "Xavier"), "glorot"
    N(0, 2/(n_in + n_out)) or "zeros"; b starts at zero. ``rng`` (a
    Generator or a seed) makes the draw reproducible.
    """

    regularized = ("weight",)

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "he",
        rng: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        dtype = get_default_dtype()
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        initialize_(self.weight, init, as_generator(rng))
        self.bias = Parameter(np.zeros(out_features, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class ReLU(Module):
    """max(0, z); ReLU'(0) = 0."""

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x).relu()


class LeakyReLU(Module):
    """z for z > 0, else slope * z."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + e^-z), computed without overflow."""

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x).sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x).tanh()


class Softmax(Module):
    """e^z / sum e^z along ``axis`` (log-sum-exp shifted)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x).softmax(self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Identity(Module):
    """Returns its input (the documents' linear output activation)."""

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x)
