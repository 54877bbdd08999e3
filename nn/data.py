"""Data for training: train/dev/test splits, input normalization, mini-batches
(Improving Deep Neural Networks notes, sections 1, 8 and 14-15: train/dev/test sets,
normalizing inputs, mini-batch gradient descent; CS229 Lecture 12 notes, section 7.3:
input normalization)."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd_mini import Tensor, as_array

Split = tuple[np.ndarray, np.ndarray]


def train_dev_test_split(
    X: Any, y: Any, dev: float = 0.15, test: float = 0.15, stratify: bool = True, seed: int = 0
) -> tuple[Split, Split, Split]:
    """Split examples (rows of X) into train, dev and test sets from one distribution.

    ``dev`` and ``test`` are fractions of all examples: the sets get
    ``round(n * dev)`` and ``round(n * test)`` examples, train the rest. A
    fraction above 0 that rounds to no example, or no example left to train on,
    raises ValueError. With ``stratify`` (the default) every class (a distinct
    value of y, or a distinct one-hot row) keeps its share in each set, so dev
    and test come from the same distribution as train (Improving Deep Neural
    Networks notes, section 1); a class too small for every set goes where its
    share is largest, keeping an example for train when it can. The split is
    random but fixed by ``seed``; each set keeps the original order.
    Returns ``(X_train, y_train), (X_dev, y_dev), (X_test, y_test)``.
    """
    X, y = as_array(X), as_array(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"train_dev_test_split: X and y need one row per example, got shapes {X.shape} "
            f"and {y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(f"train_dev_test_split: X has {len(X)} examples but y has {len(y)}")
    if not (0 <= dev < 1 and 0 <= test < 1 and dev + test < 1):
        raise ValueError(
            f"train_dev_test_split: dev={dev} and test={test} must be fractions in [0, 1) "
            "with dev + test < 1, so that examples are left to train on"
        )
    n = len(X)
    sizes = _set_sizes(n, dev, test)
    rng = np.random.default_rng(seed)
    if stratify:
        rows = y.reshape(n, -1)  # labels, or one-hot rows
        # each example in exactly one class, by np.unique's inverse (rows == label would lose
        # the examples whose label is NaN, which equals nothing)
        classes = np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1)
        groups = [np.flatnonzero(classes == k) for k in range(classes.max() + 1)]
        per_class = _apportion(sizes, [len(g) for g in groups], rng)
        parts: list[list[np.ndarray]] = [[], [], []]
        for group, counts in zip(groups, per_class):
            shuffled = rng.permutation(group)
            bounds = np.cumsum(counts)[:-1]
            for part, chosen in zip(parts, np.split(shuffled, bounds)):
                part.append(chosen)
        indices = [np.sort(np.concatenate(part)) for part in parts]
    else:
        order = rng.permutation(n)
        indices = [np.sort(chosen) for chosen in np.split(order, np.cumsum(sizes)[:-1])]
    return tuple((X[i], y[i]) for i in indices)  # type: ignore[return-value]


def _set_sizes(n: int, dev: float, test: float) -> np.ndarray:
    """[train, dev, test] example counts, or a ValueError when a set would be empty."""
    if n == 0:
        raise ValueError("train_dev_test_split: X and y have 0 examples; nothing to split")
    n_dev, n_test = round(n * dev), round(n * test)
    for name, fraction, size in (("dev", dev, n_dev), ("test", test, n_test)):
        if fraction > 0 and size == 0:
            raise ValueError(
                f"train_dev_test_split: {name}={fraction} of {n} examples is no example; "
                f"use more data, a larger {name} fraction, or {name}=0 for no {name} set"
            )
    if n - n_dev - n_test < 1:
        raise ValueError(
            f"train_dev_test_split: {n} examples leave none to train on after {n_dev} for dev "
            f"and {n_test} for test; use more data or smaller fractions"
        )
    return np.array([n - n_dev - n_test, n_dev, n_test])


def _apportion(totals: np.ndarray, class_sizes: list[int], rng: np.random.Generator) -> np.ndarray:
    """Counts (classes x sets) with rows summing to each class's size and columns to
    ``totals``: proportional shares, rounded by largest remainder.

    The extra examples that rounding leaves for dev and test go one at a time to a
    class that still has an example (then: one not yet given an extra one, one
    that keeps an example for train, the largest remainder, and a random order
    rather than the labels' order, so that one-example classes are not picked
    by value)."""
    sizes = np.array(class_sizes)
    exact = np.outer(sizes, totals) / sizes.sum()
    counts = np.floor(exact).astype(int)
    tie_break = rng.spawn(1)[0].permutation(len(sizes))  # leaves the stream of rng as it was
    for column in (1, 2):  # dev and test get their sizes exactly; train takes the rest
        for _ in range(totals[column] - counts[:, column].sum()):
            left = sizes - counts[:, 1] - counts[:, 2]
            remainder = exact[:, column] - counts[:, column]
            order = np.lexsort((tie_break, -remainder, left < 2, remainder <= 0, left < 1))
            counts[order[0], column] += 1
    counts[:, 0] = sizes - counts[:, 1] - counts[:, 2]
    return counts


class Standardizer:
    """Zero mean and unit variance per feature, with the training set's statistics.

    ``fit`` on the training set only; ``transform`` then applies the same
    mu and sigma to dev and test data (CS229 Lecture 12 notes, section 7.3:
    "these sigma and mu have to be used on the test set as well"). Features with
    zero variance (or a single example) are only centred. Training data with NaN
    or infinite values raise ValueError: their statistics would be NaN.
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, X: Any) -> Standardizer:
        X = as_array(X)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"Standardizer.fit: X must be (examples, features), got {X.shape}")
        bad = np.flatnonzero(~np.isfinite(X).all(axis=0))
        if bad.size:
            raise ValueError(
                f"Standardizer.fit: feature(s) {bad.tolist()} hold NaN or infinite values; "
                "impute or drop them before fitting"
            )
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: Any) -> Any:
        if self.mean is None or self.std is None:
            raise RuntimeError("Standardizer.transform: call fit(X_train) first")
        values = as_array(X)
        if values.ndim != 2 or values.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"Standardizer.transform: X of shape {values.shape}, but the fitted data had "
                f"{self.mean.shape[0]} features"
            )
        standardized = (values - self.mean) / self.std
        return Tensor(standardized) if isinstance(X, Tensor) else standardized

    def fit_transform(self, X: Any) -> Any:
        return self.fit(X).transform(X)


