"""Headless Chromium for the tests that open a page in a real browser (selenium).

``open_browser()`` starts Debian's ``chromium`` through its ``chromedriver`` with the
flags this machine's closed network needs (no background connections, no first-run
pages) and a fresh profile folder; ``console_errors(driver)`` reads the page's
SEVERE console messages. scripts/test installs both packages (ensure_chromium); where
they are missing the browser tests skip, except under scripts/test, where they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("AUTOGRAD_MINI_TEST_INSTALLED") == "1":
            pytest.fail(message + "; scripts/test should have installed it")
        pytest.skip(message)
    return path


@contextmanager
def open_browser() -> Iterator[object]:
    """A selenium Chrome driver on headless Chromium; quits and removes its profile after."""
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium, chromedriver = _require("chromium"), _require("chromedriver")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=chromedriver)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver) -> list[str]:
    """The page's console messages of level SEVERE (JavaScript errors, failed loads)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
