"""What a user installs: the wheel and the sdist carry every module, LICENSE and py.typed, the
version has one source, and the installed wheel works from outside the checkout.

scripts/test builds the sdist and the wheel into dist/ and names that folder in
AUTOGRAD_MINI_DIST; without it (while developing) the tests build them here, the same way.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import autograd_mini
import nn

from .conftest import guard_is_on, site_packages

ROOT = Path(__file__).resolve().parents[1]
VERSION = autograd_mini.__version__
COPYRIGHT = "Copyright (c) 2026 the autograd-mini authors"
RUNTIME_DEPENDENCIES = {"numpy", "safetensors", "graphviz"}
EXTRAS = {"testing", "plot", "train", "cluster", "demo", "notebooks", "browser", "docs", "dev"}


def package_files() -> list[str]:
    """The .py files of autograd_mini/ and nn/ that git tracks (all of them, without git)."""
    if (ROOT / ".git").exists():
        listing = subprocess.run(
            ["git", "ls-files", "autograd_mini", "nn"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        return sorted(name for name in listing if name.endswith(".py"))
    return sorted(
        path.relative_to(ROOT).as_posix()
        for package in ("autograd_mini", "nn")
        for path in (ROOT / package).rglob("*.py")
    )


def source_copy(folder: Path) -> Path:
    """What the packages are built from, copied into folder: a build writes beside its
    sources, and builds running at the same time must not meet in the checkout."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy(ROOT / name, folder / name)
    for package in ("autograd_mini", "nn"):
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / package, folder / package, ignore=ignore)
    return folder


