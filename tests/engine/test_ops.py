"""Every differentiable op: values against numpy, gradients against two-sided differences.

Each op is a row of a table; one hypothesis test per table draws shapes,
broadcasting pairs, axes and keepdims, and checks forward values and the
documents' relative difference (< 1e-7).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_mini as am
from autograd_mini.testing import broadcastable_shapes

from ..helpers import arrays, check_forward_and_gradients, floats, spaced_arrays

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def _clip_reference(x):
    return np.clip(x, -1.0, 1.0)


def _stable_sigmoid_reference(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


# name, op, numpy reference, element strategy
UNARY = [
    ("neg", lambda x: -x, np.negative, floats()),
    ("exp", lambda x: x.exp(), np.exp, floats()),
    ("log", lambda x: x.log(), np.log, floats(0.1, 10)),
    ("sqrt", lambda x: x.sqrt(), np.sqrt, floats(0.1, 10)),
    ("abs", lambda x: x.abs(), np.abs, floats(away_from=0.0)),
    # saturated tanh/sigmoid (f near 1, slope tiny) is where finite differences lose
    # digits to rounding, not where the engine is wrong: keep to the responsive range
    ("tanh", lambda x: x.tanh(), np.tanh, floats(-3, 3)),
    ("sigmoid", lambda x: x.sigmoid(), _stable_sigmoid_reference, floats(-6, 6)),
    ("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), floats(away_from=0.0)),
    (
        "leaky_relu",
        lambda x: x.leaky_relu(0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        floats(away_from=0.0),
    ),
    (
        "clip",
        lambda x: x.clip(-1.0, 1.0),
        _clip_reference,
        floats(away_from=1.0).filter(lambda v: abs(v + 1.0) > 0.05),
    ),
    ("pow 3", lambda x: x**3, lambda x: x**3, floats(-3, 3, away_from=0.0)),
    ("pow 0.5", lambda x: x**0.5, np.sqrt, floats(0.1, 10)),
    ("pow -2", lambda x: x**-2, lambda x: x**-2.0, floats(0.5, 3)),
    ("rpow", lambda x: 2.0**x, lambda x: 2.0**x, floats(-3, 3)),
    ("rsub", lambda x: 3.0 - x, lambda x: 3.0 - x, floats()),
    ("rdiv", lambda x: 3.0 / x, lambda x: 3.0 / x, floats(0.5, 5)),
    ("radd array", lambda x: np.ones(1) + x, lambda x: np.ones(1) + x, floats()),
    ("T", lambda x: x.T, lambda x: x.T, floats()),
    ("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), floats()),
    ("module exp", am.exp, np.exp, floats()),
    ("module relu", am.relu, lambda x: np.maximum(x, 0), floats(away_from=0.0)),
]


@pytest.mark.parametrize("name, op, reference, elements", UNARY, ids=[row[0] for row in UNARY])
@given(data=st.data())
def test_unary_op(name, op, reference, elements, data):
    x = data.draw(arrays(shapes, elements), label="x")
    check_forward_and_gradients(op, reference, x, rtol=1e-10)


# name, op, reference, strategy of the second operand's elements
BINARY = [
    ("add", lambda a, b: a + b, np.add, floats()),
    ("sub", lambda a, b: a - b, np.subtract, floats()),
    ("mul", lambda a, b: a * b, np.multiply, floats()),
    ("div", lambda a, b: a / b, np.divide, floats(0.5, 5)),
    ("pow", lambda a, b: abs(a) ** b, lambda a, b: np.abs(a) ** b, floats(-2, 2)),
    (
        "where",
        lambda a, b: am.where(a.data > 0, a, b),
        lambda a, b: np.where(a > 0, a, b),
        floats(),
    ),
]


@pytest.mark.parametrize("name, op, reference, elements", BINARY, ids=[row[0] for row in BINARY])
@given(data=st.data())
def test_broadcasting_binary_op(name, op, reference, elements, data):
    shape_a, shape_b = data.draw(broadcastable_shapes(num_shapes=2), label="shapes")
    first = {"pow": floats(0.5, 3), "where": floats(away_from=0.0)}.get(name, floats())
    a = data.draw(arrays(shape_a, first), label="a")
    b = data.draw(arrays(shape_b, elements), label="b")
    check_forward_and_gradients(op, reference, a, b, rtol=1e-10)


@pytest.mark.parametrize(
    "op, reference",
    [(am.maximum, np.maximum), (am.minimum, np.minimum)],
    ids=["maximum", "minimum"],
)
@given(data=st.data())
def test_maximum_minimum_without_ties(op, reference, data):
    shape_a, shape_b = data.draw(broadcastable_shapes(num_shapes=2), label="shapes")
    a = data.draw(arrays(shape_a), label="a")
    b = data.draw(arrays(shape_b), label="b")
    # keep every pair at least 0.05 apart, so a two-sided difference never crosses a tie
    gap = np.broadcast_to(a, np.broadcast_shapes(shape_a, shape_b)) - b
    if np.any(np.abs(gap) < 0.05):
        b = b + 0.2 * (np.abs(gap) < 0.05).any()
        gap = np.broadcast_to(a, gap.shape) - b
    if np.all(np.abs(gap) >= 0.05):
        check_forward_and_gradients(op, reference, a, b)


def test_maximum_splits_the_gradient_at_ties():
    a = am.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = am.Tensor([1.0, 5.0, 0.0], requires_grad=True)
    am.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0, 0.0])


matmul_shape_pairs = st.one_of(
    st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)).map(
        lambda s: ((s[0], s[1]), (s[1], s[2]))
    ),
    st.integers(1, 4).map(lambda k: ((k,), (k,))),
    st.tuples(st.integers(1, 4), st.integers(1, 4)).map(lambda s: ((s[0],), (s[0], s[1]))),
    st.tuples(st.integers(1, 4), st.integers(1, 4)).map(lambda s: ((s[0], s[1]), (s[1],))),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).map(
        lambda s: ((s[0], s[1], s[2]), (s[2], s[3]))  # batch @ matrix (broadcast)
    ),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).map(
        lambda s: ((2, 1, s[1], s[2]), (s[0], s[2], s[3]))  # batch dims broadcast both ways
    ),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).map(
        lambda s: ((s[1],), (s[0], s[1], s[2]))  # vector @ batch
    ),
)


@given(data=st.data())
def test_matmul(data):
    shape_a, shape_b = data.draw(matmul_shape_pairs, label="shapes")
    a = data.draw(arrays(shape_a), label="a")
    b = data.draw(arrays(shape_b), label="b")
    check_forward_and_gradients(lambda x, y: x @ y, np.matmul, a, b)


@st.composite
def shape_and_axis(draw, min_dims=0):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    if len(shape) == 0:
        return shape, None
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-len(shape), len(shape) - 1),
            st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple),
        )
    )
    return shape, axis


REDUCTIONS = [
    ("sum", lambda x, axis, keep: x.sum(axis, keep), np.sum),
    ("mean", lambda x, axis, keep: x.mean(axis, keep), np.mean),
    ("var", lambda x, axis, keep: x.var(axis, keep), np.var),
    (
        "var ddof=1",
        lambda x, axis, keep: x.var(axis, keep, ddof=1),
        lambda a, **k: np.var(a, ddof=1, **k),
    ),
    ("max", lambda x, axis, keep: x.max(axis, keep), np.max),
    ("min", lambda x, axis, keep: x.min(axis, keep), np.min),
]


@pytest.mark.parametrize("name, op, reference", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@given(data=st.data(), keepdims=st.booleans())
def test_reduction(name, op, reference, data, keepdims):
    shape, axis = data.draw(shape_and_axis(), label="shape, axis")
    if name == "var ddof=1":
        counts = (
            np.prod(shape) if axis is None else np.prod(np.array(shape)[list(np.atleast_1d(axis))])
        )
        if counts < 2:
            return  # ddof=1 needs two values per group
    x = data.draw(spaced_arrays(shape), label="x")  # no ties for max/min
    check_forward_and_gradients(
        lambda t: op(t, axis, keepdims),
        lambda a: np.asarray(reference(a, axis=axis, keepdims=keepdims)),
        x,
        rtol=1e-10,
    )


def test_max_shares_the_gradient_among_tied_maxima():
    x = am.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = am.Tensor([5.0, 5.0], requires_grad=True)
    y.max().backward()
    np.testing.assert_allclose(y.grad, [0.5, 0.5])


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_family(op, data):
    shape = data.draw(nonscalar_shapes, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    # saturated softmax (a probability near 1, slopes near 0) loses digits to rounding in
    # finite differences, as sigmoid does: keep the logits in its responsive range
    x = data.draw(arrays(shape, floats(-2.5, 2.5) if op == "softmax" else floats()), label="x")

    def reference(a):
        shifted = a - a.max(axis=axis, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return np.exp(log_probs) if op == "softmax" else log_probs

    check_forward_and_gradients(lambda t: getattr(t, op)(axis), reference, x, rtol=1e-10)


@given(data=st.data())
def test_reshape_and_transpose(data):
    shape = data.draw(nonscalar_shapes, label="shape")
    x = data.draw(arrays(shape), label="x")
    permutation = data.draw(st.permutations(range(len(shape))), label="axes")
    check_forward_and_gradients(
        lambda t: t.transpose(tuple(permutation)), lambda a: a.transpose(permutation), x
    )
    check_forward_and_gradients(
        lambda t: t.permute(*permutation), lambda a: a.transpose(permutation), x
    )
    negative = [axis - len(shape) for axis in permutation]  # the same axes, counted from the end
    check_forward_and_gradients(
        lambda t: t.permute(negative), lambda a: a.transpose(permutation), x
    )
    check_forward_and_gradients(lambda t: t.transpose(), lambda a: a.transpose(), x)
    new_shape = (int(np.prod(shape)),) if len(shape) > 1 else (1, shape[0])
    check_forward_and_gradients(lambda t: t.reshape(new_shape), lambda a: a.reshape(new_shape), x)
    check_forward_and_gradients(lambda t: t.reshape(*new_shape), lambda a: a.reshape(new_shape), x)
    axis1, axis2 = data.draw(st.tuples(*[st.integers(0, len(shape) - 1)] * 2), label="swap")
    check_forward_and_gradients(
        lambda t: t.swapaxes(axis1, axis2), lambda a: a.swapaxes(axis1, axis2), x
    )


@st.composite
def indices(draw, shape):
    """Basic slices, integer arrays (with repeats), boolean masks, or a mix."""
    kind = draw(st.sampled_from(["int", "slice", "int array", "bool mask", "mixed", "ellipsis"]))
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
    if kind == "int array":
        return draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
    if kind == "bool mask":
        return draw(hnp.arrays(bool, shape))
    if kind == "ellipsis":
        return (Ellipsis, draw(st.integers(0, shape[-1] - 1)))
    rows = np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)))
    return (rows,) + tuple(slice(None) for _ in shape[1:])


@given(data=st.data())
def test_getitem(data):
    shape = data.draw(nonscalar_shapes, label="shape")
    x = data.draw(arrays(shape), label="x")
    index = data.draw(indices(shape), label="index")
    check_forward_and_gradients(lambda t: t[index] * 1.0, lambda a: np.asarray(a[index]), x)


def test_repeated_integer_indices_accumulate():
    x = am.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_boolean_mask_and_tensor_index():
    x = am.Tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    (x[x.data > 0] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0], [2.0, 0.0]])
    y = am.Tensor([10.0, 20.0, 30.0], requires_grad=True)
    picked = y[am.Tensor([2.0, 0.0])]
    np.testing.assert_array_equal(picked.data, [30.0, 10.0])


@pytest.mark.parametrize("join", ["concatenate", "stack"])
@given(data=st.data())
def test_concatenate_and_stack(join, data):
    shape = data.draw(nonscalar_shapes, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    count = data.draw(st.integers(1, 3), label="count")
    parts = []
    for i in range(count):
        part_shape = list(shape)
        if join == "concatenate":
            part_shape[axis] = data.draw(st.integers(1, 3), label=f"size {i}")
        parts.append(data.draw(arrays(tuple(part_shape)), label=f"part {i}"))
    if join == "stack":
        axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="stack axis")
    check_forward_and_gradients(
        lambda *ts: getattr(am, join)(list(ts), axis=axis),
        lambda *arrs: getattr(np, join)(arrs, axis=axis),
        *parts,
    )


def test_concatenate_with_a_constant_array():
    x = am.Tensor([1.0, 2.0], requires_grad=True)
    y = am.concatenate([x, np.array([5.0])])
    np.testing.assert_array_equal(y.data, [1.0, 2.0, 5.0])
    (y * am.Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_module_level_functions_match_methods():
    x = am.Tensor(np.linspace(-2, 2, 6).reshape(2, 3))
    for name in ["exp", "tanh", "sigmoid", "relu", "abs", "softmax", "log_softmax"]:
        np.testing.assert_array_equal(getattr(am, name)(x).data, getattr(x, name)().data)
    np.testing.assert_array_equal(am.log(x.abs() + 1).data, (x.abs() + 1).log().data)
    np.testing.assert_array_equal(am.sqrt(x.abs()).data, x.abs().sqrt().data)
    np.testing.assert_array_equal(am.clip(x, -1, 1).data, x.clip(-1, 1).data)
    np.testing.assert_array_equal(am.leaky_relu(x, 0.2).data, x.leaky_relu(0.2).data)
    np.testing.assert_array_equal(am.matmul(x, x.T).data, (x @ x.T).data)
    assert isinstance(am.exp([1.0, 2.0]), am.Tensor)


def test_comparisons_return_boolean_arrays_outside_the_graph():
    x = am.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2, x > am.Tensor([0.0, 5.0, 1.0])):
        assert isinstance(result, np.ndarray) and result.dtype == bool
    np.testing.assert_array_equal(x == 2, [False, True, False])


def test_derivatives_at_kinks_follow_pytorch():
    """relu'(0) = 0, |x|'(0) = 0, leaky_relu'(0) = slope; clip passes the gradient at its bounds."""
    x = am.Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    for op, expected in [
        (lambda t: t.relu(), [0.0, 0.0, 1.0]),
        (lambda t: t.abs(), [-1.0, 0.0, 1.0]),
        (lambda t: t.leaky_relu(0.1), [0.1, 0.1, 1.0]),
        (lambda t: t.clip(0.0, 2.0), [0.0, 1.0, 1.0]),
    ]:
        x.zero_grad()
        op(x).sum().backward()
        np.testing.assert_array_equal(x.grad, expected)
    nan = am.Tensor([np.nan, 1.0], requires_grad=True)
    nan.relu().sum().backward()
    np.testing.assert_array_equal(nan.grad, [0.0, 1.0])  # as PyTorch: no gradient where x > 0 fails


