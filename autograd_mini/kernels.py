"""Array kernels for writing ops: numerically stable formulas and BLAS shortcuts.

The library's ops (``ops.py``) and nn's fused ops compute with these; they
are public, for anyone writing a fused op of their own. They take and return
ndarrays, except ``matrix_product``, which also serves recorded (Tensor)
backward passes.

Stable formulas: ``stable_sigmoid`` never exponentiates a positive number,
and neither do ``shifted_exponentials`` and ``log_softmax_array`` (the
log-sum-exp shift), so no finite input overflows.

BLAS shortcuts, each with the measurement that earned it its place: numpy
sums down the columns of a C-ordered matrix (a bias gradient: the sum over a
batch) and reduces along a short contiguous axis (10 class scores per
example) much more slowly than the arithmetic needs. At batch 64 a bias
gradient costs 1.7 us by ``np.add.reduce`` and 0.4 us as ``ones @ delta``;
the BLAS sums are 7-16% of a small network's training step. For float64
matrices these functions take the faster routes to the same values; other
shapes and dtypes take numpy's own reductions, so that float32 keeps numpy's
more accurate pairwise sums.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# --------------------------------------------------------------------------
# Numerically stable formulas


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) without overflow: ``e^-|x|`` never exceeds 1."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def shifted_exponentials(x: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """(x - max, e^(x - max), sum of e^(x - max)) along ``axis``: the parts of softmax and
    log softmax, with no exponential of a positive number."""
    shifted = x - max_along(x, axis)
    exp = np.exp(shifted)
    return shifted, exp, sum_along(exp, axis)


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """log softmax(x) = (x - max) - log sum e^(x - max): no exponential of a positive number."""
    shifted, _, total = shifted_exponentials(x, axis)
    return shifted - np.log(total)


# --------------------------------------------------------------------------
# BLAS shortcuts


def matrix_product(a: Any, b: Any) -> Any:
    """a @ b for a matrix b: ``ndarray.dot`` on arrays (the same product as matmul there,
    0.3 us less per call), the recorded ``@`` when either is a Tensor."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return a.dot(b)
    return a @ b


def sum_rows(matrix: np.ndarray) -> np.ndarray:
    """sum_i matrix[i, :] of an (m, n) array, shape (n,): e.g. db = sum over examples of delta."""
    if matrix.dtype != _FLOAT64 or matrix.ndim != 2:
        return np.add.reduce(matrix, axis=0)
    return _ones(matrix.shape[0]).dot(matrix)


def sum_along(x: np.ndarray, axis: int) -> np.ndarray:
    """The sum along ``axis``, kept as a length-1 axis (keepdims=True)."""
    if x.dtype != _FLOAT64 or x.ndim != 2 or (axis != -1 and axis != 1):
        return np.add.reduce(x, axis=axis, keepdims=True)
    return x.dot(_ones(x.shape[1]))[:, None]


def max_along(x: np.ndarray, axis: int) -> np.ndarray:
    """The maximum along ``axis``, kept as a length-1 axis (keepdims=True)."""
    if x.ndim != 2 or (axis != -1 and axis != 1) or x.shape[1] > 32 or x.shape[0] < 16:
        return np.maximum.reduce(x, axis=axis, keepdims=True)
    # numpy reduces a long contiguous axis quickly and a short one slowly: for many rows
    # of a few values, make the rows the contiguous axis (2.6 -> 1.3 us at 64 x 10,
    # 45 -> 10 us at 1,437 x 10; the copy does not pay off beyond about 32 columns)
    return np.maximum.reduce(np.ascontiguousarray(x.T), axis=0)[:, None]


def _ones(n: int) -> np.ndarray:
    ones = _CONSTANTS.get(("ones", n))
    return ones if ones is not None else shape_constant(("ones", n), lambda: np.ones(n))


def shape_constant(key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
    """A read-only array that depends only on ``key`` (a shape), made once by ``make()``.

    For the constants of the shortcuts (a vector of ones per batch size, the
    row starts of a flattened matrix): a run sees a handful of shapes; a
    cache that reaches 64 entries starts again.
    """
    array = _CONSTANTS.get(key)
    if array is None:
        if len(_CONSTANTS) >= 64:
            _CONSTANTS.clear()
        array = make()
        array.flags.writeable = False
        _CONSTANTS[key] = array
    return array


_CONSTANTS: dict[tuple, np.ndarray] = {}
_FLOAT64 = np.dtype(np.float64)
