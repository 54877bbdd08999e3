"""nn.utils: clip_grad_norm_, clip_grad_value_ and their parts, against PyTorch's definitions."""

from __future__ import annotations

import numpy as np
import pytest

import nn


def params_with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros_like(g))
        p.grad = np.array(g, dtype=float)
        params.append(p)
    return params


def test_clips_the_total_norm_over_all_gradients():
    params = params_with_grads(np.array([3.0, 0.0]), np.array([[0.0, 4.0]]))
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(params[0].grad, [3 / 5, 0], rtol=1e-5)
    np.testing.assert_allclose(params[1].grad, [[0, 4 / 5]], rtol=1e-5)
    norm_after = np.sqrt(sum(np.sum(p.grad**2) for p in params))
    assert norm_after == pytest.approx(1.0, rel=1e-5)


def test_gradients_below_the_limit_are_untouched():
    params = params_with_grads(np.array([0.3, 0.4]))
    assert nn.utils.clip_grad_norm_(params, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad, [0.3, 0.4])


def test_infinity_norm_single_tensor_and_missing_gradients():
    p = params_with_grads(np.array([-6.0, 2.0]))[0]
    assert nn.utils.clip_grad_norm_(p, 3.0, norm_type=np.inf) == 6.0
    np.testing.assert_allclose(p.grad, [-3.0, 1.0], rtol=1e-5)
    assert nn.utils.clip_grad_norm_([nn.Parameter(np.ones(2))], 1.0) == 0.0


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, 0.5, np.inf, "inf"])
def test_the_total_norm_is_the_norm_of_all_gradients_joined_as_pytorch(norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(shape) for shape in [(3, 2), (4,), (2, 1, 2)]]
    params = params_with_grads(*grads)
    joined = np.concatenate([g.ravel() for g in grads])
    p = float(norm_type)
    expected = np.max(np.abs(joined)) if p == np.inf else np.sum(np.abs(joined) ** p) ** (1 / p)
    total = nn.utils.clip_grad_norm_(params, max_norm=0.5, norm_type=norm_type)
    assert isinstance(total, float) and total.item() == pytest.approx(expected, rel=1e-12)
    for param, grad in zip(params, grads):
        np.testing.assert_allclose(param.grad, grad * 0.5 / (expected + 1e-6), rtol=1e-12)
    assert nn.utils.get_total_norm([p.grad for p in params], norm_type) == pytest.approx(
        0.5, rel=1e-5
    )


@pytest.mark.parametrize(
    "max_norm, error, message",
    [
        (np.nan, ValueError, "max_norm must be a number >= 0"),
        (-1.0, ValueError, "max_norm must be a number >= 0 .inf: no limit., got -1.0"),
        ("1.0", TypeError, "max_norm must be a number"),
    ],
)
def test_a_nan_or_negative_max_norm_raises_before_any_gradient_changes(max_norm, error, message):
    params = params_with_grads(np.array([3.0, 4.0]))
    with pytest.raises(error, match=message):
        nn.utils.clip_grad_norm_(params, max_norm)
    np.testing.assert_array_equal(params[0].grad, [3.0, 4.0])


@pytest.mark.parametrize("norm_type", [0, -2.0, np.nan, "two", True])
def test_a_norm_type_that_is_not_a_norm_raises(norm_type):
    params = params_with_grads(np.array([3.0, 4.0]))
    with pytest.raises((TypeError, ValueError), match="norm_type must be"):
        nn.utils.clip_grad_norm_(params, 1.0, norm_type=norm_type)
    np.testing.assert_array_equal(params[0].grad, [3.0, 4.0])


def test_a_max_norm_of_zero_zeroes_and_of_inf_keeps_the_gradients():
    params = params_with_grads(np.array([3.0, 4.0]))
    assert nn.utils.clip_grad_norm_(params, np.inf) == pytest.approx(5.0)
    np.testing.assert_array_equal(params[0].grad, [3.0, 4.0])
    nn.utils.clip_grad_norm_(params, 0.0)
    np.testing.assert_array_equal(params[0].grad, [0.0, 0.0])


