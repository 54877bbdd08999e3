"""Linear, initialization schemes and activation layers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd_mini import Tensor
from autograd_mini.testing import assert_gradients_match

from ..helpers import arrays, floats


@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 8), st.booleans(), st.data())
def test_linear_is_x_w_transpose_plus_b(n_in, n_out, m, bias, data):
    layer = nn.Linear(n_in, n_out, bias=bias, rng=0)
    assert layer.weight.shape == (n_out, n_in)
    x = data.draw(arrays((m, n_in)), label="x")
    y = layer(Tensor(x))
    expected = x @ layer.weight.data.T + (layer.bias.data if bias else 0)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    inputs = [Tensor(x, requires_grad=True), layer.weight] + ([layer.bias] if bias else [])
    assert_gradients_match(
        lambda x, w, *b: nn.functional.linear(x, w, b[0] if b else None), *inputs
    )


@given(st.sampled_from([(), (2,), (2, 3)]), st.data())
def test_linear_on_one_example_and_on_extra_leading_dimensions(lead, data):
    layer = nn.Linear(3, 2, rng=1)
    x = Tensor(data.draw(arrays((*lead, 3))), requires_grad=True)
    assert layer(x).shape == (*lead, 2)
    assert_gradients_match(
        lambda x, w, b: nn.functional.linear(x, w, b), x, layer.weight, layer.bias
    )


def test_linear_shape_error_names_op_and_shapes():
    with pytest.raises(
        ValueError, match=r"linear: input of shape \(5, 10\) has 10 features.*\(32, 64\) expects 64"
    ):
        nn.Linear(64, 32)(Tensor(np.ones((5, 10))))


@pytest.mark.parametrize(
    "scheme, variance",
    [
        ("he", lambda i, o: 2 / i),
        ("lecun", lambda i, o: 1 / i),
        ("glorot", lambda i, o: 2 / (i + o)),
    ],
)
def test_initialization_variances(scheme, variance):
    n_in, n_out = 400, 300
    weights = nn.Linear(n_in, n_out, init=scheme, rng=0).weight.data
    assert abs(weights.mean()) < 0.01 * np.sqrt(variance(n_in, n_out)) * 10
    np.testing.assert_allclose(weights.var(), variance(n_in, n_out), rtol=0.02)


def test_zeros_init_and_biases_start_at_zero():
    layer = nn.Linear(3, 2, init="zeros")
    assert np.all(layer.weight.data == 0) and np.all(layer.bias.data == 0)


def test_rng_makes_initialization_reproducible():
    a = nn.Linear(5, 4, rng=42).weight.data
    b = nn.Linear(5, 4, rng=np.random.default_rng(42)).weight.data
    c = nn.Linear(5, 4, rng=43).weight.data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_init_functions_fill_in_place_and_reject_bad_input():
    w = nn.Parameter(np.empty((3, 5)))
    assert nn.init.lecun_(w, rng=0) is w
    nn.init.constant_(w, 0.5)
    assert np.all(w.data == 0.5)
    assert nn.init.kaiming_normal_ is nn.init.he_ and nn.init.xavier_normal_ is nn.init.glorot_
    with pytest.raises(ValueError, match="unknown scheme 'xavier'"):
        nn.Linear(2, 2, init="xavier")
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.he_(nn.Parameter(np.ones(3)))


def test_float32_weights_stay_float32_after_init():
    w = nn.Parameter(np.empty((2, 2), np.float32))
    nn.init.he_(w, rng=0)
    assert w.dtype == np.float32


@pytest.mark.parametrize(
    "module, reference",
    [
        (nn.ReLU(), lambda z: np.maximum(z, 0)),
        (nn.LeakyReLU(0.2), lambda z: np.where(z > 0, z, 0.2 * z)),
        (nn.Sigmoid(), lambda z: 1 / (1 + np.exp(-z))),
        (nn.Tanh(), np.tanh),
        (nn.Softmax(axis=1), lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)),
        (nn.Identity(), lambda z: z),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "",
)
@given(z=arrays((3, 4), floats(away_from=0.0)))
def test_activation_layers(module, reference, z):
    np.testing.assert_allclose(module(Tensor(z)).data, reference(z), rtol=1e-12)
    assert_gradients_match(module, Tensor(z, requires_grad=True))


def test_softmax_takes_pytorchs_dim_and_refuses_both_names():
    z = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(nn.Softmax(dim=0)(Tensor(z)).data, nn.Softmax(0)(z).data)
    assert repr(nn.Softmax(dim=0)) == "Softmax(axis=0)"
    for axis in (1, -1):
        with pytest.raises(TypeError, match=rf"Softmax: got both axis={axis} and dim=0"):
            nn.Softmax(axis, dim=0)


def test_activation_reprs():
    assert repr(nn.LeakyReLU(0.1)) == "LeakyReLU(negative_slope=0.1)"
    assert repr(nn.Softmax()) == "Softmax(axis=-1)"


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.dtype("float32"), "float64"])
def test_linear_takes_a_dtype(dtype):
    layer = nn.Linear(3, 2, dtype=dtype)
    assert layer.weight.dtype == layer.bias.dtype == np.dtype(dtype)
    assert layer(Tensor(np.ones((4, 3), dtype=dtype))).dtype == np.dtype(dtype)


def test_linear_dtype_none_is_the_default_dtype():
    from autograd_mini import set_default_dtype

    set_default_dtype(np.float32)
    try:
        assert nn.Linear(3, 2, dtype=None).weight.dtype == np.float32
    finally:
        set_default_dtype(np.float64)


@pytest.mark.parametrize("dtype", [np.int32, np.bool_, np.complex128, "int64"])
def test_linear_refuses_non_floating_dtypes(dtype):
    with pytest.raises(TypeError, match="dtype must be a floating dtype"):
        nn.Linear(3, 2, dtype=dtype)


def test_linear_with_no_inputs_gives_the_bias_as_pytorch():
    layer = nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0)
    layer.bias.data = np.array([1.0, 2.0, 3.0])
    x = Tensor(np.ones((4, 0)), requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(y.data, np.tile([1.0, 2.0, 3.0], (4, 1)))
    y.sum().backward()
    np.testing.assert_array_equal(layer.bias.grad, [4.0, 4.0, 4.0])
    assert layer.weight.grad.shape == (3, 0) and x.grad.shape == (4, 0)
    assert nn.Linear(3, 0)(Tensor(np.ones((2, 3)))).shape == (2, 0)


@pytest.mark.parametrize("scheme", ["he", "lecun", "glorot", "zeros"])
def test_initializing_an_empty_weight_is_a_no_op(scheme):
    w = nn.Parameter(np.empty((3, 0)))
    assert nn.init.initialize_(w, scheme, rng=0) is w and w.shape == (3, 0)


def test_linear_refuses_bad_sizes():
    with pytest.raises(ValueError, match="in_features must be >= 0, got -1"):
        nn.Linear(-1, 2)
    with pytest.raises(ValueError, match="out_features must be >= 0"):
        nn.Linear(2, -3)
    with pytest.raises(TypeError, match="in_features must be an int, got float 2.0"):
        nn.Linear(2.0, 3)
    assert nn.Linear(np.int64(2), 3).in_features == 2
