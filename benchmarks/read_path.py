"""How much library source a reader must open to follow one training step.

The step is ``(x @ w + b).relu().sum().backward()``: the forward ops and the
backward walk of a one-layer network. ``sys.settrace`` records every library
function that runs while it does (tensors are made before tracing starts);
each is counted by its whole source (``inspect.getsourcelines``), since a
reader opens the function, not only the lines that ran. Printed: the lines
and functions per file, the total, and the longest functions.

Run: ``python benchmarks/read_path.py`` (``--all`` lists every function).
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import numpy as np

import autograd_mini
from autograd_mini import Tensor

LIBRARY = Path(autograd_mini.__file__).resolve().parent


def library_functions_run_by(step: Any) -> set[CodeType]:
    """The code objects of every function under autograd_mini/ that ``step()`` calls."""
    seen: set[CodeType] = set()

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        code = frame.f_code
        if event == "call" and Path(code.co_filename).resolve().is_relative_to(LIBRARY):
            if not code.co_name.startswith("<"):  # a comprehension is read with its function
                seen.add(code)

    sys.setprofile(tracer)  # 'call' events of Python functions, without per-line tracing
    try:
        step()
    finally:
        sys.setprofile(None)
    return seen


def source_lines(code: CodeType) -> int:
    """The whole source of the function, decorators and docstring included."""
    lines, _ = inspect.getsourcelines(code)
    return len(lines)


def training_step() -> Any:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((8, 3)))
    w = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = Tensor(np.zeros(4), requires_grad=True)
    return lambda: (x @ w + b).relu().sum().backward()


def functions_on_the_path() -> list[tuple[int, str, str, int]]:
    """(source lines, file name, qualified name, first line) of each library function that
    one training step runs, by file and line."""
    step = training_step()
    step()  # once untraced: first calls may fill caches that later steps skip
    return sorted(
        (
            (
                source_lines(c),
                Path(c.co_filename).name,
                getattr(c, "co_qualname", c.co_name),
                c.co_firstlineno,
            )
            for c in library_functions_run_by(step)
        ),
        key=lambda row: (row[1], row[3]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="list every function on the path")
    show_all = parser.parse_args().all
    functions = functions_on_the_path()
    files: dict[str, list[int]] = {}
    for lines, filename, _, _ in functions:
        files.setdefault(filename, []).append(lines)
    print(f"{'file':20s} {'functions':>9s} {'lines':>6s}")
    for filename, counts in sorted(files.items(), key=lambda item: -sum(item[1])):
        print(f"{filename:20s} {len(counts):9d} {sum(counts):6d}")
    total = sum(row[0] for row in functions)
    print(f"{'total':20s} {len(functions):9d} {total:6d}   in {len(files)} files")
    longest = sorted(functions, reverse=True)[: len(functions) if show_all else 5]
    print("\nlongest functions:" if not show_all else "\nevery function, longest first:")
    for lines, filename, name, first in longest:
        print(f"  {lines:4d}  {filename}:{first} {name}")


if __name__ == "__main__":
    main()
