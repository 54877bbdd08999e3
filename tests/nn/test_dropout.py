"""Inverted dropout: p is the drop probability, keep_prob = 1 - p, identity in eval."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd_mini import Tensor
from autograd_mini.testing import assert_gradients_match

from ..helpers import arrays


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_drops_a_fraction_p_and_scales_the_rest(p):
    layer = nn.Dropout(p, rng=0)
    x = Tensor(np.ones((200, 500)))
    y = layer(x).data
    dropped = np.mean(y == 0)
    assert abs(dropped - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p))
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expected value


def test_identity_in_eval_mode_and_for_p_zero():
    x = Tensor(np.ones((3, 3)), requires_grad=True)
    layer = nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert np.all(nn.Dropout(1.0)(x).data == 0)


def test_rng_makes_masks_reproducible_and_each_call_draws_anew():
    x = Tensor(np.ones((10, 10)))
    a, b = nn.Dropout(0.5, rng=7), nn.Dropout(0.5, rng=7)
    first = a(x).data
    np.testing.assert_array_equal(first, b(x).data)
    assert not np.array_equal(first, a(x).data)


@given(arrays((4, 5)), arrays((4, 5), st.booleans()), st.sampled_from([0.25, 0.5]))
def test_gradient_is_the_mask_over_keep_prob(x, mask, p):
    t = Tensor(x, requires_grad=True)
    nn.functional.dropout(t, p, mask=mask).sum().backward()
    np.testing.assert_allclose(t.grad, mask / (1 - p))
    assert_gradients_match(
        lambda t: nn.functional.dropout(t, p, mask=mask), Tensor(x, requires_grad=True)
    )


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"drop probability and must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match=r"mask of shape \(2,\) for input of shape \(3,\)"):
        nn.functional.dropout(Tensor(np.ones(3)), 0.5, mask=np.ones(2, bool))
    assert repr(nn.Dropout(0.3)) == "Dropout(p=0.3)"


def test_p_must_be_a_number():
    with pytest.raises(TypeError, match="p must be a number in"):
        nn.Dropout("0.5")
    with pytest.raises(TypeError, match="p must be a number in"):
        nn.Dropout(None)


def test_a_bad_rng_says_what_it_takes():
    with pytest.raises(TypeError, match="rng must be a np.random.Generator, a seed"):
        nn.Dropout(0.5, rng="seed")
    with pytest.raises(ValueError, match="rng must be a np.random.Generator, a seed"):
        nn.Linear(2, 2, rng=-1)
