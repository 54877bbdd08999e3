"""Schedules against the documents' formulas (tests/oracles/schedules.py),
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
