"""Checkpoints in the safetensors format: ``nn.save`` and ``nn.load``.

safetensors files hold named arrays and a string-to-string header, nothing
executable, so loading a file never runs code from it (unlike pickle).
Writing goes to a temporary file in the same folder, flushed to disk, then
renamed over the target: a crash leaves the old checkpoint or the new one,
never a half-written file in its place.

Model parameters are stored under their dotted names (``0.weight``), so
other safetensors tools read them as they are; an optimizer's state goes
alongside under ``__optimizer__.``, with its hyperparameters in the header.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from autograd_mini.tensor import as_array

from .module import Module
from .optim.optimizer import Optimizer

try:
    import safetensors.numpy as safetensors_numpy
    from safetensors import SafetensorError
except ImportError as error:  # pragma: no cover - safetensors is a dependency
    raise ImportError("nn.save/nn.load need safetensors: pip install safetensors") from error

FORMAT = "autograd-mini"
OPTIMIZER_PREFIX = "__optimizer__."


def save(
    module_or_state_dict: Module | Mapping[str, Any],
    path: str | os.PathLike,
    optimizer: Optimizer | None = None,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write a model's parameters and buffers (and optionally an optimizer's state) atomically."""
    if isinstance(module_or_state_dict, Module):
        state = module_or_state_dict.state_dict()
    elif isinstance(module_or_state_dict, Mapping):
        state = module_or_state_dict
    else:
        raise TypeError(
            f"nn.save: expected a Module or a state dict, got {type(module_or_state_dict).__name__}"
        )
    tensors: dict[str, np.ndarray] = {}
    for name, value in state.items():
        if name.startswith(OPTIMIZER_PREFIX):
            raise ValueError(f"nn.save: the name {name!r} is reserved for optimizer state")
        tensors[name] = _array(value, name)
    header = {"format": FORMAT, "format_version": "1"}
    if optimizer is not None:
        optimizer_state = optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for index, values in optimizer_state["state"].items():
            for key, value in values.items():
                if isinstance(value, np.ndarray):
                    tensors[f"{OPTIMIZER_PREFIX}state.{index}.{key}"] = _array(value, key)
                else:
                    scalars.setdefault(str(index), {})[key] = value
        header["optimizer"] = json.dumps(
            {
                "type": type(optimizer).__name__,
                "param_groups": optimizer_state["param_groups"],
                "state": scalars,
            },
            default=_json_number,
        )
    # safetensors does not keep the order of names; the header does, for a faithful load
    header["names"] = json.dumps(list(tensors))
    for key, value in (metadata or {}).items():
        if key in header:
            raise ValueError(f"nn.save: metadata key {key!r} is reserved")
        header[str(key)] = str(value)
    _write_atomically(os.fspath(path), safetensors_numpy.save(tensors, metadata=header))


def load(path: str | os.PathLike) -> OrderedDict[str, np.ndarray]:
    """The model state saved in ``path``, ready for ``module.load_state_dict``."""
    tensors, header = _read(path)
    names = json.loads(header["names"]) if "names" in header else sorted(tensors)
    return OrderedDict(
        (name, tensors[name]) for name in names if not name.startswith(OPTIMIZER_PREFIX)
    )


def load_optimizer_state(path: str | os.PathLike) -> dict[str, Any]:
    """The optimizer state saved by ``nn.save(..., optimizer=opt)``, for ``opt.load_state_dict``."""
    tensors, header = _read(path)
    if "optimizer" not in header:
        raise KeyError(f"nn.load_optimizer_state: {os.fspath(path)!r} holds no optimizer state")
    saved = json.loads(header["optimizer"])
    state: dict[int, dict[str, Any]] = {
        int(index): dict(values) for index, values in saved["state"].items()
    }
    prefix = f"{OPTIMIZER_PREFIX}state."
    for name, array in tensors.items():
        if name.startswith(prefix):
            index, key = name[len(prefix) :].split(".", 1)
            state.setdefault(int(index), {})[key] = array
    groups = [
        {k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in group.items()}
        for group in saved["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


def _json_number(value: Any) -> Any:
    """numpy scalars (np.float32(0.1) as a learning rate) become plain numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"nn.save: cannot store {type(value).__name__} {value!r} in the header")


def _array(value: Any, name: str) -> np.ndarray:
    array = as_array(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"nn.save: {name!r} has dtype {array.dtype}, which safetensors cannot store"
        )
    return np.ascontiguousarray(array)


def _read(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    path = os.fspath(path)
    with open(path, "rb") as file:  # FileNotFoundError names the path
        payload = file.read()
    try:
        tensors = safetensors_numpy.load(payload)
        header = _header(payload)
        if "names" in header and set(json.loads(header["names"])) != set(tensors):
            raise ValueError("the header's list of names does not match the stored arrays")
    except (SafetensorError, ValueError) as error:
        raise ValueError(
            f"nn.load: {path!r} is not a valid safetensors checkpoint ({error}); it may be "
            "truncated or corrupt. Nothing was loaded."
        ) from None
    return tensors, header


def _header(payload: bytes) -> dict[str, str]:
    """The string metadata of a safetensors payload (8-byte length, then JSON)."""
    length = int.from_bytes(payload[:8], "little")
    header = json.loads(payload[8 : 8 + length])
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict):
        raise ValueError("malformed __metadata__")
    return metadata


def _write_atomically(path: str, payload: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"nn.save: cannot write {path!r}: the folder {directory!r} does not exist"
        )
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=directory
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _file_mode(path: str) -> int:
    """Keep an existing checkpoint's permissions; new files get the usual 0o666 minus umask."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
