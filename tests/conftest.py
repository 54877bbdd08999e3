"""Hypothesis profiles, and the guard that the tests test the installed package.

Profiles: "ci" (default; 50 derandomized examples, no deadline) and "thorough" (500 examples),
chosen with HYPOTHESIS_PROFILE=thorough.

The guard: with AUTOGRAD_MINI_TEST_INSTALLED=1 (scripts/test sets it) the run stops before
collecting anything unless ``autograd_mini`` and ``nn`` come from this interpreter's
site-packages, from a wheel install (not an editable one), and the checkout is not on sys.path.
So a file the wheel lacks fails the tests instead of being picked up from the checkout.
Worker processes that unpickle a test's function (a Dask cluster's) import the test modules by
name, so sys.path gets a folder holding only a link to tests/, never the checkout itself.
Without the variable the tests run against whatever is importable (an editable install while
developing), and the header says which.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
GUARD_VARIABLE = "AUTOGRAD_MINI_TEST_INSTALLED"
PACKAGES = ("autograd_mini", "nn")


def guard_is_on() -> bool:
    """Whether the guard is on (scripts/test runs the suite against the installed wheel)."""
    return os.environ.get(GUARD_VARIABLE) == "1"


def site_packages() -> set[Path]:
    """This interpreter's install directories for pure and platform packages."""
    paths = sysconfig.get_paths()
    return {Path(paths["purelib"]).resolve(), Path(paths["platlib"]).resolve()}


def package_directory(name: str) -> Path:
    """The directory the package ``name`` is imported from."""
    return Path(importlib.import_module(name).__file__).resolve().parent


def install_record() -> dict:
    """The distribution's direct_url.json (PEP 610): how pip installed it ({} if unknown)."""
    try:
        text = importlib.metadata.distribution("autograd-mini").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return {}
    return json.loads(text) if text else {}


def installed_package_problems() -> list[str]:
    """Why the imported packages are not the installed wheel; empty when they are."""
    problems = [
        f"sys.path holds the checkout ({entry!r}): pytest or python -m put it there"
        for entry in sys.path
        if Path(entry or os.curdir).resolve() == ROOT
    ]
    for name in PACKAGES:
        try:
            directory = package_directory(name)
        except ImportError as error:
            problems.append(f"{name} cannot be imported: {error}")
            continue
        if directory.parent not in site_packages():
            problems.append(f"{name} is imported from {directory}, not from site-packages")
    record = install_record()
    if record.get("dir_info", {}).get("editable"):
        problems.append(f"autograd-mini is an editable install of {record.get('url')}")
    elif not str(record.get("url", "")).endswith(".whl"):
        problems.append(f"autograd-mini was not installed from a wheel: {record or 'no record'}")
    return problems


def make_tests_importable(config: pytest.Config) -> None:
    """Append a folder whose only entry links to tests/, so that `import tests.nn.test_tune`
    works in processes started with spawn (they get this sys.path) while autograd_mini and nn
    still come from the install."""
    folder = Path(tempfile.mkdtemp(prefix="autograd-mini-tests-"))
    (folder / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    sys.path.append(str(folder))
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_configure(config: pytest.Config) -> None:
    make_tests_importable(config)
    if not guard_is_on():
        return
    problems = installed_package_problems()
    if problems:
        raise pytest.UsageError(
            f"{GUARD_VARIABLE}=1 but the tests would not test the installed wheel:\n  "
            + "\n  ".join(problems)
            + "\nRun scripts/test (it builds and installs the wheel), or unset the variable."
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        where = ", ".join(f"{name} from {package_directory(name)}" for name in PACKAGES)
    except ImportError as error:
        where = f"the packages cannot be imported ({error})"
    if not guard_is_on():
        return [f"installed-package guard off ({GUARD_VARIABLE} unset): {where}"]
    version = importlib.import_module("autograd_mini").__version__
    wheel = Path(str(install_record().get("url"))).name
    return [
        f"installed-package guard on: autograd-mini {version} installed from {wheel}, "
        f"not editable; {where}; the checkout is not on sys.path"
    ]
