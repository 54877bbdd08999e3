"""The first oracle: logistic regression and the CS229 Lecture 12 notes' 3-layer cat network.

The engine, given only the forward pass written with Tensor operators,
must reproduce the hand-derived gradients of tests/oracles/backprop.py to 1e-10.
The library is batch-first (x is m by n_x); the oracle uses columns, so we transpose.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograd_mini import Tensor

from ..helpers import arrays, floats
from ..oracles.backprop import cat_network_gradients, logistic_regression_gradients


def binary_cross_entropy(a: Tensor, y: np.ndarray) -> Tensor:
    """J = -1/m sum [y log a + (1 - y) log(1 - a)], composed from Tensor operators."""
    return -(y * a.log() + (1 - y) * (1 - a).log()).mean()


@st.composite
def problems(draw, widths):
    m = draw(st.integers(1, 32), label="m")
    n_x = draw(st.integers(1, 16), label="n_x")
    sizes = [n_x, *widths]
    X = draw(arrays((n_x, m), floats(-2, 2)), label="X")
    Y = draw(arrays((1, m), st.sampled_from([0.0, 1.0])), label="Y")
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = draw(arrays((n_out, n_in), floats(-1, 1)), label="W")
        b = draw(arrays((n_out, 1), floats(-1, 1)), label="b")
        params.append((W, b))
    return X, Y, params


def engine_gradients(X, Y, params):
    """Batch-first forward with Tensor ops; returns [(dW, db)] in the notes' column shapes."""
    tensors = [
        (Tensor(W, requires_grad=True), Tensor(b[:, 0], requires_grad=True)) for W, b in params
    ]
    a = Tensor(X.T)
    for W, b in tensors:
        a = (a @ W.T + b).sigmoid()
    binary_cross_entropy(a, Y.T).backward()
    return [(W.grad, b.grad[:, None]) for W, b in tensors]


@given(problems(widths=[1]))
def test_logistic_regression_matches_the_closed_form(problem):
    X, Y, [(W, b)] = problem
    [(dW, db)] = engine_gradients(X, Y, [(W, b)])
    expected_dW, expected_db = logistic_regression_gradients(X, Y, W, b)
    np.testing.assert_allclose(dW, expected_dW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, expected_db, rtol=1e-10, atol=1e-12)


@given(problems(widths=[3, 2, 1]))
def test_three_layer_cat_network_matches_the_delta_recipe(problem):
    X, Y, params = problem
    got = engine_gradients(X, Y, params)
    expected = cat_network_gradients(X, Y, *[p for layer in params for p in layer])
    for (dW, db), (expected_dW, expected_db) in zip(got, expected):
        np.testing.assert_allclose(dW, expected_dW, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db, expected_db, rtol=1e-10, atol=1e-12)
