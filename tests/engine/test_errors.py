"""Every error names the op and the shapes involved, and says what to do."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor


def test_matmul_shapes_not_aligned():
    with pytest.raises(ValueError, match=r"^matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4,\) are not aligned"):
        Tensor(np.ones(3)) @ np.ones(4)
    with pytest.raises(ValueError, match=r"matmul: shapes \(\) and \(3,\): both operands need"):
        Tensor(2.0) @ Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3, 4\) and \(5, 4, 2\): the batch"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: am.maximum(a, b), "maximum"),
    ],
)
def test_broadcasting_errors_name_the_op_and_shapes(op, name):
    with pytest.raises(ValueError, match=rf"^{name}: .*\(3,\).*\(4,\)"):
        op(Tensor(np.ones(3)), Tensor(np.ones(4)))


def test_reshape_error():
    with pytest.raises(ValueError, match=r"reshape: .*size 12.*\(5,\).*input shapes: \(3, 4\)"):
        Tensor(np.ones((3, 4))).reshape(5)


def test_bad_axis_and_index_errors():
    with pytest.raises((ValueError, IndexError), match=r"sum: .*axis 2.*\(3, 4\)"):
        Tensor(np.ones((3, 4))).sum(axis=2)
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds.*\(3,\)"):
        Tensor(np.ones(3))[5]
    with pytest.raises(ValueError, match=r"concatenate: .*\(2, 3\).*\(2, 4\)"):
        am.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))], axis=0)
    with pytest.raises(ValueError, match="concatenate: needs at least one tensor"):
        am.concatenate([])


def test_item_len_bool_and_iteration():
    assert Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match=r"item: .*shape \(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(Tensor(1.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert bool(Tensor([1.0])) and not bool(Tensor(0.0))
    rows = list(Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True))
    assert len(rows) == 3 and rows[1].shape == (2,) and rows[1].grad_fn.name == "getitem"
    assert float(Tensor(3.0)) == 3.0


def test_repr_shows_dtype_name_and_graph():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([1.0], requires_grad=True)) == "Tensor([1.], requires_grad=True)"
    assert repr(Tensor([1.0], dtype=np.float32)) == "Tensor([1.], dtype=float32)"
    assert "grad_fn=<mul>" in repr(Tensor([1.0], requires_grad=True) * 2)
    assert "name='w'" in repr(Tensor([1.0], name="w"))


def test_numpy_interop():
    x = Tensor([1.0, 2.0])
    assert np.asarray(x) is x.data and x.numpy() is x.data
    assert np.asarray(x, dtype=np.float32).dtype == np.float32
    y = np.array([1.0, 1.0]) + x  # ndarray on the left defers to Tensor
    assert isinstance(y, Tensor)
    assert isinstance(np.array([2.0, 2.0]) * x, Tensor)
    assert isinstance(np.ones((2, 2)) @ x, Tensor)
    with pytest.raises(TypeError):
        np.exp(x)  # numpy functions do not silently drop the graph


def test_more_errors_name_the_op():
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.raises(ValueError, match=r"var: ddof=3, but each variance is over 3 values"):
        x.var(axis=0, ddof=3)
    with pytest.raises(TypeError, match=r"^reshape: .*input shapes: \(3, 2\)"):
        x.reshape(2.5)
    with pytest.raises(TypeError, match=r"^add: "):
        x + None
    with pytest.raises(IndexError, match="whole numbers.*boolean ndarray"):
        x[Tensor([1.7])]
    with pytest.raises(ValueError, match=r"swapaxes: axis 5 is out of bounds .*\(3, 2\)"):
        x.swapaxes(0, 5)
    with pytest.raises(TypeError, match="mul: an operand is complex"):
        x * 1j


def test_reductions_accept_a_list_of_axes():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    np.testing.assert_array_equal(x.sum(axis=[0, 2]).data, x.data.sum(axis=(0, 2)))
    x.mean(axis=[1]).sum().backward()
    np.testing.assert_allclose(x.grad, 1 / 3)


def test_list_operands_work_in_forward_and_backward():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    (x @ [[1.0, 0.0], [0.0, 3.0]]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 3.0]])
    b = Tensor([2.0, 3.0], requires_grad=True)
    ([2.0, 0.0] ** b).sum().backward()
    np.testing.assert_allclose(b.grad, [4 * np.log(2.0), 0.0])
    x.zero_grad()
    (x ** [1.0, 2.0]).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 4.0]])


def test_a_hook_may_return_a_list():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: [5.0, 6.0])
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 6.0])
