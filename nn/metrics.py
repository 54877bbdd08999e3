"""Accuracy, the confusion matrix, and the bias/variance diagnosis
(Neural Networks, course notes (Matt R, 2022), section 4: training, development and test sets;
Deep Learning Study Notes: Improving Deep Neural Networks, section 2: bias / variance)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_mini import as_array


def predictions(logits_or_probs: Any, threshold: float | None = None) -> np.ndarray:
    """Predicted class labels: argmax over classes, or a threshold for one output column
    (integer arrays are taken as labels already).

    For one column, ``threshold`` defaults to 0.5 when every value lies in
    [0, 1] (probabilities) and to 0 otherwise (logits), as torchmetrics does; pass
    it explicitly for logits that all happen to lie in [0, 1].
    """
    scores = as_array(logits_or_probs)
    if scores.ndim > 2 or (scores.ndim == 2 and scores.shape[1] == 0):
        raise ValueError(
            f"predictions: scores must be (m,), (m, 1) or (m, classes), got shape {scores.shape}"
        )
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    if scores.dtype.kind in "iu":  # already class labels
        return scores.reshape(-1)
    scores = scores.reshape(-1)
    if threshold is None:
        threshold = 0.5 if scores.size and scores.min() >= 0 and scores.max() <= 1 else 0.0
    return (scores > threshold).astype(int)


def _classes(scores: np.ndarray) -> int | None:
    """How many classes the scores are over (None for labels, which do not say)."""
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.shape[1]
    return None if scores.dtype.kind in "iu" else 2


def _labels(y: Any, where: str) -> np.ndarray:
    """True class labels from labels (m,), one-hot or probability rows (m, classes) (their
    argmax), or one column of probabilities of class 1 (split at 0.5)."""
    values = as_array(y)
    if values.ndim == 2 and values.shape[1] > 1:  # one-hot or probabilities
        return values.argmax(axis=1)
    if values.ndim > 2:
        raise ValueError(
            f"{where}: y must be labels (m,) or one-hot (m, classes), got {values.shape}"
        )
    values = values.reshape(-1)
    if values.dtype.kind == "f" and not np.all(values == np.round(values)):
        if np.all((values >= 0) & (values <= 1)):
            return (values > 0.5).astype(int)  # a probability of class 1, like a soft target
        bad = values[values != np.round(values)][0]
        raise ValueError(
            f"{where}: y must hold class labels (whole numbers), one-hot rows or "
            f"probabilities in [0, 1]; got {bad}"
        )
    return values.astype(int)


def _check_labels(where: str, scores: np.ndarray, y: Any, true: np.ndarray) -> None:
    classes, targets = _classes(scores), as_array(y)
    if classes is None:
        return
    if targets.ndim == 2 and targets.shape[1] > 1 and targets.shape[1] != classes:
        raise ValueError(
            f"{where}: the scores are over {classes} classes but y has {targets.shape[1]} columns"
        )
    if true.size and (true.min() < 0 or true.max() >= classes):
        outside = true[(true < 0) | (true >= classes)][0]
        raise ValueError(
            f"{where}: label {outside} is outside 0..{classes - 1}, the classes of the scores"
        )


def accuracy(logits_or_probs: Any, y: Any, threshold: float | None = None) -> float:
    """The fraction of examples whose predicted class is the true one.

    ``logits_or_probs``: (m, classes), or (m,) / (m, 1) for one binary
    output (see ``predictions`` for its threshold); ``y``: labels (m,), one-hot or
    probability rows (m, classes), or probabilities of class 1 (m,) split at 0.5.
    A label outside the classes of the scores raises ValueError. No examples give
    NaN: a mean over nothing, as numpy's mean.
    """
    scores = as_array(logits_or_probs)
    predicted, true = predictions(scores, threshold), _labels(y, "accuracy")
    if predicted.shape != true.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions but {true.shape[0]} labels")
    _check_labels("accuracy", scores, y, true)
    return float(np.mean(predicted == true)) if true.size else float("nan")


def confusion_matrix(pred: Any, y: Any, num_classes: int) -> np.ndarray:
    """Counts C[i, j] of examples of true class i predicted as class j.

    ``pred`` is predicted labels, or scores (m, classes) whose argmax is taken.
    """
    predicted, true = predictions(pred), _labels(y, "confusion_matrix")
    if predicted.shape != true.shape:
        raise ValueError(
            f"confusion_matrix: {predicted.shape[0]} predictions, {true.shape[0]} labels"
        )
    for name, labels in (("predicted", predicted), ("true", true)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"confusion_matrix: a {name} label is outside 0..{num_classes - 1}")
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


@dataclass(frozen=True)
class Diagnosis:
    """The reading of train and dev error in the Neural Networks course notes,
    section 4."""

    high_bias: bool
    high_variance: bool
    avoidable_bias: float  # train error - Bayes error
    variance: float  # dev error - train error

    @property
    def label(self) -> str:
        if self.high_bias and self.high_variance:
            return "high bias and high variance"
        if self.high_bias:
            return "high bias"
        if self.high_variance:
            return "high variance"
        return "neither (low bias, low variance)"

    @property
    def advice(self) -> str:
        if self.high_bias:  # section 4's recipe: fix bias first, then variance
            return "underfits: try a bigger network, train longer, or change the architecture"
        if self.high_variance:
            return (
                "overfits: get more data, add regularization (L2, dropout), "
                "or change the architecture"
            )
        return "fits well: done"

    def __str__(self) -> str:
        return (
            f"{self.label} (avoidable bias {self.avoidable_bias:.1%}, variance "
            f"{self.variance:.1%}): {self.advice}"
        )


def diagnose(
    train_error: float, dev_error: float, bayes_error: float = 0.0, tolerance: float = 0.05
) -> Diagnosis:
    """High bias when train error exceeds the Bayes error by more than ``tolerance``;
    high variance when dev error exceeds train error by more than ``tolerance``.

    Errors are fractions (1 - accuracy). Examples: train 1%,
    dev 11% is high variance; train 15%, dev 16% high bias; train 15%, dev
    30% both; train 0.5%, dev 1% neither.
    """
    for name, value in (
        ("train_error", train_error),
        ("dev_error", dev_error),
        ("bayes_error", bayes_error),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"diagnose: {name} must be a fraction in [0, 1], got {value}")
    avoidable_bias = train_error - bayes_error
    variance = dev_error - train_error
    return Diagnosis(avoidable_bias > tolerance, variance > tolerance, avoidable_bias, variance)
