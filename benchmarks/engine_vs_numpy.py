"""The engine against hand-written numpy of the documents' delta equations.

Three measurements, each the median over many repetitions (float64):

1. one SGD step of the documents' MLP (64-32-16-10, ReLU, softmax
   cross-entropy, batch 64), built from Tensor operators only, against the
   same step written by hand with the delta recipe;
2. forward + backward of a tiny graph, ``(a + b).sum().backward()`` on 4x4;
3. one step of a tiny network (2-16-16-1, tanh, squared error, batch 8).

Run: ``python benchmarks/engine_vs_numpy.py`` (``--quick`` for fewer repetitions).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

# One BLAS thread: small matrices gain nothing from threads, and timings get steadier.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from autograd_mini import Tensor, no_grad


def compare(
    baseline: Callable[[], object], candidate: Callable[[], object], rounds: int, per_round: int
) -> tuple[float, float]:
    """Median seconds per call of each, timed in alternating rounds so drift hits both alike."""
    for step in (baseline, candidate):
        for _ in range(per_round):
            step()
    times = np.empty((rounds, 2))
    for r in range(rounds):
        for column, step in enumerate((baseline, candidate)):
            start = time.perf_counter()
            for _ in range(per_round):
                step()
            times[r, column] = (time.perf_counter() - start) / per_round
    baseline_time, candidate_time = np.median(times, axis=0)
    return float(baseline_time), float(candidate_time)


def make_mlp(sizes: list[int], rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-initialised (W, b) pairs, W of shape (n_out, n_in) as in the documents."""
    return [
        (rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in), np.zeros(n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def numpy_mlp_step(params, x, y_onehot, lr=0.1):
    """Forward, the delta recipe and an SGD update, by hand (rows are examples)."""

    def step():
        activations, pre_activations = [x], []
        a = x
        for layer, (w, b) in enumerate(params):
            z = a @ w.T + b
            pre_activations.append(z)
            a = np.maximum(z, 0) if layer < len(params) - 1 else z
            activations.append(a)
        z = pre_activations[-1]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        y_hat = e / e.sum(axis=1, keepdims=True)
        m = x.shape[0]
        loss = -np.sum(y_onehot * np.log(y_hat)) / m
        delta = (y_hat - y_onehot) / m  # delta^[L] = A^[L] - Y (softmax + cross-entropy)
        for layer in range(len(params) - 1, -1, -1):
            w, b = params[layer]
            grad_w = delta.T @ activations[layer]
            grad_b = delta.sum(axis=0)
            if layer > 0:  # delta^[l] = W^[l+1]T delta^[l+1] o g'(z^[l])
                delta = (delta @ w) * (pre_activations[layer - 1] > 0)
            w -= lr * grad_w
            b -= lr * grad_b
        return loss

    return step


def as_parameters(params):
    """Leaf tensors wrapping the (W, b) arrays, which the engine's steps update in place."""
    return [(Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)) for w, b in params]


def engine_mlp_step(params, x, y_onehot, lr=0.1):
    """The same step with Tensor operators: the engine derives the deltas."""
    tensors = as_parameters(params)
    x, y_onehot = Tensor(x), Tensor(y_onehot)
    m = x.shape[0]

    def step():
        a = x
        for layer, (w, b) in enumerate(tensors):
            a = a @ w.T + b
            if layer < len(tensors) - 1:
                a = a.relu()
        loss = -(a.log_softmax(axis=1) * y_onehot).sum() / m
        loss.backward()
        with no_grad():
            for w, b in tensors:
                w.data -= lr * w.grad  # in place: the caller's arrays see the update
                b.data -= lr * b.grad
                w.grad = b.grad = None
        return loss

    return step


def numpy_tiny_network_step(params, x, y, lr=0.05):
    def step():
        (w1, b1), (w2, b2), (w3, b3) = params
        a1 = np.tanh(x @ w1.T + b1)
        a2 = np.tanh(a1 @ w2.T + b2)
        out = a2 @ w3.T + b3
        m = x.shape[0]
        loss = 0.5 * np.sum((out - y) ** 2) / m
        delta3 = (out - y) / m
        delta2 = (delta3 @ w3) * (1 - a2 * a2)
        delta1 = (delta2 @ w2) * (1 - a1 * a1)
        for w, b, delta, a in ((w3, b3, delta3, a2), (w2, b2, delta2, a1), (w1, b1, delta1, x)):
            w -= lr * (delta.T @ a)
            b -= lr * delta.sum(axis=0)
        return loss

    return step


def engine_tiny_network_step(params, x, y, lr=0.05):
    tensors = as_parameters(params)
    x, y = Tensor(x), Tensor(y)
    m = x.shape[0]

    def step():
        (w1, b1), (w2, b2), (w3, b3) = tensors
        a1 = (x @ w1.T + b1).tanh()
        a2 = (a1 @ w2.T + b2).tanh()
        out = a2 @ w3.T + b3
        loss = 0.5 * ((out - y) ** 2).sum() / m
        loss.backward()
        with no_grad():
            for w, b in tensors:
                w.data -= lr * w.grad
                b.data -= lr * b.grad
                w.grad = b.grad = None
        return loss

    return step


def tiny_graph_numpy(a, b):
    def step():
        s = (a + b).sum()  # forward
        grad = np.ones_like(a) * 1.0  # d sum / d(a + b), passed to both inputs
        return s, grad, grad.copy()

    return step


def tiny_graph_engine(a, b):
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)

    def step():
        ta.grad = tb.grad = None
        (ta + tb).sum().backward()

    return step


