"""nn.fit on the CS229 Lecture 12 notes' digits experiment (section 7.5): history, L2 term,
early stopping, progress."""

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


# ---------------------------------------------------------------- data that cannot train
def small_problem(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    return X, (X[:, 0] > 0).astype(int)


def linear_model():
    return nn.Sequential(nn.Linear(4, 2, rng=0))


def sgd(model, lr=0.1):
    return nn.optim.SGD(model.parameters(), lr=lr)


def fit_quietly(model, train, **kwargs):
    return nn.fit(model, nn.CrossEntropyLoss(), sgd(model), train, progress=False, **kwargs)


def test_no_training_examples_raise_instead_of_a_cost_of_0():
    model = linear_model()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"training set is empty \(0 examples\)"):
        fit_quietly(model, (np.zeros((0, 4)), np.zeros(0, int)))
    X, y = small_problem(10)
    loader = nn.data.DataLoader(X, y, batch_size=64, drop_last=True)
    with pytest.raises(
        ValueError, match="10 examples, batch_size 64 and drop_last=True.*batch_size <= 10"
    ):
        fit_quietly(model, loader)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


class OneEpochLoader(nn.data.DataLoader):
    """Batches in the first pass only, like a generator that runs dry."""

    passes = 0

    def __iter__(self):
        self.passes += 1
        if self.passes == 1:
            yield from super().__iter__()


class SilentLoader(nn.data.DataLoader):
    """Claims batches (len() > 0) but yields none."""

    def __iter__(self):
        return iter(())


def test_a_loader_that_yields_nothing_in_an_epoch_raises_naming_the_epoch():
    X, y = small_problem()
    with pytest.raises(ValueError, match="yielded no mini-batch in epoch 1"):
        fit_quietly(linear_model(), SilentLoader(X, y, batch_size=8))
    with pytest.raises(ValueError, match="yielded no mini-batch in epoch 2"):
        fit_quietly(linear_model(), OneEpochLoader(X, y, batch_size=8), epochs=3)


def test_an_empty_or_mismatched_dev_set_raises_before_training():
    X, y = small_problem()
    model = linear_model()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"dev set is empty \(0 examples\); pass dev=None"):
        fit_quietly(model, (X, y), dev=(X[:0], y[:0]))
    with pytest.raises(ValueError, match="dev set's X has 40 examples but its y has 39"):
        fit_quietly(model, (X, y), dev=(X, y[:-1]))
    with pytest.raises(TypeError, match="dev set must be a pair"):
        fit_quietly(model, (X, y), dev=X)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_evaluate_on_empty_data_raises():
    with pytest.raises(ValueError, match="evaluate: the data set is empty"):
        nn.evaluate(linear_model(), nn.CrossEntropyLoss(), (np.zeros((0, 4)), np.zeros(0, int)))


def test_zero_epochs_return_an_empty_history_and_bad_arguments_raise():
    X, y = small_problem()
    model = linear_model()
    before = model.state_dict()
    history = fit_quietly(model, (X, y), dev=(X, y), epochs=0, early_stopping=nn.EarlyStopping())
    assert history == nn.History()
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match="epochs must be an int >= 0, got 2.5"):
        fit_quietly(model, (X, y), epochs=2.5)
    assert fit_quietly(model, (X, y), epochs=np.int64(2)).epochs == 2  # numpy ints are ints
    with pytest.raises(ValueError, match="l2 \\(lambda\\) must be >= 0"):
        fit_quietly(model, (X, y), l2=-1.0)
    with pytest.raises(ValueError, match="no regularized weights"):
        weightless = nn.Sequential(nn.ReLU())
        nn.fit(weightless, nn.MSELoss(), sgd(linear_model()), (X, X), l2=0.1, progress=False)


def test_a_dataloader_or_a_pair_with_the_same_seed_train_alike():
    X, y = small_problem()
    dev = small_problem(seed=1)
    runs = []
    for train in ((X, y), nn.data.DataLoader(X, y, batch_size=8, seed=3)):
        model = linear_model()
        runs.append(fit_quietly(model, train, dev=dev, epochs=3, batch_size=8, seed=3))
    assert runs[0] == runs[1] and runs[0].train_cost[-1] < runs[0].train_cost[0]
    model = linear_model()
    as_loader = fit_quietly(
        model, (X, y), dev=nn.data.DataLoader(*dev), epochs=3, batch_size=8, seed=3
    )
    assert as_loader == runs[0]


def test_one_hot_targets_train_and_score_like_labels():
    X, y = small_problem()
    by_label = fit_quietly(linear_model(), (X, y), dev=(X, y), epochs=2, seed=0)
    one_hot = fit_quietly(
        linear_model(), (X, np.eye(2)[y]), dev=(X, np.eye(2)[y]), epochs=2, seed=0
    )
    np.testing.assert_allclose(one_hot.train_cost, by_label.train_cost, rtol=1e-12)
    assert one_hot.dev_accuracy == by_label.dev_accuracy


