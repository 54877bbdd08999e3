"""How fast can a reverse-mode engine in Python be? A lower bound for the engine benchmark.

The engine benchmark asks for the digits MLP (64-32-16-10), composed from Tensor ops,
at no more than 1.3x the hand-written numpy of the delta equations. This
script runs the same step, the same 16 ops (three ``x @ W.T + b`` of three
ops each, two ReLU, log-softmax, times the one-hot labels, sum, negate,
divide by m) with the same numpy calls as autograd_mini, on the barest
engine that still records a graph and walks it backward: a tensor of four
slots, a closure per op, a heap on creation order, and nothing else; no grad
mode, no version counters, no hooks, no dtype rules, no error messages.

It does the same for the tiny network (2-16-16-1, tanh, squared error, batch
8), whose target is 1.5x. Whatever such an engine costs above numpy is the
price of doing reverse mode op by op in CPython; autograd_mini pays it plus
the features API.md asks for.

Run: ``python benchmarks/python_floor.py`` (``--quick`` for fewer repetitions).
"""

from __future__ import annotations

import heapq
import itertools

# isort: off
from common import (
    assert_same_step,
    compare_steps,
    mlp_problem,
    numpy_sgd_step,
    report,
    rounds_from_arguments,
    sgd_update,
    tiny_problem,
)
from engine_vs_numpy import numpy_tiny_network_step

# isort: on
import numpy as np

from autograd_mini.kernels import shifted_exponentials, sum_along, sum_rows

_creation_order = itertools.count()


class Bare:
    """data, grad, and how it was made: (creation number, backward closure, inputs)."""

    __slots__ = ("data", "grad", "made_by", "requires_grad")

    def __init__(self, data, requires_grad=False, made_by=None):
        self.data, self.grad, self.made_by = data, None, made_by
        self.requires_grad = requires_grad or made_by is not None


def record(data, backward, *inputs):
    return Bare(data, made_by=(next(_creation_order), backward, inputs))


def matmul(a, b):
    return record(
        a.data.dot(b.data),
        lambda g: (g.dot(b.data.T) if a.requires_grad else None, a.data.T.dot(g)),
        a,
        b,
    )


def transpose(a):
    return record(a.data.T, lambda g: (g.T,), a)


def add_bias(a, b):
    return record(a.data + b.data, lambda g: (g, sum_rows(g)), a, b)


def relu(a):
    y = np.maximum(a.data, 0.0)
    return record(y, lambda g: (g * (y > 0),), a)


def log_softmax(a):
    shifted, _, total = shifted_exponentials(a.data, 1)
    y = shifted - np.log(total)
    return record(y, lambda g: (g - np.exp(y) * sum_along(g, 1),), a)


def tanh(a):
    y = np.tanh(a.data)
    return record(y, lambda g: (g * (1.0 - y * y),), a)


def minus_constant(a, c):
    return record(a.data - c, lambda g: (g,), a)


def square(a):
    return record(a.data * a.data, lambda g: (2.0 * g * a.data,), a)


def times_constant(a, c):
    return record(a.data * c, lambda g: (g * c,), a)


def total(a):
    return record(np.sum(a.data), lambda g: (np.full(a.data.shape, g),), a)


def backward(root):
    """Each node once, consumers first (largest creation number first), sums in a dict."""
    pending = {id(root): np.float64(1.0)}
    queue = [(-root.made_by[0], id(root), root)]
    while queue:
        _, key, tensor = heapq.heappop(queue)
        grad = pending.pop(key)
        _, backward_of, inputs = tensor.made_by
        for parent, parent_grad in zip(inputs, backward_of(grad)):
            if parent_grad is None or not parent.requires_grad:
                continue
            if parent.made_by is None:
                parent.grad = parent_grad if parent.grad is None else parent.grad + parent_grad
            elif id(parent) in pending:
                pending[id(parent)] = pending[id(parent)] + parent_grad
            else:
                pending[id(parent)] = parent_grad
                heapq.heappush(queue, (-parent.made_by[0], id(parent), parent))


def bare_mlp_step(params, x, y_onehot, lr=0.1):
    tensors = [(Bare(w, True), Bare(b, True)) for w, b in params]
    x, m = Bare(x), x.shape[0]

    def step():
        a = x
        for layer, (w, b) in enumerate(tensors):
            a = add_bias(matmul(a, transpose(w)), b)
            if layer < len(tensors) - 1:
                a = relu(a)
        cost = total(times_constant(log_softmax(a), y_onehot))
        loss = times_constant(times_constant(cost, -1.0), 1.0 / m)
        backward(loss)
        sgd_update(tensors, lr)
        return loss

    return step


def bare_tiny_network_step(params, x, y, lr=0.05):
    """engine_vs_numpy.py's tiny network: 2-16-16-1, tanh, 0.5 * squared error / m."""
    (w1, b1), (w2, b2), (w3, b3) = tensors = [(Bare(w, True), Bare(b, True)) for w, b in params]
    x, m = Bare(x), x.shape[0]

    def step():
        a1 = tanh(add_bias(matmul(x, transpose(w1)), b1))
        a2 = tanh(add_bias(matmul(a1, transpose(w2)), b2))
        out = add_bias(matmul(a2, transpose(w3)), b3)
        loss = times_constant(times_constant(total(square(minus_constant(out, y))), 0.5), 1 / m)
        backward(loss)
        sgd_update(tensors, lr)
        return loss

    return step


def check_same_updates(rng: np.random.Generator) -> None:
    assert_same_step(numpy_sgd_step, bare_mlp_step, mlp_problem(rng, 64), "bare engine, MLP")
    problem = tiny_problem(rng)
    assert_same_step(numpy_tiny_network_step, bare_tiny_network_step, problem, "bare, tiny")


def main() -> None:
    rounds = rounds_from_arguments(__doc__.splitlines()[0])
    rng = np.random.default_rng(0)
    check_same_updates(rng)
    times = compare_steps(numpy_sgd_step, bare_mlp_step, mlp_problem(rng, 64), rounds)
    rows = [("MLP 64-32-16-10 step, batch 64 (16 ops)", *times, "<= 1.3x")]
    tiny = tiny_problem(rng)
    times = compare_steps(numpy_tiny_network_step, bare_tiny_network_step, tiny, rounds)
    rows.append(("tiny network 2-16-16-1 step, batch 8 (16 ops)", *times, "<= 1.5x"))
    print("a bare Python engine (no grad mode, versions, hooks, checks) against numpy:")
    report(rows, label="bare")


if __name__ == "__main__":
    main()
