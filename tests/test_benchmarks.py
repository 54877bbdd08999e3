"""The benchmarks compare like with like: each side makes the same update (no timing here)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import engine_vs_numpy
import nn_vs_numpy
import python_floor


def test_engine_and_numpy_steps_agree():
    engine_vs_numpy.check_same_updates(np.random.default_rng(1))


def test_nn_and_numpy_steps_agree_for_sgd_and_adam():
    nn_vs_numpy.check_same_updates(np.random.default_rng(2))


def test_the_bare_engine_of_the_floor_benchmark_makes_the_same_updates():
    python_floor.check_same_updates(np.random.default_rng(3))
