"""What the op registry does not check: behaviour at ties and kinks, masks and index
forms, and the other spellings of the registry's ops.

Every op's values against numpy, its gradients against two-sided differences
and its double backward are made from its row of ``op_registry.py``
(``test_op_registry.py``); the tests here are about something else.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_mini as am

from ..helpers import arrays, check_forward_and_gradients, floats

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


# name, another spelling of an op of the registry, numpy reference, element strategy
SPELLINGS = [
    ("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), floats()),
    ("module exp", am.exp, np.exp, floats()),
    ("module relu", am.relu, lambda x: np.maximum(x, 0), floats(away_from=0.0)),
    ("rsub", lambda x: 3.0 - x, lambda x: 3.0 - x, floats()),
    ("rdiv", lambda x: 3.0 / x, lambda x: 3.0 / x, floats(0.5, 5)),
]


@pytest.mark.parametrize(
    "name, op, reference, elements", SPELLINGS, ids=[row[0] for row in SPELLINGS]
)
@given(data=st.data())
def test_other_spellings(name, op, reference, elements, data):
    x = data.draw(arrays(shapes, elements), label="x")
    check_forward_and_gradients(op, reference, x, rtol=1e-10)


def test_maximum_splits_the_gradient_at_ties():
    a = am.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = am.Tensor([1.0, 5.0, 0.0], requires_grad=True)
    am.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0, 0.0])


def test_max_shares_the_gradient_among_tied_maxima():
    x = am.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = am.Tensor([5.0, 5.0], requires_grad=True)
    y.max().backward()
    np.testing.assert_allclose(y.grad, [0.5, 0.5])


@given(data=st.data())
def test_other_spellings_of_transpose_and_reshape(data):
    """(The registry calls permute(*axes), .T and reshape(shape).)"""
    shape = data.draw(nonscalar_shapes, label="shape")
    x = data.draw(arrays(shape), label="x")
    permutation = data.draw(st.permutations(range(len(shape))), label="axes")
    check_forward_and_gradients(
        lambda t: t.transpose(tuple(permutation)), lambda a: a.transpose(permutation), x
    )
    negative = [axis - len(shape) for axis in permutation]  # the same axes, counted from the end
    check_forward_and_gradients(
        lambda t: t.permute(negative), lambda a: a.transpose(permutation), x
    )
    check_forward_and_gradients(lambda t: t.transpose(), lambda a: a.transpose(), x)
    new_shape = (int(np.prod(shape)),) if len(shape) > 1 else (1, shape[0])
    check_forward_and_gradients(lambda t: t.reshape(*new_shape), lambda a: a.reshape(new_shape), x)
    axis1, axis2 = data.draw(st.tuples(*[st.integers(0, len(shape) - 1)] * 2), label="swap")
    check_forward_and_gradients(
        lambda t: t.swapaxes(axis1, axis2), lambda a: a.swapaxes(axis1, axis2), x
    )


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


@pytest.mark.parametrize("axis", [0, -1, (0,), [-1]])
def test_a_0d_tensor_reduces_along_axis_0_or_minus_1_as_in_pytorch(axis):
    x = am.Tensor(3.0, requires_grad=True)
    for name in ("sum", "mean", "max", "min"):
        out = getattr(x, name)(axis=axis)
        assert out.shape == () and out.item() == 3.0
    x.sum(axis=axis, keepdims=True).backward()
    assert x.grad == 1.0


def test_a_0d_tensor_has_no_axis_1():
    with pytest.raises(
        np.exceptions.AxisError,
        match=r"sum: axis 1 is out of bounds for a tensor of shape \(\) \(a 0-d tensor reduces",
    ):
        am.Tensor(3.0).sum(axis=1)
