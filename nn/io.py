"""Checkpoints in the safetensors format: ``nn.save`` and ``nn.load``.

safetensors files hold named arrays and a string-to-string header, nothing
executable, so loading a file never runs code from it (unlike pickle).

Writing goes to a temporary file ``.<name>.<8 random characters>.partial`` in
the same folder, flushed to disk, then renamed over the target: a crash leaves
the old checkpoint or the new one, never a half-written file in its place.
A writer holds a lock on its temporary file, so the next save to the same
target can tell a leftover of a writer that died (removed) from one still
being written (left alone); nothing else in the folder is touched.

Model parameters are stored under their dotted names (``0.weight``), so
other safetensors tools read them as they are; an optimizer's state goes
alongside under ``__optimizer__.``, with its hyperparameters in the header.
The header also lists the names in the model's order. Every shape (0-d and
empty ones included) and every float and integer dtype round-trips exactly.

Errors: ``ValueError`` for a file whose content is not a checkpoint this
library can load (truncated, corrupt, crafted, or holding dtypes numpy
cannot represent), the OSError family for the file system, ``TypeError`` /
``ValueError`` for what ``nn.save`` is given. Each names the file or the key.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from autograd_mini import Tensor

from .module import Module
from .optim.optimizer import Optimizer

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: an open file cannot be removed anyway
    fcntl = None  # type: ignore[assignment]

try:
    import safetensors.numpy as safetensors_numpy
    from safetensors import SafetensorError
except ImportError as error:  # pragma: no cover - safetensors is a dependency
    raise ImportError("nn.save/nn.load need safetensors: pip install safetensors") from error

FORMAT = "autograd-mini"
OPTIMIZER_PREFIX = "__optimizer__."
_TEMPORARY_SUFFIX = ".partial"
# the dtypes nn.load reads: safetensors.numpy's but C64 (tensors hold real numbers); BF16 and
# the F8/F6/F4 ones have no numpy dtype
_READABLE = {"F64", "F32", "F16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"}


# ----------------------------------------------------------------------------- saving
def save(
    module_or_state_dict: Module | Mapping[str, Any],
    path: str | os.PathLike,
    optimizer: Optimizer | None = None,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write a model's parameters and buffers (and optionally an optimizer's state) atomically.

    ``module_or_state_dict`` is a Module (its ``state_dict()``) or a flat
    mapping of string names to arrays or Tensors of numbers. Everything is
    checked before the file is touched. ``metadata`` adds strings to the header.
    """
    path = os.fspath(path)
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
        _check_name(name, path)
        tensors[name] = _array(value, name, path)
    header = {"format": FORMAT, "format_version": "1"}
    if optimizer is not None:
        header["optimizer"] = _optimizer_header(optimizer, tensors, path)
    # safetensors does not keep the order of names; the header does, for a faithful load
    header["names"] = json.dumps(list(tensors))
    for key, value in (metadata or {}).items():
        if str(key) in header:
            raise ValueError(f"nn.save: metadata key {key!r} is reserved")
        header[str(key)] = str(value)
    _check_target(path)
    _write_atomically(path, safetensors_numpy.save(tensors, metadata=header))


def _check_name(name: Any, path: str) -> None:
    if not isinstance(name, str):
        raise TypeError(
            f"nn.save: state dict keys must be strings (dotted names such as '0.weight'); "
            f"got {type(name).__name__} {name!r}. Nothing was written to {path!r}."
        )
    if name.startswith(OPTIMIZER_PREFIX):
        raise ValueError(f"nn.save: the name {name!r} is reserved for optimizer state")
    if name == "__metadata__":
        raise ValueError("nn.save: the name '__metadata__' is reserved by safetensors")


def _array(value: Any, name: str, path: str) -> np.ndarray:
    """``value`` as a C-contiguous array of numbers that safetensors can store, any shape."""
    if isinstance(value, Tensor):
        array = value.data
    elif value is None or isinstance(value, (str, bytes, Mapping, Module)):
        hint = (
            "; flatten nested dicts into dotted names ('layer.weight')"
            if isinstance(value, Mapping)
            else ""
        )
        what = "None" if value is None else f"a {type(value).__name__}"
        raise TypeError(
            f"nn.save: {name!r} is {what}, not an array of numbers{hint}. "
            f"Nothing was written to {path!r}."
        )
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise TypeError(f"nn.save: {name!r} is not an array of numbers ({error})") from None
    if array.dtype.kind not in "fiub" or array.dtype.itemsize > 8:
        raise TypeError(
            f"nn.save: {name!r} has dtype {array.dtype}, which safetensors cannot store "
            f"(floats, integers and bools only). Nothing was written to {path!r}."
        )
    # a 0-d array is contiguous already (np.ascontiguousarray would make it shape (1,))
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _optimizer_header(optimizer: Optimizer, tensors: dict[str, np.ndarray], path: str) -> str:
    """The optimizer's hyperparameters and scalar state as JSON; its arrays go in ``tensors``."""
    optimizer_state = optimizer.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in optimizer_state["state"].items():
        for key, value in values.items():
            if isinstance(value, np.ndarray):
                name = f"{OPTIMIZER_PREFIX}state.{index}.{key}"
                tensors[name] = _array(value, name, path)
            else:
                scalars.setdefault(str(index), {})[key] = value
    return json.dumps(
        {
            "type": type(optimizer).__name__,
            "param_groups": optimizer_state["param_groups"],
            "state": scalars,
        },
        default=_json_number,
    )


