"""nn.save / nn.load: safetensors, atomic writes, no code execution, clear errors."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
import safetensors.numpy

import nn
from autograd_mini import Tensor


def small_model(seed=0, dtype=np.float64):
    model = nn.Sequential(
        nn.Linear(3, 4, rng=seed), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, rng=seed + 1)
    )
    if dtype != np.float64:
        for p in model.parameters():
            p.data = p.data.astype(dtype)
    return model


def test_round_trip_restores_parameters_and_buffers(tmp_path):
    model = small_model()
    model(Tensor(np.random.default_rng(0).standard_normal((8, 3))))  # running statistics move
    path = tmp_path / "model.safetensors"
    nn.save(model, path)
    other = small_model(seed=5)
    other.load_state_dict(nn.load(path))
    for (name, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert safetensors.numpy.load_file(path)["0.weight"].shape == (4, 3)  # plain safetensors


def test_dtypes_are_preserved(tmp_path):
    model = small_model(dtype=np.float32)
    nn.save(model, tmp_path / "m.safetensors")
    state = nn.load(tmp_path / "m.safetensors")
    assert state["0.weight"].dtype == np.float32 and state["1.running_mean"].dtype == np.float64


def test_a_state_dict_of_tensors_and_arrays_can_be_saved(tmp_path):
    nn.save({"w": Tensor([1.0, 2.0]), "b": np.zeros(2)}, tmp_path / "s.safetensors")
    state = nn.load(tmp_path / "s.safetensors")
    np.testing.assert_array_equal(state["w"], [1.0, 2.0])


def test_optimizer_state_is_saved_alongside(tmp_path):
    rng = np.random.default_rng(1)
    model = small_model()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    x, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)

    def train_step(model, optimizer):
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(Tensor(x)), y).backward()
        optimizer.step()

    for _ in range(3):
        train_step(model, optimizer)
    path = tmp_path / "checkpoint.safetensors"
    nn.save(model, path, optimizer=optimizer, metadata={"epoch": "3"})

    resumed = small_model(seed=9)
    resumed.load_state_dict(nn.load(path))
    resumed_optimizer = nn.optim.Adam(resumed.parameters(), lr=0.5)
    resumed_optimizer.load_state_dict(nn.load_optimizer_state(path))
    assert resumed_optimizer.param_groups[0]["lr"] == 0.01
    assert resumed_optimizer.param_groups[0]["betas"] == (0.9, 0.999)
    for _ in range(2):
        train_step(model, optimizer)
        train_step(resumed, resumed_optimizer)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert "__optimizer__.state.0.exp_avg" in safetensors.numpy.load_file(path)
    assert list(nn.load(path)) == list(model.state_dict())  # the model's names, in its order


def test_no_optimizer_state_is_a_clear_error(tmp_path):
    nn.save(small_model(), tmp_path / "m.safetensors")
    with pytest.raises(KeyError, match="holds no optimizer state"):
        nn.load_optimizer_state(tmp_path / "m.safetensors")


def test_a_crash_while_writing_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    nn.save(small_model(seed=0), path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        nn.save(small_model(seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]  # no partial file left behind


def test_an_interrupted_write_never_touches_the_target(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    nn.save(small_model(seed=0), path)
    before = path.read_bytes()
    real_fsync = os.fsync

    def interrupted(descriptor):
        real_fsync(descriptor)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nn.save(small_model(seed=1), path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.safetensors"]


def test_existing_file_permissions_are_kept(tmp_path):
    path = tmp_path / "model.safetensors"
    nn.save(small_model(), path)
    os.chmod(path, 0o640)
    nn.save(small_model(), path)
    assert os.stat(path).st_mode & 0o777 == 0o640


@pytest.mark.parametrize("cut", [0, 5, 20, -3])
def test_truncated_or_corrupt_files_give_a_clear_error(tmp_path, cut):
    path = tmp_path / "model.safetensors"
    nn.save(small_model(), path)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(
        ValueError, match=r"not a valid safetensors checkpoint.*truncated or corrupt"
    ):
        nn.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.safetensors")


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch exploited",))


def test_loading_never_executes_code_from_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(_Exploit()))
    with pytest.raises(ValueError, match="not a valid safetensors checkpoint"):
        nn.load(path)
    assert not (tmp_path / "exploited").exists()
    # a header that tries to smuggle in something else is still only data
    header = json.dumps({"__metadata__": {"format": "__import__('os').system('touch x')"}}).encode()
    path.write_bytes(len(header).to_bytes(8, "little") + header)
    assert nn.load(path) == {}
    assert not (tmp_path / "x").exists()


def test_save_errors(tmp_path):
    with pytest.raises(TypeError, match="expected a Module or a state dict"):
        nn.save([1, 2], tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="reserved for optimizer state"):
        nn.save({"__optimizer__.x": np.ones(1)}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="metadata key 'format' is reserved"):
        nn.save(small_model(), tmp_path / "x.safetensors", metadata={"format": "mine"})
    assert not (tmp_path / "x.safetensors").exists()


def test_numpy_scalar_hyperparameters_and_missing_folders(tmp_path):
    model = small_model()
    optimizer = nn.optim.SGD(model.parameters(), lr=np.float32(0.1))
    nn.save(model, tmp_path / "m.safetensors", optimizer=optimizer)
    assert nn.load_optimizer_state(tmp_path / "m.safetensors")["param_groups"][0][
        "lr"
    ] == pytest.approx(0.1)
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere.* does not exist"):
        nn.save(model, tmp_path / "nowhere" / "m.safetensors")