def test_a_tensor_made_from_booleans_indexes_as_a_mask():
    """As a bool tensor in PyTorch: never the positions 0 and 1."""
    x = am.Tensor([10.0, 20.0, 30.0], requires_grad=True)
    for mask in (
        am.Tensor(np.array([True, False, True])),
        am.Tensor([True, False, True]),
        am.Tensor((x < 15.0) | (x > 25.0)).detach(),  # (x < 15 itself is a boolean ndarray)
        am.Tensor(am.Tensor(np.array([True, False, True]))),
    ):
        np.testing.assert_array_equal(x[mask].data, [10.0, 30.0])
    picked = x[am.Tensor(np.array([False, True, True]))]
    np.testing.assert_array_equal(picked.data, [20.0, 30.0])
    (picked * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 2.0])
    rows = am.Tensor(np.arange(6.0).reshape(3, 2))[am.Tensor(np.array([True, False, True])), 1]
    np.testing.assert_array_equal(rows.data, [1.0, 5.0])


def test_arithmetic_on_a_mask_gives_float_positions_as_pytorch_long_tensors():
    x = am.Tensor([10.0, 20.0, 30.0])
    mask = am.Tensor(np.array([True, False, True]))
    np.testing.assert_array_equal(x[mask * 1].data, [20.0, 10.0, 20.0])  # positions 1, 0, 1
    mask.data = np.array([1.0, 0.0, 0.0])  # new float data: no longer a mask
    np.testing.assert_array_equal(x[mask].data, [20.0, 10.0, 10.0])
    mask.data = np.array([False, True, False])  # boolean data again: a mask
    np.testing.assert_array_equal(x[mask].data, [20.0])


