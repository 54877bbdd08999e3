"""The table of ops: each forward beside its backward.

Derivatives (``grad`` is dL/d(output); the engine sums the gradient of a
broadcast input back to the input's shape). Each row is also the op's
``formula``, which ``trace_backward`` and the documentation show:

    add           d/da = grad,  d/db = grad
    sub           d/da = grad,  d/db = -grad
    neg           d/dx = -grad
    mul           d/da = grad * b,  d/db = grad * a
    div           d/da = grad / b,  d/db = -grad * a / b^2
    pow           d/da = grad * b * a^(b-1),  d/db = grad * a^b * log(a)  (0 where a = 0, b >= 0)
    matmul        d/da = grad @ b^T,  d/db = a^T @ grad
    maximum       d/da = grad * [not a < b],  d/db = grad * [not b < a]  (half each at a tie)
    minimum       d/da = grad * [not a > b],  d/db = grad * [not b > a]  (half each at a tie)
    where         d/da = grad * cond,  d/db = grad * (not cond)
    exp           d/dx = grad * exp(x)
    log           d/dx = grad / x  (x = 0 read as the smallest positive float)
    sqrt          d/dx = grad / (2 sqrt(x))
    abs           d/dx = grad * sign(x)
    clip          d/dx = grad * [lo <= x <= hi]
    tanh          d/dx = grad * (1 - tanh(x)^2)
    sigmoid       d/dx = grad * s (1 - s),  s = sigmoid(x)
    relu          d/dx = grad * [x > 0]
    leaky_relu    d/dx = grad * (1 where x > 0, else slope)
    softmax       d/dx = s * (grad - sum(grad * s)),  s = softmax(x)
    log_softmax   d/dx = grad - softmax(x) * sum(grad)
    sum           d/dx = grad, broadcast to the shape of x
    mean          d/dx = grad / n, broadcast to the shape of x
    var           d/dx = grad * 2 (x - mean(x)) / (n - ddof)
    max           d/dx = grad * [x = max(x)] / (the number of maxima)
    min           d/dx = grad * [x = min(x)] / (the number of minima)
    reshape       d/dx = grad, reshaped to the shape of x
    transpose     d/dx = grad, transposed back (the inverse permutation)
    broadcast_to  d/dx = grad, summed over the broadcast axes
    getitem       d/dx = zeros like x, with grad added at index (repeats accumulate)
    index_add     d/dx = grad[index]
    concatenate   d/dx_i = the part of grad that x_i filled
    stack         d/dx_i = grad[..., i, ...], the slice that x_i filled

``forward`` works on ndarrays; ``backward`` receives dL/d(output) and returns
dL/d(input) for each positional input. Each class is named for its op
(``LogSoftmax`` is "log_softmax"): ``attach_formulas`` at the end of this
file gives every op its name and its row of the table, and a missing row
fails at import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import ArgumentError, ShapeError
from .graph import Function, attach_formulas, sum_to_shape
from .kernels import log_softmax_array, matrix_product, shifted_exponentials, stable_sigmoid
from .kernels import sum_along as _array_sum_along
from .tensor import FIRST_AXIS, LAST_AXIS, Tensor, as_tensor, torch_axis

# --------------------------------------------------------------------------
# One formula for both backward passes
#
# Every backward below is written with operators and methods that ndarrays and
# Tensors share (``+ * @ .sum() .reshape() .T``), and with the helpers in this
# section, which dispatch on the type. The same formula therefore serves the
# ordinary backward pass on ndarrays, at numpy's speed, and the recorded
# backward of ``create_graph=True``, on Tensors, whose gradients can be
# differentiated again (double_backward.py).


def _value(x: Any) -> Any:
    """The plain values of ``x``: for masks and other constants of backward."""
    return x._data if isinstance(x, Tensor) else x


def _number(x: Any) -> Any:
    """A numpy scalar as the Python number it holds, which does not widen a float32 array."""
    return x.item() if isinstance(x, np.generic) else x


def _exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def _log(x: Any) -> Any:
    return x.log() if isinstance(x, Tensor) else np.log(x)


def _where(condition: np.ndarray, x: Any, y: Any) -> Any:
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        return Where.apply(x, y, condition=condition)
    return np.where(condition, x, y)


def _sum_along(x: Any, axis: int) -> Any:
    """The sum along ``axis``, kept as a length-1 axis (for arrays and recorded Tensors)."""
    return x.sum(axis=axis, keepdims=True) if isinstance(x, Tensor) else _array_sum_along(x, axis)


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    if isinstance(x, Tensor):
        return BroadcastTo.apply(x, shape=shape)
    out = np.empty(shape, dtype=x.dtype)
    out[...] = x
    return out


def _scatter_add(grad: Any, index: Any, shape: tuple[int, ...], basic: bool) -> Any:
    """A zero array of ``shape`` with ``grad`` added at ``index`` (repeats accumulate)."""
    if isinstance(grad, Tensor):
        return IndexAdd.apply(grad, index=index, shape=shape, basic=basic)
    out = np.zeros(shape, dtype=grad.dtype)
    if basic:  # slices and integers never select an element twice
        out[index] = grad
    else:
        np.add.at(out, index, grad)
    return out


def _reduced_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """``shape`` with the reduced axes kept as 1 (the keepdims shape)."""
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = [a + len(shape) if a < 0 else a for a in axes]
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


def _reduced_count(shape: tuple[int, ...], axis: Any) -> int:
    """How many elements each reduced value summarises (0 along an empty axis)."""
    if axis is None:
        return math.prod(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return math.prod(shape[a] for a in axes)


# --------------------------------------------------------------------------
# Axes: checked once, with errors that name the op and the shape, and made
# non-negative, so that the ops below never see a negative axis.


def normalize_axis(axis: Any, shape: tuple[int, ...], op: str) -> int:
    """``axis`` as an index into ``shape`` (negative axes count from the end)."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        hint = ""
        if op in ("max", "min") and hasattr(axis, "shape"):
            hint = f"; for the elementwise {op}imum of two tensors use autograd_mini.{op}imum(a, b)"
        raise TypeError(f"{op}: an axis must be an integer, got {type(axis).__name__}{hint}")
    ndim = len(shape)
    if not -ndim <= axis < ndim:
        valid = f"valid axes: -{ndim} to {ndim - 1}" if ndim else "a 0-d tensor has no axes"
        raise np.exceptions.AxisError(
            f"{op}: axis {axis} is out of bounds for a tensor of shape {shape} ({valid})"
        )
    return int(axis) % ndim


