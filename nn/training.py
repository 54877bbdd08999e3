"""The training loop: mini-batch gradient descent with a recorded history, optional
learning-rate schedule, L2 term and early stopping (Improving Deep Neural Networks
notes, sections 3, 7, 14-15 and 22: L2 regularization, early stopping, mini-batch
gradient descent, learning-rate decay)."""

from __future__ import annotations

import math
import numbers
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_mini import Tensor, as_array, no_grad

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
    included when ``l2`` is set (the notes plot J with it, section 4);
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
    ``patience`` epochs; with ``restore_best`` the model gets back the weights and
    buffers of its best epoch, bit for bit (Improving Deep Neural Networks notes,
    section 7: early stopping).

    An epoch improves when its dev cost is below ``best - min_delta`` (as in Keras
    and PyTorch Lightning); a NaN dev cost never improves. ``fit`` resets it at the
    start, so one instance can serve several runs.
    """

    def __init__(
        self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True
    ) -> None:
        if not _is_count(patience) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an int >= 1, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best = restore_best
        self.reset()

    def reset(self) -> None:
        """Forget the best epoch seen so far (``fit`` calls it before training)."""
        self.best_cost = math.inf
        self.best_epoch: int | None = None
        self.best_state: OrderedDict[str, np.ndarray] | None = None
        self.epochs_without_improvement = 0

    def step(self, epoch: int, dev_cost: float, model: Module) -> bool:
        """Record one epoch's dev cost; True when training should stop."""
        if dev_cost < self.best_cost - self.min_delta:
            self.best_cost, self.best_epoch = dev_cost, epoch
            self.best_state = model.state_dict()  # copies: later steps do not change them
            self.epochs_without_improvement = 0
            return False
        self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience

    def restore(self, model: Module) -> bool:
        """Load the best epoch's state into ``model`` (with ``restore_best``); True if it did."""
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)
            return True
        return False


def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Optimizer,
    train: tuple[Any, Any] | DataLoader,
    dev: tuple[Any, Any] | DataLoader | None = None,
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

    The data are checked before training starts: training data that yield no
    mini-batch (no examples, or ``drop_last`` with a batch larger than the data)
    and an empty dev set raise ``ValueError``, as does an epoch in which a
    custom DataLoader yields nothing, instead of a cost of 0.
    A cost that becomes infinite or NaN raises ``TrainingDivergedError``, whose
    ``history`` keeps the epochs before it; with ``early_stopping`` (and
    ``restore_best``) the model first gets back its best epoch's weights.
    Ctrl-C (KeyboardInterrupt) closes the progress bar and propagates, with the
    completed epochs in the interrupt's ``history`` attribute; the model keeps
    the weights it had when interrupted (``early_stopping.best_state`` holds the best).
    The progress bar (tqdm) shows epoch, cost and dev accuracy; it is off
    with ``progress=False`` and when output goes neither to a terminal nor
    to a notebook.
    """
    if early_stopping is not None and dev is None:
        raise ValueError("fit: early_stopping watches the dev cost, so it needs dev=(X_dev, y_dev)")
    if not _is_count(epochs) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if not l2 >= 0:
        raise ValueError(f"fit: l2 (lambda) must be >= 0, got {l2}")
    loader = _training_loader(train, batch_size, seed)
    if dev is not None:
        dev = _examples("fit", "dev", dev)
    if early_stopping is not None:
        early_stopping.reset()
    history = History()
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            lr = optimizer.param_groups[0]["lr"]
            cost = _train_epoch(model, loss_fn, optimizer, loader, l2, epoch)
            if not math.isfinite(cost):
                raise _diverged(cost, epoch, history, model, early_stopping)
            dev_result = None if dev is None else evaluate(model, loss_fn, dev, batch_size)
            _record(history, lr, cost, dev_result)  # the epoch's entries, all at once
            _show(
                bar, history, dev_result is not None and isinstance(loss_fn, CLASSIFICATION_LOSSES)
            )
            if scheduler is not None:
                scheduler.step()
            if early_stopping is not None and early_stopping.step(
                epoch, history.dev_cost[-1], model
            ):
                history.stopped_epoch = epoch
                break
    except KeyboardInterrupt as interrupt:
        interrupt.history = history  # type: ignore[attr-defined]
        raise
    finally:
        if bar is not None:
            bar.close()
    if early_stopping is not None:
        history.best_epoch = early_stopping.best_epoch
        early_stopping.restore(model)
    return history


def _is_count(value: Any) -> bool:
    """An int or numpy integer (not a bool, not a float such as 2.0)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _training_loader(train: Any, batch_size: int, seed: int | None) -> DataLoader:
    """``train`` as a DataLoader that yields at least one mini-batch, or a ValueError."""
    if isinstance(train, DataLoader):
        loader = train
    else:
        X, y = _examples("fit", "training", train)
        loader = DataLoader(X, y, batch_size=batch_size, seed=seed)
    if len(loader) == 0:
        examples = len(loader.X) if hasattr(loader, "X") else "?"
        if examples == 0:
            raise ValueError("fit: the training set is empty (0 examples); nothing to train on")
        raise ValueError(
            f"fit: the training DataLoader yields no mini-batch: {examples} examples, "
            f"batch_size {loader.batch_size} and drop_last={loader.drop_last} drop them all; "
            f"use batch_size <= {examples} or drop_last=False"
        )
    return loader


