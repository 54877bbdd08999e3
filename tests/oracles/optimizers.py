"""Optimizer updates as the course notes write them (Improving Deep Neural Networks notes,
sections 16-21; CS229 Lecture 12 notes, the AdamOptimizer class; Neural Networks and
Backpropagation, Deep Learning course slides, AdaGrad)."""

from __future__ import annotations

import numpy as np


def exponentially_weighted_averages(thetas, beta, bias_correction=False):
    """v_t = beta v_{t-1} + (1 - beta) theta_t from v_0 = 0; corrected: v_t / (1 - beta^t)."""
    v = np.zeros_like(thetas[0])
    averages = []
    for t, theta in enumerate(thetas, start=1):
        v = beta * v + (1 - beta) * theta
        averages.append(v / (1 - beta**t) if bias_correction else v)
    return averages


def momentum_step(W, v, dW, alpha, beta):
    """v = beta v + (1 - beta) dW;  W = W - alpha v."""
    v = beta * v + (1 - beta) * dW
    return W - alpha * v, v


def rmsprop_step(W, S, dW, alpha, beta, eps):
    """S = beta S + (1 - beta) dW^2;  W = W - alpha dW / (sqrt(S) + eps)."""
    S = beta * S + (1 - beta) * dW**2
    return W - alpha * dW / (np.sqrt(S) + eps), S


def adam_step(W, m, v, dW, t, alpha, beta1, beta2, eps):
    """Adam with bias correction, as in the CS229 Lecture 12 notes' AdamOptimizer.update."""
    m = beta1 * m + (1 - beta1) * dW
    v = beta2 * v + (1 - beta2) * dW**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return W - alpha * m_hat / (np.sqrt(v_hat) + eps), m, v


def adagrad_step(W, G, dW, alpha, eps):
    """G accumulates squared gradients;  W = W - alpha dW / (sqrt(G) + eps)."""
    G = G + dW**2
    return W - alpha * dW / (np.sqrt(G) + eps), G