def reduction_axis(axis: Any, shape: tuple[int, ...], op: str) -> Any:
    """A reduction's ``axis``: None (all axes), a non-negative int, or a tuple of distinct ones.

    A list is read as a tuple; ``()`` reduces over no axis (numpy); see ``_axis_of_0d``.
    """
    if axis is None:
        return None
    if not shape:
        return _axis_of_0d(axis, op)
    if type(axis) is int and -len(shape) <= axis < len(shape):  # the common case, inline
        return axis % len(shape)
    if not isinstance(axis, (tuple, list)):
        return normalize_axis(axis, shape, op)
    axes = tuple(normalize_axis(a, shape, op) for a in axis)
    _check_distinct(axes, axis, shape, op)
    return axes


def _axis_of_0d(axis: Any, op: str) -> None:
    """A 0-d tensor reduces along axis 0 or -1 (its one value), as in PyTorch: None."""
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    for one in axes:
        if isinstance(one, (bool, np.bool_)) or not isinstance(one, (int, np.integer)):
            normalize_axis(one, (), op)  # raises the TypeError that names the op
        if one not in (0, -1):
            raise np.exceptions.AxisError(
                f"{op}: axis {one} is out of bounds for a tensor of shape () (a 0-d tensor "
                "reduces along axis 0 or -1, its one value)"
            )
    _check_distinct(tuple(a % 1 for a in axes), axes, (), op)


def _check_distinct(axes: tuple[int, ...], given: Any, shape: tuple[int, ...], op: str) -> None:
    if len(set(axes)) != len(axes):
        raise ShapeError(
            f"{op}: axes {tuple(given)} repeat an axis of the tensor of shape {shape}; "
            "give each axis once"
        )


def permutation(axes: Any, shape: tuple[int, ...], op: str) -> tuple[int, ...] | None:
    """``axes`` as a permutation of the axes of ``shape`` (None: reverse them all)."""
    if axes is None:
        return None
    normalized = tuple(normalize_axis(a, shape, op) for a in axes)
    if len(normalized) != len(shape):
        raise ShapeError(
            f"{op}: axes {tuple(axes)} do not match a tensor of shape {shape}: give each of "
            f"its {len(shape)} axes once (a permutation), or exactly two axes to transpose "
            "to swap them"
        )
    _check_distinct(normalized, axes, shape, op)
    return normalized


