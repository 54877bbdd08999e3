"""Shared by the benchmarks: interleaved timing and the hand-written numpy baselines."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

# One BLAS thread: small matrices gain nothing from threads, and timings get steadier.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

Params = list[tuple[np.ndarray, np.ndarray]]


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


def compare_steps(make_baseline, make_candidate, problem, rounds: int, per_round: int = 20):
    """``compare`` of two training steps, each made from its own copy of the parameters."""
    params, x, y = problem
    baseline = make_baseline(copy_params(params), x, y)
    candidate = make_candidate(copy_params(params), x, y)
    return compare(baseline, candidate, rounds, per_round)


def make_mlp(sizes: list[int], rng: np.random.Generator) -> Params:
    """He-initialised (W, b) pairs, W of shape (n_out, n_in) as in the CS229 Lecture 12 notes."""
    return [
        (rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in), np.zeros(n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def copy_params(params: Params) -> Params:
    return [(w.copy(), b.copy()) for w, b in params]


def mlp_problem(rng: np.random.Generator, batch: int) -> tuple[Params, np.ndarray, np.ndarray]:
    """The 64-32-16-10 digits MLP (CS229 Lecture 12 notes, section 7.5, with 10 outputs),
    a batch of inputs and one-hot labels."""
    params = make_mlp([64, 32, 16, 10], rng)
    x = rng.standard_normal((batch, 64))
    y_onehot = np.eye(10)[rng.integers(0, 10, batch)]
    return params, x, y_onehot


def tiny_problem(rng: np.random.Generator) -> tuple[Params, np.ndarray, np.ndarray]:
    """The tiny network 2-16-16-1, a batch of 8 inputs and real-valued targets."""
    return make_mlp([2, 16, 16, 1], rng), rng.standard_normal((8, 2)), rng.standard_normal((8, 1))


def assert_same_parameters(expected: Params, actual: Params, what: str) -> None:
    """Both sides of a comparison must make the same update, or its timing is moot."""
    for (w_expected, b_expected), (w, b) in zip(expected, actual):
        same = np.allclose(w_expected, w, atol=1e-12) and np.allclose(b_expected, b, atol=1e-12)
        assert same, f"{what}: the two steps disagree"


def assert_same_step(make_baseline, make_candidate, problem, what: str) -> None:
    """One step of each, from the same parameters and data, leaves the same parameters."""
    params, x, y = problem
    by_baseline, by_candidate = copy_params(params), copy_params(params)
    make_baseline(by_baseline, x, y)()
    make_candidate(by_candidate, x, y)()
    assert_same_parameters(by_baseline, by_candidate, what)


def rounds_from_arguments(description: str) -> int:
    """How many timing rounds: 100, or 15 with --quick."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    return 15 if parser.parse_args().quick else 100


def numpy_mlp_gradients(params: Params, x: np.ndarray, y_onehot: np.ndarray):
    """Loss and [(dW, db)] of a ReLU MLP with softmax cross-entropy, by the delta recipe."""
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
    grads = [None] * len(params)
    for layer in range(len(params) - 1, -1, -1):
        w, _ = params[layer]
        grads[layer] = (delta.T @ activations[layer], delta.sum(axis=0))
        if layer > 0:  # delta^[l] = W^[l+1]T delta^[l+1] o g'(z^[l])
            delta = (delta @ w) * (pre_activations[layer - 1] > 0)
    return loss, grads


def numpy_sgd_step(params: Params, x, y_onehot, lr=0.1):
    def step():
        loss, grads = numpy_mlp_gradients(params, x, y_onehot)
        for (w, b), (grad_w, grad_b) in zip(params, grads):
            w -= lr * grad_w
            b -= lr * grad_b
        return loss

    return step


def numpy_adam_step(params: Params, x, y_onehot, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    flat = [p for layer in params for p in layer]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in flat]  # (m, v) per parameter
    t = [0]

    def step():
        loss, grads = numpy_mlp_gradients(params, x, y_onehot)
        t[0] += 1
        flat_grads = [g for layer in grads for g in layer]
        for p, g, (m, v) in zip(flat, flat_grads, moments):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= lr * (m / (1 - beta1 ** t[0])) / (np.sqrt(v / (1 - beta2 ** t[0])) + eps)
        return loss

    return step


def sgd_update(tensors, lr: float) -> None:
    """W -= lr dW and b -= lr db for (W, b) pairs of tensors, in their own arrays; no grads kept.

    Assigning .data is not recorded (nothing to wrap in no_grad) and bumps the version.
    """
    for w, b in tensors:
        w.data -= lr * w.grad  # in place: the caller's arrays see the update
        b.data -= lr * b.grad
        w.grad = b.grad = None


def report(rows: list[tuple[str, float, float, str]], label: str = "ours") -> None:
    print(f"{'benchmark':50s} {'numpy':>10s} {label:>10s} {'ratio':>7s} {'target':>8s}")
    for name, numpy_time, our_time, target in rows:
        print(
            f"{name:50s} {numpy_time * 1e6:8.1f}us {our_time * 1e6:8.1f}us "
            f"{our_time / numpy_time:6.2f}x {target:>8s}"
        )
