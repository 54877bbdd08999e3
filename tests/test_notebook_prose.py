"""A notebook's prose says only what its own cells show, and cites the course notes by title.

The numbers rule, per notebook: every number in a markdown cell (``3``, ``0.95``, ``1.7e-4``), every
percentage (``95%``) and every power of ten (``$10^{-15}$``, ``$3 \\times 10^{-15}$``) must appear
in one of the notebook's code cells: in an output (stream text or ``text/plain``) or in the
source. A result a cell computes is printed by it, so a re-run that changes it changes the output
and this test then names the sentence that went stale. Settings (``lr = 0.3``), thresholds
(``1e-7``) and the bounds a cell asserts (``assert dev_accuracy > 0.9``, which the prose quotes as
"above 0.9") are in the source.

Matching is by value, so ``0.950`` is ``0.95`` and ``1e-07`` is ``$10^{-7}$``, but the digits must
be the printed ones: prose that rounds a printed ``0.948`` to ``0.95`` fails (print it with the
precision the prose wants). A percentage matches only a percentage (``13.4%``, not ``0.134``).
Signs are ignored, since prose writes "falls by 0.5" for a printed ``-0.5``. A bare power of ten
``$10^{k}$`` states an order of magnitude, so it also matches a number in ``[10^k, 10^(k+1))``:
"about ``$10^{-10}$``" for a printed ``3.5e-10``.

Integers are checked too, though weakly: small ones (1, 2, 10, 100) are in almost every
notebook's code, so only the larger or rarer ones ("1797 images", "265 of 270") are really
tested. Exempt, because they are labels and not quantities:

- references: a number after "section", "equation", "remark", "notebook", ... ("section 7.1",
  "equation 3.30", "Remark 4.1"), the "1." of a numbered list or heading, and a citation's year
  before its closing parenthesis ("Autumn 2018)");
- inline code and code blocks in markdown (```momentum=0.1```), which are code, not prose.

The citation rule: the course notes are not in the repository, so a notebook cites them by
title (for example "Improving Deep Neural Networks notes, section 12"), never by their file
names (``00N_<hash>.txt``), by the numbers of those names ("001 section 27") or as "the
documents", in prose or in code (comments, plot titles).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

# a number as code and outputs print it: 3, 0.95, .5, 1e-07, 2.8e-17 (not the 64 of float64)
NUMBER = re.compile(r"(?<![\w.])(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*\\?%")
# $10^{-15}$, $3 \times 10^{-15}$, 10^6; the mantissa is optional
POWER_OF_TEN = re.compile(
    r"(?<![\w.^])(?:(\d+(?:\.\d+)?)\s*(?:\\times|\\cdot|×)\s*)?10\^\{?([-−]?\d+)\}?"
)
# a number in prose: 3, 0.95, 1.7e-4, but not the 229 of "CS229" or the exponent of "1.5^{10}"
PROSE_NUMBER = re.compile(r"(?<![\w.^{])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")
CITATION_YEAR = re.compile(r"\b(?:19|20)\d\d(?=\))")  # "(Andrew Ng, Stanford, Autumn 2018)"
REFERENCE_WORDS = (
    r"sections?|equations?|eqs?\.|eq\.|remarks?|chapters?|lectures?|notebooks?|figures?|tables?"
    r"|algorithms?|§"
)
NUMBER_LIST = r"\d+(?:\.\d+)*(?:\s*(?:,|and|or|to|-|–)\s*\d+(?:\.\d+)*)*"
REFERENCE = re.compile(rf"(?:{REFERENCE_WORDS})\s*\(?{NUMBER_LIST}", re.IGNORECASE)
CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)

# "1." of a numbered list or heading ("## 5. Early stopping"), a title's "# 09 · Search"
LIST_NUMBER = re.compile(r"^([ \t]*(?:#+[ \t]*)?)\d+(?:\.(?=[ \t])|(?=[ \t]+·))", re.MULTILINE)

# the course notes' file names and numbers ("001 section 27", "000's class"), and the phrases
# that stand for notes a reader cannot identify; SEED_FILE_NAME and UNTITLED are also the
# rule for the library's docstrings and comments (tests/test_citations.py), where a bare
# 001 or "the course notes" (followed by titles) can be fine
SEED_FILE_NAME = r"\b00[0-4]_[0-9a-f]{16}(?:\.txt)?\b"
UNTITLED = r"\bthe (?:source |seed )?documents?\b|\bseeds/|\bseed (?:files?|documents?)\b"
FILE_NAME = re.compile(rf"{SEED_FILE_NAME}|(?<![\w.,])00[0-4](?![\w.])")
NO_TITLE = re.compile(rf"{UNTITLED}|\bthe course notes\b", re.IGNORECASE)


@dataclass(frozen=True)
class Quoted:
    """A number that a markdown cell quotes: its text, its value, and how it may be matched."""

    text: str
    value: float
    percent: bool = False
    decade: bool = False  # a bare power of ten: an order of magnitude


def prose_of(cell_source: str) -> str:
    """The markdown without code spans and without references such as "section 7.1"."""
    text = LIST_NUMBER.sub(r"\1", CODE.sub(" ", cell_source))
    return CITATION_YEAR.sub(" ", REFERENCE.sub(" ", text))


def quoted_numbers(markdown: str) -> list[Quoted]:
    """The decimals, percentages and powers of ten a markdown cell quotes."""
    text = prose_of(markdown)
    found = []
    for match in POWER_OF_TEN.finditer(text):
        mantissa, exponent = match.group(1), int(match.group(2).replace("−", "-"))
        value = (float(mantissa) if mantissa else 1.0) * 10.0**exponent
        found.append(Quoted(match.group(0), value, decade=mantissa is None))
    text = POWER_OF_TEN.sub(" ", text)
    for match in PERCENT.finditer(text):
        found.append(Quoted(match.group(0), float(match.group(1)), percent=True))
    text = PERCENT.sub(" ", text)
    found += [Quoted(m.group(0), float(m.group(0))) for m in PROSE_NUMBER.finditer(text)]
    return found


def output_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif "text/plain" in output.get("data", {}):
            parts.append(output.data["text/plain"])
    return "\n".join(parts)


@dataclass
class Shown:
    """Every number a notebook's code cells show: in their sources and their outputs."""

    values: list[float]
    percents: list[float]

    @classmethod
    def of(cls, notebook: nbformat.NotebookNode) -> Shown:
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        text = "\n".join(cell.source + "\n" + output_text(cell) for cell in code)
        values = [abs(float(m.group(0))) for m in NUMBER.finditer(text)]
        percents = [float(m.group(1)) for m in PERCENT.finditer(text)]
        return cls(values, percents)

    def shows(self, quoted: Quoted) -> bool:
        candidates = self.percents if quoted.percent else self.values
        target = abs(quoted.value)
        if any(math.isclose(value, target, rel_tol=1e-9) for value in candidates):
            return True
        return quoted.decade and any(target <= value < 10 * target for value in candidates)


