"""Found by a hostile review of the Tensor API: each test failed before its fix.

The expected behaviour is PyTorch's (API.md: where the contract is silent, do
what PyTorch does), stated beside each test.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor


# PyTorch: ``x.softmax(axis=-1, dim=0)`` is a TypeError (two values for one argument).
# Here an axis equal to its default (-1 for softmax, 0 for joining) went unnoticed, and
# dim= silently won.
@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.softmax(-1, dim=0),
        lambda t: t.softmax(axis=-1, dim=0),
        lambda t: t.log_softmax(axis=-1, dim=0),
        lambda t: am.softmax(t, -1, dim=0),
        lambda t: am.log_softmax(t, axis=-1, dim=0),
        lambda t: am.concatenate([t, t], axis=0, dim=1),
        lambda t: am.stack([t, t], 0, dim=1),
        lambda t: am.cat([t, t], axis=0, dim=1),
    ],
)
def test_axis_and_dim_together_raise_even_when_axis_is_its_default(call):
    with pytest.raises(TypeError, match="give one of them"):
        call(Tensor(np.arange(6.0).reshape(2, 3)))


def test_the_default_axes_still_work_in_every_spelling():
    x = np.arange(6.0).reshape(2, 3)
    t = Tensor(x)
    expected = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    for y in (t.softmax(), t.softmax(-1), t.softmax(dim=-1), am.softmax(t), am.softmax(t, dim=1)):
        np.testing.assert_allclose(y.data, expected)
    np.testing.assert_allclose(am.log_softmax(t, dim=-1).data, np.log(expected))
    assert am.concatenate([t, t]).shape == (4, 3)
    assert am.concatenate([t, t], dim=1).shape == (2, 6)
    assert am.stack([t, t], dim=-1).shape == (2, 3, 2)
    assert am.stack([t, t]).shape == (2, 2, 3)


# PyTorch (derivatives.yaml, maximum): self gets
# where(self == other, grad / 2, grad).masked_fill_(self < other, 0), other the same with
# self > other. Where either input is NaN, no comparison holds: both get the whole gradient.
# Here the NaN input got none, as if the other input had produced the NaN.
@pytest.mark.parametrize(
    "op, a_grad, b_grad",
    [
        (am.maximum, [1.0, 0.5, 1.0, 0.0, 1.0], [1.0, 0.5, 0.0, 1.0, 1.0]),
        (am.minimum, [1.0, 0.5, 0.0, 1.0, 1.0], [1.0, 0.5, 1.0, 0.0, 1.0]),
    ],
)
def test_elementwise_max_and_min_at_nan_send_the_gradient_to_both_as_pytorch(op, a_grad, b_grad):
    a = Tensor([np.nan, 0.0, 1.0, -1.0, 2.0], requires_grad=True)
    b = Tensor([0.0, 0.0, 0.0, 0.0, np.nan], requires_grad=True)
    y = op(a, b)
    assert np.isnan(y.data[[0, 4]]).all()
    y.backward(np.ones(5))
    np.testing.assert_array_equal(a.grad, a_grad)
    np.testing.assert_array_equal(b.grad, b_grad)


def test_elementwise_max_at_nan_keeps_its_second_derivative():
    a = Tensor([np.nan, 0.0, 1.0, -1.0], requires_grad=True)
    (g,) = am.grad((am.maximum(a, 0.0) ** 2).sum(), a, create_graph=True)  # 2 y y'
    np.testing.assert_array_equal(g.data[1:], [0.0, 2.0, 0.0])
    g.sum().backward()  # 2 y'^2: y' is 1 at the NaN, as in the first derivative
    np.testing.assert_array_equal(a.grad, [2.0, 0.5, 2.0, 0.0])


# PyTorch treats a numpy scalar as it treats a Python number: it takes no part in type
# promotion, so a float32 tensor stays float32 (``x32 / np.sqrt(d)`` in attention, a
# slope or bound computed with numpy). Under numpy 2 a float64 scalar widened the result.
NUMPY_SCALAR_OPS = [
    ("div", lambda t: t / np.sqrt(np.float64(4.0)), lambda a: a / 2.0),
    ("rmul", lambda t: np.float64(2.0) * t, lambda a: 2.0 * a),
    ("rsub", lambda t: np.float64(2.0) - t, lambda a: 2.0 - a),
    ("add int", lambda t: t + np.int64(2), lambda a: a + 2),
    ("pow", lambda t: t ** np.float64(2.0), lambda a: a**2),
    ("rpow", lambda t: np.float64(2.0) ** t, lambda a: 2.0**a),
    ("maximum", lambda t: am.maximum(t, np.float64(0.0)), lambda a: np.maximum(a, 0.0)),
    ("minimum", lambda t: am.minimum(np.float64(0.0), t), lambda a: np.minimum(a, 0.0)),
    (
        "where",
        lambda t: am.where(t.data > 0, t, np.float64(0.5)),
        lambda a: np.where(a > 0, a, 0.5),
    ),
    ("leaky_relu", lambda t: t.leaky_relu(np.float64(0.1)), lambda a: np.where(a > 0, a, 0.1 * a)),
    ("clip", lambda t: t.clip(np.float64(-0.5), np.float64(0.5)), lambda a: np.clip(a, -0.5, 0.5)),
]


@pytest.mark.parametrize(
    "op, reference", [row[1:] for row in NUMPY_SCALAR_OPS], ids=[row[0] for row in NUMPY_SCALAR_OPS]
)
def test_a_numpy_scalar_does_not_widen_a_float32_tensor(op, reference):
    x = Tensor(np.array([-1.5, -0.25, 0.75, 2.0], np.float32), requires_grad=True)
    y = op(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, reference(x.data.astype(np.float64)), rtol=1e-6)
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_a_numpy_scalar_still_widens_nothing_it_should_not():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)  # float64 stays float64
    assert (x * np.float32(0.1)).dtype == np.float64
    np.testing.assert_allclose((x * np.float32(0.1)).data, x.data * float(np.float32(0.1)))
    assert (Tensor(np.ones(2, np.float32)) * np.ones(2)).dtype == np.float64  # an array does


# PyTorch: a gradient has its tensor's dtype, also from create_graph=True. These ops made
# float64 masks or logs in backward, so grad(..., create_graph=True) of a float32 tensor
# came back float64 (without create_graph the leaf's .grad was cast back, hiding it).
CREATE_GRAPH_OPS = [
    ("rpow", lambda t: 2.0**t),
    ("pow", lambda t: t**t),
    ("max", lambda t: t.max()),
    ("min axis", lambda t: t.reshape(2, 2).min(axis=0)),
    ("maximum", lambda t: am.maximum(t, 0.5)),
    ("minimum", lambda t: am.minimum(t * 0.5, t)),
]


@pytest.mark.parametrize(
    "op", [row[1] for row in CREATE_GRAPH_OPS], ids=[row[0] for row in CREATE_GRAPH_OPS]
)
def test_gradients_of_float32_stay_float32_with_create_graph(op):
    x = Tensor(np.array([0.25, 1.0, 1.0, 2.0], np.float32), requires_grad=True)
    (g,) = am.grad((op(x) ** 2).sum(), x, create_graph=True)
    assert g.dtype == np.float32
    (plain,) = am.grad((op(x) ** 2).sum(), x)
    np.testing.assert_allclose(g.data, plain.data)
    (gg,) = am.grad(g.sum(), x)
    assert gg.dtype == np.float32


# The version counter (API.md): a backward that would use changed values raises. max/min
# kept their maximum in ctx, outside that check, and the output is that array (or a view
# of it), so changing the output in place gave a NaN gradient instead of an error.
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_changing_the_output_of_max_in_place_raises_instead_of_a_wrong_gradient(op, keepdims):
    x = Tensor(np.array([[1.0, 5.0], [3.0, 2.0]]), requires_grad=True)
    y = getattr(x, op)(axis=0, keepdims=keepdims)
    with am.no_grad():
        y += 100.0
    with pytest.raises(RuntimeError, match=f"{op}: its output .* was modified"):
        (y * 1.0).sum().backward()


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_and_min_gradients_for_every_axis_form(axis, keepdims):
    a = np.array([[1.0, 5.0, 5.0], [3.0, 2.0, 5.0]])
    for op, reduce in (("max", np.max), ("min", np.min)):
        x = Tensor(a, requires_grad=True)
        y = getattr(x, op)(axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(y.data, reduce(a, axis=axis, keepdims=keepdims))
        y.backward(np.ones(y.shape))
        chosen = a == reduce(a, axis=axis, keepdims=True)
        np.testing.assert_allclose(x.grad, chosen / chosen.sum(axis=axis, keepdims=True))


# Every error names the op and the shapes (API.md). A hook that returned something that
# is not an array of numbers raised numpy's bare "could not convert string to float".
def test_a_hook_returning_a_non_array_names_the_hook_and_the_shape():
    def bad_hook(grad):
        return "not a gradient"

    a = Tensor(np.ones(3), requires_grad=True)
    b = a * 2.0
    b.register_hook(bad_hook)
    with pytest.raises(TypeError, match=r"hook 'bad_hook' returned str.*shape \(3,\)"):
        b.sum().backward()


# PyTorch: reshaping, transposing or indexing a bool tensor gives a bool tensor, which
# indexes as a mask. Here the result of any op lost the mark, so x[mask.reshape(-1)]
# silently indexed the positions 0 and 1.
@pytest.mark.parametrize(
    "reshaped",
    [
        lambda m: m.reshape(-1),
        lambda m: m.flatten(),
        lambda m: m.T.T.reshape(6),
        lambda m: m.transpose(0, 1).permute(1, 0).reshape(6),
        lambda m: m[None][0].reshape(6),
        lambda m: m[[0, 1]].reshape(6),
    ],
)
def test_a_mask_reshaped_transposed_or_indexed_is_still_a_mask(reshaped):
    values = np.array([[True, False, True], [False, False, True]])
    mask = reshaped(Tensor(values))
    x = Tensor(np.arange(6.0), requires_grad=True)
    y = x[mask]
    np.testing.assert_array_equal(y.data, [0.0, 2.0, 5.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, values.reshape(-1))
    assert not getattr(Tensor(values) * 1.0, "_boolean", False)  # arithmetic: positions


# PyTorch: cat and stack of bool tensors give a bool tensor.
def test_masks_joined_are_still_a_mask():
    mask = Tensor([True, False, True])
    x = Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x[am.concatenate([mask[:1], mask[1:]])].data, [1.0, 3.0])
    np.testing.assert_array_equal(x[am.stack([mask, mask])[1]].data, [1.0, 3.0])
    mixed = am.concatenate([mask[:1], Tensor([1.0, 0.0])])  # not all masks: positions
    np.testing.assert_array_equal(x[mixed].data, [2.0, 2.0, 1.0])
