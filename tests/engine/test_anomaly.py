"""Anomaly mode: detect_anomaly and set_detect_anomaly name the op, the input and the line.

The contract (API.md, "Finding where a NaN comes from"): inside the mode every op
remembers the file and line of the first frame outside the library; a backward
producing NaN or inf raises RuntimeError naming the op, which gradient and that
place; check_forward=True also stops at the first op making NaN or inf out of
finite inputs. Outside the mode nothing is checked, as in PyTorch.

Each test finds the line of the op it calls with ``_next_line()`` and asserts
``file:line`` exactly, so a report pointing into the library (or one line off)
fails.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import autograd_mini as am
import nn
from autograd_mini import Function, Tensor, detect_anomaly, set_detect_anomaly

THIS_FILE = __file__
# Every backward anomaly below makes numpy warn (0/0, 1/0, overflow); the message is the test.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(autouse=True)
def _mode_off_around_each_test():
    """Each test starts with the mode off, and a failing one cannot leave it on for the next."""
    assert not am.is_anomaly_enabled()
    yield
    set_detect_anomaly(False)


def _next_line() -> int:
    """The number of the line after the caller's: where the op under test is called."""
    return inspect.currentframe().f_back.f_lineno + 1


def _place(line: int) -> str:
    return f"{THIS_FILE}:{line}:"


# --------------------------------------------------------------------------
# Backward: the op, the input, the line


