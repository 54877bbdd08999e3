"""The training loop: mini-batch gradient descent with a recorded history, optional
learning-rate schedule, L2 term and early stopping (001_c6b77ffe3f8d6a56.txt
sections 3, 7, 14-15, 22)."""

from __future__ import annotations

import math
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_mini import Tensor, no_grad
from autograd_mini.tensor import as_array

from .data import DataLoader
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, l2_penalty
from .metrics import accuracy
from .module import Module
from .optim.lr_scheduler import LRScheduler
from .optim.optimizer import Optimizer

CLASSIFICATION_LOSSES = (CrossEntropyLoss, BCELoss, BCEWithLogitsLoss)


@dataclass
class History:
    """What ``fit`` recorded, one entry per epoch.

    ``train_cost``: the mean cost J over the epoch's mini-batches, L2 term
    included when ``l2`` is set (the documents plot J with it);
    ``dev_cost``: the loss on the dev set (without the L2 term);
    ``dev_accuracy``: for classification losses (NaN for others); ``lr``: the learning rate
    used in the epoch. ``best_epoch`` / ``stopped_epoch`` are set by early stopping.
    """

    train_cost: list[float] = field(default_factory=list)
    dev_cost: list[float] = field(default_factory=list)
    dev_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_cost)

    def plot(self, ax: Any = None, title: str = "Cost per epoch"):
        """Draw train and dev cost against the epoch (matplotlib); returns the Axes."""
        try:
            import matplotlib.pyplot as plt
            from matplotlib.ticker import MaxNLocator
        except ImportError as error:
            raise ImportError(
                "History.plot needs matplotlib: pip install 'autograd-mini[plot]'"
            ) from error
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        epochs = np.arange(1, self.epochs + 1)
        ax.plot(epochs, self.train_cost, label="train cost J")
        if self.dev_cost:
            ax.plot(epochs, self.dev_cost, label="dev cost")
        if self.best_epoch is not None:
            ax.axvline(
                self.best_epoch,
                color="grey",
                linestyle="--",
                label=f"best epoch ({self.best_epoch})",
            )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("cost")
        ax.set_title(title)
        ax.legend()
        return ax


class TrainingDivergedError(FloatingPointError):
    """The training cost became infinite or NaN; ``history`` holds the epochs before it."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


class EarlyStopping:
    """Stop when the dev cost has not improved by more than ``min_delta`` for
    ``patience`` epochs; with ``restore_best`` the model gets back the weights
    of its best epoch (001 section 7)."""

    def __init__(
        self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True
    ) -> None:
        if patience < 1:
            raise ValueError(f"EarlyStopping: patience must be >= 1, got {patience}")
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best = restore_best
        self.best_cost = math.inf
        self.best_epoch: int | None = None
        self.best_state: OrderedDict[str, np.ndarray] | None = None
        self.epochs_without_improvement = 0

    def step(self, epoch: int, dev_cost: float, model: Module) -> bool:
        """Record one epoch's dev cost; True when training should stop."""
        if dev_cost < self.best_cost - self.min_delta:
            self.best_cost, self.best_epoch = dev_cost, epoch
            self.best_state = model.state_dict()
            self.epochs_without_improvement = 0
            return False
        self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience

    def restore(self, model: Module) -> None:
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)


