"""Losses: values, closed-form gradients (dZ = Y_hat - Y, ...), stability, targets, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays as hnp_arrays

import autograd_mini as am
import nn
from autograd_mini import Tensor
from autograd_mini.testing import assert_gradients_match

from ..helpers import arrays, floats

REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}


def log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@st.composite
def classification(draw):
    m = draw(st.integers(1, 12), label="m")
    classes = draw(st.integers(2, 6), label="classes")
    logits = draw(arrays((m, classes), floats(-5, 5)), label="logits")
    labels = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=m, max_size=m)))
    return logits, labels


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(problem=classification())
def test_cross_entropy_value_and_gradient_softmax_minus_y(reduction, problem):
    logits, labels = problem
    m = logits.shape[0]
    z = Tensor(logits, requires_grad=True)
    loss = nn.CrossEntropyLoss(reduction=reduction)(z, labels)
    per_example = -log_softmax(logits)[np.arange(m), labels]
    np.testing.assert_allclose(loss.data, REDUCE[reduction](per_example), rtol=1e-12)
    loss.sum().backward()
    y = np.eye(logits.shape[1])[labels]
    softmax = np.exp(log_softmax(logits))
    scale = 1 / m if reduction == "mean" else 1.0
    np.testing.assert_allclose(
        z.grad, (softmax - y) * scale, rtol=1e-12, atol=1e-15
    )  # dZ = Y_hat - Y
    assert_gradients_match(lambda z: nn.functional.cross_entropy(z, labels, reduction), z)


@given(problem=classification())
def test_cross_entropy_labels_one_hot_and_probabilities_agree(problem):
    logits, labels = problem
    one_hot = np.eye(logits.shape[1])[labels]
    by_label = nn.functional.cross_entropy(Tensor(logits), labels)
    by_one_hot = nn.functional.cross_entropy(Tensor(logits), one_hot)
    by_float_labels = nn.functional.cross_entropy(Tensor(logits), Tensor(labels.astype(float)))
    np.testing.assert_allclose(by_one_hot.data, by_label.data, rtol=1e-12)
    np.testing.assert_allclose(by_float_labels.data, by_label.data, rtol=1e-12)


@given(problem=classification(), data=st.data())
def test_cross_entropy_soft_targets_and_their_gradient(problem, data):
    logits, _ = problem
    raw = data.draw(arrays(logits.shape, floats(0.1, 1.0)), label="target")
    target = Tensor(raw / raw.sum(axis=1, keepdims=True), requires_grad=True)
    loss = nn.functional.cross_entropy(Tensor(logits), target)
    np.testing.assert_allclose(
        loss.data, -(target.data * log_softmax(logits)).sum(axis=1).mean(), rtol=1e-12
    )
    assert_gradients_match(
        lambda z, t: nn.functional.cross_entropy(z, t), Tensor(logits, requires_grad=True), target
    )


def test_cross_entropy_is_one_fused_node():
    loss = nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3)), requires_grad=True), [0, 2])
    assert loss.grad_fn.name == "cross_entropy"
    assert loss.grad_fn.parents[0].grad_fn is None  # straight from the logits, no softmax node


def test_cross_entropy_is_stable_for_huge_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        z = Tensor([[1000.0, -1000.0], [-1e300, 1e300]], requires_grad=True)
        loss = nn.functional.cross_entropy(z, [0, 0])
        assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1e300, rel=1e-12)
        loss.backward()
        assert np.all(np.isfinite(z.grad))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(data=st.data())
def test_bce_with_logits(reduction, data):
    z = data.draw(arrays((5, 2), floats(-8, 8)), label="z")
    y = data.draw(arrays((5, 2), st.sampled_from([0.0, 1.0])), label="y")
    p = 1 / (1 + np.exp(-z))
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    t = Tensor(z, requires_grad=True)
    loss = nn.BCEWithLogitsLoss(reduction=reduction)(t, y)
    np.testing.assert_allclose(loss.data, REDUCE[reduction](expected), rtol=1e-10)
    loss.sum().backward()
    scale = 1 / z.size if reduction == "mean" else 1.0
    np.testing.assert_allclose(t.grad, (p - y) * scale, rtol=1e-10, atol=1e-15)  # dz = a - y
    assert_gradients_match(
        lambda z, y: nn.functional.binary_cross_entropy_with_logits(z, y, reduction),
        Tensor(z, requires_grad=True),
        Tensor(y, requires_grad=True),
    )


def test_bce_with_logits_is_stable_for_any_magnitude():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        z = Tensor([-1e308, -1000.0, -40.0, 0.0, 40.0, 1000.0, 1e308], requires_grad=True)
        y = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
        losses = nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
        assert np.all(np.isfinite(losses.data))
        np.testing.assert_allclose(losses.data[[0, 1, 5, 6]], 0.0, atol=1e-300)
        np.testing.assert_allclose(losses.data[[2, 4]], 40.0, rtol=1e-12)
        losses.sum().backward()
        np.testing.assert_allclose(z.grad, [0, 0, -1, -0.5, 1, 0, 0], atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(data=st.data())
def test_bce_on_probabilities(reduction, data):
    p = data.draw(arrays((4, 3), floats(0.05, 0.95)), label="p")
    y = data.draw(arrays((4, 3), st.sampled_from([0.0, 1.0])), label="y")
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    t = Tensor(p, requires_grad=True)
    np.testing.assert_allclose(
        nn.BCELoss(reduction=reduction)(t, y).data, REDUCE[reduction](expected), rtol=1e-10
    )
    assert_gradients_match(
        lambda p, y: nn.functional.binary_cross_entropy(p, y, reduction),
        t,
        Tensor(y * 0.8 + 0.1, requires_grad=True),
    )


def test_bce_clamps_the_log_at_minus_100():
    loss = nn.functional.binary_cross_entropy(
        Tensor([0.0, 1.0], requires_grad=True), [1.0, 0.0], "none"
    )
    np.testing.assert_array_equal(loss.data, [100.0, 100.0])
    loss.sum().backward()  # finite, no NaN at the ends
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*with_logits"):
        nn.functional.binary_cross_entropy(Tensor([1.5]), [1.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(data=st.data())
def test_mse_is_the_mean_of_squares(reduction, data):
    prediction = data.draw(arrays((6, 2)), label="prediction")
    # a gradient that is exactly zero (prediction == target) cannot pass a relative check
    target = prediction + data.draw(arrays((6, 2), floats(0.1, 2)), label="gap")
    loss = nn.MSELoss(reduction=reduction)(Tensor(prediction), target)
    np.testing.assert_allclose(loss.data, REDUCE[reduction]((prediction - target) ** 2), rtol=1e-12)
    assert_gradients_match(
        lambda a, b: nn.functional.mse_loss(a, b, reduction),
        Tensor(prediction, requires_grad=True),
        Tensor(target, requires_grad=True),
    )


def test_l2_penalty_covers_weights_only():
    model = nn.Sequential(
        nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, rng=1)
    )
    lam, m = 0.7, 10
    expected = (
        lam / (2 * m) * (np.sum(model[0].weight.data ** 2) + np.sum(model[3].weight.data ** 2))
    )
    penalty = nn.l2_penalty(model, lam, m)
    assert penalty.item() == pytest.approx(expected, rel=1e-12)
    penalty.backward()
    np.testing.assert_allclose(model[0].weight.grad, lam / m * model[0].weight.data)
    assert model[0].bias.grad is None and model[1].weight.grad is None
    with pytest.raises(ValueError, match="no regularized weights"):
        nn.l2_penalty(nn.ReLU(), 0.1, 1)


def test_loss_errors_name_the_op_and_shapes():
    z = Tensor(np.zeros((4, 3)))
    with pytest.raises(IndexError, match="target label 3 is out of range for 3 classes"):
        nn.functional.cross_entropy(z, [0, 1, 2, 3])
    with pytest.raises(
        ValueError, match=r"target of shape \(5,\) fits logits of shape \(4, 3\) neither"
    ):
        nn.functional.cross_entropy(z, np.zeros(5, int))
    with pytest.raises(
        ValueError, match=r"target of shape \(1,\) fits logits of shape \(3,\) neither.*\(\)"
    ):
        nn.functional.cross_entropy(Tensor(np.zeros(3)), [0])  # one example's label is 0-d
    with pytest.raises(ValueError, match=r"logits must have a class axis.*got a 0-d tensor"):
        nn.functional.cross_entropy(Tensor(0.0), 0)
    with pytest.raises(ValueError, match="whole numbers"):
        nn.functional.cross_entropy(z, np.array([0.5, 1, 2, 0]))
    with pytest.raises(TypeError, match="must be integers"):
        nn.functional.cross_entropy(z, np.array(["a", "b", "c", "d"]))
    with pytest.raises(
        ValueError,
        match=r"mse_loss: target of shape \(4,\) does not match the input of shape \(4, 1\)",
    ):
        nn.MSELoss()(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"


def test_labels_of_any_integer_type_are_checked_and_read_alike():
    logits = Tensor(np.zeros((2, 300)))
    with pytest.raises(IndexError, match="target label -1 is out of range for 300 classes"):
        nn.functional.cross_entropy(logits, np.array([-1, 0], dtype=np.int8))  # 255 < 300
    expected = nn.functional.cross_entropy(logits, [1, 299]).item()
    for labels in (
        np.array([1, 299], dtype=">i8"),
        np.array([1, 299], dtype=np.uint16),
        np.array([1.0, 299.0]),
    ):
        assert nn.functional.cross_entropy(logits, labels).item() == expected


def test_probability_targets_with_logits_too_far_apart_for_floats():
    with np.errstate(over="ignore"):
        loss = nn.functional.cross_entropy(Tensor([[1e308, -1e308, 0.0]]), np.array([[1.0, 0, 0]]))
    assert loss.item() == 0.0
    logits = Tensor([[1e308, -1e308], [0.0, 1.0]], requires_grad=True)
    target = Tensor([[0.0, 1.0], [1.0, 0.0]], requires_grad=True)
    with np.errstate(over="ignore"):
        losses = nn.functional.cross_entropy(logits, target, reduction="none")
        losses.backward(np.array([0.0, 1.0]))  # 0 * (the lowest float) is 0, not NaN
    assert np.all(np.isfinite(target.grad)) and np.all(np.isfinite(logits.grad))
    assert target.grad[0, 1] == 0.0
    with pytest.raises(ValueError, match="or NaN"):
        nn.BCELoss()(Tensor([np.nan]), [1.0])


def test_activations_and_dropout_accept_arrays():
    assert isinstance(nn.ReLU()(np.array([-1.0, 2.0])), Tensor)
    layer = nn.Dropout(0.5)
    layer.eval()
    assert isinstance(layer(np.ones(3)), Tensor)


def _log_softmax_on(z, axis):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@st.composite
def spatial_classification(draw):
    """Logits (m, classes, d1, ...) with labels (m, d1, ...): a class score per position."""
    m = draw(st.integers(1, 3), label="m")
    classes = draw(st.integers(2, 4), label="classes")
    extra = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2), label="d"))
    logits = draw(arrays((m, classes, *extra), floats(-5, 5)), label="logits")
    labels = draw(
        hnp_arrays(np.int64, (m, *extra), elements=st.integers(0, classes - 1)), label="labels"
    )
    return logits, labels


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(problem=spatial_classification())
def test_cross_entropy_over_extra_dimensions_matches_pytorch_semantics(reduction, problem):
    """Classes on axis 1; "mean" over all m * d1 * ... losses; "none" of the labels' shape."""
    logits, labels = problem
    z = Tensor(logits, requires_grad=True)
    loss = nn.CrossEntropyLoss(reduction=reduction)(z, labels)
    log_p = _log_softmax_on(logits, 1)
    per_position = -np.take_along_axis(log_p, labels[:, None], axis=1)[:, 0]
    np.testing.assert_allclose(loss.data, REDUCE[reduction](per_position), rtol=1e-12)
    assert loss.shape == REDUCE[reduction](per_position).shape
    loss.sum().backward()
    y = np.moveaxis(np.eye(logits.shape[1])[labels], -1, 1)
    scale = 1 / labels.size if reduction == "mean" else 1.0
    np.testing.assert_allclose(z.grad, (np.exp(log_p) - y) * scale, rtol=1e-12, atol=1e-15)
    assert_gradients_match(lambda z: nn.functional.cross_entropy(z, labels, reduction), z)