def copy_params(params):
    return [(w.copy(), b.copy()) for w, b in params]


def check_same_gradients(rng: np.random.Generator) -> None:
    """Both MLP steps must make the same update, or the timing comparison is moot."""
    params = make_mlp([64, 32, 16, 10], rng)
    x = rng.standard_normal((64, 64))
    y = np.eye(10)[rng.integers(0, 10, 64)]
    by_hand = [(w.copy(), b.copy()) for w, b in params]
    by_engine = [(w.copy(), b.copy()) for w, b in params]
    numpy_mlp_step(by_hand, x, y)()
    engine_mlp_step(by_engine, x, y)()
    for (w_hand, b_hand), (w, b) in zip(by_hand, by_engine):
        assert np.allclose(w_hand, w, atol=1e-12), "MLP steps disagree"
        assert np.allclose(b_hand, b, atol=1e-12), "MLP steps disagree"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    rounds = 15 if args.quick else 100

    rng = np.random.default_rng(0)
    check_same_gradients(rng)

    rows = []
    params = make_mlp([64, 32, 16, 10], rng)
    x = rng.standard_normal((64, 64))
    y = np.eye(10)[rng.integers(0, 10, 64)]
    times = compare(
        numpy_mlp_step(copy_params(params), x, y),
        engine_mlp_step(copy_params(params), x, y),
        rounds,
        per_round=20,
    )
    rows.append(("MLP 64-32-16-10 step, batch 64", *times, "<= 1.3x"))

    params = make_mlp([2, 16, 16, 1], rng)
    x = rng.standard_normal((8, 2))
    y = rng.standard_normal((8, 1))
    times = compare(
        numpy_tiny_network_step(copy_params(params), x, y),
        engine_tiny_network_step(copy_params(params), x, y),
        rounds,
        per_round=20,
    )
    rows.append(("tiny network 2-16-16-1 step, batch 8", *times, "<= 1.5x"))

    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    times = compare(tiny_graph_numpy(a, b), tiny_graph_engine(a, b), rounds, per_round=200)
    rows.append(("tiny graph (a + b).sum().backward(), 4x4", *times, "< 10 us"))

    print(f"{'benchmark':45s} {'numpy':>10s} {'engine':>10s} {'ratio':>7s} {'target':>8s}")
    for name, numpy_time, engine_time, target in rows:
        print(
            f"{name:45s} {numpy_time * 1e6:8.1f}us {engine_time * 1e6:8.1f}us "
            f"{engine_time / numpy_time:6.2f}x {target:>8s}"
        )


if __name__ == "__main__":
    main()
