"""gradgradcheck: gradcheck one order up, on the gradients that create_graph=True records."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Function, Tensor


def _values(x):
    """The plain values of an array or a Tensor: what a backward that drops the graph uses."""
    return x.data if isinstance(x, Tensor) else x


class SinOnValues(Function):
    """sin, whose backward has the right values but computes them with numpy on plain
    arrays: under create_graph the gradient it returns is a constant, cut from x and from
    the output's gradient."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return np.cos(_values(x)) * _values(grad)


class SinWithCosOnValues(Function):
    """sin whose backward keeps the output's gradient a Tensor but takes cos(x) of plain
    values: linear in the gradient as it should be, but without the second derivative."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * np.cos(_values(x))


class DoubleOnValues(Function):
    """2x, whose backward returns 2 * grad.data: its second derivative (0) is right, and
    only the check against the output's gradient v sees the lost graph."""

    @staticmethod
    def forward(ctx, x):
        return 2.0 * x

    @staticmethod
    def backward(ctx, grad):
        return 2.0 * _values(grad)


rng = np.random.default_rng(7)
X = rng.standard_normal((3, 4))
W = rng.standard_normal((4, 2))


@pytest.mark.parametrize(
    "fn, arrays",
    [
        (lambda x: x.exp(), [X]),
        (lambda x: x.tanh(), [X]),
        (lambda x: x.sigmoid(), [X]),
        (lambda x: x.softmax(axis=0), [X]),
        (lambda x: x.log_softmax(), [X]),
        (lambda x, w: x @ w, [X, W]),
        (lambda x, w: (x @ w).tanh().softmax().log().sum(), [X, W]),
        (lambda x: (x * x * x).mean(), [X]),
    ],
    ids=["exp", "tanh", "sigmoid", "softmax", "log_softmax", "matmul", "composition", "cube"],
)
def test_smooth_ops_pass_below_1e_7(fn, arrays):
    inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    report = am.gradgradcheck(fn, inputs)
    assert report.passed and report.difference < 1e-7
    assert report.check == "gradgradcheck" and report.grad_output == len(inputs)
    assert set(report.per_input) == set(range(len(inputs) + 1))  # the inputs, then v
    assert str(report).startswith("gradgradcheck passed")


def test_a_0d_input_is_checked_at_index_empty_tuple():
    x = Tensor(0.3, requires_grad=True)
    report = am.gradgradcheck(lambda t: t.exp(), x)  # a single Tensor, as gradcheck takes
    assert report.passed
    assert {entry.index for entry in report.worst} == {()}
    assert {entry.input for entry in report.worst} == {0, 1}


def test_a_backward_that_computes_on_plain_values_fails_though_its_first_order_is_right():
    x = Tensor(X.copy(), requires_grad=True)
    assert am.gradcheck(lambda t: SinOnValues.apply(t), [x]).passed
    report = am.gradgradcheck(lambda t: SinOnValues.apply(t), [x], raise_on_failure=False)
    assert not report.passed and report.difference > 1e-3
    assert report.per_input[0] > 1e-3 and report.per_input[1] > 1e-3
    assert report.unused == [0, 1]  # backprop sees gradients that depend on nothing
    with pytest.raises(am.GradcheckError) as caught:
        am.gradgradcheck(lambda t: SinOnValues.apply(t), [x])
    assert caught.value.report.difference == report.difference
    message = str(caught.value)
    assert message.startswith("gradgradcheck FAILED")
    assert "(v, the output's gradient)" in message and "a backward cut the graph" in message


def test_each_part_of_the_check_catches_its_own_mistake():
    """A lost second derivative shows at the input; a gradient cut from the output's
    gradient shows at v, even for a linear op whose second derivative is 0."""
    x = Tensor(X.copy(), requires_grad=True)
    no_second = am.gradgradcheck(lambda t: SinWithCosOnValues.apply(t), [x], raise_on_failure=False)
    assert not no_second.passed
    assert no_second.per_input[0] > 1e-3 and no_second.per_input[1] < 1e-7
    cut = am.gradgradcheck(lambda t: DoubleOnValues.apply(t), [x], raise_on_failure=False)
    assert not cut.passed
    assert cut.per_input[0] == 0.0 and cut.per_input[1] > 1e-3
    assert all(entry.input == 1 for entry in cut.worst)


def test_a_linear_op_passes_with_its_zero_second_derivative_noted():
    x = Tensor(X.copy(), requires_grad=True)
    report = am.gradgradcheck(lambda t: t * 2.0 + 1.0, [x])
    assert report.passed and report.unused == [0] and report.per_input[0] == 0.0
    assert "gradients do not depend on input(s) [0]" in str(report)


def test_refuses_float32_and_other_bad_inputs():
    with pytest.raises(TypeError, match=r"^gradgradcheck: input 0 is float32.*float64"):
        am.gradgradcheck(lambda t: t.exp(), [Tensor(np.ones(2, np.float32), requires_grad=True)])
    with pytest.raises(ValueError, match="^gradgradcheck: no input has requires_grad"):
        am.gradgradcheck(lambda t: t.exp(), [Tensor([1.0])])
    with pytest.raises(ValueError, match="^gradgradcheck: input 0 is not a leaf"):
        am.gradgradcheck(lambda t: t.exp(), [Tensor([1.0], requires_grad=True) * 2])
    with pytest.raises(TypeError, match="^gradgradcheck: fn must return a Tensor"):
        am.gradgradcheck(lambda t: 1.0, [Tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="^gradgradcheck: eps and tol must be > 0"):
        am.gradgradcheck(lambda t: t.exp(), [Tensor([1.0], requires_grad=True)], tol=0.0)


def test_only_inputs_requiring_grad_are_checked_and_grad_fields_are_untouched():
    x = Tensor(X.copy(), requires_grad=True)
    w = Tensor(W.copy())  # a constant
    x.grad = np.full(X.shape, 7.0)
    report = am.gradgradcheck(lambda a, b: (a @ b).tanh(), [x, w])
    assert report.passed and set(report.per_input) == {0, 2} and report.grad_output == 2
    np.testing.assert_array_equal(x.grad, 7.0)
    assert w.grad is None


class FailsAt:
    """fn computing exp(x) * x, raising ``error`` at its ``at``-th call."""

    def __init__(self, at, error):
        self.calls, self.at, self.error = 0, at, error

    def __call__(self, x):
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return x.exp() * x


# call 1 gives the output's shape, 2 the backprop gradients, 3 and 4 the first entry's x + eps
# and x - eps, 9 a later entry
@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("at", [1, 2, 3, 4, 9])
def test_the_inputs_are_restored_bit_for_bit_when_fn_raises(error, at):
    values = np.random.default_rng(5).standard_normal((2, 2))
    x = Tensor(values.copy(), requires_grad=True)
    with pytest.raises(type(error)):
        am.gradgradcheck(FailsAt(at, error), [x])
    assert x.data.tobytes() == values.tobytes()
    assert x.grad is None


def test_a_model_passed_as_fn_keeps_its_batch_norm_running_statistics():
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.Tanh())
    model.train()
    x = Tensor(np.random.default_rng(2).standard_normal((5, 3)), requires_grad=True)
    before = model.state_dict()
    assert am.gradgradcheck(model, [x]).passed  # batch statistics' second derivatives
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
