"""accuracy, confusion_matrix and the documents' bias/variance diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_mini import Tensor


def test_accuracy_for_logits_probabilities_and_one_hot_targets():
    logits = Tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 0.0]])
    assert nn.metrics.accuracy(logits, [0, 1, 2, 1]) == 0.75
    assert nn.metrics.accuracy(logits, np.eye(3)[[0, 1, 2, 1]]) == 0.75
    assert nn.metrics.accuracy(np.array([0.9, 0.2, 0.6]), [1, 0, 0]) == pytest.approx(2 / 3)
    assert nn.metrics.accuracy(np.array([[3.0], [-1.0], [0.5]]), [1, 0, 0]) == pytest.approx(2 / 3)
    assert nn.metrics.accuracy(np.array([0.4, 0.6]), [1, 1], threshold=0.3) == 1.0
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        nn.metrics.accuracy(np.ones((3, 2)), [0, 1])


def test_confusion_matrix_rows_are_true_classes():
    matrix = nn.metrics.confusion_matrix(np.array([0, 2, 2, 1]), [0, 1, 2, 1], num_classes=3)
    np.testing.assert_array_equal(matrix, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    from_scores = nn.metrics.confusion_matrix(np.eye(3)[[0, 2, 2, 1]], [0, 1, 2, 1], 3)
    np.testing.assert_array_equal(from_scores, matrix)
    with pytest.raises(ValueError, match="outside 0..1"):
        nn.metrics.confusion_matrix([0, 2], [0, 1], 2)


@pytest.mark.parametrize(
    "train, dev, bayes, label",
    [
        (0.01, 0.11, 0.0, "high variance"),
        (0.15, 0.16, 0.0, "high bias"),
        (0.15, 0.30, 0.0, "high bias and high variance"),
        (0.005, 0.01, 0.0, "neither (low bias, low variance)"),
        (0.15, 0.16, 0.14, "neither (low bias, low variance)"),  # the Bayes error is 14%
    ],
)
def test_diagnose_follows_the_documents(train, dev, bayes, label):
    diagnosis = nn.metrics.diagnose(train, dev, bayes_error=bayes)
    assert diagnosis.label == label
    assert diagnosis.avoidable_bias == pytest.approx(train - bayes)
    assert diagnosis.variance == pytest.approx(dev - train)
    assert label in str(diagnosis)


def test_diagnosis_advice_and_errors():
    assert "bigger network" in nn.metrics.diagnose(0.2, 0.2).advice
    assert "regularization" in nn.metrics.diagnose(0.0, 0.2).advice
    with pytest.raises(ValueError, match="fraction in \\[0, 1\\]"):
        nn.metrics.diagnose(12.0, 15.0)
