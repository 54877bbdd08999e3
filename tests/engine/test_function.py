"""Custom ops with Function: forward/backward on ndarrays, save_for_backward, apply."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import Function, Tensor
from autograd_mini.testing import assert_gradients_match, tensors


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * 3 * x * x  # operators only: also differentiable under create_graph


class ScaledAdd(Function):
    """a + scale * b, with ``scale`` an option (keyword argument)."""

    name = "scaled_add"

    @staticmethod
    def forward(ctx, a, b, scale=1.0):
        ctx.scale = scale
        return a + scale * b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad * ctx.scale


class NumpyBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * np.cos(x)


@given(tensors(shape=(2, 3), elements=st.floats(0.1, 3)))  # x^3 has a zero gradient at 0
def test_custom_op_gradients_match(x):
    assert_gradients_match(lambda t: Cube.apply(t), x)


def test_custom_op_records_a_named_node_and_options():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0], requires_grad=True)
    y = ScaledAdd.apply(a, b, scale=2.0)
    assert y.grad_fn.name == "scaled_add"
    assert Cube.apply(a).grad_fn.name == "Cube"
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [4.0])  # summed back to b's shape by the engine


def test_needs_input_grad_and_constants():
    seen = {}

    class Spy(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    a = Tensor([1.0], requires_grad=True)
    Spy.apply(a, np.array([2.0])).sum().backward()
    assert seen["needs"] == (True, False)
    with am.no_grad():
        Spy.apply(a, 2.0)
    assert seen["needs"] == (False, False)


def test_custom_op_is_double_differentiable_when_backward_uses_operators():
    x = Tensor([0.5, -1.5], requires_grad=True)
    (g,) = am.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = am.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)


def test_numpy_backward_gives_a_clear_error_under_create_graph():
    x = Tensor([0.5], requires_grad=True)
    NumpyBackward.apply(x).sum().backward()  # first order works
    np.testing.assert_allclose(x.grad, np.cos(0.5))
    with pytest.raises(TypeError, match=r"NumpyBackward: create_graph=True.*operators"):
        am.grad(NumpyBackward.apply(x).sum(), x, create_graph=True)


def test_function_must_define_forward_and_backward():
    with pytest.raises(TypeError, match="must define a static backward"):

        class Incomplete(Function):
            @staticmethod
            def forward(ctx, x):
                return x


def test_forward_must_return_one_floating_array():
    class TwoOutputs(Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class IntegerOutput(Function):
        @staticmethod
        def forward(ctx, x):
            return np.ones(x.shape, dtype=int)

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="exactly one output"):
        TwoOutputs.apply(x)
    with pytest.raises(TypeError, match="must be floating point"):
        IntegerOutput.apply(x)


def test_backward_with_the_wrong_number_or_shape_of_gradients():
    class WrongCount(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return np.ones(5)

    a = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned 1 gradients but the op has 2"):
        WrongCount.apply(a, a).sum().backward()
    with pytest.raises(
        RuntimeError,
        match=r"WrongShape.backward returned a gradient of shape \(5,\) for an input of "
        r"shape \(2,\)",
    ):
        WrongShape.apply(a).sum().backward()


def test_scalar_output_of_forward_becomes_a_0d_tensor():
    class Total(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.shape = x.shape
            return x.sum()  # a numpy scalar, not an ndarray

        @staticmethod
        def backward(ctx, grad):
            return np.full(ctx.shape, grad)

    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Total.apply(x)
    assert y.shape == () and y.item() == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_a_backward_that_returns_an_array_it_holds_is_copied_into_grad():
    """The engine keeps library gradients as .grad without copying; a custom op's it copies."""
    held = np.array([2.0, 3.0])

    class ScaleBy(Function):
        @staticmethod
        def forward(ctx, x):
            return x * held

        @staticmethod
        def backward(ctx, grad):
            return held  # correct only for a seed of ones, and shared with the caller

    x = Tensor([1.0, 1.0], requires_grad=True)
    ScaleBy.apply(x).backward(np.ones(2))
    assert not np.shares_memory(x.grad, held)
    x.grad += 1
    np.testing.assert_array_equal(held, [2.0, 3.0])


def test_backward_and_hooks_get_ndarrays_even_for_scalars():
    """numpy's 0-d arithmetic returns numpy scalars; custom code still sees ndarrays."""
    seen = []

    class Record(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            seen.append(type(grad))
            grad = grad.copy()
            grad[...] *= 2.0  # item assignment works on a 0-d array, not on a numpy scalar
            return grad

    x = Tensor(3.0, requires_grad=True)
    y = Record.apply(x)
    y.register_hook(lambda g: seen.append(type(g)))
    Record.apply(x).backward()  # the seed of a scalar output
    ((y * 2) * 3).backward()  # a gradient made by scalar arithmetic
    assert seen == [np.ndarray, np.ndarray, np.ndarray]
    assert x.grad == 2.0 + 6.0 * 2.0  # d(6y)/dy = 6, doubled by Record


class Returns(Function):
    """x * y whose backward returns ``ctx.returned(grad, x, y)``: a list, a float, ..."""

    name = "returns"

    @staticmethod
    def forward(ctx, x, y, returned):
        ctx.save_for_backward(x, y)
        ctx.returned = returned
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        return ctx.returned(grad, x, y)


def test_a_backward_may_return_a_list_as_a_tuple():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    Returns.apply(x, y, returned=lambda g, a, b: [g * b, g * a]).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    np.testing.assert_array_equal(y.grad, [1.0, 2.0])
    (g,) = am.grad(Returns.apply(x, y, returned=lambda g, a, b: [g * b, None]).sum(), x)
    np.testing.assert_array_equal(g.data, [3.0, 4.0])


def test_a_python_number_is_the_gradient_of_a_0d_input_in_its_dtype():
    x = Tensor(np.float32(2.0), requires_grad=True)
    y = Tensor(np.float32(5.0))
    Returns.apply(x, y, returned=lambda g, a, b: (5.0, None)).backward()
    assert x.grad.dtype == np.float32 and x.grad == 5.0
    z = Tensor(3.0, requires_grad=True)
    Returns.apply(z, 1.0, returned=lambda g, a, b: (2, None)).backward()
    assert z.grad == 2.0


def test_a_python_number_for_a_non_scalar_input_is_a_shape_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"returns.backward returned a gradient of shape \(\) for an input"
    ):
        Returns.apply(x, 2.0, returned=lambda g, a, b: (1.0, None)).sum().backward()


@pytest.mark.parametrize(
    "returned, kind",
    [
        (lambda g, a, b: ([1.0, 1.0], None), "list"),
        (lambda g, a, b: (g, "gradient"), "str"),
        (lambda g, a, b: ({"x": g}, None), "dict"),
        (lambda g, a, b: (True, None), "bool"),
    ],
)
def test_a_gradient_of_the_wrong_kind_is_a_type_error_naming_the_function_and_input(returned, kind):
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    position = 1 if kind == "str" else 0
    with pytest.raises(
        TypeError, match=rf"^returns.backward returned a {kind} as the gradient of input {position}"
    ):
        Returns.apply(x, y, returned=returned).sum().backward()


def test_a_backward_returning_too_many_gradients_in_a_list_is_named():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="returns.backward returned 3 gradients but the op has 2"
    ):
        Returns.apply(x, 2.0, returned=lambda g, a, b: [g, None, None]).sum().backward()
