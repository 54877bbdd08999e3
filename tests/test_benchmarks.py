"""The benchmarks compare like with like: each side makes the same update (no timing here)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import engine_vs_numpy
import nn_vs_numpy
import python_floor
import read_path


def test_engine_and_numpy_steps_agree():
    engine_vs_numpy.check_same_updates(np.random.default_rng(1))


def test_nn_and_numpy_steps_agree_for_sgd_and_adam():
    nn_vs_numpy.check_same_updates(np.random.default_rng(2))


def test_the_bare_engine_of_the_floor_benchmark_makes_the_same_updates():
    python_floor.check_same_updates(np.random.default_rng(3))


def test_one_training_step_reads_in_at_most_250_lines_of_4_files():
    # issue 11's target for the plain path: (x @ w + b).relu().sum().backward()
    functions = read_path.functions_on_the_path()
    names = {name for _, _, name, _ in functions}
    assert {"_walk", "backward", "Function.apply"} <= names  # the path was traced at all
    assert sum(lines for lines, *_ in functions) <= 250
    assert len({filename for _, filename, _, _ in functions}) <= 4
    longest = max(functions)
    assert longest[0] <= 40, f"{longest[2]} ({longest[1]}:{longest[3]}) is {longest[0]} lines"