class DataLoader:
    """Mini-batches ``(xb, yb)`` of (X, y): ``xb`` a Tensor, ``yb`` an array of targets.

    With ``shuffle`` each pass (epoch) draws a new permutation from a
    generator seeded once with ``seed``, so every example appears exactly
    once per epoch and runs are reproducible. ``drop_last`` skips a last
    batch smaller than ``batch_size``.
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        batch_size: int = 64,
        shuffle: bool = True,
        seed: int | None = None,
        drop_last: bool = False,
    ) -> None:
        self.X, self.y = as_array(X), as_array(y)
        if self.X.ndim == 0 or self.y.ndim == 0:
            raise ValueError(
                f"DataLoader: X and y need one row per example, got shapes {self.X.shape} "
                f"and {self.y.shape}"
            )
        if len(self.X) != len(self.y):
            raise ValueError(f"DataLoader: X has {len(self.X)} examples but y has {len(self.y)}")
        if isinstance(batch_size, bool) or not _is_int(batch_size) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1 and an int, got {batch_size!r}")
        batch_size = operator.index(batch_size)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        full, rest = divmod(len(self.X), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[tuple[Tensor, np.ndarray]]:
        n = len(self.X)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            chosen = order[start : start + self.batch_size]
            if self.drop_last and len(chosen) < self.batch_size:
                return
            yield Tensor(self.X[chosen]), self.y[chosen]


def _is_int(value: Any) -> bool:
    try:
        operator.index(value)
    except TypeError:
        return False
    return True
