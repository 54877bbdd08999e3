"""Regenerate the pictures at the top of the README (docs/images/), and the numbers it quotes.

- graph.svg: the graph of a small MLP's forward pass and loss, ops grouped by module;
- trace_frame.svg: one step of that graph's backward pass, as trace_backward draws it;
- cost.png: the main job's cost curves (train and dev cost per epoch);
- cost.json: what the README's caption of cost.png says, as the main job reported it: the
  model, the epochs run and the accuracies, with the arguments that reproduce them
  (tests/test_readme.py checks the caption against it, and it against a new run).

Run: .venv/bin/python scripts/readme_images.py (it stops if .venv's autograd-mini is not the
checkout's code).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

import nn
from autograd_mini import Tensor, draw_graph, trace_backward

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkout_code import require_checkout_code  # a sibling script

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
MAIN_JOB_ARGUMENTS = ["--seed", "0"]  # scripts/demo's defaults, written out


def small_mlp_loss() -> tuple[nn.Module, Tensor]:
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8, rng=rng), nn.ReLU(), nn.Linear(8, 3, rng=rng))
    x = Tensor(rng.standard_normal((5, 4)), name="x (5 examples)")
    return model, nn.CrossEntropyLoss()(model(x), [0, 2, 1, 1, 0])


def draw_small_graph() -> None:
    _model, loss = small_mlp_loss()
    loss.backward()
    drawing = draw_graph(loss, show_grad=True, group_modules=True)
    drawing.render(IMAGES / "graph", format="svg", cleanup=True)


def draw_trace_frame(step: int = 2) -> None:
    """The same graph while backward runs its step ``step`` (the ReLU): done, now, to come."""
    _model, loss = small_mlp_loss()  # (the model alive: its parameters keep their names)
    trace_backward(loss).draw(step).render(IMAGES / "trace_frame", format="svg", cleanup=True)


def caption_record(report: dict[str, float | int | str]) -> dict[str, object]:
    """cost.json's content: train_digits' report, accuracies rounded as it prints them."""
    return {
        "arguments": MAIN_JOB_ARGUMENTS,
        "model": report["model"],
        "epochs_run": report["epochs_run"],
        "train_accuracy": round(float(report["train"]), 4),
        "dev_accuracy": round(float(report["dev"]), 4),
        "test_accuracy": round(float(report["test"]), 4),
    }


def train_main_job() -> None:
    import train_digits

    with tempfile.TemporaryDirectory() as out:
        report = train_digits.main([*MAIN_JOB_ARGUMENTS, "--out", out, "--no-progress"])
        shutil.copy(Path(out) / "cost.png", IMAGES / "cost.png")
    record = json.dumps(caption_record(report), indent=2)
    (IMAGES / "cost.json").write_text(record + "\n")


def main() -> None:
    require_checkout_code("readme_images.py")
    IMAGES.mkdir(parents=True, exist_ok=True)
    draw_small_graph()
    draw_trace_frame()
    train_main_job()


if __name__ == "__main__":
    main()
