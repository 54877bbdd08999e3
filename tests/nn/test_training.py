"""nn.fit on the documents' digits experiment: history, L2 term, early stopping, progress."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from sklearn.datasets import load_digits

import nn
from autograd_mini import Tensor

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    train, dev, test = nn.data.train_dev_test_split(data.data, data.target, seed=0)
    scaler = nn.data.Standardizer().fit(train[0])
    return [(scaler.transform(X), y) for X, y in (train, dev, test)]


def mlp(seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(64, 64, rng=rng),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Dropout(0.1, rng=rng),
        nn.Linear(64, 10, rng=rng),
    )


def test_fit_reaches_95_percent_on_digits(digits):
    train, dev, test = digits
    model = mlp()
    optimizer = nn.optim.Adam(model.parameters(), lr=3e-3)
    history = nn.fit(
        model, nn.CrossEntropyLoss(), optimizer, train, dev=dev, epochs=25, progress=False, seed=0
    )
    assert history.epochs == 25 and len(history.dev_cost) == 25 and len(history.dev_accuracy) == 25
    assert history.train_cost[-1] < history.train_cost[0]
    _, test_accuracy = nn.evaluate(model, nn.CrossEntropyLoss(), test)
    assert test_accuracy >= 0.95
    assert model.training  # fit leaves the model in training mode after evaluating


def test_fit_is_reproducible_with_a_seed(digits):
    train, dev, _ = digits
    runs = []
    for _ in range(2):
        model = mlp(seed=1)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        runs.append(
            nn.fit(
                model,
                nn.CrossEntropyLoss(),
                optimizer,
                train,
                dev=dev,
                epochs=3,
                progress=False,
                seed=5,
            )
        )
    assert runs[0].train_cost == runs[1].train_cost and runs[0].dev_cost == runs[1].dev_cost


def test_the_recorded_cost_includes_the_l2_term(digits):
    train, _, _ = digits
    X, y = train[0][:128], train[1][:128]
    model = nn.Sequential(nn.Linear(64, 10, rng=0))
    model.eval()  # no dropout or batch statistics here anyway
    lam = 5.0
    optimizer = nn.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the weights never move
    history = nn.fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        (X, y),
        epochs=1,
        batch_size=128,
        l2=lam,
        progress=False,
    )
    loss = nn.CrossEntropyLoss()(model(Tensor(X)), y).item()
    penalty = lam / (2 * 128) * np.sum(model[0].weight.data ** 2)
    assert history.train_cost[0] == pytest.approx(loss + penalty, rel=1e-12)
    assert penalty > 0.1  # big enough to matter


def test_early_stopping_restores_the_weights_of_the_best_dev_cost(digits):
    train, dev, _ = digits
    model = mlp(seed=2)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)  # large: the dev cost soon wanders
    stopper = nn.EarlyStopping(patience=3)
    history = nn.fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        train,
        dev=dev,
        epochs=60,
        early_stopping=stopper,
        progress=False,
        seed=0,
    )
    assert history.stopped_epoch is not None and history.stopped_epoch < 60
    assert history.best_epoch == int(np.argmin(history.dev_cost)) + 1
    assert history.stopped_epoch == history.best_epoch + 3
    dev_cost, _ = nn.evaluate(model, nn.CrossEntropyLoss(), dev)
    assert dev_cost == pytest.approx(min(history.dev_cost), rel=1e-12)


def test_scheduler_is_stepped_once_per_epoch_and_lr_recorded(digits):
    train, _, _ = digits
    model = mlp()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = nn.fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        train,
        epochs=5,
        scheduler=scheduler,
        progress=False,
    )
    assert history.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert history.dev_cost == []


def test_progress_bar_shows_epoch_cost_and_dev_accuracy(digits, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    train, dev, _ = digits
    nn.fit(
        mlp(),
        nn.CrossEntropyLoss(),
        nn.optim.Adam(mlp().parameters()),
        (train[0][:64], train[1][:64]),
        dev=dev,
        epochs=2,
    )
    shown = terminal.getvalue()
    assert "epochs" in shown and "2/2" in shown and "cost=" in shown and "dev acc=" in shown


def test_no_progress_bar_when_not_a_terminal_or_when_asked(digits, monkeypatch, capsys):
    train, _, _ = digits
    few = (train[0][:64], train[1][:64])
    nn.fit(mlp(), nn.CrossEntropyLoss(), nn.optim.SGD(mlp().parameters(), lr=0.1), few, epochs=1)
    assert capsys.readouterr().err == ""


def test_history_plot_and_fit_errors(digits):
    train, _, _ = digits
    history = nn.History(train_cost=[1.0, 0.5], dev_cost=[1.1, 0.7], best_epoch=2)
    ax = history.plot()
    assert ax.get_title() and ax.get_xlabel() == "epoch" and len(ax.get_lines()) == 3
    with pytest.raises(ValueError, match="early_stopping watches the dev cost"):
        nn.fit(
            mlp(),
            nn.CrossEntropyLoss(),
            nn.optim.SGD(mlp().parameters(), lr=0.1),
            train,
            early_stopping=nn.EarlyStopping(),
        )
    with (
        np.errstate(all="ignore"),
        pytest.raises(FloatingPointError, match="learning rate is probably too large"),
    ):
        model = nn.Sequential(nn.Linear(64, 10, rng=0))
        nn.fit(
            model,
            nn.MSELoss(),
            nn.optim.SGD(model.parameters(), lr=1e6),
            (train[0], np.eye(10)[train[1]] * 1e200),
            epochs=2,
            progress=False,
        )


def test_the_main_job_command_writes_its_three_files(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [str(ROOT / "scripts" / "demo"), "--epochs", "3", "--out", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test accuracy" in result.stdout and "diagnosis:" in result.stdout
    assert (out / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ElementTree.parse(out / "graph.svg").getroot().tag.endswith("svg")
    state = nn.load(out / "model.safetensors")
    assert state["0.weight"].shape == (128, 64)


def test_a_diverging_run_raises_with_the_history_so_far(digits):
    train, _, _ = digits
    model = nn.Sequential(nn.Linear(64, 10, rng=0))
    targets = np.eye(10)[train[1]]
    optimizer = nn.optim.SGD(model.parameters(), lr=0.01)
    scheduler = nn.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1.0 if t < 2 else 1e12)
    with (
        np.errstate(all="ignore"),
        pytest.raises(nn.TrainingDivergedError, match="became nan|became inf") as diverged,
    ):
        nn.fit(
            model,
            nn.MSELoss(),
            optimizer,
            (train[0], targets),
            epochs=6,
            scheduler=scheduler,
            progress=False,
        )
    history = diverged.value.history
    assert isinstance(diverged.value, FloatingPointError)
    assert 2 <= history.epochs < 6 and all(np.isfinite(history.train_cost))
    assert len(history.lr) == history.epochs


def test_evaluate_splits_logits_at_zero_and_probabilities_at_one_half():
    model = nn.Sequential(nn.Linear(1, 1, init="zeros"))
    model[0].bias.data = np.array([0.3])  # logit 0.3 for every example: p = 0.57, class 1
    X, y = np.ones((4, 1)), np.ones((4, 1))
    assert nn.evaluate(model, nn.BCEWithLogitsLoss(), (X, y))[1] == 1.0
    model[0].bias.data = np.array([-0.3])  # logit -0.3: class 0 ...
    assert nn.evaluate(model, nn.BCEWithLogitsLoss(), (X, y))[1] == 0.0
    probabilities = nn.Sequential(nn.Linear(1, 1, init="zeros"), nn.Sigmoid())
    probabilities[0].bias.data = np.array([0.3])  # ... and after a sigmoid, p = 0.57: class 1
    assert nn.evaluate(probabilities, nn.BCELoss(), (X, y))[1] == 1.0
