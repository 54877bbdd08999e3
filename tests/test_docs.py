"""The documentation site: ``scripts/docs serve`` builds it with warnings as errors and serves
it; every public name is in its reference; its table of derivatives is the library's; the
names and tests its pages point to exist; and in headless Chromium its pages load without
console errors and its search finds ``BatchNorm1d``.

It runs the script itself, so its set-up is that of scripts/test (.venv, the wheel of the
checkout): already done under scripts/test, done here the first time otherwise.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import runpy
import shutil
import subprocess
import time
import types
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import autograd_mini
import nn
from autograd_mini import Function

from .browser import console_errors, open_browser
from .servers import free_port, script_running

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
START_TIMEOUT = 900.0  # seconds: the first run also creates .venv
HAND_WRITTEN_PAGES = ("index", "getting-started", "tutorials", "engine", "course-map", "api")

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (the home page's graph)"
)


@dataclass
class Site:
    html: Path  # the built site
    url: str  # where scripts/docs serve serves it
    log: str  # what the script printed while building


def read_log(path: Path) -> str:
    return path.read_text(errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``scripts/docs serve`` on a free port, building into a temporary folder."""
    folder = tmp_path_factory.mktemp("docs")
    html, port, log = folder / "html", free_port(), folder / "docs.log"
    command = [str(ROOT / "scripts" / "docs"), "serve"]
    url = f"http://127.0.0.1:{port}/"
    with script_running(command, {"DOCS_BUILD_DIR": str(html), "PORT": str(port)}, log) as server:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"scripts/docs serve stopped ({server.returncode}):\n{read_log(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"scripts/docs serve did not answer on {url}:\n{read_log(log)}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        yield Site(html, url, read_log(log))


# --------------------------------------------------------------------------
# The build and what it contains


def test_the_site_builds_with_warnings_as_errors_and_is_served(site):
    assert "-W" in (ROOT / "scripts" / "docs").read_text().split("sphinx", 1)[1].split("\n")[0]
    assert f"The site is in {site.html}/index.html" in site.log
    assert "WARNING" not in site.log and "ERROR" not in site.log
    for page in (*HAND_WRITTEN_PAGES, "pytorch-and-jax", "api/nn", "search"):
        with urllib.request.urlopen(f"{site.url}{page}.html", timeout=5) as response:
            assert response.status == 200


