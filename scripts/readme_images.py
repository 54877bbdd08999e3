"""Regenerate the pictures at the top of the README (docs/images/).

- graph.svg: the graph of a small MLP's forward pass and loss, ops grouped by module;
- cost.png: the main job's cost curves (train and dev cost per epoch).

Run: .venv/bin/python scripts/readme_images.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

import nn
from autograd_mini import Tensor, draw_graph

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8, rng=rng), nn.ReLU(), nn.Linear(8, 3, rng=rng))
    x = Tensor(rng.standard_normal((5, 4)), name="x (5 examples)")
    loss = nn.CrossEntropyLoss()(model(x), [0, 2, 1, 1, 0])
    loss.backward()
    drawing = draw_graph(loss, show_grad=True, group_modules=True)
    drawing.render(IMAGES / "graph", format="svg", cleanup=True)

    sys.path.insert(0, str(ROOT / "scripts"))
    import train_digits

    with tempfile.TemporaryDirectory() as out:
        train_digits.main(["--out", out, "--no-progress"])
        shutil.copy(Path(out) / "cost.png", IMAGES / "cost.png")


if __name__ == "__main__":
    main()
