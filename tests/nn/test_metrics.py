"""accuracy, confusion_matrix and the Neural Networks course notes' bias/variance diagnosis."""

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


def test_accuracy_of_no_examples_is_nan():
    assert np.isnan(nn.metrics.accuracy(np.zeros((0, 3)), np.zeros(0, int)))
    assert np.isnan(nn.metrics.accuracy(np.zeros(0), np.zeros(0)))


def test_scores_and_labels_that_disagree_on_the_classes_raise():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
    with pytest.raises(ValueError, match="over 3 classes but y has 4 columns"):
        nn.metrics.accuracy(logits, np.eye(4)[[0, 1]])
    with pytest.raises(ValueError, match=r"label 5 is outside 0..2"):
        nn.metrics.accuracy(logits, [0, 5])
    with pytest.raises(ValueError, match=r"label 2 is outside 0..1"):
        nn.metrics.accuracy(np.array([0.9, 0.1]), [1, 2])
    with pytest.raises(ValueError, match=r"got shape \(2, 2, 2\)"):
        nn.metrics.accuracy(np.ones((2, 2, 2)), [0, 1])
    with pytest.raises(ValueError, match="class labels .* got 2.5"):
        nn.metrics.accuracy(logits, np.array([0.0, 2.5]))


def test_one_column_soft_targets_are_split_at_one_half_like_rows_by_argmax():
    probabilities = np.array([0.8, 0.3, 0.6, 0.1])
    soft = np.array([0.9, 0.1, 0.2, 0.6])  # label smoothing, or probabilities of class 1
    assert nn.metrics.accuracy(probabilities, soft) == 0.5  # was 0.75: 0.9 truncated to 0
    np.testing.assert_array_equal(
        nn.metrics.confusion_matrix(probabilities, soft, 2), [[1, 1], [1, 1]]
    )


def test_one_column_threshold_reads_probabilities_at_one_half_and_logits_at_zero():
    assert nn.metrics.accuracy(np.array([0.4, 0.6]), [0, 1]) == 1.0  # in [0, 1]: probabilities
    assert nn.metrics.accuracy(np.array([-0.2, 0.3, 2.0]), [0, 1, 1]) == 1.0  # logits, at 0
    assert nn.metrics.accuracy(np.array([0.2, 0.3]), [1, 1], threshold=0.0) == 1.0