def test_scripts_docs_refuses_an_unknown_command_before_setting_anything_up():
    done = subprocess.run(
        [str(ROOT / "scripts" / "docs"), "sever"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2 and "usage: scripts/docs [serve]" in done.stderr


def public_names(module: types.ModuleType) -> dict[str, object]:
    """What a user can reach by name: ``__all__``, or else what the module defines."""
    if hasattr(module, "__all__"):
        return {name: getattr(module, name) for name in module.__all__}
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }


def expected_reference_entries() -> set[str]:
    """Every public name of both packages and their public submodules (and of
    ``autograd_mini.testing``, imported only by who uses it), and the public attributes of
    Tensor, Function and Module, fully qualified."""
    testing = pytest.importorskip("autograd_mini.testing")
    names, modules, seen = set(), [autograd_mini, nn, testing], set()
    while modules:
        module = modules.pop()
        if module.__name__ in seen:
            continue
        seen.add(module.__name__)
        names.add(module.__name__)
        for name, value in public_names(module).items():
            if isinstance(value, types.ModuleType):
                modules.append(value)
            else:
                names.add(f"{module.__name__}.{name}")
    assert len(seen) >= 14, sorted(seen)
    for cls in (autograd_mini.Tensor, autograd_mini.Function, nn.Module):
        owner = f"{cls.__module__.split('.')[0]}.{cls.__name__}"
        names |= {f"{owner}.{a}" for a in vars(cls) if not a.startswith("_")}
    return names


def reference_entries(html: Path) -> set[str]:
    from sphinx.util.inventory import InventoryFile

    with (html / "objects.inv").open("rb") as stream:
        inventory = InventoryFile.load(stream, "", lambda base, uri: uri)
    return {
        name for kind, entries in inventory.items() if kind.startswith("py:") for name in entries
    }


def test_every_public_name_is_in_the_api_reference(site):
    expected = expected_reference_entries()
    assert {"autograd_mini.Tensor.backward", "nn.BatchNorm1d", "nn.optim.Adam"} <= expected
    assert {"autograd_mini.functional.hessian", "nn.optim.lr_scheduler.StepLR"} <= expected
    missing = expected - reference_entries(site.html)
    assert not missing, f"public names missing from the API reference: {sorted(missing)}"


class Tables(HTMLParser):
    """The rows of one table (by id) of an HTML page, as lists of cell texts."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def library_ops() -> dict[str, str]:
    """Every op of the library that has a row in a table of derivatives: name -> formula."""
    ops, classes = {}, list(Function.__subclasses__())
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in ("autograd_mini", "nn") and "formula" in vars(cls):
            ops[cls.name] = " ".join(cls.formula.split())
    return ops


def test_the_table_of_derivatives_is_the_librarys(site):
    parser = Tables("table-of-derivatives")
    parser.feed((site.html / "engine.html").read_text())
    header, *rows = parser.rows
    assert header == ["op", "derivative", "defined in"]
    shown = {op: formula for op, formula, _ in rows}
    assert len(shown) == len(rows), "an op appears twice"
    ops = library_ops()
    assert len(ops) >= 35 and {"matmul", "softmax", "linear", "cross_entropy"} <= set(ops)
    assert shown == ops
    assert shown["mul"] == "d/da = grad * b, d/db = grad * a"


def unresolved_references(page: str) -> list[str]:
    """Python cross-references of a built page that found no target (rendered without a link)."""
    unresolved = []
    for match in re.finditer(r'<code class="xref py[^"]*">(.*?)</code>', page):
        before = page[: match.start()]
        if before.rfind("<a ") <= before.rfind("</a>"):
            unresolved.append(re.sub(r"<[^>]+>", "", match.group(1)))
    return unresolved


def test_the_hand_written_pages_link_every_name_they_mention(site):
    linked = 0
    for page in (*HAND_WRITTEN_PAGES, "pytorch-and-jax"):
        html = (site.html / f"{page}.html").read_text()
        assert unresolved_references(html) == [], page
        linked += html.count('<code class="xref py')
    assert linked >= 40


def test_the_reference_links_each_name_to_its_highlighted_source(site):
    page = (site.html / "api" / "autograd_mini.html").read_text()
    assert "../_modules/autograd_mini/graph.html#Function.apply" in page
    source = (site.html / "_modules" / "autograd_mini" / "graph.html").read_text()
    assert 'class="highlight"' in source and "def _walk" in re.sub(r"<[^>]+>", "", source)


def test_the_engine_page_shows_every_function_of_one_training_step(site):
    text = re.sub(r"<[^>]+>", "", (site.html / "engine.html").read_text())
    import importlib.util

    spec = importlib.util.spec_from_file_location("read_path", ROOT / "benchmarks" / "read_path.py")
    read_path = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(read_path)
    functions = read_path.functions_on_the_path()
    for lines, filename, name, first in functions:
        assert f"{name} ({filename}, line {first}, {lines} lines)" in text
    assert f"{sum(row[0] for row in functions)} lines in" in text


def test_every_notebook_is_a_tutorial_in_reading_order(site):
    page = (site.html / "tutorials.html").read_text()
    toc = page.split('class="toctree-wrapper', 1)[1].split("</div>", 1)[0]
    linked = re.findall(r'href="tutorials/([^"#]+)\.html"', toc)
    assert linked == sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert len(linked) == 12


def test_the_course_map_names_tests_that_exist():
    text = (DOCS / "course-map.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert len(named) >= 25
    for path, test in named:
        tree = ast.parse((ROOT / path).read_text())
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert test in defined, f"course-map.md names {path}::{test}, which does not exist"


def test_the_home_pages_example_gives_the_hand_derived_gradient():
    example = runpy.run_path(str(DOCS / "examples" / "first_step.py"))
    x, y, w, b = (example[name] for name in ("x", "y", "w", "b"))
    p = 1 / (1 + np.exp(-(x.data @ w.data + b.data)))
    m = len(y)
    np.testing.assert_allclose(w.grad, x.data.T @ (p - y) / m, rtol=1e-12)
    np.testing.assert_allclose(b.grad, (p - y).sum(axis=0) / m, rtol=1e-12)
    assert len((DOCS / "examples" / "first_step.py").read_text().splitlines()) <= 12


# --------------------------------------------------------------------------
# In the browser


def first_heading(notebook: Path) -> str:
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{notebook.name} has no title")


def heading_of(driver) -> str:
    from selenium.webdriver.common.by import By

    heading = driver.find_element(By.CSS_SELECTOR, "main h1, article h1")
    return heading.get_attribute("textContent").replace("#", "").strip()


@pytest.mark.parametrize(
    "page, heading",
    [
        ("index.html", "autograd-mini"),
        ("api/nn.html", "nn"),
        (
            "tutorials/01_backprop_by_hand.html",
            first_heading(ROOT / "notebooks" / "01_backprop_by_hand.ipynb"),
        ),
    ],
)
def test_pages_load_in_chromium_without_console_errors(site, tmp_path, page, heading):
    from selenium.webdriver.support.ui import WebDriverWait

    with open_browser() as driver:
        driver.get(site.url + page)
        # (get() may return before a long page is complete when the machine is busy)
        WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        assert heading_of(driver) == heading
        driver.save_screenshot(str(tmp_path / (page.replace("/", "_") + ".png")))
        assert console_errors(driver) == []


def test_the_site_search_finds_batchnorm1d(site, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with open_browser() as driver:
        driver.get(site.url + "search.html?q=BatchNorm1d")
        results = WebDriverWait(driver, 30).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results li a")
        )
        texts = [result.text for result in results]
        driver.save_screenshot(str(tmp_path / "search.png"))
        assert any("BatchNorm1d" in text for text in texts), texts
        assert console_errors(driver) == []
