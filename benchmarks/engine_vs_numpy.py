"""The engine against hand-written numpy of the delta equations
(CS229: Additional Notes on Backpropagation).

Three measurements, each the median over many repetitions (float64):

1. one SGD step of the digits MLP (64-32-16-10, ReLU, softmax
   cross-entropy, batch 64), built from Tensor operators only, against the
   same step written by hand with the delta recipe;
2. one step of a tiny network (2-16-16-1, tanh, squared error, batch 8);
3. forward + backward of a tiny graph, ``(a + b).sum().backward()`` on 4x4.

Run: ``python benchmarks/engine_vs_numpy.py`` (``--quick`` for fewer repetitions).
"""

from __future__ import annotations

# isort: off
from common import (  # sets BLAS threads first
    assert_same_step,
    compare,
    compare_steps,
    mlp_problem,
    numpy_sgd_step,
    report,
    rounds_from_arguments,
    sgd_update,
    tiny_problem,
)

# isort: on
import numpy as np

from autograd_mini import Tensor


def as_parameters(params):
    """Leaf tensors wrapping the (W, b) arrays, which the engine's steps update in place."""
    return [(Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)) for w, b in params]


def engine_mlp_step(params, x, y_onehot, lr=0.1):
    """The MLP step with Tensor operators: the engine derives the deltas."""
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
        sgd_update(tensors, lr)
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
        sgd_update(tensors, lr)
        return loss

    return step


def tiny_graph_numpy(a, b):
    def step():
        s = (a + b).sum()  # forward
        grad = np.ones_like(a)  # d sum / d(a + b), passed on to both inputs
        return s, grad, grad.copy()

    return step


def tiny_graph_engine(a, b):
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)

    def step():
        ta.grad = tb.grad = None
        (ta + tb).sum().backward()

    return step


def check_same_updates(rng: np.random.Generator) -> None:
    assert_same_step(numpy_sgd_step, engine_mlp_step, mlp_problem(rng, 64), "engine, MLP")
    problem = tiny_problem(rng)
    assert_same_step(numpy_tiny_network_step, engine_tiny_network_step, problem, "tiny network")


def main() -> None:
    rounds = rounds_from_arguments(__doc__.splitlines()[0])
    rng = np.random.default_rng(0)
    check_same_updates(rng)

    rows = []
    times = compare_steps(numpy_sgd_step, engine_mlp_step, mlp_problem(rng, 64), rounds)
    rows.append(("MLP 64-32-16-10 step, batch 64", *times, "<= 1.3x"))
    tiny = tiny_problem(rng)
    times = compare_steps(numpy_tiny_network_step, engine_tiny_network_step, tiny, rounds)
    rows.append(("tiny network 2-16-16-1 step, batch 8", *times, "<= 1.5x"))

    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    times = compare(tiny_graph_numpy(a, b), tiny_graph_engine(a, b), rounds, per_round=200)
    rows.append(("tiny graph (a + b).sum().backward(), 4x4", *times, "< 10 us"))
    report(rows)


if __name__ == "__main__":
    main()
