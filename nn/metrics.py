"""Accuracy, the confusion matrix, and the documents' bias/variance diagnosis
(003_478d786b6f0fab28.txt section 4; 001_c6b77ffe3f8d6a56.txt section 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_mini.tensor import as_array


def predictions(logits_or_probs: Any, threshold: float | None = None) -> np.ndarray:
    """Predicted class labels: argmax over classes, or a threshold for one output column
    (integer arrays are taken as labels already).

    For one column, ``threshold`` defaults to 0.5 when every value lies in
    [0, 1] (probabilities) and to 0 otherwise (logits).
    """
    scores = as_array(logits_or_probs)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    if scores.dtype.kind in "iu":  # already class labels
        return scores.reshape(-1)
    scores = scores.reshape(len(scores)) if scores.ndim else scores.reshape(1)
    if threshold is None:
        threshold = 0.5 if scores.size and scores.min() >= 0 and scores.max() <= 1 else 0.0
    return (scores > threshold).astype(int)


def _labels(y: Any) -> np.ndarray:
    values = as_array(y)
    if values.ndim == 2 and values.shape[1] > 1:  # one-hot or probabilities
        return values.argmax(axis=1)
    return values.reshape(len(values)).astype(int)


def accuracy(logits_or_probs: Any, y: Any, threshold: float | None = None) -> float:
    """The fraction of examples whose predicted class is the true one.

    ``logits_or_probs``: (m, classes), or (m,) / (m, 1) for one binary
    output; ``y``: labels (m,) or one-hot (m, classes).
    """
    predicted, true = predictions(logits_or_probs, threshold), _labels(y)
    if predicted.shape != true.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions but {true.shape[0]} labels")
    return float(np.mean(predicted == true)) if true.size else float("nan")


def confusion_matrix(pred: Any, y: Any, num_classes: int) -> np.ndarray:
    """Counts C[i, j] of examples of true class i predicted as class j.

    ``pred`` is predicted labels, or scores (m, classes) whose argmax is taken.
    """
    predicted, true = predictions(pred), _labels(y)
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
    """The documents' reading of train and dev error (003 section 4)."""

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
        if self.high_bias:  # the documents' recipe: fix bias first, then variance
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

    Errors are fractions (1 - accuracy). The documents' examples: train 1%,
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