def unshown_numbers(notebook: nbformat.NotebookNode) -> list[str]:
    """Each quoted number no code cell of the notebook shows, with the cell it is in."""
    shown = Shown.of(notebook)
    missing = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        for quoted in quoted_numbers(cell.source):
            if not shown.shows(quoted):
                missing.append(f"cell {index}: {quoted.text!r}")
    return missing


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def notebook(markdown: str, source: str, printed: str) -> nbformat.NotebookNode:
    """A code cell that printed ``printed``, then a markdown cell."""
    code = nbformat.v4.new_code_cell(source)
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    return nbformat.v4.new_notebook(cells=[code, nbformat.v4.new_markdown_cell(markdown)])


def test_the_rule_flags_a_result_that_a_rerun_changed():
    # notebook 07 before its fix: the prose kept the 0.95 of an earlier run
    stale = notebook("even $\\alpha = 3$ reaches 0.95 dev accuracy", "lr = 3.0", "3.0  0.856\n")
    assert unshown_numbers(stale) == ["cell 1: '0.95'"]
    assert unshown_numbers(notebook("reaches 0.856", "lr = 3.0", "3.0  0.856\n")) == []


def test_the_rule_wants_the_printed_digits_and_percentages_as_printed():
    printed = "accuracy 0.950, error 13.4%, rounding 3.9e-16\n"
    assert unshown_numbers(notebook("0.95, 13.4%, about $10^{-16}$", "", printed)) == []
    assert unshown_numbers(notebook("0.9500 and $3.9 \\times 10^{-16}$", "", printed)) == []
    assert unshown_numbers(notebook("rounded: 0.9", "", printed)) == ["cell 1: '0.9'"]
    assert unshown_numbers(notebook("a fraction: 0.134", "", printed)) == ["cell 1: '0.134'"]
    assert unshown_numbers(notebook("as a percentage: 95%", "", printed)) == ["cell 1: '95%'"]
    assert unshown_numbers(notebook("order: $10^{-15}$", "", printed)) == ["cell 1: '10^{-15}'"]


