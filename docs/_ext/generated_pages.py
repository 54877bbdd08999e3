"""The pages of the site that are generated from the code, written before Sphinx reads.

- ``tutorials/*.ipynb``: the notebooks of ``notebooks/``, copied with their outputs.
- ``api/*.rst``: one reference page per public module, one autodoc entry per public
  name (``__all__`` where the module has one, else the functions and classes it
  defines without a leading underscore); a public submodule without a page stops
  the build.
- ``_generated/derivatives.md``: the table of derivatives, one row per op, from the
  ``formula`` each op gets from its module's table (``attach_formulas``), the
  same text ``trace_backward`` shows.
- ``_generated/plain_path.md``: the source of every library function that one
  training step runs, as ``benchmarks/read_path.py`` finds them.
- ``_generated/first_step.svg``: the graph that ``examples/first_step.py`` draws.

Files are rewritten only when their text changes, so a rebuild of an unchanged
checkout reads nothing again.
"""

from __future__ import annotations

import importlib
import inspect
import runpy
import shutil
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent

# The reference's pages: every public module, with the one line that says what it holds.
API_PAGES = {
    "autograd_mini": "The engine: Tensor, its ops, backward, grad and the tools around them",
    "autograd_mini.functional": "Derivatives as functions: vjp, jvp, jacobian, hessian, vhp, hvp",
    "autograd_mini.testing": "Hypothesis strategies and assertions for property tests of ops",
    "autograd_mini.kernels": "The stable formulas and BLAS shortcuts the ops compute with",
    "nn": "Modules, losses, checkpoints and the training loop",
    "nn.functional": "The layers and losses as functions",
    "nn.init": "Weight initializations",
    "nn.optim": "Optimizers",
    "nn.optim.lr_scheduler": "Learning-rate schedules",
    "nn.data": "Splitting, standardizing and batching data",
    "nn.metrics": "Accuracy, confusion matrices and the bias/variance diagnosis",
    "nn.utils": "Gradient clipping and gradient-flow diagnostics",
    "nn.tune": "Hyperparameter search",
    "nn.drawing": "Drawing a model's graph grouped by module",
}

# Where the ops with a row in a table of derivatives are defined.
OP_MODULES = ("autograd_mini.ops", "nn.fused")


