"""Re-execute the notebooks in place, so their committed outputs match the library.

Run: .venv/bin/python scripts/run_notebooks.py [notebooks/05_optimizers.ipynb ...]
(all notebooks when none is named). Files they write go to a temporary folder. The kernels
import .venv's autograd-mini; the script stops if that is not the checkout's code.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # this environment's kernel first

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkout_code import require_checkout_code  # a sibling script

ROOT = Path(__file__).resolve().parents[1]


def main(paths: list[str]) -> None:
    require_checkout_code("run_notebooks.py")
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            cell.metadata.pop("execution", None)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as scratch:
            NotebookClient(
                notebook,
                timeout=300,
                kernel_name="python3",
                record_timing=False,  # timestamps in the metadata only make diffs noisy
                resources={"metadata": {"path": scratch}},
            ).execute()
        nbformat.write(notebook, path)
        print(f"{path.name}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
