"""BatchNorm1d against the CS229 Lecture 12 notes' closed-form backward and running averages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd_mini import Tensor, grad
from autograd_mini.testing import assert_gradients_match

from ..helpers import arrays, floats
from ..oracles.batchnorm import batchnorm_backward, batchnorm_forward, running_average


@st.composite
def batches(draw):
    m = draw(st.integers(2, 32), label="m")
    n = draw(st.integers(1, 16), label="features")
    Z = draw(arrays((m, n), floats(-3, 3)), label="Z")
    # keep every feature's variance well away from 0 (a constant feature normalizes to 0/0)
    Z = Z + np.linspace(-1, 1, m)[:, None] * draw(arrays((n,), floats(0.5, 2)), label="spread")
    gamma = draw(arrays((n,), floats(0.5, 2)), label="gamma")
    beta = draw(arrays((n,), floats(-1, 1)), label="beta")
    upstream = draw(arrays((m, n), floats(-1, 1)), label="dout")
    return Z, gamma, beta, upstream


@given(batches())
def test_forward_and_closed_form_backward_match_the_documents(batch):
    Z, gamma, beta, upstream = batch
    layer = nn.BatchNorm1d(Z.shape[1])
    layer.weight.data, layer.bias.data = gamma.copy(), beta.copy()
    x = Tensor(Z, requires_grad=True)
    y = layer(x)
    expected, (Z_norm, var) = batchnorm_forward(Z.T, gamma[:, None], beta[:, None])
    np.testing.assert_allclose(y.data, expected.T, rtol=1e-10, atol=1e-12)
    y.backward(upstream)
    dZ, dgamma, dbeta = batchnorm_backward(upstream.T, gamma[:, None], Z_norm, var)
    np.testing.assert_allclose(x.grad, dZ.T, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, dgamma[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, dbeta[:, 0], rtol=1e-9, atol=1e-12)


@given(batches(), st.floats(0.01, 0.9))
def test_running_averages_use_pytorchs_momentum(batch, momentum):
    """running = (1 - momentum) running + momentum batch; the notes' beta = 1 - momentum."""
    Z, *_ = batch
    layer = nn.BatchNorm1d(Z.shape[1], momentum=momentum)
    mean, var = np.zeros(Z.shape[1]), np.ones(Z.shape[1])
    for step in range(3):
        batch_values = Z + step
        layer(Tensor(batch_values))
        mean = running_average(mean, batch_values.mean(axis=0), 1 - momentum)
        var = running_average(var, batch_values.var(axis=0, ddof=1), 1 - momentum)  # unbiased
    np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, var, rtol=1e-12)


def test_eval_uses_running_statistics_and_leaves_them_alone():
    rng = np.random.default_rng(0)
    layer = nn.BatchNorm1d(3)
    for _ in range(50):
        layer(Tensor(rng.normal(5.0, 2.0, (64, 3))))
    layer.eval()
    before = layer.running_mean.copy()
    x = rng.normal(5.0, 2.0, (10, 3))
    y = layer(Tensor(x))
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, before)
    np.testing.assert_allclose(layer.running_mean, 5.0, atol=0.3)
    np.testing.assert_allclose(layer.running_var, 4.0, rtol=0.2)
    single = layer(Tensor(x[:1]))  # one example is fine in eval
    assert single.shape == (1, 3)


@given(batches())
def test_gradcheck_in_training_and_eval(batch):
    Z, gamma, beta, _ = batch
    layer = nn.BatchNorm1d(Z.shape[1])
    layer.weight.data, layer.bias.data = gamma.copy(), beta.copy()
    x = Tensor(Z, requires_grad=True)

    def train_forward(x, w, b):
        return nn.functional.batch_norm(x, None, None, w, b, training=True)

    assert_gradients_match(train_forward, x, layer.weight, layer.bias)
    running_mean, running_var = Z.mean(axis=0), Z.var(axis=0) + 0.5

    def eval_forward(x, w, b):
        return nn.functional.batch_norm(x, running_mean, running_var, w, b, training=False)

    assert_gradients_match(eval_forward, x, layer.weight, layer.bias)