def test_the_rule_accepts_settings_and_asserted_bounds_from_the_source():
    source = "optimizer = SGD(lr=0.3)\nassert dev_accuracy > 0.9 and error < 1e-14"
    prose = "With $\\alpha = 0.3$ the dev accuracy stays above 0.9 and the error below $10^{-14}$."
    assert unshown_numbers(notebook(prose, source, "")) == []


def test_the_citation_rule_flags_file_names_and_their_numbers():
    def names(text):
        return [m.group(0) for p in (FILE_NAME, NO_TITLE) for m in p.finditer(text)]

    # built from pieces, so that tests/test_citations.py does not flag this file
    seed_file, the_documents = "001_" + "c6b77ffe3f8d6a56.txt", "the " + "documents"
    assert names(f"see {seed_file}, 000's class and 003 section 4") == [seed_file, "000", "003"]
    assert names(f"as {the_documents} write it; the " + "document's code") == [
        the_documents,
        "the " + "document",
    ]
    assert names("10,000 draws, 0.001, seed 0, the CS229 Lecture 12 notes, section 7.2") == []


def test_the_rule_skips_references_lists_code_and_citation_years():
    prose = (
        "# 09 · A title\n## 4. The redundant bias\n\n1. a list item; CS229 Lecture 12 notes"
        " (Andrew Ng, Stanford, Autumn 2018), section 7.2, equation 3.30, Remark 4.1,"
        " notebook 05; `momentum=0.1`"
    )
    assert unshown_numbers(notebook(prose, "", "")) == []
    assert unshown_numbers(notebook("1797 images", "", "(1796, 64)")) == ["cell 1: '1797'"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_number_the_prose_quotes_is_printed_or_in_the_code(path):
    missing = unshown_numbers(read(path))
    assert not missing, (
        f"{path.name}: the prose quotes numbers that no cell prints or contains; print them "
        "in the cell above (and quote the printed digits) or assert the bound the text states:\n  "
        + "\n  ".join(missing)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_cite_the_course_notes_by_title_not_by_file_name(path):
    found = []
    for index, cell in enumerate(read(path).cells):  # markdown, and code (comments, plot titles)
        for pattern in (FILE_NAME, NO_TITLE):
            found += [f"cell {index}: {m.group(0)!r}" for m in pattern.finditer(cell.source)]
    assert not found, (
        f"{path.name} names the course notes in a way a reader cannot look up; cite them by "
        "title (for example 'Improving Deep Neural Networks notes, section 12'):\n  "
        + "\n  ".join(found)
    )
