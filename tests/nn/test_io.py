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


# ------------------------------------------------------------------ shapes and dtypes
def test_every_shape_round_trips_zero_d_and_empty_included(tmp_path):
    state = {
        "scalar": np.array(2.5),
        "empty_rows": np.zeros((0, 3)),
        "empty": np.zeros(0, dtype=np.float32),
        "column": np.arange(4.0).reshape(4, 1),
        "strided": np.arange(12.0).reshape(3, 4)[:, ::2],  # not contiguous
        "transposed": np.arange(6.0).reshape(2, 3).T,
    }
    nn.save(state, tmp_path / "s.safetensors")
    loaded = nn.load(tmp_path / "s.safetensors")
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert loaded[name].shape == array.shape and loaded[name].dtype == array.dtype, name
        np.testing.assert_array_equal(loaded[name], array, err_msg=name)


def test_a_zero_d_parameter_loads_back_into_its_module(tmp_path):
    module = nn.Module()
    module.temperature = nn.Parameter(np.array(0.7))
    nn.save(module, tmp_path / "m.safetensors")
    other = nn.Module()
    other.temperature = nn.Parameter(np.array(1.0))
    other.load_state_dict(nn.load(tmp_path / "m.safetensors"))
    assert other.temperature.shape == () and other.temperature.item() == 0.7


def test_floats_and_integers_survive_exactly(tmp_path):
    rng = np.random.default_rng(0)
    state = {
        "f64": rng.standard_normal(50) * 1e300,
        "f32": rng.standard_normal(50).astype(np.float32),
        "tiny": np.array([5e-324, -0.0, np.inf, -np.inf, np.nan]),
        "f16": np.array([1.5, 65504.0], dtype=np.float16),
        "i64": np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max]),
        "u8": np.array([0, 255], dtype=np.uint8),
        "mask": np.array([True, False]),
        "big_endian": np.arange(3.0).astype(">f8"),
    }
    nn.save(state, tmp_path / "s.safetensors")
    loaded = nn.load(tmp_path / "s.safetensors")
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype.newbyteorder("="), name
        assert loaded[name].tobytes() == array.astype(array.dtype.newbyteorder("=")).tobytes()


def test_loaded_arrays_are_writable(tmp_path):
    nn.save({"w": np.ones(3)}, tmp_path / "s.safetensors")
    state = nn.load(tmp_path / "s.safetensors")
    state["w"] += 1
    np.testing.assert_array_equal(state["w"], 2.0)


def test_integer_buffers_round_trip(tmp_path):
    module = nn.Linear(2, 2)
    module.register_buffer("steps", np.array(41, dtype=np.int64))
    nn.save(module, tmp_path / "m.safetensors")
    assert nn.load(tmp_path / "m.safetensors")["steps"].dtype == np.int64
    module.steps[...] = 0
    module.load_state_dict(nn.load(tmp_path / "m.safetensors"))
    assert module.steps == 41


def test_tied_weights_and_non_persistent_buffers_save_and_load(tmp_path):
    def model():
        m = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Linear(2, 2, rng=1))
        m[1].weight = m[0].weight
        m[1].register_buffer("cache", np.ones(2), persistent=False)
        return m

    source = model()
    source[0].weight.data = np.array([[1.0, 2.0], [3.0, 4.0]])
    nn.save(source, tmp_path / "m.safetensors")
    assert list(nn.load(tmp_path / "m.safetensors")) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    target = model()
    target.load_state_dict(nn.load(tmp_path / "m.safetensors"))
    assert target[1].weight is target[0].weight
    np.testing.assert_array_equal(target[1].weight.data, [[1.0, 2.0], [3.0, 4.0]])


def test_a_file_written_by_plain_safetensors_loads(tmp_path):
    path = tmp_path / "plain.safetensors"
    safetensors.numpy.save_file({"b": np.zeros(2), "a": np.ones((2, 2))}, path)
    state = nn.load(path)
    assert list(state) == ["a", "b"]  # no saved order: sorted names
    np.testing.assert_array_equal(state["a"], np.ones((2, 2)))


# ------------------------------------------------------------------ leftovers of dead saves
_DYING_SAVE = """
import os, signal, sys
import numpy as np
import nn
real_fsync = os.fsync
def die_after_writing(descriptor):
    real_fsync(descriptor)  # the temporary file is complete, the rename has not happened
    {die}
os.fsync = die_after_writing
nn.save({{"w": np.full(1000, 2.0)}}, sys.argv[1])
"""


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".partial"))


@pytest.mark.parametrize(
    "die", ["os.kill(os.getpid(), signal.SIGKILL)", "os._exit(3)"], ids=["SIGKILL", "os._exit"]
)
def test_a_save_killed_midway_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path, die):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    if "SIGKILL" in die and not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL here")
    path = tmp_path / "model.safetensors"
    nn.save({"w": np.full(1000, 1.0)}, path)
    before = path.read_bytes()
    root = Path(nn.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = _DYING_SAVE.format(die=die)
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=root, env=env, timeout=120, check=False
    )
    assert result.returncode != 0
    assert path.read_bytes() == before  # the old checkpoint is intact
    (leftover,) = _temporaries(tmp_path)
    assert (tmp_path / leftover).stat().st_size == len(before)  # a full-size temporary file
    nn.save({"w": np.full(1000, 3.0)}, path)
    assert _temporaries(tmp_path) == []
    np.testing.assert_array_equal(nn.load(path)["w"], 3.0)


