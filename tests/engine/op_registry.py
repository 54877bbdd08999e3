"""The op registry: one row per differentiable op of the library, from which
``test_op_registry.py`` makes every op's tests.

A row names the ``Function`` it covers and says:

- ``call``: how to call the op through the public API, ``call(*inputs, **options)``;
- ``reference``: numpy's forward for the same call, ``reference(*values, **options)``;
- ``cases``: how hypothesis draws a call: ``cases(zero_d)`` is a strategy of
  ``Case``s over random shapes, broadcasting pairs, axes, keepdims and indices
  (with ``zero_d=True``, of 0-d inputs only), with values inside the op's
  domain (positive for log and sqrt) and away from its kinks and ties, where a
  two-sided difference straddles a corner;
- ``smooth``: twice differentiable at every point ``cases`` draws, so that its
  double backward is checked too (a piecewise-linear op such as relu is, away
  from its kinks: its second derivative there is 0, and the derivative of its
  gradient with respect to the output's gradient is its mask);
- ``takes_0d``: whether the op accepts 0-d inputs (matmul and concatenate
  refuse them, as numpy does; linear, batch_norm and cross_entropy need a
  feature or class axis).

From each row the tests check the forward values against numpy, the gradients
against two-sided differences (``gradcheck``: relative difference < 1e-7 in
float64) and, where smooth, the gradients of the gradients (``gradgradcheck``),
at random shapes and at 0-d inputs. A ``Function`` of ``autograd_mini.ops`` or
``nn.fused`` without a row fails the coverage test: adding an op costs a row here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_mini as am
import nn.functional as F
from autograd_mini import Function, Tensor, ops
from autograd_mini.testing import broadcastable_shapes, shapes
from nn import fused

from ..helpers import arrays, floats, spaced_arrays


@dataclass(frozen=True)
class Constant:
    """An input that does not require grad, passed to the op as it is (a number or an array)."""

    value: Any


@dataclass(frozen=True)
class Case:
    """One drawn call: positional inputs (arrays become tensors that require grad,
    ``Constant``s are passed as they are) and keyword options (axis, index, ...)."""

    inputs: tuple[Any, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One op's row (the fields are described at the top of this module)."""

    op: type[Function]
    call: Callable[..., Tensor]
    reference: Callable[..., Any]
    cases: Callable[[bool], st.SearchStrategy[Case]]
    smooth: bool = True
    takes_0d: bool = True
    rtol: float = 1e-12  # forward against numpy (1e-10 where the formulas differ)

    @property
    def name(self) -> str:
        return self.op.name


# --------------------------------------------------------------------------
# Strategies


def any_shape(zero_d: bool, min_dims: int = 0) -> st.SearchStrategy[tuple[int, ...]]:
    return st.just(()) if zero_d else shapes(min_dims=min_dims, max_dims=3, max_side=4)


def nonzero(lo: float = 0.5, hi: float = 5.0) -> st.SearchStrategy[float]:
    """Values in [lo, hi] or [-hi, -lo]."""
    return st.one_of(floats(lo, hi), floats(-hi, -lo))


def constant_or_input(draw: Any, array: np.ndarray, constant: bool) -> Any:
    """``array`` as a differentiable input, or as a Constant: a Python float when 0-d
    (an op may take that path apart, as x ** 2 does), else the array."""
    if not constant:
        return array
    return Constant(float(array) if array.ndim == 0 and draw(st.booleans()) else array)


def at_most_one_constant(draw: Any, a: np.ndarray, b: np.ndarray) -> tuple[Any, Any]:
    """Both inputs differentiable, or one of them a constant (its gradient not needed)."""
    constant = draw(st.sampled_from([None, 0, 1]), label="constant input")
    return constant_or_input(draw, a, constant == 0), constant_or_input(draw, b, constant == 1)


@st.composite
def unary(draw: Any, zero_d: bool, elements: Any = None, **options: Any) -> Case:
    drawn = {k: draw(v) if isinstance(v, st.SearchStrategy) else v for k, v in options.items()}
    return Case((draw(arrays(any_shape(zero_d), elements)),), drawn)