def build(outdir: Path, source: Path) -> None:
    """The sdist, and the wheel built from it, as scripts/test builds them."""
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), "."]
    subprocess.run(command, cwd=source_copy(source), check=True, capture_output=True)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    if os.environ.get("AUTOGRAD_MINI_DIST"):
        folder = Path(os.environ["AUTOGRAD_MINI_DIST"])
    else:
        folder = tmp_path_factory.mktemp("dist")
        build(folder, tmp_path_factory.mktemp("source"))
    wheels = sorted(folder.glob("autograd_mini-*.whl"))
    sdists = sorted(folder.glob("autograd_mini-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, f"one wheel and one sdist in {folder}"
    return {"wheel": wheels[0], "sdist": sdists[0]}


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def wheel_metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"autograd_mini-{VERSION}.dist-info/METADATA").decode()
    return email.parser.Parser().parsestr(text)


def sdist_names(sdist: Path) -> set[str]:
    prefix = f"autograd_mini-{VERSION}/"
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert all(name.startswith(prefix) or name == prefix[:-1] for name in names)
    return {name[len(prefix) :] for name in names if name.startswith(prefix)}


def test_the_wheel_carries_every_module_in_git_license_and_py_typed(dist):
    names = wheel_names(dist["wheel"])
    missing = sorted(set(package_files()) - names)
    assert not missing, f"the wheel lacks {missing}"
    assert "nn/optim/__init__.py" in names  # the subpackage an explicit list once left out
    assert {"autograd_mini/py.typed", "nn/py.typed"} <= names
    assert f"autograd_mini-{VERSION}.dist-info/licenses/LICENSE" in names


def test_the_wheel_installs_only_the_two_packages(dist):
    top_level = {name.split("/")[0] for name in wheel_names(dist["wheel"])}
    assert top_level == {"autograd_mini", "nn", f"autograd_mini-{VERSION}.dist-info"}


def test_the_wheel_modules_are_the_checkout_files(dist):
    with zipfile.ZipFile(dist["wheel"]) as archive:
        stale = [
            name for name in package_files() if archive.read(name) != (ROOT / name).read_bytes()
        ]
    assert not stale, f"the wheel was not built from this checkout: {stale} differ"


def test_the_sdist_carries_every_module_in_git_license_py_typed_and_build_files(dist):
    names = sdist_names(dist["sdist"])
    missing = sorted(set(package_files()) - names)
    assert not missing, f"the sdist lacks {missing}"
    assert {"autograd_mini/py.typed", "nn/py.typed", "LICENSE", "README.md"} <= names
    assert {"pyproject.toml", "PKG-INFO", "MANIFEST.in"} <= names
    assert not any(name.startswith("tests/") for name in names)  # a partial suite misleads


def test_the_license_is_mit_with_the_copyright_line(dist):
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and COPYRIGHT in text
    with zipfile.ZipFile(dist["wheel"]) as archive:
        assert archive.read(f"autograd_mini-{VERSION}.dist-info/licenses/LICENSE").decode() == text
    with tarfile.open(dist["sdist"]) as archive:
        member = archive.extractfile(f"autograd_mini-{VERSION}/LICENSE")
        assert member is not None and member.read().decode() == text
    metadata = wheel_metadata(dist["wheel"])
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_the_version_has_one_source_that_the_wheel_and_the_install_agree_on(dist):
    assert nn.__version__ == autograd_mini.__version__
    assert wheel_metadata(dist["wheel"])["Version"] == VERSION
    assert dist["wheel"].name == f"autograd_mini-{VERSION}-py3-none-any.whl"
    assert dist["sdist"].name == f"autograd_mini-{VERSION}.tar.gz"
    assert importlib.metadata.version("autograd-mini") == VERSION
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'version = { attr = "autograd_mini.__version__" }' in pyproject
    project = pyproject.split("\n[project]\n", 1)[1].split("\n[", 1)[0].splitlines()
    assert 'dynamic = ["version"]' in {line.split("#")[0].strip() for line in project}
    assert not [line for line in project if line.startswith("version")]  # no second source


def requirement_name(requirement: str) -> str:
    name = requirement.split(";")[0].split("[")[0]
    for separator in "<>=!~ (":
        name = name.split(separator)[0]
    return name.strip().lower()


def test_the_wheel_needs_numpy_safetensors_graphviz_and_extras_add_the_rest(dist):
    metadata = wheel_metadata(dist["wheel"])
    requirements = metadata.get_all("Requires-Dist")
    runtime = {requirement_name(r) for r in requirements if "extra ==" not in r}
    assert runtime == RUNTIME_DEPENDENCIES
    assert set(metadata.get_all("Provides-Extra")) == EXTRAS
    assert not any(requirement_name(r) == "torch" for r in requirements)
    assert "autograd-mini" in {requirement_name(r) for r in requirements}  # extras build on extras


def test_an_installed_wheel_imports_nn_optim_from_outside_the_checkout(dist, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
        + ["--disable-pip-version-check", "--target", str(target), str(dist["wheel"])],
        check=True,
        capture_output=True,
    )
    program = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "import autograd_mini, nn, nn.optim; "
        "nn.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1).step(); "
        "print(json.dumps([m.__file__ for m in (autograd_mini, nn, nn.optim)]))"
    )
    # -I: no PYTHONPATH, no user site, and not the current directory on sys.path
    result = subprocess.run(
        [sys.executable, "-I", "-c", program, str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    files = [Path(name).resolve() for name in json.loads(result.stdout)]
    assert files == [
        target.resolve() / "autograd_mini" / "__init__.py",
        target.resolve() / "nn" / "__init__.py",
        target.resolve() / "nn" / "optim" / "__init__.py",
    ]
    assert (target / "autograd_mini" / "py.typed").exists() and (
        target / "nn" / "py.typed"
    ).exists()


@pytest.mark.skipif(not guard_is_on(), reason="scripts/test sets the guard")
def test_the_suite_imports_the_installed_wheel_that_holds_the_checkout_files():
    installed = Path(nn.optim.__file__).resolve().parents[2]
    assert installed in site_packages()
    assert ROOT not in {Path(entry or os.curdir).resolve() for entry in sys.path}
    distribution = importlib.metadata.distribution("autograd-mini")
    modules = {file.as_posix() for file in distribution.files if file.suffix == ".py"}
    assert modules == set(package_files())
    differ = [
        name for name in modules if (installed / name).read_bytes() != (ROOT / name).read_bytes()
    ]
    assert not differ, f"the installed wheel is not this checkout's: {differ} differ"


def test_the_environment_builds_the_wheel_without_build_isolation(tmp_path):
    # setuptools itself is in the [dev] environment, so offline builds work
    source, wheels = source_copy(tmp_path / "source"), tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["--disable-pip-version-check", ".", "-w", str(wheels)],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("*.whl")
    assert set(package_files()) <= wheel_names(wheel)


def test_the_output_scripts_tell_a_stale_install_from_the_checkout_code(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    from checkout_code import stale_modules

    copy = source_copy(tmp_path / "checkout")
    assert stale_modules(copy) == []  # the imported packages are this checkout's code
    (copy / "nn" / "optim" / "sgd.py").write_text("# edited after the install\n")
    (copy / "autograd_mini" / "new_module.py").write_text("VALUE = 1\n")
    assert stale_modules(copy) == ["autograd_mini/new_module.py", "nn/optim/sgd.py"]
