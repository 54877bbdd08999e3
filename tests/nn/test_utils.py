"""nn.utils.clip_grad_norm_."""

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