def test_three_dimensional_input_normalizes_over_batch_and_length():
    rng = np.random.default_rng(2)
    layer = nn.BatchNorm1d(3)
    x = Tensor(rng.standard_normal((4, 3, 5)) * 3 + 1, requires_grad=True)
    y = layer(x)
    np.testing.assert_allclose(y.data.mean(axis=(0, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.data.var(axis=(0, 2)), 1, rtol=1e-4)
    assert_gradients_match(
        lambda x, w, b: nn.functional.batch_norm(x, None, None, w, b, training=True),
        x,
        layer.weight,
        layer.bias,
    )


def test_the_preceding_bias_is_redundant():
    """Adding a constant per feature before BatchNorm changes nothing (Improving Deep
    Neural Networks notes, section 28)."""
    rng = np.random.default_rng(3)
    linear = nn.Linear(4, 3, rng=0)
    norm = nn.BatchNorm1d(3)
    x = Tensor(rng.standard_normal((16, 4)))
    before = norm(linear(x)).data
    linear.bias.data = np.array([5.0, -3.0, 100.0])
    after = norm(linear(x))
    np.testing.assert_allclose(after.data, before, atol=1e-9)
    after.sum().backward()
    np.testing.assert_allclose(linear.bias.grad, 0, atol=1e-9)


def test_batch_norm_errors():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"more than one value per feature.*\(1, 3\)"):
        layer(Tensor(np.ones((1, 3))))
    with pytest.raises(
        ValueError, match=r"\(4, 5\) has 5 features on axis 1, but weight has shape \(3,\)"
    ):
        layer(Tensor(np.ones((4, 5))))
    with pytest.raises(ValueError, match="shape \\(m, C\\) or \\(m, C, L\\)"):
        layer(Tensor(np.ones(3)))
    assert repr(layer) == "BatchNorm1d(3, eps=1e-05, momentum=0.1)"


def test_double_backward_through_batch_norm():
    """The recorded backward recomputes x_hat from x, so second derivatives are right."""
    rng = np.random.default_rng(4)
    gamma = nn.Parameter(rng.uniform(0.5, 1.5, 2))
    beta = nn.Parameter(np.zeros(2))
    weights = Tensor(rng.standard_normal((6, 2)))
    point = rng.standard_normal((6, 2))
    direction = rng.standard_normal((6, 2))

    def gradient_at(values, create_graph=False):
        x = Tensor(values, requires_grad=True)
        y = nn.functional.batch_norm(x, None, None, gamma, beta, training=True)
        (g,) = grad(((y * weights) ** 2).sum(), x, create_graph=create_graph)
        return x, g

    x, g = gradient_at(point, create_graph=True)
    (hessian_vector,) = grad((g * Tensor(direction)).sum(), x)
    eps = 1e-6
    numeric = (
        gradient_at(point + eps * direction)[1].data - gradient_at(point - eps * direction)[1].data
    ) / (2 * eps)
    np.testing.assert_allclose(hessian_vector.data, numeric, rtol=1e-5, atol=1e-7)


def test_functional_batch_norm_defaults_like_pytorch():
    x = np.random.default_rng(5).standard_normal((6, 2)) * 3 + 1
    running_mean, running_var = np.zeros(2), np.ones(2)
    y = nn.functional.batch_norm(Tensor(x), running_mean, running_var)  # eval, no gamma/beta
    np.testing.assert_allclose(y.data, x / np.sqrt(1 + 1e-5))
    np.testing.assert_array_equal(running_mean, 0)  # evaluation does not move them
    y = nn.functional.batch_norm(Tensor(x), running_mean, running_var, training=True)
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(running_mean, 0.1 * x.mean(axis=0))


def test_parameters_follow_the_default_dtype():
    from autograd_mini import set_default_dtype

    set_default_dtype(np.float32)
    try:
        layer, linear = nn.BatchNorm1d(3), nn.Linear(3, 2)
        assert layer.weight.dtype == layer.running_mean.dtype == linear.weight.dtype == np.float32
        y = linear(layer(Tensor((np.ones((4, 3)) * np.arange(4)[:, None]).astype(np.float32))))
        assert y.dtype == np.float32
    finally:
        set_default_dtype(np.float64)


@pytest.mark.parametrize("make", [np.array, Tensor], ids=["ndarray", "Tensor"])
def test_assigned_running_statistics_stay_buffers_and_training_updates_them(make):
    rng = np.random.default_rng(6)
    layer = nn.BatchNorm1d(2, momentum=0.5)
    new_mean, new_var = make([10.0, -10.0]), make([4.0, 9.0])
    layer.running_mean, layer.running_var = new_mean, new_var
    assert [name for name, _ in layer.named_buffers()] == ["running_mean", "running_var"]
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    x = rng.standard_normal((16, 2))
    layer(Tensor(x))
    expected_mean = 0.5 * np.array([10.0, -10.0]) + 0.5 * x.mean(axis=0)
    expected_var = 0.5 * np.array([4.0, 9.0]) + 0.5 * x.var(axis=0, ddof=1)
    np.testing.assert_allclose(layer.running_mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, expected_var, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(new_mean), expected_mean, rtol=1e-12)  # the same values
    np.testing.assert_allclose(layer.state_dict()["running_mean"], expected_mean, rtol=1e-12)
    layer.eval()
    z = rng.standard_normal((5, 2))
    np.testing.assert_allclose(
        layer(Tensor(z)).data, (z - expected_mean) / np.sqrt(expected_var + 1e-5), rtol=1e-12
    )


def test_assigning_running_statistics_of_the_wrong_shape_fails_at_forward():
    layer = nn.BatchNorm1d(3)
    layer.running_var = np.ones(2)
    with pytest.raises(ValueError, match=r"running_var has shape \(2,\)"):
        layer(Tensor(np.ones((4, 3))))
    layer.running_var = np.ones(3, dtype=np.int64)
    with pytest.raises(TypeError, match="running_var must hold floats"):
        layer(Tensor(np.ones((4, 3)) * np.arange(4)[:, None]))


def test_functional_batch_norm_updates_tensor_running_statistics_in_place():
    x = np.random.default_rng(7).standard_normal((8, 2))
    mean, var = Tensor(np.zeros(2)), Tensor(np.ones(2))
    version = mean._version
    nn.functional.batch_norm(Tensor(x), mean, var, training=True, momentum=0.1)
    np.testing.assert_allclose(mean.data, 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(var.data, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-12)
    assert mean._version > version
    with pytest.raises(ValueError, match="give both running_mean and running_var"):
        nn.functional.batch_norm(Tensor(x), mean, None, training=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, "float32"])
def test_batch_norm_takes_a_dtype(dtype):
    layer = nn.BatchNorm1d(3, dtype=dtype)
    assert layer.weight.dtype == layer.bias.dtype == np.dtype(dtype)
    assert layer.running_mean.dtype == layer.running_var.dtype == np.dtype(dtype)
    x = Tensor((np.ones((4, 3)) * np.arange(4)[:, None]).astype(dtype))
    assert layer(x).dtype == np.dtype(dtype)


def test_batch_norm_refuses_bad_arguments():
    with pytest.raises(TypeError, match="floating dtype"):
        nn.BatchNorm1d(3, dtype=np.int64)
    with pytest.raises(ValueError, match="num_features must be >= 0"):
        nn.BatchNorm1d(-1)
    with pytest.raises(TypeError, match="num_features must be an int"):
        nn.BatchNorm1d(2.5)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        nn.BatchNorm1d(3, eps=-1e-5)
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\]"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=float("nan"))
    with pytest.raises(TypeError, match="momentum=None"):
        nn.BatchNorm1d(3, momentum=None)


def test_batch_norm_with_no_features_gives_empty_outputs_as_pytorch():
    layer = nn.BatchNorm1d(0)
    assert layer(Tensor(np.ones((4, 0)))).shape == (4, 0)
    assert layer.eval()(Tensor(np.ones((4, 0)))).shape == (4, 0)