def test_log_at_zero_backward_names_log_input_0_and_the_line():
    # Log takes log 0 as log(tiny), so log(0) itself is finite (-708.4) and so is
    # 1/tiny; an upstream gradient of 10 makes 10/tiny overflow to inf.
    x = Tensor(0.0, requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        loss = (x.log() * 10).sum()
        with pytest.raises(RuntimeError) as caught:
            loss.backward()
    message = str(caught.value)
    assert "the backward of 'log' produced inf in the gradient of its input 0" in message
    assert _place(line) in message
    assert "x.log() * 10" in message  # the line's text comes with it


def test_sqrt_at_zero_backward_names_sqrt_input_0_and_the_line():
    x = Tensor([4.0, 0.0], requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        y = x.sqrt()
        with pytest.raises(RuntimeError) as caught:
            y.sum().backward()
    message = str(caught.value)
    assert "the backward of 'sqrt' produced inf in the gradient of its input 0" in message
    assert "(shape (2,))" in message
    assert _place(line) in message


def test_zero_over_zero_names_div_input_0():
    x, y = Tensor(0.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        z = x / y
        with pytest.raises(RuntimeError) as caught:
            z.backward()
    message = str(caught.value)
    assert "the backward of 'div' produced inf in the gradient of its input 0" in message
    assert _place(line) in message


def test_zero_over_zero_with_a_constant_numerator_names_div_input_1():
    # div's backward computes grad / b (inf here) for the constant numerator as a step to
    # the denominator's gradient; only the gradient that is passed on (nan) is reported.
    y = Tensor(0.0, requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        z = Tensor(0.0) / y
        with pytest.raises(RuntimeError) as caught:
            z.backward()
    message = str(caught.value)
    assert "the backward of 'div' produced nan in the gradient of its input 1" in message
    assert _place(line) in message


def test_the_error_is_raised_at_the_first_anomalous_node_of_the_walk():
    # The walk goes from the loss down: mul (finite gradients) then sqrt (inf).
    x = Tensor(0.0, requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        root = x.sqrt()
        loss = root * 3.0
        with pytest.raises(RuntimeError, match="the backward of 'sqrt'") as caught:
            loss.backward()
    assert _place(line) in str(caught.value)
    assert x.grad is None  # nothing was accumulated into the leaf


# --------------------------------------------------------------------------
# check_forward


@pytest.mark.parametrize("requires_grad", [True, False])
def test_check_forward_raises_at_the_first_op_making_nan_from_finite_inputs(requires_grad):
    x = Tensor([1.0, 2.0], requires_grad=requires_grad)
    reached = []
    with detect_anomaly(check_forward=True), np.errstate(invalid="ignore"):
        shifted = x - 3.0  # finite: [-2, -1]
        with pytest.raises(RuntimeError) as caught:
            line = _next_line()
            shifted.sqrt()
            reached.append("after")
    message = str(caught.value)
    assert "the forward of 'sqrt' made nan out of finite inputs" in message
    assert "(output shape (2,))" in message
    assert _place(line) in message
    assert reached == []


def test_check_forward_reports_inf_from_log_of_zero_times_a_large_number():
    x = Tensor(0.0, requires_grad=True)
    with detect_anomaly(check_forward=True):
        y = x.log()  # log(tiny): finite by design
        with pytest.raises(RuntimeError) as caught:
            line = _next_line()
            y * 1e307
    message = str(caught.value)
    assert "the forward of 'mul' made inf out of finite inputs" in message
    assert _place(line) in message


def test_check_forward_names_division_by_zero():
    x = Tensor([1.0, 0.0], requires_grad=True)
    with detect_anomaly(check_forward=True), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError, match="the forward of 'div' made inf") as caught:
            line = _next_line()
            1.0 / x
    assert _place(line) in str(caught.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_forward_does_not_raise_when_an_input_already_holds_nan_or_inf(bad):
    x = Tensor([bad, 1.0], requires_grad=True)
    with detect_anomaly(check_forward=True), np.errstate(invalid="ignore"):
        y = (x * 2.0 + 1.0).sqrt()  # each op's output is non-finite where its input was
    assert not np.isfinite(y.data[0]) and np.isfinite(y.data[1])


def test_without_check_forward_the_forward_does_not_raise():
    x = Tensor([-1.0, 0.0], requires_grad=True)
    with detect_anomaly(), np.errstate(invalid="ignore", divide="ignore"):
        y = x.sqrt()
        z = 1.0 / x
    assert np.isnan(y.data[0]) and np.isinf(z.data[1])


# --------------------------------------------------------------------------
# Outside the mode: nothing is checked


def test_outside_the_mode_nan_and_inf_gradients_come_silently():
    assert not am.is_anomaly_enabled()
    x = Tensor(0.0, requires_grad=True)
    x.sqrt().backward()
    assert np.isinf(x.grad)
    a, b = Tensor(0.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    (a / b).backward()
    assert np.isinf(a.grad) and np.isnan(b.grad)
    c = Tensor([1.0, 2.0], requires_grad=True)
    (c - 3.0).sqrt()  # a forward nan: no check either
    assert Tensor(0.0, requires_grad=True).sqrt().grad_fn.origin is None  # nothing recorded


def test_the_mode_records_where_each_op_was_called():
    x = Tensor(1.0, requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        y = x * 2.0
    assert y.grad_fn.origin.startswith(_place(line))


# --------------------------------------------------------------------------
# Turning the mode on and off


def test_is_anomaly_enabled_follows_detect_anomaly():
    assert not am.is_anomaly_enabled()
    with detect_anomaly():
        assert am.is_anomaly_enabled()
    assert not am.is_anomaly_enabled()


def test_detect_anomaly_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError, match="inside"):
        with detect_anomaly(check_forward=True):
            raise ValueError("inside")
    assert not am.is_anomaly_enabled()
    x = Tensor([1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        (x - 2.0).sqrt()  # check_forward was restored too: no raise


def test_detect_anomaly_restores_the_mode_after_its_own_error():
    x = Tensor(0.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="anomaly"):
        with detect_anomaly():
            x.sqrt().backward()
    assert not am.is_anomaly_enabled()
    x.sqrt().backward()  # off again: the inf comes silently
    assert np.isinf(x.grad)


def test_set_detect_anomaly_as_a_context_manager_restores_after_an_exception():
    with pytest.raises(KeyError):
        with set_detect_anomaly(True):
            assert am.is_anomaly_enabled()
            raise KeyError("inside")
    assert not am.is_anomaly_enabled()


def test_set_detect_anomaly_false_inside_the_mode_turns_it_off_for_the_block():
    with detect_anomaly():
        with set_detect_anomaly(False):
            assert not am.is_anomaly_enabled()
            x = Tensor(0.0, requires_grad=True)
            x.sqrt().backward()  # not checked
        assert am.is_anomaly_enabled()
    assert np.isinf(x.grad)


def test_set_detect_anomaly_as_a_plain_call_stays_on_until_turned_off():
    set_detect_anomaly(True)
    assert am.is_anomaly_enabled()
    with detect_anomaly():
        pass
    assert am.is_anomaly_enabled()  # the block restored the mode it found: on
    x = Tensor(0.0, requires_grad=True)
    line = _next_line()
    y = x.sqrt()
    with pytest.raises(RuntimeError, match="the backward of 'sqrt'") as caught:
        y.backward()
    assert _place(line) in str(caught.value)
    assert am.is_anomaly_enabled()  # an anomaly does not turn the plain call's mode off
    set_detect_anomaly(False)
    assert not am.is_anomaly_enabled()
    x.sqrt().backward()
    assert np.isinf(x.grad)


def test_nested_check_forward_is_restored_to_the_outer_mode():
    x = Tensor([1.0], requires_grad=True)
    with detect_anomaly(), np.errstate(invalid="ignore"):
        with detect_anomaly(check_forward=True):
            with pytest.raises(RuntimeError, match="the forward of 'sqrt'"):
                (x - 2.0).sqrt()
        assert am.is_anomaly_enabled()
        y = (x - 2.0).sqrt()  # the outer block does not check forward
        assert np.isnan(y.data[0])
        with pytest.raises(RuntimeError, match="the backward of 'sqrt'"):
            Tensor(0.0, requires_grad=True).sqrt().backward()  # but still checks backward
    assert not am.is_anomaly_enabled()


def test_the_same_detect_anomaly_object_can_be_entered_twice_nested():
    mode = detect_anomaly()
    with mode:
        with mode:
            assert am.is_anomaly_enabled()
        assert am.is_anomaly_enabled()
    assert not am.is_anomaly_enabled()


def test_detect_anomaly_as_a_decorator():
    @detect_anomaly()
    def sqrt_gradient(value):
        assert am.is_anomaly_enabled()
        x = Tensor(value, requires_grad=True)
        x.sqrt().backward()
        return x.grad

    assert not am.is_anomaly_enabled()
    assert sqrt_gradient(4.0) == pytest.approx(0.25)
    assert not am.is_anomaly_enabled()
    with pytest.raises(RuntimeError, match="the backward of 'sqrt'"):
        sqrt_gradient(0.0)
    assert not am.is_anomaly_enabled()  # restored after the exception too
    assert sqrt_gradient.__name__ == "sqrt_gradient"


def test_detect_anomaly_decorator_passes_check_forward():
    @detect_anomaly(check_forward=True)
    def forward(x):
        return (x - 2.0).sqrt()

    with np.errstate(invalid="ignore"), pytest.raises(RuntimeError, match="forward of 'sqrt'"):
        forward(Tensor([1.0], requires_grad=True))
    assert not am.is_anomaly_enabled()


# --------------------------------------------------------------------------
# grad() and create_graph


def test_grad_is_checked_under_the_mode():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="the backward of 'sqrt'") as caught:
            am.grad(y, x)
    assert _place(line) in str(caught.value)


def test_create_graph_backward_is_checked_under_the_mode():
    x = Tensor(0.0, requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        y = x.sqrt()
        with pytest.raises(RuntimeError, match="the backward of 'sqrt' produced inf") as caught:
            y.backward(create_graph=True)
    assert _place(line) in str(caught.value)


def test_a_second_order_inf_is_caught():
    # d/dx x^1.5 = 1.5 x^0.5 is 0 at 0 (finite); its derivative 0.75 x^-0.5 is inf there.
    x = Tensor(0.0, requires_grad=True)
    with detect_anomaly():
        y = x**1.5
        line = _next_line()
        (slope,) = am.grad(y, x, create_graph=True)
        assert slope.item() == 0.0
        with pytest.raises(RuntimeError, match="the backward of 'pow' produced inf") as caught:
            slope.backward()
    # the op that failed was recorded by the first grad() call: that line is named
    assert _place(line) in str(caught.value)


def test_finite_second_order_gradients_are_not_flagged():
    x = Tensor([0.0, 2.0], requires_grad=True)
    with detect_anomaly(check_forward=True):
        y = (x**3).sum()
        (slope,) = am.grad(y, x, create_graph=True)
        (curvature,) = am.grad(slope.sum(), x)
        y.backward(create_graph=True)
    np.testing.assert_allclose(slope.data, [0.0, 12.0])
    np.testing.assert_allclose(curvature.data, [0.0, 12.0])
    np.testing.assert_allclose(x.grad, [0.0, 12.0])


# --------------------------------------------------------------------------
# nn and custom Functions


def test_an_nn_layer_reports_the_line_that_called_it_not_a_line_in_nn():
    layer = nn.Linear(1, 1, bias=False)
    layer.weight.data = np.array([[1e-100]])
    x = Tensor([[1e200]])
    with detect_anomaly():
        line = _next_line()
        out = layer(x)  # 1e100
        loss = (out * 1e200).sum()  # 1e300, finite; dloss/dout = 1e200
        with pytest.raises(RuntimeError) as caught:
            loss.backward()  # dW = 1e200 * 1e200 = inf
    message = str(caught.value)
    assert "the backward of 'linear' produced inf in the gradient of its input 1" in message
    assert _place(line) in message
    assert "out = layer(x)" in message


def test_nn_functional_check_forward_reports_the_callers_line():
    weight = Tensor([[1e200]], requires_grad=True)
    with detect_anomaly(check_forward=True):
        with pytest.raises(RuntimeError, match="the forward of 'linear' made inf") as caught:
            line = _next_line()
            nn.functional.linear(Tensor([[1e200]]), weight)
    assert _place(line) in str(caught.value)


class NanBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        return np.full_like(grad, np.nan)


class SecondBroken(Function):
    name = "second_broken"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad * np.nan


def test_a_custom_function_whose_backward_makes_nan_is_named():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        y = NanBackward.apply(x)
        with pytest.raises(RuntimeError) as caught:
            y.sum().backward()
    message = str(caught.value)
    assert "the backward of 'NanBackward' produced nan in the gradient of its input 0" in message
    assert _place(line) in message


def test_a_custom_function_names_the_input_whose_gradient_is_nan():
    a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    with detect_anomaly():
        line = _next_line()
        y = SecondBroken.apply(a, b)
        with pytest.raises(RuntimeError) as caught:
            y.backward()
    message = str(caught.value)
    assert "the backward of 'second_broken' produced nan in the gradient of its input 1" in message
    assert _place(line) in message


# --------------------------------------------------------------------------
# A graph recorded before the mode was turned on


def test_an_op_recorded_outside_the_mode_still_raises_with_an_unknown_place():
    x = Tensor(0.0, requires_grad=True)
    y = x.sqrt()  # recorded while the mode is off: no place kept
    with detect_anomaly():
        with pytest.raises(RuntimeError) as caught:
            y.backward()
    message = str(caught.value)
    assert "the backward of 'sqrt' produced inf in the gradient of its input 0" in message
    assert "an unknown place" in message
    assert "the forward pass ran outside detect_anomaly()" in message
    assert THIS_FILE not in message