def swapped_axes(shape: tuple[int, ...], axis1: Any, axis2: Any, op: str) -> tuple[int, ...]:
    """The permutation that swaps ``axis1`` and ``axis2`` of ``shape``."""
    first, second = normalize_axis(axis1, shape, op), normalize_axis(axis2, shape, op)
    axes = list(range(len(shape)))
    axes[first], axes[second] = second, first
    return tuple(axes)


def flattened_shape(shape: tuple[int, ...], start_dim: Any, end_dim: Any) -> tuple[int, ...]:
    """``shape`` with the axes ``start_dim`` to ``end_dim`` merged into one (PyTorch's flatten)."""
    if not shape:
        return (1,)  # a 0-d tensor flattens to one element, as in PyTorch
    start = normalize_axis(start_dim, shape, "flatten")
    end = normalize_axis(end_dim, shape, "flatten")
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
            f"shape {shape}"
        )
    return shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :]


# --------------------------------------------------------------------------
# Arithmetic


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        grad_a = grad / b  # d(a/b)/da = 1/b
        grad_b = -grad_a * a / b if ctx.needs_input_grad[1] else None  # d/db = -a/b^2
        return grad_a, grad_b


class Pow(Function):
    """a ** b: d/da = b a^(b-1), 0 where a = b = 0; d/db = a^b log(a), 0 where a = 0, b >= 0."""

    @staticmethod
    def forward(ctx, a, b):
        y = np.power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        a, b, y = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        if type(b) is int or type(b) is float:  # x ** 2 and the like: a constant exponent
            return (grad * 0.0 if b == 0 else grad * b * a ** (b - 1)), None
        grad_a = None
        if need_a:
            # b a^(b-1) is 0 at b = 0 by itself, except at a = 0 (0 * inf): 0 there, as in
            # PyTorch. Only there, so d/db (b a^(b-1)) = 1/a stays for double backward.
            both_zero = (_value(b) == 0) & (_value(a) == 0)
            if np.any(both_zero):
                with np.errstate(divide="ignore", invalid="ignore"):
                    grad_a = _where(both_zero, 0.0, grad * b * a ** (b - 1))
            else:
                grad_a = grad * b * a ** (b - 1)
        grad_b = None
        if need_b:
            zero_base = (_value(a) == 0) & (_value(b) >= 0)
            log_a = _log(_where(zero_base, 1.0, a))
            if not isinstance(log_a, Tensor):  # (a constant base, 2.0 ** x: float64 from numpy)
                log_a = log_a.astype(_value(y).dtype, copy=False)
            grad_b = grad * y * log_a
        return grad_a, grad_b


