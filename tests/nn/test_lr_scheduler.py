"""Schedules against the CS229 notes' and SKEMA slides' formulas (tests/oracles/schedules.py),
counted as PyTorch counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from nn.optim import lr_scheduler

from ..oracles import schedules


def optimizer_with(lr=0.01, groups=1):
    params = [{"params": [nn.Parameter(np.ones(1))], "lr": lr * (i + 1)} for i in range(groups)]
    return nn.optim.SGD(params, lr=lr)


def learning_rates(scheduler, epochs):
    """The rate in use at epochs 0, 1, ..., epochs - 1 (one step() after each epoch)."""
    rates = []
    for _ in range(epochs):
        rates.append(scheduler.get_last_lr()[0])
        scheduler.optimizer.step()
        scheduler.step()
    return rates


def test_step_decay():
    scheduler = lr_scheduler.StepLR(optimizer_with(), step_size=200, gamma=0.5)
    expected = [schedules.step_decay(0.01, e) for e in range(1000)]
    np.testing.assert_allclose(learning_rates(scheduler, 1000), expected, rtol=1e-12)


def test_exponential_decay():
    k = 0.005
    scheduler = lr_scheduler.ExponentialLR(optimizer_with(), gamma=math.exp(-k))
    expected = [schedules.exponential_decay(0.01, e, k) for e in range(1000)]
    np.testing.assert_allclose(learning_rates(scheduler, 1000), expected, rtol=1e-9)


def test_inverse_time_decay():
    scheduler = lr_scheduler.InverseTimeLR(optimizer_with(), k=0.5 / 100)
    expected = [schedules.inverse_time_decay(0.01, e, k=0.5) for e in range(1000)]
    np.testing.assert_allclose(learning_rates(scheduler, 1000), expected, rtol=1e-12)


@pytest.mark.parametrize("eta_min", [0.0, 0.001])
def test_cosine_annealing(eta_min):
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer_with(), T_max=50, eta_min=eta_min)
    expected = [schedules.cosine_annealing(0.01, t, 50, eta_min) for t in range(51)]
    rates = learning_rates(scheduler, 51)
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=1e-15)
    assert rates[0] == 0.01 and rates[50] == pytest.approx(eta_min, abs=1e-15)


def test_lambda_lr_per_group():
    optimizer = optimizer_with(lr=0.1, groups=2)
    scheduler = lr_scheduler.LambdaLR(optimizer, [lambda t: 0.5**t, lambda t: 1.0 / (t + 1)])
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.1 * 0.125, 0.2 / 4])
    assert [group["lr"] for group in optimizer.param_groups] == scheduler.get_last_lr()


def test_counting_starts_at_construction_like_pytorch():
    optimizer = optimizer_with(lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    assert scheduler.last_epoch == 0 and optimizer.param_groups[0]["lr"] == 1.0
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 1.0
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    assert optimizer.param_groups[0]["initial_lr"] == 1.0


def test_state_dict_round_trip():
    scheduler = lr_scheduler.ExponentialLR(optimizer_with(), gamma=0.9)
    for _ in range(4):
        scheduler.step()
    resumed_optimizer = optimizer_with()
    resumed = lr_scheduler.ExponentialLR(resumed_optimizer, gamma=0.9)
    resumed_optimizer.load_state_dict(scheduler.optimizer.state_dict())  # as in PyTorch: both
    resumed.load_state_dict(scheduler.state_dict())
    scheduler.step()
    resumed.step()
    assert resumed.get_last_lr() == pytest.approx(scheduler.get_last_lr())


def test_scheduler_errors():
    with pytest.raises(TypeError, match="expected an Optimizer"):
        lr_scheduler.StepLR("sgd", step_size=1)
    with pytest.raises(ValueError, match="step_size must be >= 1"):
        lr_scheduler.StepLR(optimizer_with(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be >= 1"):
        lr_scheduler.CosineAnnealingLR(optimizer_with(), T_max=0)
    with pytest.raises(ValueError, match="2 functions for 1 groups"):
        lr_scheduler.LambdaLR(optimizer_with(), [abs, abs])


def test_schedulers_chain_and_follow_manual_changes_like_pytorch():
    optimizer = optimizer_with(lr=1.0)
    first = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    second = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    for _ in range(2):
        first.step()
        second.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx((0.5 * 0.9) ** 2)
    optimizer = optimizer_with(lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.param_groups[0]["lr"] = 10.0  # changed by hand
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 5.0


def test_resuming_with_last_epoch_uses_the_closed_form():
    optimizer = optimizer_with(lr=1.0)
    optimizer.param_groups[0]["initial_lr"] = 1.0
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, last_epoch=4)
    assert scheduler.last_epoch == 5
    assert scheduler.get_last_lr()[0] == pytest.approx(schedules.cosine_annealing(1.0, 5, 10))


def test_cosine_annealing_goes_back_up_after_t_max_as_pytorch():
    """PyTorch's recursion does not stop at T_max: the rate climbs back to lr0 at 2 T_max."""
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer_with(lr=1.0), T_max=10, eta_min=0.1)
    rates = learning_rates(scheduler, 41)
    expected = [schedules.cosine_annealing(1.0, t, 10, 0.1) for t in range(41)]
    np.testing.assert_allclose(rates, expected, rtol=1e-9, atol=1e-12)
    assert rates[20] == pytest.approx(1.0) and rates[30] == pytest.approx(0.1)


