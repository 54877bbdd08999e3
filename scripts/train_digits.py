"""The main job: train the digits classifier of the CS229 Lecture 12 notes end to end.

scikit-learn's 8x8 digits (10 classes), split 70/15/15 with stratification,
standardized with the training set's statistics, then an MLP with BatchNorm,
Dropout and Adam (CS229 Lecture 12 notes: Backpropagation & Deep Learning,
section 7.5, "with advanced techniques"), trained with mini-batches, a cosine
learning-rate schedule and early stopping. Prints dev and test accuracy and the
bias/variance diagnosis, and writes into the output folder:

- ``cost.png``: train and dev cost per epoch;
- ``graph.svg``: the computation graph of one forward pass and its loss;
- ``model.safetensors``: the trained weights (load with ``nn.load``).

Run it with ``scripts/demo`` (which sets everything up first).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen needed

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

import nn
from autograd_mini import Tensor, draw_graph


def build_model(rng: np.random.Generator) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, 128, rng=rng),
        nn.BatchNorm1d(128),
        nn.ReLU(),
        nn.Dropout(0.2, rng=rng),
        nn.Linear(128, 64, rng=rng),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Dropout(0.2, rng=rng),
        nn.Linear(64, 10, init="glorot", rng=rng),
    )


def describe(model: nn.Sequential) -> str:
    """The model in a few words, read off its layers: "64-128-64-10 MLP (BatchNorm1d, ...)"."""
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    others: list[str] = []
    for layer in model:
        name = f"Dropout {layer.p}" if isinstance(layer, nn.Dropout) else type(layer).__name__
        if not isinstance(layer, nn.Linear) and name not in others:
            others.append(name)
    return f"{'-'.join(map(str, sizes))} MLP ({', '.join(others)})"


def main(argv: list[str] | None = None) -> dict[str, float | int | str]:
    """Train, report and write the three files; returns the model's description, the number of
    epochs run and the train, dev and test accuracies."""
    parser = argparse.ArgumentParser(description="Train the digits classifier (the main job).")
    parser.add_argument("--out", default="out/digits", help="output folder (default: out/digits)")
    parser.add_argument("--epochs", type=int, default=80, help="maximum number of epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    digits = load_digits()
    train, dev, test = nn.data.train_dev_test_split(digits.data, digits.target, seed=args.seed)
    scaler = nn.data.Standardizer().fit(train[0])  # mu and sigma of the training set only
    train, dev, test = [(scaler.transform(X), y) for X, y in (train, dev, test)]
    print(f"digits: {len(train[1])} train, {len(dev[1])} dev, {len(test[1])} test examples")

    rng = np.random.default_rng(args.seed)
    model = build_model(rng)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = nn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(args.epochs, 1))
    history = nn.fit(
        model,
        loss_fn,
        optimizer,
        train,
        dev=dev,
        epochs=args.epochs,
        batch_size=64,
        scheduler=scheduler,
        early_stopping=nn.EarlyStopping(patience=15),
        progress=not args.no_progress,
        seed=args.seed,
    )

    _, train_accuracy = nn.evaluate(model, loss_fn, train)
    _, dev_accuracy = nn.evaluate(model, loss_fn, dev)
    _, test_accuracy = nn.evaluate(model, loss_fn, test)
    diagnosis = nn.metrics.diagnose(1 - train_accuracy, 1 - dev_accuracy)
    print(f"epochs run: {history.epochs} (best dev cost at epoch {history.best_epoch})")
    print(
        f"train accuracy {train_accuracy:.4f}, dev accuracy {dev_accuracy:.4f}, "
        f"test accuracy {test_accuracy:.4f}"
    )
    print(f"diagnosis: {diagnosis}")

    ax = history.plot(title="Digits MLP (BatchNorm, Dropout, Adam): cost per epoch")
    ax.figure.savefig(out / "cost.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)

    x_batch, y_batch = Tensor(train[0][:8], name="x (8 examples)"), train[1][:8]
    model.train()
    graph = draw_graph(loss_fn(model(x_batch), y_batch), group_modules=True)
    graph.render(out / "graph", format="svg", cleanup=True)

    nn.save(model, out / "model.safetensors", metadata={"test_accuracy": f"{test_accuracy:.4f}"})
    for name in ("cost.png", "graph.svg", "model.safetensors"):
        print(f"wrote {os.path.join(out, name)}")
    return {
        "model": describe(model),
        "epochs_run": history.epochs,
        "train": train_accuracy,
        "dev": dev_accuracy,
        "test": test_accuracy,
    }


if __name__ == "__main__":
    main()
