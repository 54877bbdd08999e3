"""BatchNorm as the CS229 Lecture 12 notes (section 7.2) write it (features in rows, Z: (n, m))."""

from __future__ import annotations

import numpy as np


def batchnorm_forward(Z, gamma, beta, epsilon=1e-5):
    mu = np.mean(Z, axis=1, keepdims=True)
    var = np.var(Z, axis=1, keepdims=True)
    Z_norm = (Z - mu) / np.sqrt(var + epsilon)
    return gamma * Z_norm + beta, (Z_norm, var)


def batchnorm_backward(dout, gamma, Z_norm, var, epsilon=1e-5):
    """dZ = 1/m * 1/std * (m dZ_norm - sum dZ_norm - Z_norm sum(dZ_norm Z_norm))."""
    m = dout.shape[1]
    dgamma = np.sum(dout * Z_norm, axis=1, keepdims=True)
    dbeta = np.sum(dout, axis=1, keepdims=True)
    dZ_norm = dout * gamma
    std = np.sqrt(var + epsilon)
    dZ = (
        (1 / m)
        * (1 / std)
        * (
            m * dZ_norm
            - np.sum(dZ_norm, axis=1, keepdims=True)
            - Z_norm * np.sum(dZ_norm * Z_norm, axis=1, keepdims=True)
        )
    )
    return dZ, dgamma, dbeta


def running_average(running, batch_value, beta_ema):
    """The exponentially weighted average (Improving Deep Neural Networks notes, section 30):
    beta running + (1 - beta) batch."""
    return beta_ema * running + (1 - beta_ema) * batch_value
