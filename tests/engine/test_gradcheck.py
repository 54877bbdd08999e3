"""gradcheck: two-sided differences and relative difference (Improving Deep Neural Networks
notes, sections 11-12)."""

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


class FailsAt:
    """fn that computes sum(exp(x)) and raises ``error`` on its ``at``-th call."""

    def __init__(self, at, error):
        self.calls, self.at, self.error = 0, at, error

    def __call__(self, x):
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return x.exp().sum()


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("at", [2, 3, 6])  # during x + eps, during x - eps, a later entry
def test_the_input_is_restored_bit_for_bit_when_fn_raises(error, at):
    values = np.random.default_rng(5).standard_normal((2, 2))
    x = Tensor(values.copy(), requires_grad=True)
    with pytest.raises(type(error)):
        am.gradcheck(FailsAt(at, error), [x])
    assert x.data.tobytes() == values.tobytes()


def test_grad_fields_of_inputs_and_of_the_model_are_untouched():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 2)), requires_grad=True)  # a weight fn closes over
    earlier = np.full((3, 2), 7.0)
    x.grad = earlier.copy()
    am.gradcheck(lambda t: (t @ w).tanh().sum(), [x])
    np.testing.assert_array_equal(x.grad.data if isinstance(x.grad, Tensor) else x.grad, earlier)
    assert w.grad is None


def test_a_model_passed_as_fn_keeps_its_batch_norm_running_statistics():
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4))
    model.train()
    x = Tensor(np.random.default_rng(2).standard_normal((5, 3)), requires_grad=True)
    before = model.state_dict()
    assert am.gradcheck(model, [x]).passed  # the batch-statistics gradient, in training mode
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_a_0d_input_is_reported_at_index_empty_tuple():
    x = Tensor(0.7, requires_grad=True)
    report = am.gradcheck(lambda t: t.exp() * t, [x])
    assert report.passed and report.worst[0].index == ()
    expected = np.exp(0.7) * (0.7 + 1)
    assert report.worst[0].analytic == pytest.approx(expected, rel=1e-12)
    assert report.worst[0].numerical == pytest.approx(expected, rel=1e-8)


def test_empty_inputs_pass_with_nothing_checked_and_say_so():
    empty = Tensor(np.zeros((0, 3)), requires_grad=True)
    report = am.gradcheck(lambda t: t.sum() * 2.0, [empty])
    assert report.passed and report.difference == 0.0 and report.empty == [0]
    assert "nothing was checked" in str(report)
    x = Tensor([1.0, 2.0], requires_grad=True)
    mixed = am.gradcheck(lambda e, t: e.sum() + (t * t).sum(), [empty, x])
    assert mixed.passed and mixed.empty == [0] and "input(s) [0] have no entries" in str(mixed)


def test_inputs_fn_does_not_use_are_listed_and_a_cut_graph_fails():
    x, unused = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    report = am.gradcheck(lambda a, b: (a * a).sum(), [x, unused])
    assert report.passed and report.unused == [1] and report.per_input[1] == 0.0
    assert "does not depend on input(s) [1]" in str(report)
    cut = am.gradcheck(lambda a: (a.detach() * 3.0).sum(), [x], raise_on_failure=False)
    assert not cut.passed and cut.unused == [0]
    assert [e.numerical for e in cut.worst] == pytest.approx([3.0, 3.0], rel=1e-8)


def test_read_only_inputs_and_bad_eps_raise():
    view = np.broadcast_to(np.array([1.0, 2.0]), (2, 2))
    with pytest.raises(ValueError, match="read-only"):
        am.gradcheck(lambda t: t.sum(), [Tensor(view, requires_grad=True)])
    with pytest.raises(ValueError, match="eps and tol must be > 0"):
        am.gradcheck(lambda t: t.sum(), [Tensor([1.0], requires_grad=True)], eps=0.0)
