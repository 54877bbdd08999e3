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


def test_shape_error_is_both_a_value_error_and_a_runtime_error():
    assert issubclass(am.ShapeError, ValueError) and issubclass(am.ShapeError, RuntimeError)


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2))), r"^matmul: shapes"),
        (lambda: Tensor(np.ones(3)) + Tensor(np.ones(4)), r"^add: shapes \(3,\) and \(4,\)"),
        (lambda: Tensor(np.ones((2, 3))) * np.ones((3, 2)), r"^mul: shapes \(2, 3\) and \(3, 2\)"),
        (lambda: am.maximum(Tensor(np.ones(2)), np.ones(3)), r"^maximum: shapes \(2,\) and \(3,\)"),
        (lambda: am.where(np.ones(2, bool), Tensor(np.ones(3)), 0.0), r"^where: "),
        (lambda: Tensor(np.ones((3, 4))).reshape(5), r"^reshape: cannot reshape .*size 12"),
        (
            lambda: am.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]),
            r"^concatenate: .*\(2, 3\), \(2, 4\)",
        ),
        (lambda: am.stack([Tensor(np.ones(2)), Tensor(np.ones(3))]), r"^stack: .*\(2,\), \(3,\)"),
        (lambda: Tensor(np.ones((2, 0))).max(axis=1), r"^max: the maximum over no values"),
        (lambda: Tensor(np.ones(2), requires_grad=True).sum(axis=(0, 0)), r"^sum: axes \(0, 0\)"),
        (lambda: Tensor(np.ones(3)).permute(0, 0, 0), r"^permute: axes"),
        (
            lambda: (Tensor(np.ones(3), requires_grad=True) * 2).backward(np.ones(4)),
            r"^backward: gradient has shape \(4,\) but the output has shape \(3,\)",
        ),
        (
            lambda: am.grad(Tensor(np.ones(3), requires_grad=True) * 2, [], np.ones(2)),
            r"^grad: gradient has shape \(2,\)",
        ),
    ],
)
def test_every_shape_error_is_a_shape_error_naming_the_op(call, pattern):
    with pytest.raises(am.ShapeError, match=pattern):
        call()


def test_a_broadcasting_failure_names_both_shapes_and_what_to_do():
    with pytest.raises(RuntimeError) as caught:
        Tensor(np.ones((2, 3))) - Tensor(np.ones((2,)))
    assert str(caught.value) == (
        "sub: shapes (2, 3) and (2,) cannot be broadcast together: aligned from the right, each "
        "pair of dimensions must be equal or one of them 1 (reshape an operand, e.g. "
        "x.reshape(-1, 1), or transpose it)"
    )


def test_backward_shape_mismatches_are_shape_errors():
    class WrongShape(am.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return np.ones(5)

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(am.ShapeError, match=r"WrongShape.backward returned a gradient of shape"):
        WrongShape.apply(x).sum().backward()
    y = x * 2
    y.register_hook(lambda g: np.ones(3))
    with pytest.raises(am.ShapeError, match=r"returned a gradient of shape \(3,\)"):
        y.sum().backward()


def test_an_operand_of_an_unsupported_type_is_a_clear_type_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for call, op in (
        (lambda: x + "a", "add"),
        (lambda: "a" * x, "mul"),
        (lambda: x - ["a", "b"], "sub"),
        (lambda: x / {"a": 1}, "div"),
        (lambda: am.maximum(x, "b"), "maximum"),
    ):
        with pytest.raises(TypeError, match=rf"^{op}: unsupported operand [01] of type"):
            call()
    with pytest.raises(
        TypeError, match=r"^add: unsupported operand 1 of type an array of dtype <U1"
    ):
        x + np.array(["a", "b"])
    with pytest.raises(TypeError, match=r"^add: unsupported operand 1 of type str"):
        x + "a"


def test_errors_raised_inside_an_op_carry_its_name_once():
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    raising = [
        lambda: x[Tensor([1.7])],
        lambda: x[Tensor(np.array([True, False, True]) * 0.5)],
        lambda: x.clip(None, None),
        lambda: x.transpose(0, 0, 1),
        lambda: x.transpose((0, 5)),
        lambda: x.max(axis=(0, 0)),
        lambda: Tensor(np.ones((0, 2))).max(),
        lambda: Tensor(np.ones((2, 0))).softmax(3),
    ]
    for call in raising:
        with pytest.raises(Exception) as caught:
            call()
        message = str(caught.value)
        name = message.split(":")[0]
        assert name.isidentifier() and f"{name}: {name}:" not in message, message


def test_clip_without_bounds_raises_as_pytorch():
    x = Tensor([1.0, 2.0])
    for error in (ValueError, RuntimeError):
        with pytest.raises(error, match=r"^clip: at least one of lo and hi .* must not be None"):
            x.clip(None, None)
        with pytest.raises(error, match=r"^clip: at least one"):
            am.clip(x)


def test_joining_needs_a_list_of_tensors():
    with pytest.raises(TypeError, match=r"^concatenate: expects a list or tuple of tensors, got "):
        am.concatenate(Tensor(np.ones((2, 2))))
    with pytest.raises(ValueError, match="^stack: needs at least one tensor"):
        am.stack(iter([]))
    joined = am.stack(Tensor([float(i)]) for i in range(3))  # any iterable
    assert joined.shape == (3, 1)


def test_getitem_out_of_bounds_is_an_index_error_as_numpy():
    with pytest.raises(IndexError, match=r"^getitem: index 3 is out of bounds .*\(3,\)"):
        Tensor(np.ones(3), requires_grad=True)[3]
    with pytest.raises(IndexError, match=r"^getitem: index -4 is out of bounds"):
        Tensor(np.ones(3))[[0, -4]]


def test_int_float_and_item_of_a_one_element_tensor():
    assert int(Tensor([3.7])) == 3 and float(Tensor(2.5)) == 2.5
    with pytest.raises(ValueError, match=r"^item: .*shape \(0,\)"):
        Tensor([]).item()


def test_clip_refuses_a_bound_that_would_silently_get_no_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"^clip: the bounds are constants.*maximum\(x, lo\)"):
        x.clip(Tensor(1.5, requires_grad=True), None)
    np.testing.assert_array_equal(x.clip(Tensor(1.5), None).data, [1.5, 2.0])  # a constant
