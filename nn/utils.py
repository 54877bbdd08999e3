"""Gradient utilities: clipping."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from autograd_mini import Tensor


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0
) -> float:
    """Scale all gradients together so their total norm is at most ``max_norm``.

    The total norm is taken over all gradients as if concatenated into one
    vector; if it exceeds ``max_norm`` every gradient is multiplied by
    max_norm / (total + 1e-6) (PyTorch's rule). Returns the total norm before clipping.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(g))) for g in grads)
    else:
        total = float(sum(np.sum(np.abs(g) ** norm_type) for g in grads) ** (1.0 / norm_type))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in grads:
            g *= scale
    return total