def test_a_mask_survives_copies():
    import copy
    import pickle

    mask = am.Tensor(np.array([True, False]))
    x = am.Tensor([1.0, 2.0])
    for twin in (copy.deepcopy(mask), pickle.loads(pickle.dumps(mask))):
        np.testing.assert_array_equal(x[twin].data, [1.0])


def test_getitem_with_lists_negative_indices_none_and_ellipsis():
    data = np.arange(12.0).reshape(3, 4)
    for index in ([0, -1], [-1, -1, 0], (None, ..., -1), (Ellipsis, None), (slice(None), [3, -4])):
        check_forward_and_gradients(lambda t: t[index] * 1.0, lambda a: a[index], data)
    scalar = np.array(2.5)
    for index in ((), None, Ellipsis):
        check_forward_and_gradients(
            lambda t: t[index] * 1.0, lambda a: np.asarray(a[index]), scalar
        )


@pytest.mark.parametrize(
    "lo, hi, expected",
    [
        (None, 1.0, [1.0, 1.0, 1.0, 0.0]),
        (0.0, None, [0.0, 1.0, 1.0, 1.0]),
        (2.0, 1.0, [0.0, 0.0, 0.0, 0.0]),  # lo > hi: the constant hi, whose slope is 0
    ],
)
def test_clip_with_one_bound_or_crossed_bounds_follows_pytorch(lo, hi, expected):
    x = am.Tensor([-1.0, 0.0, 1.0, 2.0], requires_grad=True)
    y = x.clip(lo, hi)
    np.testing.assert_array_equal(y.data, np.clip(x.data, lo, hi))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


def test_maximum_broadcasts_and_sums_each_gradient_back():
    a = am.Tensor([[1.0], [5.0]], requires_grad=True)
    b = am.Tensor([0.0, 2.0, 7.0], requires_grad=True)
    am.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [[1.0], [2.0]])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 2.0])


def test_where_takes_a_tensor_condition():
    condition = am.Tensor(np.array([True, False]))
    a = am.Tensor([1.0, 2.0], requires_grad=True)
    am.where(condition, a, 0.0).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0])


def test_pow_with_a_negative_base_and_log_of_a_negative_give_nan_as_numpy():
    a = am.Tensor([-8.0, -2.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = a ** am.Tensor([1 / 3, 2.0])
        np.testing.assert_array_equal(y.data, [np.nan, 4.0])
        (a**2).sum().backward()
    np.testing.assert_array_equal(a.grad, [-16.0, -4.0])  # an integer power is fine
    with np.errstate(invalid="ignore"):
        assert np.isnan(am.Tensor([-1.0]).log().item())
