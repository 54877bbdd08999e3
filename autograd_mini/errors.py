"""The engine's errors: what went wrong, in terms of the op, the shapes and the fix.

Every message starts with the op's name (``matmul: shapes (3, 4) and (5, 2) are
not aligned ...``). Shape errors are ``ShapeError``, both a ValueError (what
numpy raises) and a RuntimeError (what PyTorch raises), so either ``except``
clause catches them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _tensor


class ShapeError(ValueError, RuntimeError):
    """Bad shapes given to an op; the message names the op and the shapes."""


class ArgumentError(ValueError, RuntimeError):
    """A bad option given to an op (``clip(None, None)``); ValueError and RuntimeError alike."""


def named_error(name: str, arrays: list[Any], error: Exception) -> Exception:
    """The error an op's forward raised, as the same kind of error naming the op and shapes.

    Errors the op raised itself already say so, and pass unchanged. numpy's
    errors have their own constructors (``x + "a"`` raises one that takes a
    ufunc and dtypes), so the new error is of the builtin kind numpy's is: an
    axis out of range stays numpy's AxisError, and a ValueError about shapes
    (broadcasting, reshaping, joining) becomes a ShapeError.
    """
    if isinstance(error, ShapeError) or str(error).startswith(f"{name}:"):
        return error
    message = describe_failure(name, arrays, error)
    if isinstance(error, np.exceptions.AxisError):
        return np.exceptions.AxisError(message)
    if isinstance(error, IndexError):
        return IndexError(message)
    if isinstance(error, ValueError):
        about_shapes = any(word in str(error) for word in ("shape", "broadcast", "dimension"))
        return ShapeError(message) if about_shapes else ValueError(message)
    return TypeError(message)


def describe_failure(name: str, arrays: list[Any], error: Exception) -> str:
    """``name: <what went wrong> (input shapes: ...)``, said plainly for the common failures."""
    shapes = [np.shape(a) for a in arrays if not np.isscalar(a) and a is not None]
    text = str(error)
    if "could not be broadcast" in text and len(shapes) == 2:
        return (
            f"{name}: shapes {shapes[0]} and {shapes[1]} cannot be broadcast together: "
            "aligned from the right, each pair of dimensions must be equal or one of them 1 "
            "(reshape an operand, e.g. x.reshape(-1, 1), or transpose it)"
        )
    if isinstance(error, TypeError) and (strange := _unsupported_operand(arrays)) is not None:
        position, value = strange
        kind = type(value).__name__
        if isinstance(value, np.ndarray):
            kind = f"an array of dtype {value.dtype}"
        return (
            f"{name}: unsupported operand {position} of type {kind}; "
            "ops take Tensors, ndarrays of numbers and Python numbers"
        )
    listed = ", ".join(str(shape) for shape in shapes)
    return f"{name}: {text} (input shapes: {listed})"


def _unsupported_operand(arrays: list[Any]) -> tuple[int, Any] | None:
    """The first positional operand that is neither a number nor a numeric array."""
    for position, value in enumerate(arrays):
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                return position, value
        elif value is not None and not isinstance(value, (int, float, np.number, np.bool_)):
            return position, value
    return None


def as_output(name: str, out: Any) -> np.ndarray:
    """A forward's result as a floating ndarray (a numpy scalar becomes a 0-d array)."""
    if isinstance(out, np.floating):
        return np.asarray(out)
    if isinstance(out, tuple):
        raise TypeError(
            f"{name}.forward returned a tuple; a Function has exactly one "
            "output (split it into several Functions)"
        )
    array = np.asarray(out)
    if array.dtype.kind == "c":
        raise TypeError(
            f"{name}: an operand is complex; tensors hold real floating-point "
            "numbers, so complex arithmetic is not supported"
        )
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name}.forward returned an array of dtype {array.dtype}; "
            "an op's output must be floating point"
        )
    return array


def checked_gradient(node: Any, value: Any, returned: tuple) -> Any:
    """A gradient a backward returned that is not an ndarray: a numpy scalar (0-d arithmetic)
    or a Tensor (create_graph) as it is, a Python number as a 0-d array of its input's
    dtype (so it fits a 0-d input only), anything else a TypeError naming the input."""
    if isinstance(value, (np.generic, np.ndarray, _tensor.Tensor)):
        return value
    name, inputs = node.name, node._arrays
    position = next(i for i, g in enumerate(returned) if g is value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.asarray(value, dtype=getattr(inputs[position], "dtype", np.float64))
    raise TypeError(
        f"{name}.backward returned a {type(value).__name__} as the gradient of "
        f"input {position}; return an ndarray of the input's shape "
        f"{np.shape(inputs[position])} (or None where the input has no gradient)"
    )


def arity_message(name: str, count: int, expected: int) -> str:
    return (
        f"{name}.backward returned {count} gradients but the op has {expected} positional "
        "inputs; return one per input (None where an input has no gradient)"
    )


def freed_message(name: str) -> str:
    return (
        f"{name}: trying to backward through the graph a second time, but its "
        "saved arrays were freed after the first backward. Pass retain_graph=True to "
        "the first backward() (or grad()) if you need to go through the graph again."
    )


def modified_message(name: str, role: str, shape: tuple[int, ...]) -> str:
    return (
        f"{name}: {role} (shape {shape}) was modified after the op saved it "
        "for backward, so its gradient would be wrong. Assigning .data (x.data = ..., "
        "x.data -= ...) counts as a modification: run the forward pass again after "
        "modifying it, or modify a copy."
    )


def broadcast_backward_error(name: str, grad_shape: tuple, shape: tuple) -> ShapeError:
    """A backward returned a gradient that does not sum back to its input's shape."""
    return ShapeError(
        f"{name}.backward returned a gradient of shape {grad_shape} for an input "
        f"of shape {shape}; it must have the input's shape (or broadcast to it)"
    )


def needs_gradient_message(caller: str, shape: tuple[int, ...]) -> str:
    argument = "grad_outputs" if caller == "grad" else "gradient"  # grad()'s name for it
    return (
        f"{caller}: the output has shape {shape}, so it needs a gradient: "
        f"pass {argument}=<array of shape {shape}> holding dL/d(output) "
        "(np.ones(shape) gives the gradient of its sum), or reduce the output to "
        "one element first with .sum() or .mean()"
    )


def seed_shape_error(caller: str, shape: tuple[int, ...], output_shape: tuple) -> ShapeError:
    return ShapeError(
        f"{caller}: gradient has shape {shape} but the output has shape {output_shape}; "
        "the gradient must have the output's shape"
    )


def no_grad_message(shape: tuple[int, ...]) -> str:
    return (
        f"backward: this tensor (shape {shape}) does not require grad: no input "
        "of the ops that made it had requires_grad=True. Create the parameters with "
        "Tensor(..., requires_grad=True), and do not compute the loss under no_grad()."
    )