def test_only_this_targets_leftovers_are_removed(tmp_path):
    path = tmp_path / "model.safetensors"
    mine = [".model.safetensors.abcd1234.partial", ".model.safetensors.x_y_z_09.partial"]
    others = [
        ".model.safetensors.abc.partial",  # not mkstemp's 8 characters
        ".other.safetensors.abcd1234.partial",  # another target's
        "model.safetensors.partial",
        ".model.safetensors.abcd1234.partial.bak",
        "notes.txt",
    ]
    for name in mine + others:
        (tmp_path / name).write_bytes(b"left over")
    os.mkdir(tmp_path / ".model.safetensors.folder12.partial")  # a folder is never removed
    nn.save({"w": np.ones(2)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(
        [*others, ".model.safetensors.folder12.partial", "model.safetensors"]
    )


def test_a_temporary_file_that_a_live_save_is_writing_stays(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "model.safetensors"
    busy = tmp_path / ".model.safetensors.busy0000.partial"
    busy.write_bytes(b"being written")
    with open(busy, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as a writer holds its file
        nn.save({"w": np.ones(2)}, path)
        assert busy.exists()
    nn.save({"w": np.ones(2)}, path)  # its writer is gone now
    assert not busy.exists()


# ------------------------------------------------------------------ malformed files
def _crafted(header, data=b""):
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def _entry(dtype, shape, nbytes):
    return {"dtype": dtype, "shape": shape, "data_offsets": [0, nbytes]}


MALFORMED = {
    "bad JSON": (5).to_bytes(8, "little") + b"{abc}",
    "not an object": _crafted([1, 2]),
    "metadata not strings": _crafted({"__metadata__": {"names": 5}}),
    "names not JSON": _crafted({"__metadata__": {"names": "[x"}}),
    "names not a list": _crafted({"__metadata__": {"names": '{"a": 1}'}}),
    "names not matching": _crafted(
        {"x": _entry("F64", [1], 8), "__metadata__": {"names": '["y"]'}}, bytes(8)
    ),
    "names repeated": _crafted(
        {"x": _entry("F64", [1], 8), "__metadata__": {"names": '["x", "x"]'}}, bytes(8)
    ),
    "huge header length": (2**60).to_bytes(8, "little") + b"{}",
    "entry without dtype": _crafted({"x": "hello"}),
    "offsets past the data": _crafted({"x": _entry("F64", [4], 32)}, bytes(8)),
    "empty": b"",
    "truncated length": b"\x10\x00",
}


@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_files_give_a_clear_error_naming_the_file(tmp_path, content):
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"'.*crafted.safetensors' is not a valid safetensors"):
        nn.load(path)


@pytest.mark.parametrize("dtype, size", [("BF16", 2), ("F8_E4M3", 1), ("F8_E5M2", 1), ("C64", 8)])
def test_dtypes_numpy_or_tensors_cannot_hold_give_a_clear_error(tmp_path, dtype, size):
    path = tmp_path / "half.safetensors"
    path.write_bytes(_crafted({"layer.weight": _entry(dtype, [2], 2 * size)}, bytes(2 * size)))
    with pytest.raises(ValueError, match=rf"half.safetensors' stores 'layer.weight' as {dtype}"):
        nn.load(path)


def test_a_malformed_optimizer_record_gives_a_clear_error(tmp_path):
    path = tmp_path / "opt.safetensors"
    for record in ('{"state": 5}', "[", '{"param_groups": [1], "state": {}}'):
        path.write_bytes(_crafted({"__metadata__": {"optimizer": record}}))
        with pytest.raises(ValueError, match="opt.safetensors' is not a valid"):
            nn.load_optimizer_state(path)
    path.write_bytes(
        _crafted(
            {
                "__optimizer__.junk": _entry("F64", [1], 8),
                "__metadata__": {"optimizer": '{"param_groups": [], "state": {}}'},
            },
            bytes(8),
        )
    )
    with pytest.raises(ValueError, match="'__optimizer__.junk' is not state"):
        nn.load_optimizer_state(path)


def test_folders_give_a_clear_error(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder, not a checkpoint file"):
        nn.load(tmp_path)
    with pytest.raises(IsADirectoryError, match="is a folder; give a file path"):
        nn.save({"w": np.ones(1)}, tmp_path)


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    "state, error, message",
    [
        ({1: np.ones(1)}, TypeError, "keys must be strings.*got int 1"),
        ({"w": "abc"}, TypeError, "'w' is a str, not an array of numbers"),
        ({"w": None}, TypeError, "'w' is None"),
        ({"w": {"inner": np.ones(1)}}, TypeError, "'w' is a dict.*flatten nested dicts"),
        ({"w": [1.0, [2.0]]}, TypeError, "'w' is not an array of numbers"),
        ({"w": np.array([object()])}, TypeError, "'w' has dtype object"),
        ({"w": np.ones(2, dtype=complex)}, TypeError, "'w' has dtype complex128"),
        ({"__metadata__": np.ones(1)}, ValueError, "reserved by safetensors"),
    ],
)
def test_bad_state_dicts_raise_naming_the_key_and_write_nothing(tmp_path, state, error, message):
    path = tmp_path / "model.safetensors"
    nn.save({"ok": np.ones(1)}, path)
    before = path.read_bytes()
    with pytest.raises(error, match=message):
        nn.save({"first": np.ones(2), **state}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.safetensors"]
