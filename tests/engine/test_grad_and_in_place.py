"""The .grad attribute (checked assignment, the non-leaf warning) and in-place arithmetic."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor


def test_reading_grad_of_a_non_leaf_warns_as_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2
    hidden.sum().backward()
    with pytest.warns(
        UserWarning, match=r"not a leaf Tensor is being accessed.*'mul'.*retain_grad"
    ):
        assert hidden.grad is None


def test_no_warning_for_leaves_retained_tensors_and_results_without_a_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    kept = x * 3
    kept.retain_grad()
    with am.no_grad():
        outside = x * 2  # no graph: a leaf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kept.grad is None  # retained, before backward: None, without a warning
        (kept * kept).sum().backward()
        np.testing.assert_array_equal(kept.grad, 2 * kept.data)
        assert x.grad is not None and outside.grad is None and Tensor(1.0).grad is None
        assert x.detach().grad is None


@pytest.mark.parametrize(
    "value, pattern",
    [
        (np.ones(3), r"different size: shape \(3,\) for a tensor of shape \(2, 2\)"),
        (
            np.ones((2, 2), dtype=np.float32),
            r"different type \(float32\) than the tensor \(float64\)",
        ),
        (np.ones((2, 2), dtype=int), r"different type \(int64\) than the tensor \(float64\)"),
        (
            [[1.0, 1.0], [1.0, 1.0]],
            r"expected to be an ndarray \(or a Tensor\) or None, but got list",
        ),
        (1.0, r"but got float"),
        ("zeros", r"but got str"),
    ],
)
def test_assigning_a_grad_of_the_wrong_shape_dtype_or_type_raises_runtime_error(value, pattern):
    x = Tensor(np.zeros((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^Tensor.grad: assigned grad .*" + pattern):
        x.grad = value
    assert x.grad is None


def test_assigning_a_grad_of_the_right_kind_works():
    x = Tensor(np.zeros((2, 2)), requires_grad=True)
    given = np.ones((2, 2))
    x.grad = given
    assert x.grad is given  # stored as given, as PyTorch stores the tensor it is given
    x.grad = Tensor(np.full((2, 2), 3.0))  # a Tensor: its array
    np.testing.assert_array_equal(x.grad, 3.0)
    x.grad = None
    assert x.grad is None
    s = Tensor(2.0, requires_grad=True)
    s.grad = np.ones(()) * 2.0  # 0-d arithmetic gives a numpy scalar: taken as a 0-d array
    assert type(s.grad) is np.ndarray and s.grad.shape == () and s.grad == 2.0
    f = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    f.grad = np.ones(2, dtype=np.float32)
    (f * 2).sum().backward()  # accumulates into the assigned gradient
    np.testing.assert_array_equal(f.grad, [3.0, 3.0])


def test_copies_keep_the_gradient_and_are_leaves():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    for twin in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        np.testing.assert_array_equal(twin.grad, [2.0, 4.0])
    hidden = x * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert copy.deepcopy(hidden).grad is None  # a copy is a leaf: no warning


def test_in_place_arithmetic_under_no_grad_updates_the_parameter_itself():
    """PyTorch's manual SGD step: with no_grad(): w -= lr * w.grad."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    array = w.data
    (w * w).sum().backward()
    with am.no_grad():
        w -= 0.1 * w.grad
    assert isinstance(w, Tensor) and w.is_leaf and w.requires_grad
    assert w.data is array  # the same array, updated in place
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    with am.no_grad():
        w *= 2.0
        w += Tensor([1.0, 1.0])
        w /= 2.0
        w **= 2.0
    np.testing.assert_allclose(w.data, [(1.6 + 1) ** 2 / 4, (3.2 + 1) ** 2 / 4])


def test_in_place_arithmetic_bumps_the_version_so_a_stale_graph_raises():
    c = Tensor([1.0, 2.0])  # a constant: in place even with grad enabled
    w = Tensor([3.0, 4.0], requires_grad=True)
    loss = (w * c).sum()
    c += 1.0
    np.testing.assert_array_equal(c.data, [2.0, 3.0])
    with pytest.raises(RuntimeError, match="mul: input 1"):
        loss.backward()


def test_in_place_arithmetic_on_a_leaf_that_requires_grad_raises_as_pytorch():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"a leaf Tensor that requires grad .* in-place.*no_grad"
    ):
        w += 1.0
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_in_place_arithmetic_that_is_recorded_makes_a_new_tensor_with_right_gradients():
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 3.0
    h += w  # recorded: h = h + w
    total = Tensor([0.0, 0.0])
    total += h  # a constant plus a tensor that requires grad: recorded too
    assert total.grad_fn is not None
    (total * total).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * 4 * w.data * 4)


def test_in_place_errors_name_the_op_and_shapes():
    c = Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"^add \(\+=\): .*\(2, 3\).*\(3,\)"):
        c += np.ones((2, 3))
    with pytest.raises(TypeError, match=r"^mul \(\*=\): unsupported operand of type str"):
        c *= "a"


def test_a_tensor_made_from_a_tensor_shares_its_data_and_version():
    w = Tensor([1.0, 2.0], requires_grad=True)
    view = Tensor(w, requires_grad=True)
    assert view.data is w.data
    loss = (view * view).sum()
    w.data -= 1.0  # changes view's values too
    with pytest.raises(RuntimeError, match="mul: input 0"):
        loss.backward()
    converted = Tensor(w, dtype=np.float32)  # a copy: its own version
    w.data = np.zeros(2)
    assert converted._version == 0


def test_in_place_arithmetic_on_a_view_in_the_graph_raises_instead_of_diverging():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    hidden = w * 2.0
    for view in (w.T, w[0], hidden.reshape(3, 2), hidden[:, 1:]):
        with pytest.raises(RuntimeError, match=r"is a view made by '\w+'.*would not change"):
            view += 1.0
    copied = hidden * 1.0  # not a view: a new tensor, as y = y + 1
    copied += 1.0
    np.testing.assert_array_equal(copied.data, 3.0)
    np.testing.assert_array_equal(hidden.data, 2.0)


def test_item_assignment_works_in_place_when_not_recorded():
    w = Tensor(np.zeros((2, 3)), requires_grad=True)
    loss = (w * w).sum()
    with am.no_grad():
        w[0, 1] = 5.0
        w[Tensor(np.array([False, True]))] = Tensor([7.0, 8.0, 9.0])  # a mask, as in PyTorch
    np.testing.assert_array_equal(w.data, [[0, 5, 0], [7, 8, 9]])
    with pytest.raises(RuntimeError, match="mul: input 0"):  # the version moved
        loss.backward()
    c = Tensor(np.zeros(4))
    c[[0, -1]] = 1.0
    np.testing.assert_array_equal(c.data, [1, 0, 0, 1])


def test_item_assignment_that_would_be_recorded_raises():
    w = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^setitem: a leaf Tensor that requires grad"):
        w[0] = 1.0
    with pytest.raises(
        RuntimeError, match=r"^setitem: assigning into a tensor in the graph .*where"
    ):
        (w * 2)[0] = 1.0
    with pytest.raises(RuntimeError, match=r"^setitem: assigning into"):
        Tensor(np.zeros(3))[0] = w[0]
    np.testing.assert_array_equal(w.data, 0.0)


def test_item_assignment_errors_name_the_op_and_shape():
    c = Tensor(np.zeros(3))
    with pytest.raises(IndexError, match=r"^setitem: index 5 is out of bounds.*\(3,\)"):
        c[5] = 1.0
    with pytest.raises(ValueError, match=r"^setitem: could not broadcast .*\(3,\)"):
        c[:2] = np.ones(3)
