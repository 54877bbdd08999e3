"""Linear and the activation layers (CS229 Lecture 12 notes: Backpropagation & Deep Learning,
sections 7.2 and 7.4: activation functions, weight initialization)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_mini import Tensor, as_tensor

from . import functional as F
from .init import as_generator, float_dtype, initialize_, size_argument
from .module import Module, Parameter


class Linear(Module):
    """y = x W^T + b, W of shape (out_features, in_features) (the notes' n^[l] by n^[l-1]).

    ``init`` chooses W's distribution: "he" N(0, 2/n_in) (default, for ReLU),
    "lecun" N(0, 1/n_in) (the notes' "Xavier"), "glorot"
    N(0, 2/(n_in + n_out)) or "zeros"; b starts at zero. ``rng`` (a
    Generator or a seed) makes the draw reproducible. ``dtype`` (a floating
    dtype; None: the default dtype) is the parameters' dtype. With
    ``bias=False`` the ``bias`` slot is registered as None, as in PyTorch.
    Sizes may be 0, as in PyTorch: ``Linear(0, n)`` maps (m, 0) inputs to
    the bias, repeated.
    """

    regularized = ("weight",)

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "he",
        rng: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = size_argument(in_features, "in_features", "Linear")
        self.out_features = size_argument(out_features, "out_features", "Linear")
        dtype = float_dtype(dtype, "Linear")
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        initialize_(self.weight, init, as_generator(rng))
        if bias:
            self.bias = Parameter(np.zeros(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)

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
    """e^z / sum e^z along ``axis`` (log-sum-exp shifted); ``dim=`` is PyTorch's name."""

    def __init__(self, axis: int | None = None, *, dim: int | None = None) -> None:
        super().__init__()
        if axis is not None and dim is not None:
            raise TypeError(f"Softmax: got both axis={axis!r} and dim={dim!r}; give one of them")
        self.axis = dim if dim is not None else (-1 if axis is None else axis)

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x).softmax(self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Identity(Module):
    """Returns its input (the notes' linear output activation for regression)."""

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x)
