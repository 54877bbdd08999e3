"""Faster spellings of the reductions small networks do all the time.

numpy sums down the columns of a C-ordered matrix (a bias gradient: the sum
over a batch) and reduces along a short contiguous axis (10 class scores per
example) much more slowly than the arithmetic needs: at batch 64 a bias
gradient costs 1.7 us by ``np.add.reduce`` and 0.4 us as ``ones @ delta``.
For float64 matrices these functions take such faster routes to the same
values (sums as products with a vector of ones, computed by BLAS; a row-wise
maximum through a transposed copy); other shapes and dtypes take numpy's own
reductions, so that float32 keeps numpy's more accurate pairwise sums.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sum_rows(matrix: np.ndarray) -> np.ndarray:
    """sum_i matrix[i, :] of an (m, n) array, shape (n,): e.g. db = sum over examples of delta."""
    if matrix.dtype != _FLOAT64 or matrix.ndim != 2:
        return np.add.reduce(matrix, axis=0)
    ones = _ONES.get(matrix.shape[0])
    if ones is None:
        ones = remember(_ONES, matrix.shape[0], np.ones(matrix.shape[0]))
    return ones.dot(matrix)


def sum_along(x: np.ndarray, axis: int) -> np.ndarray:
    """The sum along ``axis``, kept as a length-1 axis (keepdims=True)."""
    if x.dtype != _FLOAT64 or x.ndim != 2 or (axis != -1 and axis != 1):
        return np.add.reduce(x, axis=axis, keepdims=True)
    ones = _ONES.get(x.shape[1])
    if ones is None:
        ones = remember(_ONES, x.shape[1], np.ones(x.shape[1]))
    return x.dot(ones)[:, None]


def max_along(x: np.ndarray, axis: int) -> np.ndarray:
    """The maximum along ``axis``, kept as a length-1 axis (keepdims=True)."""
    if x.ndim != 2 or (axis != -1 and axis != 1) or x.shape[1] > 32 or x.shape[0] < 16:
        return np.maximum.reduce(x, axis=axis, keepdims=True)
    # numpy reduces a long contiguous axis quickly and a short one slowly: for many rows
    # of a few values, make the rows the contiguous axis (2.6 -> 1.3 us at 64 x 10,
    # 45 -> 10 us at 1,437 x 10; the copy does not pay off beyond about 32 columns)
    return np.maximum.reduce(np.ascontiguousarray(x.T), axis=0)[:, None]


def remember(cache: dict, key: Any, array: np.ndarray) -> np.ndarray:
    """Keep a read-only ``array`` in ``cache`` under ``key`` for later calls and return it.

    For constants that depend only on a shape (a run sees a handful of batch
    sizes); a cache that reaches 64 entries starts again.
    """
    if len(cache) >= 64:
        cache.clear()
    array.flags.writeable = False
    cache[key] = array
    return array


_ONES: dict[int, np.ndarray] = {}
_FLOAT64 = np.dtype(np.float64)
