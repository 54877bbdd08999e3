"""Learning-rate schedules as written in the CS229 Lecture 12 notes (section 7.5) and the
Neural Networks and Backpropagation, Deep Learning course slides (cosine annealing)."""

from __future__ import annotations

import numpy as np


def step_decay(initial_lr, epoch, drop_every=200, drop_factor=0.5):
    return initial_lr * (drop_factor ** (epoch // drop_every))


def exponential_decay(initial_lr, epoch, k=0.005):
    return initial_lr * np.exp(-k * epoch)


def inverse_time_decay(initial_lr, epoch, k=0.5):
    return initial_lr / (1 + k * epoch / 100)


def cosine_annealing(alpha_max, t, T, alpha_min=0.0):
    """alpha_t = alpha_min + 1/2 (alpha_max - alpha_min)(1 + cos(t pi / T)) (the slides)."""
    return alpha_min + 0.5 * (alpha_max - alpha_min) * (1 + np.cos(t * np.pi / T))
