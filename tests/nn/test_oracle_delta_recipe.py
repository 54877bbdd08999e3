"""nn against the hand-derived backprop of tests/oracles/backprop.py (the delta recipe of
CS229: Additional Notes on Backpropagation).

Random networks drawn by hypothesis (depth 1-5, widths 1-16, batch 1-32),
every hidden activation, every output/loss pair of the CS229 backprop notes, with L2
and with inverted dropout through fixed masks: the gradients nn's modules
and losses produce must equal the delta recipe's.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd_mini import Tensor
from nn import functional as F

from ..helpers import arrays, floats
from ..oracles.backprop import cost, delta_recipe

HIDDEN = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
# (the notes' output activation, how nn computes the cost J from the last layer's z)
OUTPUTS = {
    "sigmoid + BCE on probabilities": "sigmoid",
    "sigmoid + BCE on logits": "sigmoid",
    "softmax + CE, class labels": "softmax",
    "softmax + CE, one-hot targets": "softmax",
    "identity + squared error": "identity",
}


@st.composite
def networks(draw, outputs=tuple(OUTPUTS)):
    depth = draw(st.integers(1, 5), label="depth")
    output = draw(st.sampled_from(outputs), label="output")
    min_out = 2 if OUTPUTS[output] == "softmax" else 1
    sizes = [draw(st.integers(1, 16), label="n_x")]
    sizes += [draw(st.integers(1, 16)) for _ in range(depth - 1)]
    sizes.append(draw(st.integers(min_out, 6), label="n_out"))
    m = draw(st.integers(1, 32), label="m")
    hidden = draw(st.sampled_from(sorted(HIDDEN)), label="hidden")
    X = draw(arrays((sizes[0], m), floats(-2, 2)), label="X")
    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights.append(draw(arrays((n_out, n_in), floats(-1, 1))) / np.sqrt(n_in))
        biases.append(draw(arrays((n_out, 1), floats(-0.5, 0.5))))
    n_out = sizes[-1]
    if OUTPUTS[output] == "softmax":
        labels = np.array(draw(st.lists(st.integers(0, n_out - 1), min_size=m, max_size=m)))
        Y = np.eye(n_out)[labels].T
    elif OUTPUTS[output] == "sigmoid":
        Y = draw(arrays((n_out, m), st.sampled_from([0.0, 1.0])), label="Y")
    else:
        Y = draw(arrays((n_out, m), floats(-2, 2)), label="Y")
    return X, Y, weights, biases, hidden, output


def nn_gradients(X, Y, weights, biases, hidden, output, lam=0.0, masks=None, keep_prob=1.0):
    """Build the same network from nn modules (batch-first) and backprop the same J."""
    layers = []
    for W, b in zip(weights, biases):
        layer = nn.Linear(W.shape[1], W.shape[0])
        layer.weight.data = W.copy()
        layer.bias.data = b[:, 0].copy()
        layers.append(layer)
    model = nn.Sequential(*layers)  # registers the layers, for l2_penalty
    activation = HIDDEN[hidden]()
    a = Tensor(X.T)
    for index, layer in enumerate(layers):
        a = layer(a)
        if index < len(layers) - 1:
            a = activation(a)
            if masks is not None:
                a = F.dropout(a, p=1 - keep_prob, mask=masks[index].T)
    m = X.shape[1]
    y = Y.T
    if output == "sigmoid + BCE on probabilities":
        J = nn.BCELoss(reduction="sum")(nn.Sigmoid()(a), y) / m
    elif output == "sigmoid + BCE on logits":
        J = nn.BCEWithLogitsLoss(reduction="sum")(a, y) / m
    elif output == "softmax + CE, class labels":
        J = nn.CrossEntropyLoss()(a, y.argmax(axis=1))
    elif output == "softmax + CE, one-hot targets":
        J = nn.CrossEntropyLoss()(a, y)
    else:  # J = 1/m sum 1/2 ||y_hat - y||^2
        J = 0.5 * nn.MSELoss(reduction="sum")(a, y) / m
    if lam:
        J = J + nn.l2_penalty(model, lam, m)
    J.backward()
    return (
        J.item(),
        [layer.weight.grad for layer in layers],
        [layer.bias.grad[:, None] for layer in layers],
    )


def assert_same_gradients(got, expected):
    (_, got_W, got_b), (expected_W, expected_b) = got, expected
    for dW, dW_expected in zip(got_W, expected_W):
        np.testing.assert_allclose(dW, dW_expected, rtol=1e-9, atol=1e-12)
    for db, db_expected in zip(got_b, expected_b):
        np.testing.assert_allclose(db, db_expected, rtol=1e-9, atol=1e-12)


@given(networks())
def test_nn_gradients_follow_the_delta_recipe(network):
    X, Y, weights, biases, hidden, output = network
    got = nn_gradients(X, Y, weights, biases, hidden, output)
    expected = delta_recipe(X, Y, weights, biases, hidden, OUTPUTS[output])
    assert_same_gradients(got, expected)
    expected_cost = cost(X, Y, weights, biases, hidden, OUTPUTS[output])
    np.testing.assert_allclose(got[0], expected_cost, rtol=1e-9, atol=1e-12)


@given(networks(), st.floats(0.01, 5.0))
def test_l2_adds_lambda_over_m_times_w(network, lam):
    """Cost + lambda/2m sum ||W||^2 gives dW += lambda/m W (Improving Deep Neural Networks
    notes, section 3)."""
    X, Y, weights, biases, hidden, output = network
    got = nn_gradients(X, Y, weights, biases, hidden, output, lam=lam)
    expected = delta_recipe(X, Y, weights, biases, hidden, OUTPUTS[output], lam=lam)
    assert_same_gradients(got, expected)
    expected_cost = cost(X, Y, weights, biases, hidden, OUTPUTS[output], lam=lam)
    np.testing.assert_allclose(got[0], expected_cost, rtol=1e-9, atol=1e-12)


@given(networks(), st.sampled_from([0.5, 0.8, 0.9]), st.data())
def test_inverted_dropout_applies_the_mask_to_the_deltas(network, keep_prob, data):
    """Backprop through a fixed mask: dA = dA * D / keep_prob (Neural Networks course
    notes, section 5.1)."""
    X, Y, weights, biases, hidden, output = network
    masks = [
        data.draw(arrays((W.shape[0], X.shape[1]), st.booleans()).map(lambda a: a.astype(float)))
        for W in weights[:-1]
    ]
    got = nn_gradients(X, Y, weights, biases, hidden, output, masks=masks, keep_prob=keep_prob)
    expected = delta_recipe(
        X, Y, weights, biases, hidden, OUTPUTS[output], masks=masks, keep_prob=keep_prob
    )
    assert_same_gradients(got, expected)
