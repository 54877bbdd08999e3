"""autograd_mini.testing: strategies and assertions shipped to users."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_mini import Tensor
from autograd_mini.testing import assert_gradients_match, broadcastable_shapes, tensors


@given(tensors())
def test_tensors_are_finite_float64_leaves_requiring_grad(t):
    assert isinstance(t, Tensor) and t.dtype == np.float64 and t.requires_grad
    assert np.all(np.isfinite(t.data)) and np.all((np.abs(t.data) <= 10) & (np.abs(t.data) >= 0.1))


@given(
    tensors(shape=(2, 3), dtype=np.float32, elements=st.floats(0, 1, width=32), requires_grad=False)
)
def test_tensors_with_given_shape_dtype_and_elements(t):
    assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
    assert np.all((t.data >= 0) & (t.data <= 1))


@given(broadcastable_shapes(num_shapes=3))
def test_broadcastable_shapes_broadcast(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)


def test_assert_gradients_match_raises_a_readable_assertion():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert_gradients_match(lambda t: (t * t).sum(), x)
    with pytest.raises(AssertionError, match=r"(?s)gradcheck FAILED.*worst entries"):
        assert_gradients_match(lambda t: (t * t.detach()).sum(), x)