@given(problem=spatial_classification(), data=st.data())
def test_cross_entropy_over_extra_dimensions_with_probability_targets(problem, data):
    logits, labels = problem
    one_hot = np.moveaxis(np.eye(logits.shape[1])[labels], -1, 1)
    by_label = nn.functional.cross_entropy(Tensor(logits), labels, "none")
    by_one_hot = nn.functional.cross_entropy(Tensor(logits), one_hot, "none")
    np.testing.assert_allclose(by_one_hot.data, by_label.data, rtol=1e-12)
    raw = data.draw(arrays(logits.shape, floats(0.1, 1.0)), label="target")
    target = Tensor(raw / raw.sum(axis=1, keepdims=True), requires_grad=True)
    loss = nn.functional.cross_entropy(Tensor(logits), target)
    expected = -(target.data * _log_softmax_on(logits, 1)).sum(axis=1).mean()
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    assert_gradients_match(
        lambda z, t: nn.functional.cross_entropy(z, t), Tensor(logits, requires_grad=True), target
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_one_example_with_a_0d_label_or_probabilities(reduction):
    logits = np.array([1.0, 2.0, 0.5])
    z = Tensor(logits, requires_grad=True)
    loss = nn.functional.cross_entropy(z, np.array(1), reduction)
    assert loss.shape == ()
    log_p = _log_softmax_on(logits, 0)
    assert loss.item() == pytest.approx(-log_p[1], rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, np.exp(log_p) - [0.0, 1.0, 0.0], rtol=1e-12)
    soft = np.array([0.2, 0.5, 0.3])
    by_soft = nn.functional.cross_entropy(Tensor(logits), soft, reduction)
    assert by_soft.shape == () and by_soft.item() == pytest.approx(-(soft * log_p).sum())


def test_cross_entropy_stays_finite_for_huge_logits_in_every_shape():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        spatial = Tensor(np.array([[[1e308, 0.0], [0.0, -1e300]]]), requires_grad=True)
        loss = nn.functional.cross_entropy(spatial, np.array([[1, 0]]))  # (1, 2, 2) logits
        assert loss.item() == pytest.approx(0.5e308, rel=1e-12)
        loss.backward()
        assert np.all(np.isfinite(spatial.grad))
        np.testing.assert_allclose(spatial.grad, [[[0.5, 0.0], [-0.5, 0.0]]], atol=1e-300)
        single = Tensor([0.0, -1e308], requires_grad=True)
        loss = nn.functional.cross_entropy(single, np.array(1))
        assert loss.item() == pytest.approx(1e308, rel=1e-12)
        loss.backward()
        np.testing.assert_allclose(single.grad, [1.0, -1.0])


def test_a_mean_of_huge_losses_stays_finite():
    """Losses near the largest float overflow their sum; their mean is still a float."""
    with np.errstate(over="ignore"):
        z = Tensor([[1e308, 0.0], [-1e308, 0.0]], requires_grad=True)
        loss = nn.functional.cross_entropy(z, [1, 0])
    assert loss.item() == pytest.approx(1e308, rel=1e-12)


def test_cross_entropy_shape_errors_name_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"target of shape \(2, 3\) fits logits of shape \(2, 3, 4\) neither as "
        r"class labels \(shape \(2, 4\)\) nor as probabilities",
    ):
        nn.functional.cross_entropy(Tensor(np.zeros((2, 3, 4))), np.zeros((2, 3), int))
    with pytest.raises(RuntimeError, match=r"logits of shape \(2, 0\) have no classes"):
        nn.functional.cross_entropy(Tensor(np.zeros((2, 0))), [0, 0])
    with pytest.raises(IndexError, match="target label 3 is out of range for 3 classes"):
        nn.functional.cross_entropy(Tensor(np.zeros((2, 3, 4))), np.full((2, 4), 3))


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_of_transposed_logits_has_the_right_gradient(reduction):
    """Logits laid out as in the course notes (classes by examples) and transposed: the fused
    backward must subtract Y from a C-ordered copy, not from a throwaway one."""
    rng = np.random.default_rng(0)
    columns = Tensor(rng.normal(size=(3, 5)), requires_grad=True)  # (classes, m)
    labels = np.array([0, 2, 1, 1, 0])
    loss = nn.functional.cross_entropy(columns.T, labels, reduction)
    loss.backward(np.ones(loss.shape))
    y = np.eye(3)[labels]
    scale = 1 / 5 if reduction == "mean" else 1.0
    np.testing.assert_allclose(
        columns.grad, ((np.exp(log_softmax(columns.data.T)) - y) * scale).T, rtol=1e-12
    )


def test_cross_entropy_over_extra_dimensions_is_twice_differentiable():
    """d/dz of ||dL/dz||^2 through the recorded backward, against two-sided differences."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, size=(2, 2))

    def squared_gradient_norm(values, with_its_gradient):
        z = Tensor(values.copy(), requires_grad=True)
        (g,) = am.grad(nn.functional.cross_entropy(z, labels), z, create_graph=True)
        total = (g * g).sum()
        return am.grad(total, z)[0].data if with_its_gradient else total.item()

    z0 = rng.normal(size=(2, 3, 2))
    analytic = squared_gradient_norm(z0, True)
    numerical = np.zeros_like(z0)
    for i in np.ndindex(z0.shape):
        step = np.zeros_like(z0)
        step[i] = 1e-6
        numerical[i] = (
            squared_gradient_norm(z0 + step, False) - squared_gradient_norm(z0 - step, False)
        ) / 2e-6
    difference = np.linalg.norm(analytic - numerical) / (
        np.linalg.norm(analytic) + np.linalg.norm(numerical)
    )
    assert difference < 1e-7
