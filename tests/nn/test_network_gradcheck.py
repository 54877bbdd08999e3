"""gradcheck on whole networks: Improving Deep Neural Networks notes, section 12 (all of
theta at once) and section 13's practical rules (dropout off, the L2 term included)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_mini import Tensor, gradcheck


@pytest.mark.parametrize("hidden", [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU])
def test_mlp_with_batch_norm_and_l2_passes_gradcheck(hidden):
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(5, 6, rng=1),
        nn.BatchNorm1d(6),
        hidden(),
        nn.Linear(6, 4, rng=2),
        hidden(),
        nn.Linear(4, 3, rng=3),
    )
    x, labels = Tensor(rng.standard_normal((10, 5))), rng.integers(0, 3, 10)
    params = list(model.parameters())

    def cost(*_):
        return nn.CrossEntropyLoss()(model(x), labels) + nn.l2_penalty(model, 0.3, 10)

    report = gradcheck(cost, params)
    assert report.passed and report.difference < 1e-7
    assert len(report.per_input) == len(params)


def test_with_dropout_in_eval_mode_and_other_losses():
    rng = np.random.default_rng(1)
    model = nn.Sequential(
        nn.Linear(4, 5, rng=0), nn.Tanh(), nn.Dropout(0.5), nn.Linear(5, 2, rng=1)
    )
    model.eval()  # Improving Deep Neural Networks notes, section 13: dropout off to check
    x = Tensor(rng.standard_normal((6, 4)))
    y = (rng.random((6, 2)) > 0.5).astype(float)
    params = list(model.parameters())
    assert gradcheck(lambda *_: nn.BCEWithLogitsLoss()(model(x), y), params).passed
    assert gradcheck(lambda *_: nn.MSELoss()(model(x), y), params).passed
    assert gradcheck(lambda *_: nn.BCELoss()(nn.Sigmoid()(model(x)), y), params).passed
