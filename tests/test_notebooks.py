"""Every notebook in notebooks/ runs top to bottom in a fresh kernel without an error, and
imports the same autograd_mini and nn as the tests (under scripts/test: the installed wheel)."""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

# the kernels inherit this: small matrices gain nothing from BLAS threads on shared cores
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def same_packages_cell() -> nbformat.NotebookNode:
    """A last cell that fails unless the kernel's autograd_mini and nn are the tests' own."""
    expected = {
        name: str(Path(importlib.import_module(name).__file__).resolve().parent)
        for name in ("autograd_mini", "nn")
    }
    return nbformat.v4.new_code_cell(
        "import importlib, pathlib\n"
        f"for name, expected in {expected!r}.items():\n"
        "    where = pathlib.Path(importlib.import_module(name).__file__).resolve().parent\n"
        "    assert where == pathlib.Path(expected), f'{name} from {where}, not {expected}'"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_errors(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(same_packages_cell())  # in memory only: the file is not written
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # files it writes go to a temp folder
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")


def test_there_are_twelve_notebooks_with_outputs():
    assert len(NOTEBOOKS) == 12
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code and all(cell.get("outputs") is not None for cell in code)
        assert any(cell.get("outputs") for cell in code), f"{path.name} has no outputs"
        assert notebook.cells[0].cell_type == "markdown"
