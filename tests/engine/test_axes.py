"""Axes as PyTorch users write them: transpose(dim0, dim1), permute, negative axes, dim=."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_mini as am
from autograd_mini import Tensor

from ..helpers import arrays, check_forward_and_gradients, spaced_arrays

shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3)


def _swapped(a: np.ndarray, first: int, second: int) -> np.ndarray:
    return np.swapaxes(a, first, second)


@given(data=st.data())
def test_transpose_with_two_axes_swaps_them_on_any_number_of_dimensions(data):
    shape = data.draw(shapes, label="shape")
    axis = st.integers(-len(shape), len(shape) - 1)
    first, second = data.draw(axis, label="dim0"), data.draw(axis, label="dim1")
    x = data.draw(arrays(shape), label="x")
    check_forward_and_gradients(
        lambda t: t.transpose(first, second), lambda a: _swapped(a, first, second), x
    )
    check_forward_and_gradients(
        lambda t: t.transpose(dim0=first, dim1=second), lambda a: _swapped(a, first, second), x
    )


def test_transpose_0_1_of_a_matrix_swaps_as_in_pytorch():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(x.transpose(0, 1).data, x.data.T)
    np.testing.assert_array_equal(x.transpose(1, 0).data, x.data.T)
    np.testing.assert_array_equal(x.transpose((0, 1)).data, x.data)  # a permutation: numpy's
    np.testing.assert_array_equal(x.transpose().data, x.data.T)


def test_transpose_with_negative_axes_has_a_gradient():
    """The inverse permutation is taken after the axes are made non-negative."""
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    weights = np.arange(24.0).reshape(4, 2, 3)
    (x.transpose(-1, 0, 1) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights.transpose(1, 2, 0))
    x.zero_grad()
    (x.transpose((-1, -3, -2)) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights.transpose(1, 2, 0))


def test_permute_takes_several_axes_or_one_sequence():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    expected = x.data.transpose(2, 0, 1)
    for y in (x.permute(2, 0, 1), x.permute((2, 0, 1)), x.permute([-1, 0, -2])):
        np.testing.assert_array_equal(y.data, expected)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3, 4)))
    assert Tensor(5.0).permute().shape == ()


def test_transpose_of_0d_and_1d_tensors_is_the_identity_as_numpy():
    for data in (np.array(3.0), np.array([1.0, 2.0, 3.0])):
        x = Tensor(data, requires_grad=True)
        for y in (x.T, x.transpose()):
            np.testing.assert_array_equal(y.data, data)
        (x.T * 2.0).sum().backward()
        np.testing.assert_array_equal(x.grad, np.full(data.shape, 2.0))


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (
            lambda x: x.permute(0, 0, 1),
            ValueError,
            r"^permute: axes \(0, 0, 1\) repeat an axis.*\(2, 3, 4\)",
        ),
        (lambda x: x.permute(0, -3, 1), RuntimeError, r"^permute: axes \(0, -3, 1\) repeat"),
        (
            lambda x: x.permute(0, 1),
            ValueError,
            r"^permute: axes \(0, 1\) do not match.*\(2, 3, 4\)",
        ),
        (
            lambda x: x.permute(0, 1, 3),
            IndexError,
            r"^permute: axis 3 is out of bounds.*\(2, 3, 4\)",
        ),
        (
            lambda x: x.transpose(0, 3),
            IndexError,
            r"^transpose: axis 3 is out of bounds.*\(2, 3, 4\)",
        ),
        (lambda x: x.transpose(-4, 0), ValueError, r"^transpose: axis -4 is out of bounds"),
        (lambda x: x.transpose(1, 1, 0), ValueError, r"^transpose: axes \(1, 1, 0\) repeat"),
        (lambda x: x.transpose((1, 0)), ValueError, r"^transpose: axes \(1, 0\) do not match"),
        (lambda x: x.transpose(0, 1.5), TypeError, r"^transpose: an axis must be an integer"),
        (lambda x: x.swapaxes(0, 7), ValueError, r"^swapaxes: axis 7 is out of bounds"),
    ],
)
def test_bad_axes_name_the_op_and_the_shape(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(Tensor(np.zeros((2, 3, 4)), requires_grad=True))


# name, call with numpy's names, call with PyTorch's names
SPELLINGS = [
    ("sum", lambda t: t.sum(axis=1, keepdims=True), lambda t: t.sum(dim=1, keepdim=True)),
    ("sum tuple", lambda t: t.sum(axis=(0, -1)), lambda t: t.sum(dim=(0, -1))),
    ("mean", lambda t: t.mean(axis=-1), lambda t: t.mean(dim=-1)),
    ("mean keep", lambda t: t.mean(keepdims=True), lambda t: t.mean(keepdim=True)),
    ("var", lambda t: t.var(axis=0, keepdims=True), lambda t: t.var(dim=0, keepdim=True)),
    ("var ddof", lambda t: t.var(axis=1, ddof=1), lambda t: t.var(dim=1, correction=1)),
    ("var unbiased", lambda t: t.var(ddof=1), lambda t: t.var(unbiased=True)),
    ("var biased", lambda t: t.var(), lambda t: t.var(unbiased=False)),
    ("max", lambda t: t.max(axis=1), lambda t: t.max(dim=1)),
    ("min", lambda t: t.min(axis=0, keepdims=True), lambda t: t.min(dim=0, keepdim=True)),
    ("softmax", lambda t: t.softmax(axis=0), lambda t: t.softmax(dim=0)),
    ("log_softmax", lambda t: t.log_softmax(0), lambda t: t.log_softmax(dim=0)),
    ("module softmax", lambda t: am.softmax(t, axis=0), lambda t: am.softmax(t, dim=0)),
    ("module log_softmax", lambda t: am.log_softmax(t, 0), lambda t: am.log_softmax(t, dim=0)),
    (
        "concatenate",
        lambda t: am.concatenate([t, t * 2], axis=1),
        lambda t: am.concatenate([t, t * 2], dim=1),
    ),
    ("cat", lambda t: am.concatenate([t, t], axis=-1), lambda t: am.cat([t, t], dim=-1)),
    ("stack", lambda t: am.stack([t, t * 2], axis=2), lambda t: am.stack([t, t * 2], dim=2)),
    ("clip", lambda t: t.clip(-0.5, 0.5), lambda t: t.clamp(min=-0.5, max=0.5)),
    ("clip one side", lambda t: t.clip(None, 0.5), lambda t: am.clip(t, max=0.5)),
]


@pytest.mark.parametrize("name, numpy_style, torch_style", SPELLINGS, ids=[r[0] for r in SPELLINGS])
@given(data=st.data())
def test_pytorch_spellings_give_the_same_values_and_gradients(name, numpy_style, torch_style, data):
    x = data.draw(spaced_arrays((3, 4)), label="x")
    first, second = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    a, b = numpy_style(first), torch_style(second)
    np.testing.assert_array_equal(a.data, b.data)
    weights = np.linspace(-1.0, 2.0, a.size).reshape(a.shape)
    (a * weights).sum().backward()
    (b * weights).sum().backward()
    np.testing.assert_array_equal(first.grad, second.grad)


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.sum(axis=0, dim=0),
        lambda t: t.mean(1, dim=1),
        lambda t: t.max(keepdims=True, keepdim=True),
        lambda t: t.var(axis=0, dim=1),
        lambda t: t.var(ddof=1, correction=1),
        lambda t: t.var(correction=1, unbiased=True),
        lambda t: t.softmax(0, dim=1),
        lambda t: am.concatenate([t, t], 1, dim=1),
        lambda t: am.stack([t, t], axis=1, dim=0),
        lambda t: t.clip(0.0, min=0.0),
        lambda t: t.transpose(0, 1, dim0=0, dim1=1),
    ],
)
def test_both_spellings_at_once_is_a_type_error(call):
    with pytest.raises(TypeError, match="give"):
        call(Tensor(np.ones((2, 3))))


@pytest.mark.parametrize(
    "op, reference",
    [
        (lambda t: t.sum(axis=-1), lambda a: a.sum(axis=-1)),
        (lambda t: t.mean(axis=(-1, 0)), lambda a: a.mean(axis=(-1, 0))),
        (lambda t: t.var(axis=-2, ddof=1), lambda a: a.var(axis=-2, ddof=1)),
        (lambda t: t.max(axis=-1, keepdims=True), lambda a: a.max(axis=-1, keepdims=True)),
        (lambda t: t.min(axis=(-2, -1)), lambda a: a.min(axis=(-2, -1))),
        (lambda t: am.concatenate([t, t], axis=-2), lambda a: np.concatenate([a, a], axis=-2)),
        (lambda t: am.stack([t, t], axis=-1), lambda a: np.stack([a, a], axis=-1)),
        (lambda t: t.swapaxes(-1, 0), lambda a: a.swapaxes(-1, 0)),
    ],
)
def test_negative_axes_everywhere(op, reference):
    x = np.arange(24.0).reshape(2, 3, 4) * 0.37 % 1.9  # no ties along any axis
    check_forward_and_gradients(op, reference, x)


def test_reductions_reject_repeated_and_non_integer_axes():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^sum: axes \(0, -2\) repeat an axis.*\(2, 3\)"):
        x.sum(axis=(0, -2))
    with pytest.raises(TypeError, match=r"^mean: an axis must be an integer, got float"):
        x.mean(axis=1.0)
    with pytest.raises(TypeError, match=r"^max: .*got Tensor; .*autograd_mini.maximum\(a, b\)"):
        x.max(Tensor([1.0]))  # PyTorch's x.max(other) is the elementwise maximum
    with pytest.raises(IndexError, match=r"^var: axis 2 is out of bounds for a tensor of shape"):
        x.var(axis=2, ddof=1)


def test_sum_over_no_axes_keeps_every_value_as_numpy():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    for op in ("sum", "mean", "max", "min"):
        np.testing.assert_array_equal(getattr(x, op)(axis=()).data, x.data)
    np.testing.assert_array_equal(x.var(axis=()).data, np.zeros((2, 3)))
    (x.sum(axis=()) * x.data).sum().backward()
    np.testing.assert_array_equal(x.grad, x.data)


def test_flatten_merges_a_range_of_axes_as_pytorch():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert x.flatten(-2, -1).shape == (2, 12)
    assert Tensor(2.0).flatten().shape == (1,)
    x.flatten(1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"^flatten: start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)