def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Optimizer,
    train: tuple[Any, Any] | DataLoader,
    dev: tuple[Any, Any] | None = None,
    epochs: int = 10,
    batch_size: int = 64,
    scheduler: LRScheduler | None = None,
    l2: float = 0.0,
    early_stopping: EarlyStopping | None = None,
    progress: bool = True,
    seed: int | None = None,
) -> History:
    """Train ``model`` with mini-batch gradient descent; return the History.

    Each epoch: for every mini-batch of ``train`` (an ``(X, y)`` pair,
    shuffled each epoch with ``seed``, or a DataLoader) compute
    J = loss + l2 / (2 m) sum ||W||^2 (m the batch size), backpropagate and
    step the optimizer; then evaluate the dev set in eval mode, step the
    ``scheduler`` and consult ``early_stopping`` (which needs ``dev``).
    A cost that becomes infinite or NaN raises ``TrainingDivergedError``, whose
    ``history`` keeps the epochs before it.
    The progress bar (tqdm) shows epoch, cost and dev accuracy; it is off
    with ``progress=False`` and when output goes neither to a terminal nor
    to a notebook.
    """
    if early_stopping is not None and dev is None:
        raise ValueError("fit: early_stopping watches the dev cost, so it needs dev=(X_dev, y_dev)")
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    loader = (
        train
        if isinstance(train, DataLoader)
        else DataLoader(*train, batch_size=batch_size, seed=seed)
    )
    classification = isinstance(loss_fn, CLASSIFICATION_LOSSES)
    history = History()
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            history.lr.append(optimizer.param_groups[0]["lr"])
            cost = _train_epoch(model, loss_fn, optimizer, loader, l2)
            if not math.isfinite(cost):
                history.lr.pop()
                raise TrainingDivergedError(
                    f"fit: the training cost became {cost} in epoch {epoch}; the learning rate "
                    "is probably too large (or the inputs are not normalized). The error's "
                    ".history holds the epochs before.",
                    history,
                )
            history.train_cost.append(cost)
            postfix = {"cost": f"{history.train_cost[-1]:.4f}"}
            if dev is not None:
                dev_cost, dev_accuracy = evaluate(model, loss_fn, dev, batch_size)
                history.dev_cost.append(dev_cost)
                history.dev_accuracy.append(dev_accuracy)
                if classification:
                    postfix["dev acc"] = f"{dev_accuracy:.3f}"
            if bar is not None:
                bar.set_postfix(postfix, refresh=False)
                bar.update()
            if scheduler is not None:
                scheduler.step()
            if early_stopping is not None and early_stopping.step(
                epoch, history.dev_cost[-1], model
            ):
                history.stopped_epoch = epoch
                break
    finally:
        if bar is not None:
            bar.close()
    if early_stopping is not None:
        history.best_epoch = early_stopping.best_epoch
        early_stopping.restore(model)
    return history


def _train_epoch(
    model: Module, loss_fn: Any, optimizer: Optimizer, loader: DataLoader, l2: float
) -> float:
    model.train()
    total, count = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        cost = loss_fn(model(xb), yb)
        if l2:
            cost = cost + l2_penalty(model, l2, len(yb))
        cost.backward()
        optimizer.step()
        total += cost.item() * len(yb)
        count += len(yb)
    return total / max(count, 1)


@no_grad()
def evaluate(
    model: Module,
    loss_fn: Any,
    data: tuple[Any, Any],
    batch_size: int = 256,
) -> tuple[float, float]:
    """(mean loss, accuracy) of ``model`` on ``data = (X, y)`` in eval mode, ``batch_size``
    examples at a time; accuracy is NaN unless ``loss_fn`` is a classification loss.
    The model's mode is restored afterwards."""
    X, y = data
    was_training = model.training
    model.eval()
    try:
        outputs = [model(xb) for xb, _ in DataLoader(X, y, batch_size=batch_size, shuffle=False)]
    finally:
        model.train(was_training)
    scores = Tensor(np.concatenate([out.data for out in outputs]))
    targets = as_array(y)
    cost = loss_fn(scores, targets).item()
    if not isinstance(loss_fn, CLASSIFICATION_LOSSES):
        return cost, float("nan")
    # one output column: logits are split at 0, probabilities (after a sigmoid) at 0.5
    threshold = 0.0 if isinstance(loss_fn, BCEWithLogitsLoss) else 0.5
    return cost, accuracy(scores, targets, threshold=threshold)


def _progress_bar(epochs: int, progress: bool):
    if not progress or not (_in_notebook() or sys.stderr.isatty()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None  # tqdm is optional: pip install 'autograd-mini[train]'
    return tqdm(total=epochs, desc="epochs", unit="epoch", dynamic_ncols=True)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ipython = shell.get_ipython() if hasattr(shell, "get_ipython") else None
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"