def _json_number(value: Any) -> Any:
    """numpy scalars (np.float32(0.1) as a learning rate) become plain numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"nn.save: cannot store {type(value).__name__} {value!r} in the header")


def _check_target(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"nn.save: cannot write {path!r}: the folder {directory!r} does not exist"
        )
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"nn.save: {path!r} is a folder; give a file path such as "
            f"{os.path.join(path, 'model.safetensors')!r}"
        )


def _write_atomically(path: str, payload: bytes) -> None:
    """Write to a locked temporary file beside ``path``, flush it to disk, rename it over
    ``path``; first remove what earlier saves to ``path`` left behind when they died."""
    directory = os.path.dirname(os.path.abspath(path))
    _remove_leftovers(path)
    descriptor, temporary = _locked_temporary(path)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
            os.chmod(temporary, _file_mode(path))
            if fcntl is not None:
                os.replace(temporary, path)  # while locked: no cleanup can take it first
        if fcntl is None:
            os.replace(temporary, path)  # (Windows renames closed files only)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _sync_folder(directory)


def _locked_temporary(path: str) -> tuple[int, str]:
    """A new temporary file for ``path``, open and locked, that no cleanup removed before
    the lock was taken."""
    directory, base = os.path.split(os.path.abspath(path))
    while True:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{base}.", suffix=_TEMPORARY_SUFFIX, dir=directory
        )
        if fcntl is None:
            return descriptor, temporary
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # waits while a cleanup looks at it
        try:
            if os.path.samestat(os.fstat(descriptor), os.stat(temporary)):
                return descriptor, temporary
        except FileNotFoundError:
            pass  # another save's cleanup took it for a leftover in between: make another
        os.close(descriptor)


def _leftover_pattern(path: str) -> re.Pattern[str]:
    """The names of ``path``'s temporary files: mkstemp's 8 characters between the two."""
    base = re.escape(os.path.basename(path))
    return re.compile(rf"\.{base}\.[a-z0-9_]{{8}}{re.escape(_TEMPORARY_SUFFIX)}")


def _remove_leftovers(path: str) -> None:
    """Remove the temporary files of earlier saves to ``path`` whose writer died
    (their lock is free); files being written, and every other file, stay."""
    directory = os.path.dirname(os.path.abspath(path))
    pattern = _leftover_pattern(path)
    with os.scandir(directory) as entries:
        leftovers = [
            entry.path
            for entry in entries
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
        ]
    for leftover in leftovers:
        _remove_if_abandoned(leftover)


def _remove_if_abandoned(leftover: str) -> None:
    """Remove ``leftover`` unless a live save holds its lock."""
    if fcntl is None:  # Windows refuses to remove a file a live save still has open
        with contextlib.suppress(OSError):  # gone already, or still open: left for later
            os.unlink(leftover)
        return
    try:
        descriptor = os.open(leftover, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return  # gone already, or not ours to open
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(leftover)
    except OSError:
        pass  # locked: a live save is writing it (or it went meanwhile)
    finally:
        os.close(descriptor)


def _sync_folder(directory: str) -> None:
    """Flush the rename itself to disk (POSIX; elsewhere the rename is already durable)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the data itself is synced
    finally:
        os.close(descriptor)


