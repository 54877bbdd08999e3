"""The README's first lines, its code example, and the numbers and lists it quotes."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
COST_RECORD = ROOT / "docs" / "images" / "cost.json"
NOTEBOOKS = sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))


def scripts_module(name: str):
    """Import scripts/<name>.py (the scripts are not a package)."""
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    return __import__(name)


def test_first_lines_are_the_title_a_description_and_the_two_commands():
    title, blank, description, blank_too, fence = README.splitlines()[:5]
    assert title == "# autograd-mini"
    assert blank == blank_too == ""
    assert description.startswith("A ") and description.endswith(".")
    assert fence == "```bash"
    first_block = README.split("```bash\n", 1)[1].split("```", 1)[0]
    assert "```" not in README.split("```bash\n", 1)[0]  # no code block before it
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["scripts/demo", "scripts/test"]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec scripts/test")


def test_the_commands_the_readme_names_exist_and_are_executable():
    named = set(re.findall(r"`(scripts/[a-z_]+)", README))
    assert {"scripts/demo", "scripts/test", "scripts/notebooks"} <= named
    for command in named:
        assert os.access(ROOT / command, os.X_OK), f"{command} is not an executable file"


def test_python_examples_run():
    for block in re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL):
        exec(compile(block, "README.md", "exec"), {})


def cost_caption() -> str:
    """The paragraph right after the picture of the cost curves."""
    after_picture = README.split("(docs/images/cost.png) |\n", 1)[1]
    return " ".join(after_picture.strip().split("\n\n", 1)[0].split())


def test_the_cost_caption_quotes_the_model_and_test_accuracy_of_the_recorded_run():
    record = json.loads(COST_RECORD.read_text())
    caption = cost_caption()
    assert record["model"] in caption
    assert f"test accuracy {record['test_accuracy']:.2%}" in caption
    # no other accuracy in the caption that the record does not back
    assert re.findall(r"\d+\.\d+%", caption) == [f"{record['test_accuracy']:.2%}"]


def test_the_recorded_run_is_what_the_main_job_reports_now(tmp_path):
    record = json.loads(COST_RECORD.read_text())
    train_digits, readme_images = scripts_module("train_digits"), scripts_module("readme_images")
    arguments = [*record["arguments"], "--out", str(tmp_path), "--no-progress"]
    report = train_digits.main(arguments)
    assert readme_images.caption_record(report) == record, (
        "docs/images/cost.json is out of date: run .venv/bin/python scripts/readme_images.py"
    )


def test_the_reading_order_lists_every_notebook_once_in_order():
    section = README.split("## Notebooks, in reading order", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\d+\. `(\w+)`", section, flags=re.MULTILINE)
    assert listed == NOTEBOOKS
    assert len(listed) == 12


def test_the_course_notes_are_cited_by_title_not_by_file_name():
    cited_by_file = re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt\b")
    for path in [ROOT / "README.md", *sorted((ROOT / "scripts").iterdir())]:
        assert not cited_by_file.search(path.read_text()), path.name