def test_cosine_annealing_over_one_step_alternates_without_dividing_by_zero():
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer_with(lr=1.0), T_max=1, eta_min=0.5)
    np.testing.assert_allclose(learning_rates(scheduler, 5), [1.0, 0.5, 1.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=-3), ValueError, "step_size must be >= 1"),
        (lambda o: lr_scheduler.StepLR(o, step_size=2.5), TypeError, "step_size must be an int"),
        (lambda o: lr_scheduler.StepLR(o, step_size=True), TypeError, "step_size must be an int"),
        (lambda o: lr_scheduler.StepLR(o, 2, gamma=math.nan), ValueError, "Invalid gamma value"),
        (lambda o: lr_scheduler.StepLR(o, 2, gamma=-0.5), ValueError, "Invalid gamma value"),
        (lambda o: lr_scheduler.ExponentialLR(o, math.nan), ValueError, "Invalid gamma value: nan"),
        (lambda o: lr_scheduler.ExponentialLR(o, math.inf), ValueError, "Invalid gamma value: inf"),
        (lambda o: lr_scheduler.ExponentialLR(o, "0.9"), TypeError, "gamma must be a number"),
        (lambda o: lr_scheduler.InverseTimeLR(o, k=math.nan), ValueError, "Invalid k value: nan"),
        (lambda o: lr_scheduler.InverseTimeLR(o, k=-1), ValueError, "Invalid k value: -1"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 0), ValueError, "T_max must be >= 1"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 5.0), TypeError, "T_max must be an int"),
        (
            lambda o: lr_scheduler.CosineAnnealingLR(o, 5, eta_min=math.nan),
            ValueError,
            "Invalid eta_min value: nan",
        ),
        (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "must be a function of the step"),
        (lambda o: lr_scheduler.StepLR(o, 2, last_epoch=-2), ValueError, "last_epoch must be >="),
    ],
)
def test_invalid_scheduler_arguments_raise_and_leave_the_optimizer_alone(make, error, message):
    optimizer = optimizer_with(lr=0.1)
    with pytest.raises(error, match=message):
        make(optimizer)
    assert optimizer.param_groups[0]["lr"] == 0.1 and "initial_lr" not in optimizer.param_groups[0]


@pytest.mark.parametrize(
    "factor, error, message",
    [
        (math.nan, ValueError, r"lr_lambda\(2\) returned nan for parameter group 0"),
        (math.inf, ValueError, r"lr_lambda\(2\) returned inf"),
        (-0.5, ValueError, r"lr_lambda\(2\) returned -0.5"),
        (None, TypeError, r"lr_lambda\(2\) returned NoneType None"),
        ("0.5", TypeError, r"lr_lambda\(2\) returned str"),
    ],
)
def test_a_lambda_returning_nan_or_not_a_number_raises_and_changes_nothing(factor, error, message):
    optimizer = optimizer_with(lr=1.0, groups=2)
    scheduler = lr_scheduler.LambdaLR(optimizer, lambda t: factor if t == 2 else 0.5**t)
    scheduler.step()
    with pytest.raises(error, match=message):
        scheduler.step()
    assert [g["lr"] for g in optimizer.param_groups] == [0.5, 1.0]
    assert scheduler.last_epoch == 1 and scheduler.get_last_lr() == [0.5, 1.0]
    with pytest.raises(error):  # at construction too (t = 0), before any group changes
        lr_scheduler.LambdaLR(optimizer_with(lr=1.0), lambda t: factor)


def test_a_lambda_may_return_a_numpy_number_or_a_0d_array():
    optimizer = optimizer_with(lr=1.0, groups=2)
    scheduler = lr_scheduler.LambdaLR(
        optimizer, [lambda t: np.float32(0.5), lambda t: np.array(0.25)]
    )
    scheduler.step()
    assert scheduler.get_last_lr() == [0.5, 0.5]
    assert all(type(g["lr"]) is float for g in optimizer.param_groups)