def _matmul_shape_error(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> ShapeError:
    if len(a_shape) == 0 or len(b_shape) == 0:
        return ShapeError(
            f"matmul: shapes {a_shape} and {b_shape}: both operands need at least one "
            "dimension (use * for a product with a scalar)"
        )
    inner_a = a_shape[-1]
    inner_b = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
    if inner_a != inner_b:
        return ShapeError(
            f"matmul: shapes {a_shape} and {b_shape} are not aligned: {inner_a} (last dim "
            f"of the first) != {inner_b} ({'second-to-last' if len(b_shape) > 1 else 'only'} "
            "dim of the second)"
        )
    return ShapeError(
        f"matmul: shapes {a_shape} and {b_shape}: the batch dimensions "
        f"{a_shape[:-2]} and {b_shape[:-2]} cannot be broadcast together"
    )


class MatMul(Function):
    """a @ b: dL/da = g b^T, dL/db = a^T g (1-D operands promoted as numpy does)."""

    name = "matmul"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            if a.ndim == 2 and b.ndim == 2:
                return a.dot(b)  # matmul for matrices, with less overhead per call
            return np.matmul(a, b)
        except (ValueError, AttributeError):  # AttributeError: a Python number has no ndim
            raise _matmul_shape_error(np.shape(a), np.shape(b)) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        if a.ndim != 2 or b.ndim != 2:
            return _batched_matmul_backward(ctx, grad, a, b)
        need_a, need_b = ctx.needs_input_grad
        return (matrix_product(grad, b.T) if need_a else None), (
            matrix_product(a.T, grad) if need_b else None
        )


def _batched_matmul_backward(ctx, grad, a, b):
    """matmul's backward for 1-D and batched operands: promote 1-D operands to matrices as
    matmul did, take the matrix formulas, sum over broadcast batch axes, undo the promotion."""
    need_a, need_b = ctx.needs_input_grad
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    out_shape = grad.shape + (1,) if b.ndim == 1 else grad.shape
    if a.ndim == 1:
        out_shape = out_shape[:-1] + (1,) + out_shape[-1:]
    grad2 = grad.reshape(out_shape)
    grad_a = grad_b = None
    if need_a:
        grad_a = sum_to_shape(grad2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
    if need_b:
        grad_b = sum_to_shape(a2.swapaxes(-1, -2) @ grad2, b2.shape).reshape(b.shape)
    return grad_a, grad_b


def _extremum_of_two_backward(ctx, grad):
    """Elementwise max/min: the gradient goes to the chosen input; ties split it in half.

    As in PyTorch, an input gets the gradient unless the other one beat it, so where a
    NaN makes every comparison false, both inputs get all of it."""
    a, b = ctx.saved
    a, b = _value(a), _value(b)
    dtype = _value(grad).dtype  # the shares in it: float64 masks would widen float32
    tie = 0.5 * (a == b)
    need_a, need_b = ctx.needs_input_grad
    grad_a = grad * (~ctx.prefers(b, a) - tie).astype(dtype, copy=False) if need_a else None
    grad_b = grad * (~ctx.prefers(a, b) - tie).astype(dtype, copy=False) if need_b else None
    return grad_a, grad_b


class Maximum(Function):
    """Elementwise max; at ties each input gets half the gradient (PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.prefers = np.greater
        return np.maximum(a, b)

    backward = staticmethod(_extremum_of_two_backward)


class Minimum(Function):
    """Elementwise min; at ties each input gets half the gradient (PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.prefers = np.less
        return np.minimum(a, b)

    backward = staticmethod(_extremum_of_two_backward)


class Where(Function):
    """where(condition, a, b): the gradient goes to a where condition holds, else to b."""

    @staticmethod
    def forward(ctx, a, b, condition):
        ctx.condition = condition
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition = ctx.condition
        return grad * condition, grad * ~condition


# --------------------------------------------------------------------------
# Elementwise functions


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * y  # exp' = exp


def _zero_to_tiny(x: Any) -> Any:
    """x with exact zeros replaced by the smallest positive normal float of its dtype."""
    values = _value(x)
    return _where(values == 0, _TINY[values.dtype], x)


_TINY = {np.dtype(t): np.finfo(t).tiny for t in (np.float16, np.float32, np.float64)}


class Log(Function):
    """log x, with log 0 taken as log(tiny) (-708.4 in float64), so that the log of a
    probability that underflowed to 0 stays finite, and so does its gradient."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(_zero_to_tiny(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / _zero_to_tiny(x)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad / (2.0 * y)


class Abs(Function):
    """|x|; its derivative sign(x) is 0 at 0 (PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * np.sign(_value(x))


class Clip(Function):
    """clip(x, lo, hi): the gradient passes where lo <= x <= hi, bounds included (PyTorch;
    so nowhere when lo > hi, where the output is the constant hi)."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        if lo is None and hi is None:
            raise ArgumentError(
                "clip: at least one of lo and hi (PyTorch's min and max) must not be None; "
                "give a bound, or leave the tensor as it is"
            )
        for bound in (lo, hi):
            if isinstance(bound, Tensor) and bound._requires_grad:
                raise TypeError(
                    "clip: the bounds are constants, so a bound that requires grad would get "
                    "none; for such a bound use maximum(x, lo) and minimum(x, hi)"
                )
        lo, hi = _number(_value(lo)), _number(_value(hi))  # (numpy scalars would widen float32)
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        x, lo, hi = _value(x), ctx.lo, ctx.hi
        if lo is None:
            inside = x <= hi
        elif hi is None:
            inside = x >= lo
        else:
            inside = (x >= lo) & (x <= hi)
        return grad * inside


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * (1.0 - y * y)  # tanh' = 1 - tanh^2


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = stable_sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * y * (1.0 - y)  # sigma' = sigma (1 - sigma)


class Relu(Function):
    """max(0, x); relu'(x) = 1 for x > 0, else 0 (so relu'(0) = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0.0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * (y > 0)  # y > 0 exactly where x > 0 (and not at NaN, as in PyTorch)


class LeakyRelu(Function):
    """x for x > 0, slope * x otherwise; the derivative at 0 is slope (PyTorch)."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope = _number(slope)  # a numpy float64 slope would widen float32
        return np.where(x > 0, x, slope * x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * np.where(_value(x) > 0, 1.0, ctx.slope).astype(grad.dtype, copy=False)


def _empty_softmax(ctx, x, axis, op):
    """(Log) softmax of a zero-size array: an empty array of its shape, as in PyTorch."""
    ctx.axis = normalize_axis(axis, x.shape, op)
    y = np.empty_like(x)
    ctx.save_for_backward(y)
    return y


class Softmax(Function):
    """y = e^(x - max) / sum e^(x - max); dL/dx = y (g - sum(g y))."""

    @staticmethod
    def forward(ctx, x, axis):
        if x.size == 0:  # an axis of size 0 has no maximum: nothing to compute
            return _empty_softmax(ctx, x, axis, "softmax")
        _, exp, total = shifted_exponentials(x, axis)
        y = exp / total
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return y * (grad - _sum_along(grad * y, ctx.axis))


class LogSoftmax(Function):
    """y = x - logsumexp(x); dL/dx = g - softmax(x) sum(g)."""

    @staticmethod
    def forward(ctx, x, axis):
        if x.size == 0:
            return _empty_softmax(ctx, x, axis, "log_softmax")
        y = log_softmax_array(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad - _exp(y) * _sum_along(grad, ctx.axis)


# --------------------------------------------------------------------------
# Reductions


def _with_kept_dims(grad: Any, ctx: Any) -> Any:
    """A reduction's gradient reshaped as if it had been computed with keepdims=True."""
    if ctx.keepdims or ctx.axis is None:  # a 0-d gradient broadcasts as it is
        return grad
    return grad.reshape(_reduced_shape(ctx.shape, ctx.axis))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        if axis is None and not keepdims:  # into a 0-d array rather than a numpy scalar
            return np.add.reduce(x, None, None, np.empty((), x.dtype))
        return np.add.reduce(x, axis=axis, keepdims=keepdims)  # x.sum() minus a Python layer

    @staticmethod
    def backward(ctx, grad):
        return _broadcast_to(_with_kept_dims(grad, ctx), ctx.shape)


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        # (no values reduced: the input is empty, and so is its gradient)
        count = max(_reduced_count(ctx.shape, ctx.axis), 1)
        return _broadcast_to(_with_kept_dims(grad, ctx) / count, ctx.shape)


class Var(Function):
    """Variance with ``ddof``; dL/dx = g * 2 (x - mean) / (n - ddof).

    As numpy does, n - ddof <= 0 divides by 0 (inf, or nan for 0 / 0, with its
    RuntimeWarning), and so does the gradient's formula: inf, or nan where x = mean.
    """

    @staticmethod
    def forward(ctx, x, axis, keepdims, ddof):
        ctx.save_for_backward(x)
        ctx.shape, ctx.axis, ctx.keepdims, ctx.ddof = x.shape, axis, keepdims, ddof
        return x.var(axis=axis, keepdims=keepdims, ddof=ddof)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        if x.size == 0:  # no values: the gradient is as empty as the input
            return _broadcast_to(_with_kept_dims(grad, ctx) * 0.0, ctx.shape)
        divisor = _reduced_count(ctx.shape, ctx.axis) - ctx.ddof
        centered = x - x.mean(axis=ctx.axis, keepdims=True)
        if divisor > 0:
            return _with_kept_dims(grad, ctx) * centered * (2.0 / divisor)
        # numpy's max(n - ddof, 0) = 0: 2 (x - mean) / 0 is +-inf, and nan where x = mean;
        # forward has warned already
        with np.errstate(divide="ignore", invalid="ignore"):
            return _with_kept_dims(grad, ctx) * (centered / np.zeros((), dtype=x.dtype)) * 2.0


def _extremum_forward(ctx, name, reduce, x, axis, keepdims):
    if x.size == 0 and _reduced_count(x.shape, axis) == 0:
        raise ShapeError(
            f"{name}: the {name}imum over no values is undefined: the tensor of shape "
            f"{x.shape} is empty along {'its axes' if axis is None else f'axis {axis}'} "
            "(numpy and PyTorch raise too); reduce over a non-empty axis, or check the size first"
        )
    extremum = reduce(x, axis=axis, keepdims=True)
    out = extremum if keepdims else np.squeeze(extremum, axis=axis)
    ctx.save_for_backward(x, out)  # the output itself, so that changing it in place raises
    ctx.axis = axis
    ctx.keepdims = keepdims
    ctx.kept_shape = extremum.shape
    return out


def _extremum_backward(ctx, grad):
    """Tied extrema share the gradient evenly (PyTorch); so do the NaNs of a NaN result."""
    x, extremum = ctx.saved
    x, extremum = _value(x), _value(extremum)
    if not ctx.keepdims:
        grad, extremum = grad.reshape(ctx.kept_shape), extremum.reshape(ctx.kept_shape)
    chosen = x == extremum
    counts = chosen.sum(axis=ctx.axis, keepdims=True)
    if not np.logical_and.reduce(counts, axis=None):  # a NaN maximum equals nothing:
        chosen |= np.isnan(x)  # the NaNs are its arguments (only NaN slices hold NaN)
        counts = chosen.sum(axis=ctx.axis, keepdims=True)
    return grad * (chosen / counts).astype(x.dtype, copy=False)  # (not float64 for float32)


class Max(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        return _extremum_forward(ctx, "max", np.max, x, axis, keepdims)

    backward = staticmethod(_extremum_backward)


class Min(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        return _extremum_forward(ctx, "min", np.min, x, axis, keepdims)

    backward = staticmethod(_extremum_backward)


# --------------------------------------------------------------------------
# Shapes and indexing


class Reshape(Function):
    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Transpose(Function):
    returns_view = True

    @staticmethod
    def forward(ctx, x, axes):
        if axes is None:  # all axes reversed (.T)
            ctx.inverse = None
            return x.transpose()
        axes = permutation(axes, x.shape, "transpose")  # non-negative, so argsort inverts it
        ctx.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return _broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to_shape(grad, ctx.shape)


def _is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis: indexing that never repeats an element."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        part is None
        or part is Ellipsis
        or isinstance(part, slice)
        or (isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_)))
        for part in parts
    )


def plain_index(index: Any) -> Any:
    """Tensors used as indices become their arrays: boolean masks if the tensor was made
    from booleans, else integer positions."""
    if isinstance(index, tuple):
        return tuple(plain_index(part) for part in index)
    if isinstance(index, Tensor):
        values = index._data
        if getattr(index, "_boolean", False):
            mask = values != 0
            if not np.all(mask == values):
                raise IndexError(
                    "getitem: this Tensor was made from booleans, so it indexes as a mask, "
                    "but it now holds values other than 0 and 1; make the mask again"
                )
            return mask
        if not np.all(values == np.round(values)):
            raise IndexError(
                "getitem: a Tensor used as an index must hold whole numbers (positions); "
                "for a mask use a boolean ndarray (x.data > 0, or x > 0) or a Tensor made "
                "from one (Tensor(x.data > 0))"
            )
        return values.astype(np.intp)
    return index


class GetItem(Function):
    """x[index] for slices, integer arrays (repeats accumulate) and boolean masks."""

    name = "getitem"
    returns_view = True  # basic slicing gives a view

    @staticmethod
    def forward(ctx, x, index):
        index = plain_index(index)
        ctx.index = index
        ctx.shape = x.shape
        ctx.basic = _is_basic_index(index)
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        return _scatter_add(grad, ctx.index, ctx.shape, ctx.basic)


class IndexAdd(Function):
    """The adjoint of indexing: zeros of ``shape`` with ``x`` added at ``index``."""

    @staticmethod
    def forward(ctx, x, index, shape, basic):
        ctx.index = index
        return _scatter_add(x, index, shape, basic)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.index]


class Concatenate(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        out = np.concatenate(arrays, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.bounds = np.cumsum([0] + [np.shape(a)[ctx.axis] for a in arrays])
        return out

    @staticmethod
    def backward(ctx, grad):
        before = (slice(None),) * ctx.axis
        bounds = ctx.bounds
        return tuple(
            grad[before + (slice(start, stop),)] for start, stop in zip(bounds[:-1], bounds[1:])
        )


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        out = np.stack(arrays, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.count = len(arrays)
        return out

    @staticmethod
    def backward(ctx, grad):
        before = (slice(None),) * ctx.axis
        return tuple(grad[before + (i,)] for i in range(ctx.count))


# --------------------------------------------------------------------------
# The same ops as functions: ``autograd_mini.exp(x)``, ``concatenate``, ``where``, ...
# Each takes Tensors or anything ``Tensor(...)`` takes, and PyTorch's ``dim=``
# wherever it takes ``axis=``.


def exp(x: Any) -> Tensor:
    return as_tensor(x).exp()


def log(x: Any) -> Tensor:
    return as_tensor(x).log()


def sqrt(x: Any) -> Tensor:
    return as_tensor(x).sqrt()


def abs(x: Any) -> Tensor:
    return as_tensor(x).abs()


def clip(x: Any, lo: Any = None, hi: Any = None, *, min: Any = None, max: Any = None) -> Tensor:
    return as_tensor(x).clip(lo, hi, min=min, max=max)


def tanh(x: Any) -> Tensor:
    return as_tensor(x).tanh()


def sigmoid(x: Any) -> Tensor:
    return as_tensor(x).sigmoid()


def relu(x: Any) -> Tensor:
    return as_tensor(x).relu()


def leaky_relu(x: Any, slope: float = 0.01) -> Tensor:
    return as_tensor(x).leaky_relu(slope)


def softmax(x: Any, axis: int = LAST_AXIS, *, dim: int | None = None) -> Tensor:
    return as_tensor(x).softmax(axis, dim=dim)


def log_softmax(x: Any, axis: int = LAST_AXIS, *, dim: int | None = None) -> Tensor:
    return as_tensor(x).log_softmax(axis, dim=dim)


def matmul(a: Any, b: Any) -> Tensor:
    return MatMul.apply(*_operands(a, b))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; at ties each input gets half the gradient."""
    return Maximum.apply(*_operands(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; at ties each input gets half the gradient."""
    return Minimum.apply(*_operands(a, b))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (broadcasting like np.where)."""
    if isinstance(condition, Tensor):
        condition = condition.data
    condition = np.asarray(condition, dtype=bool)
    return Where.apply(*_operands(a, b), condition=condition)


def concatenate(
    tensors: Sequence[Any], axis: int = FIRST_AXIS, *, dim: int | None = None
) -> Tensor:
    """Join tensors along an existing axis (PyTorch's ``cat``)."""
    if dim is not None:
        axis = torch_axis("concatenate", axis, dim)
    parts = _parts("concatenate", tensors)
    return _mask_if_all_masks(Concatenate.apply(*parts, axis=axis), parts)


def stack(tensors: Sequence[Any], axis: int = FIRST_AXIS, *, dim: int | None = None) -> Tensor:
    """Join tensors of equal shape along a new axis."""
    if dim is not None:
        axis = torch_axis("stack", axis, dim)
    parts = _parts("stack", tensors)
    return _mask_if_all_masks(Stack.apply(*parts, axis=axis), parts)


cat = concatenate  # PyTorch's name


def _mask_if_all_masks(joined: Tensor, parts: list[Any]) -> Tensor:
    """Masks joined are a mask (PyTorch's cat of bool tensors is a bool tensor)."""
    if all(getattr(part, "_boolean", False) for part in parts):
        joined._boolean = True
    return joined


def _operands(a: Any, b: Any) -> tuple[Any, Any]:
    """Two operands, the first made a Tensor only when neither is one: a constant operand
    stays a constant, so a numpy scalar in it does not widen a float32 tensor (as in PyTorch)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return a, b
    return as_tensor(a), b


def _parts(op: str, tensors: Any) -> list[Any]:
    """The tensors to join, as a list whose first tensor-like entry is a Tensor."""
    if isinstance(tensors, (Tensor, np.ndarray)):
        raise TypeError(
            f"{op}: expects a list or tuple of tensors, got a single {type(tensors).__name__} "
            f"of shape {tensors.shape}; write {op}([a, b, ...])"
        )
    values = list(tensors)
    if not values:
        raise ValueError(f"{op}: needs at least one tensor")
    if not any(isinstance(v, Tensor) for v in values):
        values[0] = as_tensor(values[0])
    return values


FORMULAS = attach_formulas(__doc__, globals())  # every op above: its name and its row
