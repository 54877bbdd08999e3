"""Weight initialization (CS229 Lecture 12 notes, section 7.4; Improving Deep Neural Networks
notes, section 10).

For W of shape (n_out, n_in) (the notes' n^[l] by n^[l-1]):

- ``he``:     N(0, 2 / n_in)            for ReLU layers
- ``lecun``:  N(0, 1 / n_in)            both notes' "Xavier", for tanh / sigmoid
- ``glorot``: N(0, 2 / (n_in + n_out))  forward and backward variance balanced
- ``zeros``:  all zeros (breaks nothing for biases; for weights it shows the symmetry problem)

Each function fills a Parameter in place (bumping its version) and returns it;
``rng`` is a ``np.random.Generator`` or a seed, for reproducible runs. A tensor
with no elements (the weight of ``Linear(0, n)``) is left as it is, as in PyTorch.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from autograd_mini import Tensor, get_default_dtype

SCHEMES = ("he", "lecun", "glorot", "zeros")


def as_generator(rng: Any = None) -> np.random.Generator:
    """``rng`` as a Generator: a Generator as is, a seed (int) or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as error:
        raise type(error)(
            f"rng must be a np.random.Generator, a seed (an int >= 0) or None, got {rng!r}"
        ) from None


def float_dtype(dtype: Any, op: str) -> np.dtype:
    """The floating dtype a layer's parameters get: ``dtype``, or the default one for None."""
    if dtype is None:
        return get_default_dtype()
    try:
        chosen = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: dtype={dtype!r} is not a numpy dtype") from None
    if chosen.kind != "f":
        raise TypeError(
            f"{op}: dtype must be a floating dtype (np.float32 or np.float64), got {chosen}; "
            "parameters are learned by gradients, which need real numbers"
        )
    return chosen


def size_argument(value: Any, name: str, op: str) -> int:
    """A layer size: an int >= 0 (0 gives empty parameters, as in PyTorch)."""
    try:
        size = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{op}: {name} must be an int, got {type(value).__name__} {value!r}"
        ) from None
    if size < 0:
        raise ValueError(f"{op}: {name} must be >= 0, got {size}")
    return size


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        raise ValueError(f"init: a weight needs at least 2 dimensions (out, in), got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fill_normal(tensor: Tensor, variance: float, rng: Any) -> Tensor:
    if tensor.size == 0:
        return tensor
    values = as_generator(rng).standard_normal(tensor.shape) * np.sqrt(variance)
    tensor.data = values.astype(tensor.dtype, copy=False)
    return tensor


def he_(tensor: Tensor, rng: Any = None) -> Tensor:
    """W ~ N(0, 2 / n_in) (He et al.; also PyTorch's ``kaiming_normal_`` for ReLU)."""
    fan_in, _ = _fans(tensor.shape)
    return _fill_normal(tensor, 2.0 / max(fan_in, 1), rng)  # (fan 0: empty, left alone)


def lecun_(tensor: Tensor, rng: Any = None) -> Tensor:
    """W ~ N(0, 1 / n_in) (both notes call it Xavier)."""
    fan_in, _ = _fans(tensor.shape)
    return _fill_normal(tensor, 1.0 / max(fan_in, 1), rng)


def glorot_(tensor: Tensor, rng: Any = None) -> Tensor:
    """W ~ N(0, 2 / (n_in + n_out)) (Glorot & Bengio; PyTorch's ``xavier_normal_``)."""
    fan_in, fan_out = _fans(tensor.shape)
    return _fill_normal(tensor, 2.0 / max(fan_in + fan_out, 1), rng)


def zeros_(tensor: Tensor, rng: Any = None) -> Tensor:
    """All zeros."""
    tensor.data = np.zeros(tensor.shape, dtype=tensor.dtype)
    return tensor


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Every entry equal to ``value`` (the symmetry problem, for experiments)."""
    tensor.data = np.full(tensor.shape, value, dtype=tensor.dtype)
    return tensor


kaiming_normal_ = he_
xavier_normal_ = glorot_

_BY_NAME = {"he": he_, "lecun": lecun_, "glorot": glorot_, "zeros": zeros_}


def initialize_(tensor: Tensor, scheme: str, rng: Any = None) -> Tensor:
    """Fill ``tensor`` with the named scheme: "he", "lecun", "glorot" or "zeros"."""
    try:
        fill = _BY_NAME[scheme]
    except KeyError:
        raise ValueError(f"init: unknown scheme {scheme!r}; choose one of {SCHEMES}") from None
    return fill(tensor, rng)
