"""BatchNorm1d (000_adf05432061c94f4.txt section 7.2; 001 sections 27-30)."""

from __future__ import annotations

import numpy as np

from autograd_mini import Tensor, get_default_dtype

from . import functional as F
from .module import Module, Parameter


class BatchNorm1d(Module):
    """Normalize each feature over the batch, then scale by gamma and shift by beta.

    Input (m, num_features) or (m, num_features, L). In training: the batch's
    mean and biased variance, and running estimates updated as
    ``running = (1 - momentum) * running + momentum * batch`` (PyTorch's
    convention: the documents' beta of the exponentially weighted average is
    ``1 - momentum``; the running variance uses the unbiased batch variance).
    In eval mode: the running estimates. ``weight`` is gamma, ``bias`` beta;
    they make the preceding layer's bias redundant.
    """

    regularized = ()  # gamma and beta are not weights: l2_penalty leaves them alone

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        dtype = get_default_dtype()
        self.weight = Parameter(np.ones(num_features, dtype=dtype))
        self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))

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