def test_a_rate_set_to_nan_by_hand_is_refused_at_the_next_scheduler_step():
    optimizer = optimizer_with(lr=1.0)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    optimizer.param_groups[0]["lr"] = math.nan
    with pytest.raises(ValueError, match=r"at step 1 the rate for parameter group 0 would be nan"):
        scheduler.step()
    assert scheduler.last_epoch == 0 and scheduler.get_last_lr() == [1.0]


def test_several_groups_follow_their_own_initial_rates():
    optimizer = optimizer_with(lr=1.0, groups=3)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(4):
        scheduler.step()
    assert scheduler.get_last_lr() == [0.25, 0.5, 0.75]
    assert [g["initial_lr"] for g in optimizer.param_groups] == [1.0, 2.0, 3.0]


def test_a_scheduler_made_after_a_hand_edit_or_after_another_scheduler_counts_as_pytorch():
    """PyTorch: lr0 is the group's 'initial_lr' if a scheduler already set one, else its lr."""
    optimizer = optimizer_with(lr=1.0)
    optimizer.param_groups[0]["lr"] = 0.4  # before any scheduler: this is lr0
    first = lr_scheduler.LambdaLR(optimizer, lambda t: 1.0 / (t + 1))
    first.step()
    assert first.base_lrs == [0.4] and first.get_last_lr() == [0.2]
    second = lr_scheduler.LambdaLR(optimizer, lambda t: 0.5)  # lr0 stays the first one's
    assert second.base_lrs == [0.4] and optimizer.param_groups[0]["lr"] == 0.2


def test_a_group_added_after_the_scheduler_is_an_error_not_left_unscheduled():
    optimizer = optimizer_with(lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.add_param_group({"params": [nn.Parameter(np.ones(1))], "lr": 3.0})
    with pytest.raises(ValueError, match="has 2 parameter groups but this scheduler was made"):
        scheduler.step()
    assert [g["lr"] for g in optimizer.param_groups] == [1.0, 3.0]


class Warmup:
    """A callable object: its attributes are saved by LambdaLR.state_dict, as in PyTorch."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, t):
        return min(1.0, (t + 1) / self.steps)


SCHEDULERS = {
    "step": lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "exponential": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    "inverse": lambda o: lr_scheduler.InverseTimeLR(o, k=0.3),
    "cosine": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    "lambda": lambda o: lr_scheduler.LambdaLR(o, [lambda t: 0.9**t, Warmup(3)]),
}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_every_scheduler_resumes_from_its_state_dict(name):
    optimizer = optimizer_with(lr=1.0, groups=2)
    scheduler = SCHEDULERS[name](optimizer)
    for _ in range(3):
        scheduler.step()
    saved_optimizer, saved = optimizer.state_dict(), scheduler.state_dict()
    resumed_optimizer = optimizer_with(lr=1.0, groups=2)
    resumed = SCHEDULERS[name](resumed_optimizer)
    if name == "lambda":
        resumed.lr_lambdas[1].steps = 99  # to be restored from the state
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved)
    for _ in range(6):
        scheduler.step()
        resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert resumed.last_epoch == scheduler.last_epoch == 9
    if name == "lambda":
        assert saved["lr_lambdas"] == [None, {"steps": 3}] and resumed.lr_lambdas[1].steps == 3


def test_a_scheduler_state_dict_is_a_copy():
    scheduler = lr_scheduler.StepLR(optimizer_with(lr=1.0), step_size=1, gamma=0.5)
    saved = scheduler.state_dict()
    saved["base_lrs"].append(5.0)
    scheduler.step()
    assert scheduler.base_lrs == [1.0] and saved["last_epoch"] == 0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.update(base_lrs=[1.0, 2.0]), "one rate per parameter group"),
        (lambda s: s.update(gamma=math.nan), "Invalid gamma value: nan"),
        (lambda s: s.update(last_epoch="3"), "last_epoch must be an integer"),
        (lambda s: s.pop("step_size"), "missing: step_size"),
        (lambda s: s.update(T_max=5), "unknown: T_max"),
        (lambda s: s.update(_last_lr=[math.nan]), r"_last_lr\[0\]: Invalid learning rate: nan"),
    ],
)
def test_loading_another_schedulers_state_raises_and_changes_nothing(change, message):
    scheduler = lr_scheduler.StepLR(optimizer_with(lr=1.0), step_size=2, gamma=0.5)
    scheduler.step()
    before = scheduler.state_dict()
    bad = lr_scheduler.StepLR(optimizer_with(lr=1.0), step_size=3, gamma=0.1).state_dict()
    change(bad)
    with pytest.raises((TypeError, ValueError), match=message):
        scheduler.load_state_dict(bad)
    assert scheduler.state_dict() == before
    with pytest.raises(ValueError, match="saved from another scheduler"):
        scheduler.load_state_dict(lr_scheduler.ExponentialLR(optimizer_with(), 0.9).state_dict())