class Interrupting(nn.CrossEntropyLoss):
    """Raises KeyboardInterrupt on its ``at``-th call, like Ctrl-C in the middle of an epoch."""

    def __init__(self, at):
        super().__init__()
        self.calls, self.at = 0, at

    def forward(self, logits, target):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return super().forward(logits, target)


def test_ctrl_c_closes_the_progress_bar_and_propagates_with_the_history_so_far(monkeypatch):
    closed = []

    class Bar:
        def set_postfix(self, *args, **kwargs):
            return None

        def update(self):
            return None

        def close(self):
            closed.append(True)

    monkeypatch.setattr(nn.training, "_progress_bar", lambda epochs, progress: Bar())
    X, y = small_problem()  # 40 examples, batch 8: 5 calls per epoch and 1 for the dev set
    model = linear_model()
    with pytest.raises(KeyboardInterrupt) as interrupted:
        nn.fit(model, Interrupting(at=15), sgd(model), (X, y), dev=(X, y), epochs=5, batch_size=8)
    history = interrupted.value.history
    assert closed == [True]
    assert history.epochs == 2 and len(history.lr) == len(history.dev_cost) == 2


# ---------------------------------------------------------------- early stopping
def test_restore_best_gives_back_the_best_epochs_weights_and_buffers_bit_for_bit(digits):
    train, dev, _ = digits
    train = (train[0][:256], train[1][:256])

    def run(epochs, stopper=None):
        model = mlp(seed=4)
        optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
        history = nn.fit(
            model,
            nn.CrossEntropyLoss(),
            optimizer,
            train,
            dev=dev,
            epochs=epochs,
            early_stopping=stopper,
            progress=False,
            seed=0,
        )
        return model, history

    stopped, history = run(40, nn.EarlyStopping(patience=2))
    assert history.stopped_epoch is not None and history.best_epoch < history.stopped_epoch
    replay, _ = run(history.best_epoch)  # the same run, ended at the best epoch
    restored, expected = stopped.state_dict(), replay.state_dict()
    assert "1.running_mean" in expected and restored.keys() == expected.keys()
    assert all(np.array_equal(restored[k], expected[k]) for k in expected)


def test_patience_counts_epochs_that_do_not_beat_the_best_by_min_delta():
    model = linear_model()
    stopper = nn.EarlyStopping(patience=2, min_delta=0.1)
    costs = [1.0, 0.95, 0.85, 0.9, float("nan")]  # 0.95 is not 0.1 better; 0.85 is
    assert [stopper.step(e, c, model) for e, c in enumerate(costs, 1)] == [
        False,
        False,
        False,
        False,
        True,
    ]
    assert stopper.best_epoch == 3 and stopper.best_cost == 0.85
    with pytest.raises(ValueError, match="min_delta must be >= 0"):
        nn.EarlyStopping(min_delta=-0.1)
    with pytest.raises(ValueError, match="patience must be an int >= 1"):
        nn.EarlyStopping(patience=0)


def test_an_early_stopping_reused_for_a_second_run_starts_afresh():
    X, y = small_problem()
    stopper = nn.EarlyStopping(patience=2)
    first = linear_model()
    fit_quietly(first, (X, y), dev=(X, y), epochs=20, early_stopping=stopper)
    second = nn.Sequential(nn.Linear(4, 2, rng=1))
    frozen = nn.optim.SGD(second.parameters(), lr=0.0)  # its dev cost never changes
    weights = second.state_dict()
    history = nn.fit(
        second,
        nn.CrossEntropyLoss(),
        frozen,
        (X, y),
        dev=(X, y),
        epochs=10,
        early_stopping=stopper,
        progress=False,
    )
    assert history.best_epoch == 1 and history.stopped_epoch == 3
    assert all(np.array_equal(weights[k], v) for k, v in second.state_dict().items())


def test_a_diverging_run_with_early_stopping_gets_its_best_weights_back(digits):
    train, dev, _ = digits
    model = nn.Sequential(nn.Linear(64, 10, rng=0))
    targets, dev_targets = np.eye(10)[train[1]], np.eye(10)[dev[1]]
    optimizer = nn.optim.SGD(model.parameters(), lr=0.01)
    scheduler = nn.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1.0 if t < 3 else 1e12)
    stopper = nn.EarlyStopping(patience=10)
    with np.errstate(all="ignore"), pytest.raises(nn.TrainingDivergedError) as diverged:
        nn.fit(
            model,
            nn.MSELoss(),
            optimizer,
            (train[0], targets),
            dev=(dev[0], dev_targets),
            epochs=8,
            scheduler=scheduler,
            early_stopping=stopper,
            progress=False,
        )
    assert "weights of its best epoch" in str(diverged.value)
    state = model.state_dict()
    assert all(np.isfinite(v).all() for v in state.values())
    assert all(np.array_equal(stopper.best_state[k], v) for k, v in state.items())
    assert diverged.value.history.best_epoch == stopper.best_epoch
