"""Whether the imported autograd_mini and nn are this checkout's code.

The scripts that regenerate committed outputs (readme_images.py, run_notebooks.py) run in .venv,
where scripts/test and scripts/demo install the wheel built from the checkout. After an edit
that wheel is stale until they run again, and outputs made with it would not match the code.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stale_modules(root: Path = ROOT) -> list[str]:
    """The checkout's .py files of autograd_mini/ and nn/ that the imported packages lack or
    hold differently; empty when they are this checkout's code."""
    differ = []
    for name in ("autograd_mini", "nn"):
        imported = Path(importlib.import_module(name).__file__).resolve().parent
        for source in sorted((root / name).rglob("*.py")):
            relative = source.relative_to(root / name)
            copy = imported / relative
            if not copy.is_file() or copy.read_bytes() != source.read_bytes():
                differ.append(f"{name}/{relative.as_posix()}")
    return differ


def require_checkout_code(script: str) -> None:
    """Exit with a message saying what to run when the imported packages are not the checkout's."""
    differ = stale_modules()
    if differ:
        shown = ", ".join(differ[:5]) + (", ..." if len(differ) > 5 else "")
        sys.exit(
            f"{script}: the installed autograd-mini is not this checkout's code ({shown} "
            "differ): run scripts/demo --epochs 1 (it installs the checkout's wheel into .venv), "
            "then this again"
        )
