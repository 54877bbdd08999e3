"""The default floating dtype and the rules that turn user data into arrays.

Rules (API.md): Python scalars, lists, ints and bools become the default
float dtype (float64 unless changed); floating arrays keep their dtype;
complex, object and string data are rejected with a TypeError.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_SUPPORTED_DEFAULTS = (np.dtype(np.float32), np.dtype(np.float64))
_default_dtype = np.dtype(np.float64)


def get_default_dtype() -> np.dtype:
    """The dtype given to tensors built from Python numbers, lists and integer arrays."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the default float dtype: ``np.float64`` (the default) or ``np.float32``."""
    global _default_dtype
    try:
        chosen = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"set_default_dtype: {dtype!r} is not a dtype") from error
    if chosen not in _SUPPORTED_DEFAULTS:
        raise TypeError(
            f"set_default_dtype: {chosen} is not supported; use np.float64 or np.float32"
        )
    _default_dtype = chosen


def _reject(kind_name: str, dtype: np.dtype, op: str) -> TypeError:
    return TypeError(
        f"{op}: {kind_name} data (dtype {dtype}) cannot be a Tensor; "
        "tensors hold real floating-point numbers (convert with np.asarray(x, dtype=float))"
    )


def as_float_array(data: Any, dtype: Any = None, op: str = "Tensor") -> np.ndarray:
    """Convert ``data`` to a floating ndarray following the dtype rules.

    A floating ndarray of the requested (or its own) dtype is returned as is,
    without a copy; everything else is converted.
    """
    return float_array_and_kind(data, dtype, op)[0]


def float_array_and_kind(
    data: Any, dtype: Any = None, op: str = "Tensor"
) -> tuple[np.ndarray, str]:
    """``as_float_array(data)``, and the numpy kind of the data it came from ("b" for booleans).

    A Tensor remembers that its data came from booleans, so that used as an
    index it is a mask (``x[Tensor(x.data > 0)]``), as a bool tensor is in PyTorch.
    """
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{op}: dtype must be a floating dtype, got {dtype}")
    # Python numbers and lists carry no dtype of their own: they get the default.
    from_python = not isinstance(data, (np.ndarray, np.generic))
    if isinstance(data, np.ndarray):
        array = data
    else:
        try:
            array = np.asarray(data)
        except (ValueError, TypeError) as error:
            raise TypeError(
                f"{op}: cannot convert {type(data).__name__} to an array: {error}"
            ) from error
    kind = array.dtype.kind
    if kind == "f":
        if dtype is None:
            dtype = _default_dtype if from_python else array.dtype
        return (array if array.dtype == dtype else array.astype(dtype)), kind
    if kind in "biu":
        return array.astype(dtype if dtype is not None else _default_dtype), kind
    if kind == "c":
        raise _reject("complex", array.dtype, op)
    if kind == "O":
        raise _reject("object", array.dtype, op)
    if kind in "SUV":
        raise _reject("string or raw", array.dtype, op)
    raise _reject("non-numeric", array.dtype, op)