@st.composite
def broadcast_pair(draw: Any, zero_d: bool, first: Any = None, second: Any = None) -> Case:
    """Two inputs whose shapes broadcast together; at most one of them a constant."""
    shape_a, shape_b = ((), ()) if zero_d else draw(broadcastable_shapes(2), label="shapes")
    a, b = draw(arrays(shape_a, first), label="a"), draw(arrays(shape_b, second), label="b")
    return Case(at_most_one_constant(draw, a, b))


@st.composite
def untied_pair(draw: Any, zero_d: bool) -> Case:
    """Two broadcasting inputs whose values all differ by more than 0.05: no ties."""
    shape_a, shape_b = ((), ()) if zero_d else draw(broadcastable_shapes(2), label="shapes")
    size_a, size_b = math.prod(shape_a), math.prod(shape_b)
    values = draw(spaced_arrays((size_a + size_b,)), label="values")
    a, b = values[:size_a].reshape(shape_a), values[size_a:].reshape(shape_b)
    return Case(at_most_one_constant(draw, a, b))


@st.composite
def powers(draw: Any, zero_d: bool) -> Case:
    """a ** b with both tensors (a > 0), a constant exponent (any base for an integer one),
    or a constant base (2 ** x)."""
    kind = draw(st.sampled_from(["tensors", "constant exponent", "constant base"]), label="kind")
    if kind == "tensors":  # (b != 0: test_op_registry has pow's second derivative at b = 0)
        return draw(broadcast_pair(zero_d, floats(0.5, 3), floats(-2, 2, away_from=0.0)))
    if kind == "constant exponent":
        exponent = draw(st.sampled_from([0, 1, 2, 3, -1, 0.5, -1.5, 2.0]), label="exponent")
        negative_base = isinstance(exponent, int)  # an integer power of a negative number
        base = floats(-3, 3, away_from=0.0, margin=0.3) if negative_base else floats(0.5, 3)
        return Case((draw(arrays(any_shape(zero_d), base)), Constant(exponent)))
    base = draw(st.sampled_from([2.0, 0.5, 3.0]), label="base")
    return Case((Constant(base), draw(arrays(any_shape(zero_d), floats(-3, 3)))))


@st.composite
def where_cases(draw: Any, zero_d: bool) -> Case:
    shapes_ = ((), (), ()) if zero_d else draw(broadcastable_shapes(3), label="shapes")
    condition = draw(hnp.arrays(bool, shapes_[0]), label="condition")
    a, b = draw(arrays(shapes_[1]), label="a"), draw(arrays(shapes_[2]), label="b")
    return Case(at_most_one_constant(draw, a, b), {"condition": condition})


CLIP_BOUNDS = [(-1.0, 1.0), (None, 1.0), (-1.0, None), (2.0, 1.0)]  # lo > hi: the constant hi


@st.composite
def clip_cases(draw: Any, zero_d: bool) -> Case:
    lo, hi = draw(st.sampled_from(CLIP_BOUNDS), label="bounds")
    away = floats(-3, 3).filter(lambda v: min(abs(v - 1.0), abs(v + 1.0), abs(v - 2.0)) > 0.05)
    return Case((draw(arrays(any_shape(zero_d), away)),), {"lo": lo, "hi": hi})


@st.composite
def softmax_cases(draw: Any, zero_d: bool, elements: Any) -> Case:
    # (0-d inputs in their own test: test_op_registry marks their double backward as a bug)
    shape = draw(any_shape(zero_d, min_dims=1), label="shape")
    axis = draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1), label="axis")
    return Case((draw(arrays(shape, elements)),), {"axis": axis})


