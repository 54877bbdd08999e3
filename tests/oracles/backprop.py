"""Backpropagation by hand: the delta recipe of the CS229 backpropagation notes and
the SKEMA backpropagation slides, and the 3-layer "cat" network of
the CS229 Lecture 12 notes.

Column notation: X is (n_x, m), W^[l] is (n^[l], n^[l-1]), b^[l] is (n^[l], 1).

    forward:   Z^[l] = W^[l] A^[l-1] + b^[l],  A^[l] = g^[l](Z^[l]),  A^[0] = X
    output:    delta^[L] = A^[L] - Y   (sigmoid + cross-entropy, softmax + cross-entropy,
                                        identity + squared error with the 1/2)
    hidden:    delta^[l] = (W^[l+1]T delta^[l+1]) o g'(Z^[l])
    gradients: dW^[l] = 1/m delta^[l] A^[l-1]T,  db^[l] = 1/m sum_i delta^[l](i)
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    """Column-wise softmax: each column of z is one example."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# g and g' for each activation, as the notes write them
ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(0, z), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1.0, 0.01)),
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
}

OUTPUTS = {"sigmoid": sigmoid, "softmax": softmax, "identity": lambda z: z}


def forward(X, weights, biases, hidden="relu", output="sigmoid", masks=None, keep_prob=1.0):
    """Z^[l] and A^[l] for every layer; optional inverted-dropout masks on hidden A^[l]."""
    g, _ = ACTIVATIONS[hidden]
    pre_activations, activations = [], [X]
    A = X
    for layer, (W, b) in enumerate(zip(weights, biases)):
        Z = W @ A + b
        last = layer == len(weights) - 1
        A = OUTPUTS[output](Z) if last else g(Z)
        if masks is not None and not last:
            A = A * masks[layer] / keep_prob
        pre_activations.append(Z)
        activations.append(A)
    return pre_activations, activations


def delta_recipe(
    X, Y, weights, biases, hidden="relu", output="sigmoid", lam=0.0, masks=None, keep_prob=1.0
):
    """dW^[l], db^[l] by the three-step recipe; with L2 (dW += lambda/m W, Improving Deep
    Neural Networks notes, section 3) and inverted dropout applied to the deltas through
    fixed masks (Neural Networks course notes, section 5.1)."""
    _, g_prime = ACTIVATIONS[hidden]
    m = X.shape[1]
    Z, A = forward(X, weights, biases, hidden, output, masks, keep_prob)
    L = len(weights)
    delta = A[L] - Y  # delta^[L]
    grads_W, grads_b = [None] * L, [None] * L
    for layer in range(L - 1, -1, -1):
        grads_W[layer] = delta @ A[layer].T / m + lam / m * weights[layer]
        grads_b[layer] = delta.sum(axis=1, keepdims=True) / m
        if layer > 0:
            upstream = weights[layer].T @ delta
            if masks is not None:
                upstream = upstream * masks[layer - 1] / keep_prob
            delta = upstream * g_prime(Z[layer - 1])
    return grads_W, grads_b


def cost(X, Y, weights, biases, hidden="relu", output="sigmoid", lam=0.0):
    """J = 1/m sum L(y_hat, y) (+ lambda/2m sum ||W||_F^2), with the notes' losses."""
    _, A = forward(X, weights, biases, hidden, output)
    Y_hat, m = A[-1], X.shape[1]
    if output == "sigmoid":
        losses = -(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat))
    elif output == "softmax":
        losses = -(Y * np.log(Y_hat))
    else:
        losses = 0.5 * (Y_hat - Y) ** 2
    return losses.sum() / m + lam / (2 * m) * sum(np.sum(W * W) for W in weights)


def logistic_regression_gradients(X, Y, W, b):
    """Logistic regression (CS229 backpropagation notes, N = 1): dW = 1/m (A - Y) X^T,
    db = 1/m sum(A - Y)."""
    A = sigmoid(W @ X + b)
    m = X.shape[1]
    return (A - Y) @ X.T / m, (A - Y).sum(axis=1, keepdims=True) / m


def cat_network_gradients(X, Y, W1, b1, W2, b2, W3, b3):
    """The 3-layer sigmoid network of the CS229 Lecture 12 notes section 7.1, step by step."""
    m = X.shape[1]
    A1 = sigmoid(W1 @ X + b1)
    A2 = sigmoid(W2 @ A1 + b2)
    A3 = sigmoid(W3 @ A2 + b3)
    dZ3 = A3 - Y  # dL/dZ3 = a3 - y
    dW3 = dZ3 @ A2.T / m  # dL/dW3 = (a3 - y) a2^T
    dZ2 = (W3.T @ dZ3) * A2 * (1 - A2)  # W3^T (a3 - y) o a2 (1 - a2)
    dW2 = dZ2 @ A1.T / m
    dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)
    dW1 = dZ1 @ X.T / m
    db = [dZ.sum(axis=1, keepdims=True) / m for dZ in (dZ1, dZ2, dZ3)]
    return (dW1, db[0]), (dW2, db[1]), (dW3, db[2])
