"""Inverted dropout (CS229 Lecture 12 notes, section 7.3; Improving Deep Neural Networks
notes, sections 5-6)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_mini import Tensor

from . import functional as F
from .init import as_generator
from .module import Module


class Dropout(Module):
    """Zero each activation with probability ``p`` and scale the others by 1 / keep_prob.

    ``p`` is the drop probability (the notes' keep_prob is ``1 - p``).
    In eval mode the layer is the identity. ``rng`` (a Generator or a seed)
    makes the masks reproducible.
    """

    def __init__(self, p: float = 0.5, rng: Any = None) -> None:
        super().__init__()
        if not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"Dropout: p must be a number in [0, 1], got {type(p).__name__}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p is the drop probability and must be in [0, 1], got {p}")
        self.p = p
        self.rng = as_generator(rng)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"