@st.composite
def reduction_cases(draw: Any, zero_d: bool, spaced: bool = False, ddof: bool = False) -> Case:
    """A shape, an axis (None, an int, negative too, or a tuple, () included) and keepdims."""
    shape = draw(any_shape(zero_d), label="shape")
    ndim = len(shape)
    axes = [st.none(), st.just(())]
    if ndim:
        axes += [
            st.integers(-ndim, ndim - 1),
            st.lists(st.integers(-ndim, ndim - 1), max_size=ndim, unique_by=lambda a: a % ndim).map(
                tuple
            ),
        ]
    axis = draw(st.one_of(axes), label="axis")
    options = {"axis": axis, "keepdims": draw(st.booleans(), label="keepdims")}
    if ddof:
        reduced_axes = range(ndim) if axis is None else np.atleast_1d(axis)
        count = math.prod(shape[a] for a in reduced_axes)
        options["ddof"] = draw(st.sampled_from([0, 1]), label="ddof") if count >= 2 else 0
    x = draw(spaced_arrays(shape) if spaced else arrays(shape), label="x")
    return Case((x,), options)


def reduction_reference(function: Callable[..., Any]) -> Callable[..., np.ndarray]:
    return lambda a, **options: np.asarray(function(a, **options))


@st.composite
def reshape_cases(draw: Any, zero_d: bool) -> Case:
    shape = draw(any_shape(zero_d), label="shape")
    size = math.prod(shape)
    targets = [(-1,), (1, -1), (size, 1), tuple(reversed(shape)), shape + (1,), (1,) + shape]
    if size == 1:
        targets.append(())
    if len(shape) >= 2:
        targets.append((shape[0], -1))
    return Case((draw(arrays(shape)),), {"shape": draw(st.sampled_from(targets), label="target")})


@st.composite
def transpose_cases(draw: Any, zero_d: bool) -> Case:
    """All axes reversed (.T), or a permutation (negative axes too)."""
    shape = draw(any_shape(zero_d), label="shape")
    axes = None
    if draw(st.booleans(), label="permutation"):
        axes = draw(st.permutations(range(len(shape))), label="axes")
        axes = tuple(a - len(shape) if draw(st.booleans()) else a for a in axes)
    return Case((draw(arrays(shape)),), {"axes": axes})


@st.composite
def broadcast_to_cases(draw: Any, zero_d: bool) -> Case:
    """A target shape, and an input shape that broadcasts to it (leading axes dropped,
    others kept or made 1)."""
    target = draw(shapes(min_dims=0, max_dims=3, max_side=4), label="target")
    if zero_d:
        shape: tuple[int, ...] = ()
    else:
        kept = target[draw(st.integers(0, len(target)), label="dropped") :]
        shape = tuple(side if draw(st.booleans()) else 1 for side in kept)
    return Case((draw(arrays(shape)),), {"shape": target})


@st.composite
def indices(draw: Any, shape: tuple[int, ...]) -> Any:
    """Basic slices, integers (negative too), integer arrays and lists (with repeats),
    boolean masks, None and Ellipsis, or a mix; (), None or Ellipsis for a 0-d tensor."""
    if not shape:
        return draw(st.sampled_from([(), None, Ellipsis, (None, Ellipsis)]))
    kinds = ["int", "slice", "int list", "bool mask", "mixed", "ellipsis", "new axis"]
    kind = draw(st.sampled_from(kinds), label="index kind")
    if kind == "int":
        return draw(st.integers(-shape[0], shape[0] - 1))
    if kind == "slice":
        return tuple(
            slice(
                draw(st.integers(0, n)),
                draw(st.integers(0, n)) or None,
                draw(st.sampled_from([1, 2, -1])),
            )
            for n in shape
        )
    if kind == "int list":
        return draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
    if kind == "bool mask":
        return draw(hnp.arrays(bool, shape))
    if kind == "ellipsis":
        return (Ellipsis, draw(st.integers(-shape[-1], shape[-1] - 1)))
    if kind == "new axis":
        return (None, Ellipsis, draw(st.integers(0, shape[-1] - 1)))
    rows = np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)))
    return (rows,) + tuple(slice(None) for _ in shape[1:])


@st.composite
def getitem_cases(draw: Any, zero_d: bool) -> Case:
    shape = draw(any_shape(zero_d), label="shape")
    return Case((draw(arrays(shape)),), {"index": draw(indices(shape), label="index")})


