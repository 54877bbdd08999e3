"""nn (Sequential, Linear, ReLU, CrossEntropyLoss, SGD / Adam) against hand-written numpy.

The digits MLP of the CS229 Lecture 12 notes (section 7.5), 64-32-16-10 with ReLU and
softmax cross-entropy, one training step each (forward, backward, update), median over
many, float64;
at batch 64 and at batch 1,437 (the size of the digits training set). At
batch 64 it also times the SGD step's fused ops called directly, without the
Module, loss and optimizer layers, to show what those layers cost.

Run: ``python benchmarks/nn_vs_numpy.py`` (``--quick`` for fewer repetitions).
"""

from __future__ import annotations

# isort: off
from common import (
    assert_same_step,
    compare_steps,
    mlp_problem,
    numpy_adam_step,
    numpy_sgd_step,
    report,
    rounds_from_arguments,
    sgd_update,
)

# isort: on
import functools

import numpy as np

import nn
from autograd_mini import Tensor
from autograd_mini.ops import Relu
from nn import fused


def nn_step(params, x, y_onehot, optimizer_name):
    model = nn.Sequential(
        nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10)
    )
    for layer, (w, b) in zip(model[::2], params):
        layer.weight.data, layer.bias.data = w, b  # share the arrays: updates show in params
    loss_fn = nn.CrossEntropyLoss()
    if optimizer_name == "sgd":
        optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    else:
        optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    x, labels = Tensor(x), y_onehot.argmax(axis=1)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        optimizer.step()
        return loss

    return step


def fused_ops_step(params, x, y_onehot, lr=0.1):
    """The same SGD step calling nn's fused ops directly: no Module, loss or optimizer layer.

    Not a way to train (no checks on the inputs); it shows what the nn layers cost on top.
    """
    tensors = [(Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)) for w, b in params]
    x, labels = Tensor(x), y_onehot.argmax(axis=1).astype(np.intp)

    def step():
        a = x
        for layer, (w, b) in enumerate(tensors):
            a = fused.Linear.apply(a, w, b)
            if layer < len(tensors) - 1:
                a = Relu.apply(a)
        loss = fused.SoftmaxCrossEntropy.apply(a, labels, reduction="mean", labels=True)
        loss.backward()
        sgd_update(tensors, lr)
        return loss

    return step


def check_same_updates(rng: np.random.Generator) -> None:
    problem = mlp_problem(rng, 64)
    for name, numpy_step in (("sgd", numpy_sgd_step), ("adam", numpy_adam_step)):
        by_nn = functools.partial(nn_step, optimizer_name=name)
        assert_same_step(numpy_step, by_nn, problem, name)
    assert_same_step(numpy_sgd_step, fused_ops_step, problem, "fused ops")


def main() -> None:
    rounds = rounds_from_arguments(__doc__.splitlines()[0])
    rng = np.random.default_rng(0)
    check_same_updates(rng)
    rows = []
    for batch, target, per_round in ((64, "<= 1.3x", 20), (1437, "<= 1.1x", 10)):
        problem = mlp_problem(rng, batch)
        for name, numpy_step in (("SGD", numpy_sgd_step), ("Adam", numpy_adam_step)):
            by_nn = functools.partial(nn_step, optimizer_name=name.lower())
            times = compare_steps(numpy_step, by_nn, problem, rounds, per_round)
            rows.append((f"MLP 64-32-16-10, {name}, batch {batch}", *times, target))
        if batch == 64:
            times = compare_steps(numpy_sgd_step, fused_ops_step, problem, rounds, per_round)
            rows.append(("  (the SGD step's fused ops alone, no nn layers)", *times, "-"))
    report(rows)


if __name__ == "__main__":
    main()
