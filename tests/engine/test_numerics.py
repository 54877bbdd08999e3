"""Stable numerics: no overflow, NaN or warning for finite inputs of any magnitude."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd_mini import Tensor

EXTREMES = np.array(
    [-1e308, -1000.0, -745.0, -40.0, -1e-300, 0.0, 1e-300, 40.0, 745.0, 1000.0, 1e308]
)


@pytest.fixture(autouse=True)
def raise_on_floating_point_trouble():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


def test_sigmoid_at_extreme_values():
    x = Tensor(EXTREMES, requires_grad=True)
    y = x.sigmoid()
    assert np.all(np.isfinite(y.data))
    assert y.data[0] == 0.0 and y.data[-1] == 1.0 and y.data[5] == 0.5
    assert np.all((y.data >= 0) & (y.data <= 1))
    y.sum().backward()
    assert np.all(np.isfinite(x.grad)) and np.all(x.grad >= 0)


def test_sigmoid_keeps_relative_precision_for_very_negative_inputs():
    y = Tensor([-40.0, -700.0]).sigmoid()
    np.testing.assert_allclose(y.data, np.exp([-40.0, -700.0]), rtol=1e-12)


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_and_log_softmax_at_extreme_values(axis):
    x = Tensor(
        np.array([[1000.0, -1000.0, 0.0], [1e307, 1e307, -1e307], [-1000.0, -1000.0, -1000.0]]),
        requires_grad=True,
    )
    p = x.softmax(axis=axis)
    assert np.all(np.isfinite(p.data))
    np.testing.assert_allclose(p.data.sum(axis=axis), 1.0)
    log_p = x.log_softmax(axis=axis)
    assert np.all(np.isfinite(log_p.data))
    (p.sum() + (log_p * 1e-10).sum()).backward()
    assert np.all(np.isfinite(x.grad))


def test_softmax_when_logits_differ_by_more_than_the_largest_float():
    # x - max(x) is below -1.8e308: the exact log-probability is not representable, and
    # -inf (probability 0) is its correctly rounded value; nothing becomes NaN
    with np.errstate(over="ignore"):
        x = Tensor([1e308, -1e308], requires_grad=True)
        np.testing.assert_array_equal(x.softmax().data, [1.0, 0.0])
        log_p = x.log_softmax()
        assert log_p.data[0] == 0.0 and log_p.data[1] == -np.inf
        x.softmax().sum().backward()
        assert not np.any(np.isnan(x.grad))


def test_log_softmax_of_a_far_off_logit_is_exact_not_minus_infinity():
    log_p = Tensor([0.0, 1000.0]).log_softmax()
    np.testing.assert_allclose(log_p.data, [-1000.0, 0.0])


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
        elements=st.floats(-1e300, 1e300, allow_nan=False),
    )
)
def test_no_nan_for_any_finite_input(x):
    t = Tensor(x, requires_grad=True)
    outputs = [t.sigmoid(), t.softmax(axis=-1), t.log_softmax(axis=-1), t.tanh()]
    for out in outputs:
        assert not np.any(np.isnan(out.data))
    (outputs[0].sum() + outputs[1].sum() + outputs[3].sum()).backward()
    assert not np.any(np.isnan(t.grad))


def test_float32_sigmoid_stays_finite_and_ordered():
    y = Tensor(np.array([-1e30, -100.0, 100.0, 1e30], np.float32)).sigmoid()
    assert y.dtype == np.float32
    assert np.all(np.isfinite(y.data)) and np.all(np.diff(y.data) >= 0)
    assert y.data[0] == 0.0 and y.data[-1] == 1.0


def test_log_of_an_underflowed_probability_stays_finite():
    x = Tensor([[1e3, -1e3, 0.0]], requires_grad=True)
    log_p = x.softmax().log()
    assert np.all(np.isfinite(log_p.data))
    assert log_p.data[0, 1] == pytest.approx(np.log(np.finfo(float).tiny))
    log_p[:, 0].sum().backward()
    assert np.all(np.isfinite(x.grad))
    with np.errstate(invalid="ignore"):
        assert np.isnan(Tensor([-1.0]).log().item())  # negative input: still NaN


def test_pow_zero_exponent_has_zero_slope_even_at_zero():
    a = Tensor([0.0, 1.0, 2.0], requires_grad=True)
    (a**0).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0, 0.0])