def _is_basic(index: Any) -> bool:
    """Slices, integers, None and Ellipsis: an index that never selects an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(part is None or part is Ellipsis or isinstance(part, (slice, int)) for part in parts)


@st.composite
def index_add_cases(draw: Any, zero_d: bool) -> Case:
    """getitem's adjoint: x of the shape that ``zeros(shape)[index]`` has."""
    shape = draw(any_shape(zero_d), label="shape")
    # (at 0-d, the indices that keep x 0-d: None would make it of shape (1,))
    index = draw(st.sampled_from([(), Ellipsis]) if zero_d else indices(shape), label="index")
    x = draw(arrays(np.zeros(shape)[index].shape), label="x")
    return Case((x,), {"index": index, "shape": shape, "basic": _is_basic(index)})


def index_add_reference(x: np.ndarray, index: Any, shape: tuple[int, ...], basic: bool) -> Any:
    out = np.zeros(shape)
    np.add.at(out, index, x)  # numpy's unbuffered sum: repeated positions accumulate
    return out


@st.composite
def join_cases(draw: Any, zero_d: bool, join: str) -> Case:
    """1 to 3 parts (some may be constants) joined along an existing axis (concatenate,
    whose parts' sizes on that axis differ) or a new one (stack)."""
    shape = draw(any_shape(zero_d, min_dims=0 if join == "stack" else 1), label="shape")
    count = draw(st.integers(1, 3), label="count")
    ndim = len(shape) + (join == "stack")
    axis = draw(st.integers(-ndim, ndim - 1), label="axis")
    parts = []
    for i in range(count):
        part_shape = list(shape)
        if join == "concatenate":
            part_shape[axis] = draw(st.integers(1, 3), label=f"size {i}")
        parts.append(draw(arrays(tuple(part_shape)), label=f"part {i}"))
    constant = draw(st.sampled_from([None] + list(range(count))), label="constant part")
    if count == 1:
        constant = None
    inputs = tuple(Constant(p) if i == constant else p for i, p in enumerate(parts))
    return Case(inputs, {"axis": axis})


@st.composite
def matmul_cases(draw: Any, zero_d: bool) -> Case:
    """Matrices, vectors on either side, and batches that broadcast, one side maybe constant."""
    n, k, m, batch = (draw(st.integers(1, 4), label=name) for name in "nkmb")
    pairs = [
        ((n, k), (k, m)),
        ((k,), (k,)),
        ((k,), (k, m)),
        ((n, k), (k,)),
        ((batch, n, k), (k, m)),
        ((2, 1, n, k), (batch, k, m)),
        ((k,), (batch, k, m)),
        ((batch, n, k), (k,)),
    ]
    shape_a, shape_b = draw(st.sampled_from(pairs), label="shapes")
    a, b = draw(arrays(shape_a), label="a"), draw(arrays(shape_b), label="b")
    return Case(at_most_one_constant(draw, a, b))


# --------------------------------------------------------------------------
# nn's fused ops


REDUCTION = st.sampled_from(["mean", "sum", "none"])


@st.composite
def linear_cases(draw: Any, zero_d: bool) -> Case:
    batch = draw(st.sampled_from([(), (3,), (2, 3)]), label="batch")
    features, outputs = draw(st.integers(1, 4), label="in"), draw(st.integers(1, 3), label="out")
    x = draw(arrays(batch + (features,)), label="x")
    weight = draw(arrays((outputs, features)), label="weight")
    bias = draw(st.one_of(st.just(None), arrays((outputs,))), label="bias")
    x_input = Constant(x) if draw(st.booleans(), label="data is a constant") else x
    return Case((x_input, weight, Constant(None) if bias is None else bias))


def linear_reference(x: np.ndarray, weight: np.ndarray, bias: Any) -> np.ndarray:
    return x @ weight.T + (0.0 if bias is None else bias)