def test_a_generator_is_read_once_and_every_gradient_is_clipped():
    model = nn.Linear(3, 2, rng=0)
    for p in model.parameters():
        p.grad = np.full(p.shape, 10.0)
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    assert total == pytest.approx(10.0 * np.sqrt(8))
    norm_after = np.sqrt(sum(np.sum(p.grad**2) for p in model.parameters()))
    assert norm_after == pytest.approx(1.0, rel=1e-5)


def test_no_gradient_at_all_returns_zero_and_changes_nothing():
    params = [nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))]
    total = nn.utils.clip_grad_norm_(iter(params), 1.0)
    assert total == 0.0 and total.item() == 0.0
    assert all(p.grad is None for p in params)


def test_a_non_finite_total_norm_raises_if_asked_else_scales_as_pytorch():
    params = params_with_grads(np.array([np.nan, 1.0]), np.array([2.0]))
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[1].grad, [2.0])  # untouched
    assert np.isnan(nn.utils.clip_grad_norm_(params, 1.0))
    assert np.isnan(params[1].grad).all()  # PyTorch multiplies by max_norm / (nan + 1e-6)
    params = params_with_grads(np.array([np.inf, 1.0]))
    with np.errstate(invalid="ignore"):  # (numpy warns of inf * 0)
        assert nn.utils.clip_grad_norm_(params, 1.0) == np.inf
    np.testing.assert_array_equal(params[0].grad, [np.nan, 0.0])  # times 1 / inf = 0


def test_a_gradient_array_shared_by_two_parameters_is_clipped_once():
    shared = np.array([3.0, 4.0])
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    a.grad = b.grad = shared
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total == pytest.approx(np.sqrt(50))
    np.testing.assert_allclose(shared, np.array([3.0, 4.0]) / (np.sqrt(50) + 1e-6))


@pytest.mark.parametrize(
    "parameters, message",
    [
        ([np.ones(2)], "parameter 0 is a ndarray, not a Tensor"),
        (nn.Linear(2, 2, rng=0), "got Linear"),
        ({"weight": np.ones(2)}, "got dict"),
        (3.0, "got float"),
    ],
)
def test_parameters_that_are_not_tensors_raise_type_error(parameters, message):
    with pytest.raises(TypeError, match=message):
        nn.utils.clip_grad_norm_(parameters, 1.0)
    with pytest.raises(TypeError, match=message):
        nn.utils.clip_grad_value_(parameters, 1.0)


def test_clip_grad_value_clamps_each_entry_as_pytorch():
    params = params_with_grads(np.array([-3.0, 0.5, 2.0]), np.array([[0.1, -0.2]]))
    params.append(nn.Parameter(np.ones(2)))  # no gradient: skipped
    assert nn.utils.clip_grad_value_(params, 1.0) is None
    np.testing.assert_array_equal(params[0].grad, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(params[1].grad, [[0.1, -0.2]])
    single = params_with_grads(np.array([5.0]))[0]
    nn.utils.clip_grad_value_(single, 2.5)
    np.testing.assert_array_equal(single.grad, [2.5])
    for bad in (np.nan, -1.0):
        with pytest.raises(ValueError, match="clip_value must be a number >= 0"):
            nn.utils.clip_grad_value_(params, bad)


def test_clip_grads_with_norm_uses_the_given_norm():
    params = params_with_grads(np.array([3.0, 4.0]))
    nn.utils.clip_grads_with_norm_(params, max_norm=1.0, total_norm=10.0)
    np.testing.assert_allclose(params[0].grad, [0.3, 0.4], rtol=1e-6)


def test_a_gradient_that_cannot_be_clipped_in_place_raises_type_error():
    p = nn.Parameter(np.zeros(2))
    p._grad = np.array([3, 4])  # integers, past the .grad setter's check
    with pytest.raises(TypeError, match="the grad of parameter 0 is ndarray int64"):
        nn.utils.clip_grad_norm_([p], 1.0)
    with pytest.raises(TypeError, match="must be a floating-point ndarray"):
        nn.utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad, [3, 4])
