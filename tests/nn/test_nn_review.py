"""Review of nn against PyTorch's semantics: each test pins a bug that was found and fixed."""

from __future__ import annotations

import numpy as np
import pytest

import nn


def test_evaluate_restores_the_mode_of_every_submodule():
    # A BatchNorm frozen with .eval() inside a model in training mode (fine-tuning) must stay
    # frozen: evaluate() said it restores the model's mode, but it set every submodule to the
    # outer module's mode, so the frozen BatchNorm went back to updating its running statistics.
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.BatchNorm1d(3), nn.Linear(3, 2, rng=1))
    model[1].eval()
    modes = [m.training for m in model.modules()]
    X = np.random.default_rng(0).normal(size=(8, 2))
    nn.evaluate(model, nn.CrossEntropyLoss(), (X, np.array([0, 1] * 4)))
    assert [m.training for m in model.modules()] == modes
    running_mean = model[1].running_mean.copy()
    model(X)
    np.testing.assert_array_equal(model[1].running_mean, running_mean)


def test_module_dict_takes_another_module_dict_as_pytorch():
    # PyTorch's ModuleDict(modules) and update(modules) take a ModuleDict like any mapping
    heads = nn.ModuleDict({"b": nn.Linear(1, 1, rng=0), "a": nn.ReLU()})
    copied = nn.ModuleDict(heads)
    assert list(copied) == ["b", "a"]
    assert copied["b"] is heads["b"]
    other = nn.ModuleDict({"c": nn.Tanh()})
    other.update(heads)
    assert list(other) == ["c", "b", "a"]


def test_parameter_dict_takes_another_parameter_dict_as_pytorch():
    weights = nn.ParameterDict({"w": np.ones(2), "v": np.zeros(1)})
    copied = nn.ParameterDict(weights)
    assert list(copied) == ["w", "v"]
    assert copied["w"] is weights["w"]


@pytest.mark.parametrize(("dtype", "value"), [(np.float32, 3e19), (np.float16, 300.0)])
@pytest.mark.parametrize("norm_type", [2.0, 3.0])
def test_clip_grad_norm_of_a_huge_low_precision_gradient_scales_it_instead_of_zeroing_it(
    dtype, value, norm_type
):
    # An exploding float32 (or float16) gradient is what clipping is for. Its squares overflowed
    # in its own precision, the total norm came out inf, and the gradient was multiplied by
    # max_norm / inf = 0: silently erased. PyTorch accumulates the norm in a wider type (on the
    # CPU, float32 norms in double), so the total is finite and the gradient is scaled.
    param = nn.Parameter(np.zeros(2, dtype=dtype))
    param.grad = np.array([value, value], dtype=dtype)
    expected = 2 ** (1 / norm_type) * value
    total = nn.utils.clip_grad_norm_([param], 1.0, norm_type=norm_type)
    assert total == pytest.approx(expected, rel=1e-3)
    assert param.grad.dtype == dtype
    np.testing.assert_allclose(param.grad, [value / expected] * 2, rtol=1e-3)


def test_l2_penalty_counts_a_tied_weight_once():
    # One weight matrix shared by two layers (an autoencoder's tied encoder and decoder) is one
    # parameter, as in parameters() and in an optimizer's weight_decay: it was penalized once per
    # layer, so its gradient was 2 lambda / m W instead of the documented lambda / m W.
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(2, 2, rng=0)
            self.decoder = nn.Linear(2, 2, rng=1)
            self.decoder.weight = self.encoder.weight

    model = Tied()
    weight = model.encoder.weight
    penalty = nn.l2_penalty(model, 0.6, 3)
    assert penalty.item() == pytest.approx(0.6 / 6 * (weight.data**2).sum())
    penalty.backward()
    np.testing.assert_allclose(weight.grad, 0.6 / 3 * weight.data)


@pytest.mark.parametrize(
    "make", [nn.optim.Adam, nn.optim.AdamW, nn.optim.RMSprop, nn.optim.Adagrad]
)
def test_parameters_sharing_one_array_get_both_updates(make):
    # Two Parameters made from one ndarray share it (nn.Parameter does not copy), as two PyTorch
    # Parameters viewing one storage; an optimizer updates each in place, so both updates land,
    # as when each has its own optimizer. The one-vector path joined copies of the two, updated
    # them side by side and copied both back: the second copy overwrote the first update.
    def final_values(separate):
        shared = np.array([1.0, -2.0])
        first, second = nn.Parameter(shared), nn.Parameter(shared)
        groups = [[first], [second]] if separate else [[first, second]]
        optimizers = [make(group, lr=0.1) for group in groups]
        for step in range(3):
            first.grad = np.array([0.5, 1.0]) * (step + 1)
            second.grad = np.array([-1.0, 0.25]) * (step + 1)
            for optimizer in optimizers:
                optimizer.step()
        return shared

    np.testing.assert_allclose(final_values(separate=False), final_values(separate=True))


def test_a_stratified_split_keeps_examples_whose_label_is_nan():
    # Stratifying found each class's examples with rows == label, which is never true for NaN
    # (a missing label, a regression target): those examples went to no set, silently.
    X = np.arange(40.0).reshape(20, 2)
    y = np.array([0.0, 1.0] * 9 + [np.nan, np.nan])
    sets = nn.data.train_dev_test_split(X, y)
    assert sorted(np.concatenate([part_X[:, 0] for part_X, _ in sets])) == list(X[:, 0])
    for part_X, part_y in sets:  # each example keeps its own label
        np.testing.assert_array_equal(part_y, y[(part_X[:, 0] // 2).astype(int)])


def test_an_empty_dev_data_loader_is_refused_before_training_starts():
    # fit checks the data before training (API.md): an empty dev set given as a DataLoader
    # passed that check, so the model trained an epoch before evaluate refused it; evaluate
    # itself failed in np.concatenate, with a message about arrays rather than the data.
    X, y = np.random.default_rng(0).normal(size=(8, 2)), np.array([0, 1] * 4)
    empty = nn.data.DataLoader(X[:0], y[:0])
    model = nn.Linear(2, 2, rng=0)
    before = model.weight.data.copy()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="fit: the dev set is empty"):
        nn.fit(model, nn.CrossEntropyLoss(), optimizer, (X, y), dev=empty, progress=False)
    np.testing.assert_array_equal(model.weight.data, before)
    with pytest.raises(ValueError, match="evaluate: the data set is empty"):
        nn.evaluate(model, nn.CrossEntropyLoss(), empty)