@st.composite
def dropout_cases(draw: Any, zero_d: bool) -> Case:
    x = draw(arrays(any_shape(zero_d)), label="x")
    mask = draw(hnp.arrays(bool, x.shape), label="mask")
    return Case((x,), {"p": draw(st.sampled_from([0.2, 0.5]), label="p"), "mask": mask})


@st.composite
def batch_norm_cases(draw: Any, zero_d: bool) -> Case:
    """(m, C) or (m, C, L) with at least two values per feature, all distinct (a variance
    near 0 makes the normalization as steep as 1/sqrt(eps))."""
    m, channels = draw(st.integers(2, 4), label="m"), draw(st.integers(1, 3), label="C")
    shape = draw(st.sampled_from([(m, channels), (m, channels, 2)]), label="shape")
    x = draw(spaced_arrays(shape, spacing=0.3), label="x")
    gamma = draw(arrays((channels,), nonzero(0.5, 2.0)), label="gamma")
    beta = draw(arrays((channels,)), label="beta")
    return Case((x, gamma, beta), {"eps": draw(st.sampled_from([1e-5, 0.1]), label="eps")})


def batch_norm_call(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    return F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def batch_norm_reference(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> Any:
    axes = (0,) if x.ndim == 2 else (0, 2)
    shape = (-1,) + (1,) * (x.ndim - 2)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return x_hat * gamma.reshape(shape) + beta.reshape(shape)


def reduced(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    return np.asarray(losses.mean() if reduction == "mean" else losses.sum())


@st.composite
def cross_entropy_cases(draw: Any, zero_d: bool) -> Case:
    """Logits (m, classes) with class labels, or with probability targets (which may
    require grad: their gradient is -log softmax(z))."""
    m, classes = draw(st.integers(1, 4), label="m"), draw(st.integers(1, 4), label="classes")
    logits = draw(arrays((m, classes), floats(-3, 3)), label="logits")
    if draw(st.booleans(), label="labels"):
        labels = draw(hnp.arrays(np.intp, (m,), elements=st.integers(0, classes - 1)))
        target: Any = Constant(labels)
    else:
        weights = draw(arrays((m, classes), floats(0.1, 1.0)), label="target weights")
        probabilities = weights / weights.sum(axis=1, keepdims=True)
        target = Constant(probabilities) if draw(st.booleans()) else probabilities
    return Case((logits, target), {"reduction": draw(REDUCTION, label="reduction")})


def cross_entropy_reference(logits: np.ndarray, target: np.ndarray, reduction: str) -> Any:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    if target.ndim == 1:  # class labels
        losses = -log_probs[np.arange(len(target)), target]
    else:
        losses = -(target * log_probs).sum(axis=1)
    return reduced(losses, reduction)


@st.composite
def elementwise_loss_cases(
    draw: Any, zero_d: bool, prediction: Any, target: Any, tie: Callable[[np.ndarray], Any]
) -> Case:
    """A prediction and a target of one shape (the target a constant or an input), the
    target at least 0.05 from ``tie(prediction)``, where the loss's gradient is 0 (at a tie
    in every entry the relative difference would compare rounding noise with zero)."""
    shape = draw(any_shape(zero_d), label="shape")
    y_hat, y = draw(arrays(shape, prediction), label="prediction"), draw(arrays(shape, target))
    at_tie = tie(y_hat)
    y = np.where(np.abs(y - at_tie) < 0.05, np.where(at_tie > 0.5, at_tie - 0.5, at_tie + 0.5), y)
    y_input = Constant(y) if draw(st.booleans(), label="target is a constant") else y
    return Case((y_hat, y_input), {"reduction": draw(REDUCTION, label="reduction")})


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -z)


def bce_with_logits_reference(z: np.ndarray, y: np.ndarray, reduction: str) -> Any:
    return reduced(-(y * _log_sigmoid(z) + (1 - y) * _log_sigmoid(-z)), reduction)


def bce_reference(p: np.ndarray, y: np.ndarray, reduction: str) -> Any:
    return reduced(-(y * np.log(p) + (1 - y) * np.log1p(-p)), reduction)


def mse_reference(y_hat: np.ndarray, y: np.ndarray, reduction: str) -> Any:
    return reduced((y_hat - y) ** 2, reduction)


def _softmax_reference(log: bool) -> Callable[..., np.ndarray]:
    def reference(a: np.ndarray, axis: int) -> np.ndarray:
        if a.ndim == 0:  # one value along the axis: probability 1
            return np.zeros_like(a) if log else np.ones_like(a)
        shifted = a - a.max(axis=axis, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return log_probs if log else np.exp(log_probs)

    return reference


def _sigmoid_reference(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))


# --------------------------------------------------------------------------
# The table

ROWS: list[Row] = [
    # arithmetic
    Row(ops.Add, lambda a, b: a + b, np.add, broadcast_pair),
    Row(ops.Sub, lambda a, b: a - b, np.subtract, broadcast_pair),
    Row(ops.Neg, lambda x: -x, np.negative, unary),
    Row(ops.Mul, lambda a, b: a * b, np.multiply, broadcast_pair),
    Row(ops.Div, lambda a, b: a / b, np.divide, partial(broadcast_pair, second=nonzero())),
    Row(ops.Pow, lambda a, b: a**b, np.power, powers, rtol=1e-10),
    Row(ops.MatMul, lambda a, b: a @ b, np.matmul, matmul_cases, takes_0d=False, rtol=1e-10),
    Row(ops.Maximum, am.maximum, np.maximum, untied_pair),
    Row(ops.Minimum, am.minimum, np.minimum, untied_pair),
    Row(
        ops.Where,
        lambda a, b, condition: am.where(condition, a, b),
        lambda a, b, condition: np.where(condition, a, b),
        where_cases,
    ),
    # elementwise functions
    Row(ops.Exp, lambda x: x.exp(), np.exp, unary),
    Row(ops.Log, lambda x: x.log(), np.log, partial(unary, elements=floats(0.1, 10))),
    Row(ops.Sqrt, lambda x: x.sqrt(), np.sqrt, partial(unary, elements=floats(0.1, 10))),
    Row(ops.Abs, lambda x: x.abs(), np.abs, partial(unary, elements=floats(away_from=0.0))),
    Row(
        ops.Clip,
        lambda x, lo, hi: x.clip(lo, hi),
        lambda x, lo, hi: np.clip(x, lo, hi),
        clip_cases,
    ),
    # saturated tanh and sigmoid (slopes near 0) lose digits to rounding in finite
    # differences, not in the engine: keep to the responsive range
    Row(ops.Tanh, lambda x: x.tanh(), np.tanh, partial(unary, elements=floats(-3, 3))),
    Row(
        ops.Sigmoid,
        lambda x: x.sigmoid(),
        _sigmoid_reference,
        partial(unary, elements=floats(-6, 6)),
        rtol=1e-10,
    ),
    Row(
        ops.Relu,
        lambda x: x.relu(),
        lambda x: np.maximum(x, 0.0),
        partial(unary, elements=floats(away_from=0.0)),
    ),
    Row(
        ops.LeakyRelu,
        lambda x, slope: x.leaky_relu(slope),
        lambda x, slope: np.where(x > 0, x, slope * x),
        partial(unary, elements=floats(away_from=0.0), slope=st.sampled_from([0.01, 0.1, 0.3])),
    ),
    Row(
        ops.Softmax,
        lambda x, axis: x.softmax(axis),
        _softmax_reference(log=False),
        partial(softmax_cases, elements=floats(-2.5, 2.5)),
        rtol=1e-10,
    ),
    Row(
        ops.LogSoftmax,
        lambda x, axis: x.log_softmax(axis),
        _softmax_reference(log=True),
        partial(softmax_cases, elements=floats()),
        rtol=1e-10,
    ),
    # reductions
    Row(
        ops.Sum,
        lambda x, axis, keepdims: x.sum(axis, keepdims),
        reduction_reference(np.sum),
        reduction_cases,
        rtol=1e-10,
    ),
    Row(
        ops.Mean,
        lambda x, axis, keepdims: x.mean(axis, keepdims),
        reduction_reference(np.mean),
        reduction_cases,
        rtol=1e-10,
    ),
    Row(
        ops.Var,
        lambda x, axis, keepdims, ddof: x.var(axis, keepdims, ddof=ddof),
        reduction_reference(np.var),
        partial(reduction_cases, spaced=True, ddof=True),  # equal values: a zero gradient
        rtol=1e-10,
    ),
    Row(
        ops.Max,
        lambda x, axis, keepdims: x.max(axis, keepdims),
        reduction_reference(np.max),
        partial(reduction_cases, spaced=True),
    ),
    Row(
        ops.Min,
        lambda x, axis, keepdims: x.min(axis, keepdims),
        reduction_reference(np.min),
        partial(reduction_cases, spaced=True),
    ),
    # shapes and indexing
    Row(
        ops.Reshape,
        lambda x, shape: x.reshape(shape),
        lambda a, shape: a.reshape(shape),
        reshape_cases,
    ),
    Row(
        ops.Transpose,
        lambda x, axes: x.T if axes is None else x.permute(*axes),
        lambda a, axes: np.transpose(a, axes),
        transpose_cases,
    ),
    Row(
        ops.BroadcastTo,
        lambda x, shape: ops.BroadcastTo.apply(x, shape=shape),
        lambda a, shape: np.broadcast_to(a, shape),
        broadcast_to_cases,
    ),
    Row(
        ops.GetItem,
        lambda x, index: x[index],
        lambda a, index: np.asarray(a[index]),
        getitem_cases,
    ),
    Row(
        ops.IndexAdd,
        lambda x, **options: ops.IndexAdd.apply(x, **options),
        index_add_reference,
        index_add_cases,
    ),
    Row(
        ops.Concatenate,
        lambda *parts, axis: am.concatenate(list(parts), axis=axis),
        lambda *parts, axis: np.concatenate(parts, axis=axis),
        partial(join_cases, join="concatenate"),
        takes_0d=False,
    ),
    Row(
        ops.Stack,
        lambda *parts, axis: am.stack(list(parts), axis=axis),
        lambda *parts, axis: np.stack(parts, axis=axis),
        partial(join_cases, join="stack"),
    ),
    # nn's fused ops
    Row(fused.Linear, F.linear, linear_reference, linear_cases, takes_0d=False, rtol=1e-10),
    Row(
        fused.Dropout,
        lambda x, p, mask: F.dropout(x, p, mask=mask),
        lambda x, p, mask: x * mask / (1 - p),
        dropout_cases,
    ),
    Row(
        fused.BatchNorm,
        batch_norm_call,
        batch_norm_reference,
        batch_norm_cases,
        takes_0d=False,
        rtol=1e-9,
    ),
    Row(
        fused.SoftmaxCrossEntropy,
        F.cross_entropy,
        cross_entropy_reference,
        cross_entropy_cases,
        takes_0d=False,
        rtol=1e-10,
    ),
    Row(
        fused.BinaryCrossEntropyWithLogits,
        F.binary_cross_entropy_with_logits,
        bce_with_logits_reference,
        partial(
            elementwise_loss_cases, prediction=floats(), target=floats(0, 1), tie=_sigmoid_reference
        ),
        rtol=1e-10,
    ),
    Row(
        fused.BinaryCrossEntropy,
        F.binary_cross_entropy,
        bce_reference,
        partial(
            elementwise_loss_cases, prediction=floats(0.05, 0.95), target=floats(0, 1), tie=np.copy
        ),
        rtol=1e-10,
    ),
    Row(
        fused.SquaredError,
        F.mse_loss,
        mse_reference,
        partial(elementwise_loss_cases, prediction=floats(), target=floats(), tie=np.copy),
        rtol=1e-10,
    ),
]


def library_functions() -> list[type[Function]]:
    """Every Function subclass defined in autograd_mini.ops and nn.fused."""
    return [
        value
        for module in (ops, fused)
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Function)
        and value.__module__ == module.__name__
    ]