def write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def public_names(module: types.ModuleType) -> list[str]:
    """``__all__``, or the functions and classes the module defines, by name."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    )


# --------------------------------------------------------------------------
# Tutorials


def copy_notebooks() -> None:
    target = DOCS / "tutorials"
    target.mkdir(exist_ok=True)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise RuntimeError(f"no notebooks found in {ROOT / 'notebooks'}")
    for stale in set(target.glob("*.ipynb")) - {target / n.name for n in notebooks}:
        stale.unlink()
    for notebook in notebooks:
        copy = target / notebook.name
        if not copy.exists() or copy.read_bytes() != notebook.read_bytes():
            shutil.copyfile(notebook, copy)


# --------------------------------------------------------------------------
# API reference


def _entry(module_name: str, name: str, value: Any) -> str:
    if isinstance(value, types.ModuleType):
        if value.__name__ not in API_PAGES:
            raise RuntimeError(
                f"the public module {value.__name__} has no reference page: "
                "add it to API_PAGES in docs/_ext/generated_pages.py"
            )
        return f"- :doc:`{value.__name__}`: {API_PAGES[value.__name__]}"
    if inspect.isclass(value):
        options = "   :members:\n   :show-inheritance:\n"
        if issubclass(value, BaseException):
            options = "   :show-inheritance:\n"
        return f".. autoclass:: {name}\n{options}"
    if callable(value):
        return f".. autofunction:: {name}"
    return f".. autodata:: {name}\n   :no-value:"


def api_page(module_name: str) -> str:
    module = importlib.import_module(module_name)
    title = f"``{module_name}``"
    lines = [
        title,
        "=" * len(title),
        "",
        f".. automodule:: {module_name}",
        "   :no-members:",
        "",
        f".. currentmodule:: {module_name}",
        "",
    ]
    names = public_names(module)
    modules = [n for n in names if isinstance(getattr(module, n), types.ModuleType)]
    if modules:
        lines += ["Submodules", "----------", ""]
        lines += [_entry(module_name, n, getattr(module, n)) for n in modules] + [""]
        lines += ["Contents", "--------", ""]
    for name in names:
        if name not in modules:
            lines += [_entry(module_name, name, getattr(module, name)), ""]
    return "\n".join(lines)


def write_api_pages() -> None:
    target = DOCS / "api"
    for stale in set(target.glob("*.rst")) - {target / f"{m}.rst" for m in API_PAGES}:
        stale.unlink()
    for module_name in API_PAGES:
        write_if_changed(target / f"{module_name}.rst", api_page(module_name))


# --------------------------------------------------------------------------
# The table of derivatives


def ops_with_formulas() -> list[tuple[str, str, str]]:
    """(module, op name, formula) of every op with a row in a table of derivatives."""
    from autograd_mini import Function

    rows = []
    for module_name in OP_MODULES:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Function)
                and value.__module__ == module_name
                and "formula" in value.__dict__
            ):
                rows.append((module_name, value.name, value.formula))
    return rows


def derivative_table() -> str:
    lines = [
        ":::{list-table} The derivatives of the ops, from their modules' tables "
        "(``grad`` is dL/d(output))",
        ":name: table-of-derivatives",
        ":header-rows: 1",
        ":widths: 2 8 3",
        "",
        "* - op",
        "  - derivative",
        "  - defined in",
    ]
    for module_name, name, formula in ops_with_formulas():
        source = module_name.replace(".", "/") + ".py"
        lines += [f"* - `{name}`", f"  - `{' '.join(formula.split())}`", f"  - `{source}`"]
    return "\n".join(lines + [":::", ""])


# --------------------------------------------------------------------------
# The plain path of one training step


def plain_path() -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        read_path = importlib.import_module("read_path")
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    functions = read_path.functions_on_the_path()
    codes = {(Path(c.co_filename).name, c.co_firstlineno): c for c in _path_codes(read_path)}
    total = sum(lines for lines, *_ in functions)
    files = sorted({filename for _, filename, _, _ in functions})
    out = [
        f"The step runs {len(functions)} functions of the library, {total} lines in "
        f"{len(files)} files ({', '.join(f'`{f}`' for f in files)}), listed here by file "
        "and line, each whole, as `benchmarks/read_path.py` counts them.",
        "",
    ]
    for filename in files:
        in_file = [row for row in functions if row[1] == filename]
        out += [
            f"### `{filename}`: {len(in_file)} functions, {sum(r[0] for r in in_file)} lines",
            "",
        ]
        for lines, _, name, first in in_file:
            source = inspect.getsource(codes[(filename, first)])
            out += [
                f"**`{name}`** ({filename}, line {first}, {lines} lines)",
                "",
                "```python",
                textwrap.dedent(source).rstrip(),
                "```",
                "",
            ]
    return "\n".join(out)


def _path_codes(read_path: Any) -> set:
    step = read_path.training_step()
    step()
    return read_path.library_functions_run_by(step)


# --------------------------------------------------------------------------
# The home page's picture


def first_step_graph() -> bytes:
    namespace = runpy.run_path(str(DOCS / "examples" / "first_step.py"), run_name="docs_example")
    return namespace["graph"].pipe(format="svg")


def generate(app: Sphinx) -> None:
    copy_notebooks()
    write_api_pages()
    generated = DOCS / "_generated"
    write_if_changed(generated / "derivatives.md", derivative_table())
    write_if_changed(generated / "plain_path.md", plain_path())
    svg = first_step_graph()
    picture = generated / "first_step.svg"
    if not picture.exists() or picture.read_bytes() != svg:
        picture.write_bytes(svg)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