def _file_mode(path: str) -> int:
    """Keep an existing checkpoint's permissions; new files get the usual 0o666 minus umask."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ----------------------------------------------------------------------------- loading
def load(path: str | os.PathLike) -> OrderedDict[str, np.ndarray]:
    """The model state saved in ``path``, ready for ``module.load_state_dict``.

    The arrays are writable, with the dtypes and shapes they were saved with.
    A file written by other safetensors tools (no list of names in its header)
    loads too, its names sorted.
    """
    tensors, header, path = _read(path)
    names = header["names"] if "names" in header else sorted(tensors)
    return OrderedDict(
        (name, tensors[name]) for name in names if not name.startswith(OPTIMIZER_PREFIX)
    )


def load_optimizer_state(path: str | os.PathLike) -> dict[str, Any]:
    """The optimizer state saved by ``nn.save(..., optimizer=opt)``, for ``opt.load_state_dict``."""
    tensors, header, path = _read(path)
    if "optimizer" not in header:
        raise KeyError(f"nn.load_optimizer_state: {path!r} holds no optimizer state")
    saved = _optimizer_record(header["optimizer"], path)
    state: dict[int, dict[str, Any]] = {
        int(index): dict(values) for index, values in saved["state"].items()
    }
    prefix = f"{OPTIMIZER_PREFIX}state."
    for name, array in tensors.items():
        if name.startswith(OPTIMIZER_PREFIX):
            index, dot, key = name[len(prefix) :].partition(".")
            if not name.startswith(prefix) or not index.isdigit() or not dot or not key:
                raise _corrupt(path, f"the optimizer array name {name!r} is not state.<n>.<key>")
            state.setdefault(int(index), {})[key] = array
    groups = [
        {k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in group.items()}
        for group in saved["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


def _corrupt(path: str, problem: str) -> ValueError:
    return ValueError(
        f"nn.load: {path!r} is not a valid safetensors checkpoint ({problem}); it may be "
        "truncated or corrupt. Nothing was loaded."
    )


def _read(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any], str]:
    """The arrays, the checked header (``names`` as a list) and the path, of a checkpoint."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"nn.load: {path!r} is a folder, not a checkpoint file")
    with open(path, "rb") as file:  # FileNotFoundError and PermissionError name the path
        payload = file.read()
    header = _metadata(payload, path)
    try:
        tensors = safetensors_numpy.load(payload)
    except (SafetensorError, KeyError, ValueError) as error:
        raise _corrupt(path, str(error)) from None
    if "names" in header:
        header["names"] = _names(header["names"], set(tensors), path)
    return tensors, header, path


def _metadata(payload: bytes, path: str) -> dict[str, Any]:
    """The string metadata of a safetensors payload (8-byte little-endian length, then
    that many bytes of JSON), with the header checked before safetensors reads the data."""
    if len(payload) < 8:
        raise _corrupt(path, f"{len(payload)} bytes, shorter than the 8-byte header length")
    length = int.from_bytes(payload[:8], "little")
    if length > len(payload) - 8:
        raise _corrupt(
            path, f"the header length {length} is more than the {len(payload) - 8} bytes left"
        )
    try:
        header = json.loads(payload[8 : 8 + length])
    except (UnicodeDecodeError, ValueError) as error:
        raise _corrupt(path, f"the header is not JSON: {error}") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _corrupt(path, "__metadata__ is not a map of strings")
    for name, entry in header.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("dtype"), str):
            raise _corrupt(path, f"the entry of {name!r} has no dtype")
        if entry["dtype"] not in _READABLE:
            raise ValueError(
                f"nn.load: {path!r} stores {name!r} as {entry['dtype']}, a dtype nn.load does "
                "not read (numpy has no bfloat16 or 8-bit floats, and tensors hold no complex "
                "numbers); convert the file to F32 first (in PyTorch: "
                "{k: v.float() for k, v in state.items()}). Nothing was loaded."
            )
    return metadata


def _names(text: str, stored: set[str], path: str) -> list[str]:
    """The header's list of names, checked to name each stored array once."""
    try:
        names = json.loads(text)
    except ValueError:
        raise _corrupt(path, "the header's list of names is not JSON") from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _corrupt(path, "the header's names are not a list of strings")
    if len(set(names)) != len(names) or set(names) != stored:
        raise _corrupt(path, "the header's list of names does not match the stored arrays")
    return names


def _optimizer_record(text: str, path: str) -> dict[str, Any]:
    """The header's optimizer record, checked to have the shape ``nn.save`` writes."""
    try:
        saved = json.loads(text)
    except ValueError:
        raise _corrupt(path, "the optimizer record is not JSON") from None
    groups = saved.get("param_groups") if isinstance(saved, dict) else None
    state = saved.get("state") if isinstance(saved, dict) else None
    well_formed = (
        isinstance(groups, list)
        and all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups)
        and isinstance(state, dict)
        and all(k.isdigit() and isinstance(v, dict) for k, v in state.items())
    )
    if not well_formed:
        raise _corrupt(path, "the optimizer record is not one nn.save writes")
    return saved
