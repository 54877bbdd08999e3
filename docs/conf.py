"""Sphinx configuration of autograd-mini's documentation site (``scripts/docs`` builds it).

The pages are Markdown (MyST); the tutorials are the notebooks, rendered from their
committed outputs (the test command executes them); the API reference, the table of
derivatives, the plain path of one training step and the home page's graph are
generated at build time from the code by ``_ext/generated_pages.py``, so none of
them can drift from the library.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import autograd_mini  # noqa: E402

project = "autograd-mini"
author = "the autograd-mini developers"
copyright = "2026, the autograd-mini developers"
release = version = autograd_mini.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.mathjax",
    "sphinx_copybutton",
    "sphinx-mathjax-offline",  # MathJax served with the site: it works offline
    "generated_pages",
]

# _generated holds pieces that pages include; examples holds code that pages include
exclude_patterns = ["_build", "_generated", "examples", "**.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks are shown with the outputs they were committed with: tests/test_notebooks.py
# executes them, so the site never runs a model.
nb_execution_mode = "off"
nb_merge_streams = True

autodoc_default_options = {"members": True, "undoc-members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = True
python_use_unqualified_type_names = True

html_theme = "pydata_sphinx_theme"
html_title = "autograd-mini"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 4,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
# single pages need no section navigation beside them
html_sidebars = {
    page: [] for page in ("index", "getting-started", "engine", "course-map", "pytorch-and-jax")
}
html_show_sourcelink = False
html_last_updated_fmt = None
html_favicon = "_static/favicon.svg"
# The theme's light/dark switch starts from the reader's system setting (without a default
# it logs a console error on a first visit)
html_context = {"default_mode": "auto"}
