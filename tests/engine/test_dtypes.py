"""dtype rules: float64 by default, float32 kept, set_default_dtype, TypeError for the rest."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_mini as am
from autograd_mini import Tensor


@pytest.fixture
def float32_default():
    am.set_default_dtype(np.float32)
    yield
    am.set_default_dtype(np.float64)


@pytest.mark.parametrize(
    "data", [1, 2.5, True, [1, 2], [[1.0, 2.0]], np.arange(3), np.array([True, False])]
)
def test_python_numbers_lists_ints_and_bools_become_the_default_float(data):
    assert Tensor(data).dtype == np.float64


def test_floating_arrays_keep_their_dtype_and_are_not_copied():
    a32 = np.ones(3, dtype=np.float32)
    a64 = np.ones(3)
    assert Tensor(a32).dtype == np.float32
    assert Tensor(a64).data is a64
    assert Tensor(np.float32(2.0)).dtype == np.float32


def test_explicit_dtype_converts():
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2, np.float32), dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="floating dtype"):
        Tensor([1, 2], dtype=np.int64)


def test_default_dtype_can_be_float32(float32_default):
    assert am.get_default_dtype() == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(3).dtype == np.float32
    assert Tensor(np.ones(2)).dtype == np.float64  # arrays keep theirs


def test_set_default_dtype_accepts_only_float32_and_float64():
    with pytest.raises(TypeError, match=r"float64 or np\.float32"):
        am.set_default_dtype(np.int32)
    with pytest.raises(TypeError, match=r"float64 or np\.float32"):
        am.set_default_dtype(np.float16)
    assert am.get_default_dtype() == np.float64


@pytest.mark.parametrize(
    "data, kind",
    [
        (np.array([1 + 2j]), "complex"),
        (1 + 2j, "complex"),
        (np.array(["a"]), "string"),
        ("abc", "string"),
        (np.array([object()]), "object"),
        ([1, "a"], "string"),
    ],
)
def test_complex_object_and_string_data_raise_type_error(data, kind):
    with pytest.raises(TypeError, match=kind):
        Tensor(data)


def test_ragged_lists_raise_type_error():
    with pytest.raises(TypeError, match="cannot convert"):
        Tensor([[1.0], [1.0, 2.0]])


def test_float32_stays_float32_through_ops_and_gradients():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    y = ((x @ w).tanh() * 2.0 + 1).sigmoid().log_softmax().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_gradient_of_a_float32_leaf_mixed_with_float64_is_float32():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = (x * np.ones(3)).sum()  # float64 result
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


def test_grad_has_the_shape_and_dtype_of_data():
    x = Tensor(np.ones((2, 1)), requires_grad=True)
    (x * np.ones((2, 5))).sum().backward()
    assert x.grad.shape == (2, 1) and x.grad.dtype == np.float64


def test_data_assignment_follows_the_same_rules():
    x = Tensor([1.0])
    x.data = [1, 2]
    assert x.data.dtype == np.float64
    with pytest.raises(TypeError, match="complex"):
        x.data = np.array([1j])
