"""The library's docstrings and comments cite the course notes by title.

The notes the project comes from are not in the repository, so a reader cannot look them
up by a generic name (the word "documents" after "the") or by their file names (``00N_``
and 16 hex digits). Cite them as the notebooks do, for example "Improving Deep Neural
Networks notes, section 12: gradient checking" or "CS229: Additional Notes on
Backpropagation". The patterns are the notebooks' (tests/test_notebook_prose.py) without
the two a docstring may use: a bare number such as 001, and "the course notes" followed by
titles.

Checked: every .py file under autograd_mini/, nn/, benchmarks/, scripts/ and tests/, the
scripts without an extension (scripts/demo, scripts/test, ...) and pyproject.toml. This file
and test_notebook_prose.py build their examples of the forbidden strings from pieces.
"""

from __future__ import annotations

import re
from pathlib import Path

from .test_notebook_prose import SEED_FILE_NAME, UNTITLED

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd_mini", "nn", "benchmarks", "scripts", "tests")
UNCITED = re.compile(rf"{SEED_FILE_NAME}|{UNTITLED}", re.IGNORECASE)


def checked_files() -> list[Path]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    files += [p for p in (ROOT / "scripts").iterdir() if p.is_file() and not p.suffix]
    files.append(ROOT / "pyproject.toml")
    return sorted(p for p in files if "__pycache__" not in p.parts)


def uncited(text: str, name: str) -> list[str]:
    """``name:line: 'match'`` for each place ``text`` names the notes by no title."""
    return [
        f"{name}:{number}: {match.group(0)!r}"
        for number, line in enumerate(text.splitlines(), start=1)
        for match in UNCITED.finditer(line)
    ]


def test_the_rule_flags_seed_file_names_and_the_untitled_phrase():
    # built from pieces, so that this file does not flag itself
    phrase = "The " + "Documents"
    seed_file, upper_case = "003_" + "478d786b6f0fab28.txt", "004_" + "47288F4D403D6B66"
    text = (
        "x = 1\n"
        f"# as {phrase} write it\n"
        f'"""See {seed_file} and {upper_case}."""\n'
        "# CS229 Lecture 12 notes, section 7.2; 0.001; seed 0; the course notes below\n"
    )
    assert uncited(text, "m.py") == [
        f"m.py:2: {phrase!r}",
        f"m.py:3: {seed_file!r}",
        f"m.py:3: {upper_case!r}",
    ]


def test_the_check_reads_the_whole_library_and_its_tests():
    files = checked_files()
    names = {p.relative_to(ROOT).as_posix() for p in files}
    assert len(files) > 20
    assert {"autograd_mini/gradcheck.py", "nn/fused.py", "scripts/test"} <= names
    assert "tests/test_citations.py" in names  # this file too: its examples are built


def test_docstrings_and_comments_cite_the_course_notes_by_title():
    found = [
        hit
        for path in checked_files()
        for hit in uncited(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    ]
    assert not found, (
        "these lines name the course notes in a way a reader cannot look up; cite them by "
        "title (for example 'CS229: Additional Notes on Backpropagation' or 'Improving "
        "Deep Neural Networks notes, section 12: gradient checking'):\n  " + "\n  ".join(found)
    )
