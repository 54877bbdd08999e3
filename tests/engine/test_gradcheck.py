"""gradcheck: the documents' two-sided differences and relative difference."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Function, Tensor
from autograd_mini.gradcheck import relative_difference


class WrongTanh(Function):
    """tanh with a deliberately wrong derivative at one position."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        correct = grad * (1 - y * y)
        wrong = correct.copy()
        wrong[1, 2] *= 1.5
        return wrong


def test_relative_difference_is_the_documents_formula():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    expected = np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))
    assert relative_difference(a, b) == pytest.approx(expected)
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0


def test_a_correct_gradient_passes_below_1e_7():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    report = am.gradcheck(lambda x, w: (x @ w).tanh(), [x, w])
    assert report.passed and report.difference < 1e-7
    assert set(report.per_input) == {0, 1}
    assert "passed" in str(report)


def test_the_wrong_entry_is_caught_and_located():
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    with pytest.raises(am.GradcheckError) as caught:
        am.gradcheck(lambda t: WrongTanh.apply(t), [x])
    report = caught.value.report
    assert not report.passed and report.difference > 1e-3
    assert report.worst[0].input == 0 and report.worst[0].index == (1, 2)
    assert "input 0, index (1, 2)" in str(caught.value)
    quiet = am.gradcheck(lambda t: WrongTanh.apply(t), [x], raise_on_failure=False)
    assert not quiet.passed


def test_only_inputs_requiring_grad_are_checked():
    x = Tensor([1.0, 2.0], requires_grad=True)
    constant = Tensor([3.0, 4.0])
    report = am.gradcheck(lambda a, c: (a * c).sum(), [x, constant])
    assert list(report.per_input) == [0]


def test_inputs_are_restored_exactly():
    values = np.random.default_rng(3).standard_normal(5)
    x = Tensor(values.copy(), requires_grad=True)
    am.gradcheck(lambda t: (t.exp() * t).sum(), [x])
    np.testing.assert_array_equal(x.data, values)
    assert x.grad is None


def test_refuses_float32_and_other_bad_inputs():
    with pytest.raises(TypeError, match=r"float32.*float64"):
        am.gradcheck(lambda t: t.sum(), [Tensor(np.ones(2, np.float32), requires_grad=True)])
    with pytest.raises(ValueError, match="no input has requires_grad"):
        am.gradcheck(lambda t: t.sum(), [Tensor([1.0])])
    with pytest.raises(TypeError, match="must return a Tensor"):
        am.gradcheck(lambda t: 1.0, [Tensor([1.0], requires_grad=True)])
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="not a leaf"):
        am.gradcheck(lambda t: t.sum(), [x * 2])


def test_zero_gradient_failure_explains_itself():
    x = Tensor(0.0, requires_grad=True)
    report = am.gradcheck(lambda t: t**3, [x], raise_on_failure=False)
    assert not report.passed and "almost) zero" in str(report)


def test_single_tensor_input_is_accepted():
    assert am.gradcheck(lambda t: t.sigmoid().sum(), Tensor([0.3, -0.2], requires_grad=True)).passed


def test_data_drawn_with_common_seeds_does_not_meet_the_weights():
    for seed in (0, 1, 42):
        x = Tensor(np.random.default_rng(seed).standard_normal((16, 5)), requires_grad=True)

        def normalize(x):
            return (x - x.mean(axis=0, keepdims=True)) / (
                x.var(axis=0, keepdims=True) + 1e-5
            ).sqrt()

        assert am.gradcheck(normalize, [x]).passed


def test_an_input_hidden_by_the_overall_difference_is_pointed_out():
    big = Tensor([1.0, 2.0], requires_grad=True)
    small = Tensor([1e-6], requires_grad=True)

    class Slightly(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad * 1.01  # 1% wrong

    report = am.gradcheck(lambda a, b: (a * 1e6).sum() + Slightly.apply(b).sum(), [big, small])
    assert report.passed and "input(s) [1] alone" in str(report)