def _examples(where: str, name: str, data: Any) -> tuple[np.ndarray, np.ndarray]:
    """``data`` (a pair (X, y) or a DataLoader) as arrays of the same, non-zero length."""
    if isinstance(data, DataLoader):
        X, y = data.X, data.y  # (checked like a pair: an empty one is refused too)
    else:
        try:
            X, y = data
        except (TypeError, ValueError):
            raise TypeError(
                f"{where}: the {name} set must be a pair (X, y) or a DataLoader, got "
                f"{type(data).__name__}"
            ) from None
        X, y = as_array(X), as_array(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"{where}: the {name} set needs one row per example, got X of shape {X.shape} and y of "
            f"shape {y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"{where}: the {name} set's X has {len(X)} examples but its y has {len(y)}"
        )
    if len(X) == 0:
        hint = "pass dev=None to train without one" if name == "dev" else "pass some examples"
        raise ValueError(f"{where}: the {name} set is empty (0 examples); {hint}")
    return X, y


def _diverged(
    cost: float,
    epoch: int,
    history: History,
    model: Module,
    early_stopping: EarlyStopping | None,
) -> TrainingDivergedError:
    restored = ""
    if early_stopping is not None and early_stopping.restore(model):
        history.best_epoch = early_stopping.best_epoch
        restored = f" The model has the weights of its best epoch ({early_stopping.best_epoch})."
    return TrainingDivergedError(
        f"fit: the training cost became {cost} in epoch {epoch}; the learning rate is "
        "probably too large (or the inputs are not normalized). The error's .history holds "
        f"the epochs before.{restored}",
        history,
    )


def _record(
    history: History, lr: float, cost: float, dev_result: tuple[float, float] | None
) -> None:
    history.lr.append(lr)
    history.train_cost.append(cost)
    if dev_result is not None:
        history.dev_cost.append(dev_result[0])
        history.dev_accuracy.append(dev_result[1])


def _show(bar: Any, history: History, with_accuracy: bool) -> None:
    if bar is None:
        return
    postfix = {"cost": f"{history.train_cost[-1]:.4f}"}
    if with_accuracy:
        postfix["dev acc"] = f"{history.dev_accuracy[-1]:.3f}"
    bar.set_postfix(postfix, refresh=False)
    bar.update()


def _train_epoch(
    model: Module, loss_fn: Any, optimizer: Optimizer, loader: DataLoader, l2: float, epoch: int
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
    if count == 0:
        raise ValueError(
            f"fit: the training data yielded no mini-batch in epoch {epoch} (an exhausted "
            "iterator, or a DataLoader whose __iter__ yields nothing?); each epoch needs at "
            "least one batch"
        )
    return total / count


@no_grad()
def evaluate(
    model: Module,
    loss_fn: Any,
    data: tuple[Any, Any] | DataLoader,
    batch_size: int = 256,
) -> tuple[float, float]:
    """(mean loss, accuracy) of ``model`` on ``data = (X, y)`` (or a DataLoader's X and y)
    in eval mode, ``batch_size`` examples at a time; accuracy is NaN unless ``loss_fn`` is a
    classification loss. Every submodule's mode is restored afterwards. Empty data raise
    ValueError (a mean over no examples has no value)."""
    X, y = _examples("evaluate", "data", data)
    # each module's own mode, not the outer one's: a BatchNorm frozen with .eval() stays frozen
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        outputs = [model(xb) for xb, _ in DataLoader(X, y, batch_size=batch_size, shuffle=False)]
    finally:
        for module, training in modes:
            object.__setattr__(module, "training", training)
    scores = Tensor(np.concatenate([out.data for out in outputs]))
    cost = loss_fn(scores, y).item()
    if not isinstance(loss_fn, CLASSIFICATION_LOSSES):
        return cost, float("nan")
    # one output column: logits are split at 0, probabilities (after a sigmoid) at 0.5
    threshold = 0.0 if isinstance(loss_fn, BCEWithLogitsLoss) else 0.5
    return cost, accuracy(scores, y, threshold=threshold)


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
