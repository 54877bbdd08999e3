"""scripts/notebooks, the README's quick start: it sets up, starts JupyterLab in notebooks/ on
localhost, serves every notebook and the front end, and stops on SIGTERM.

It runs the script itself, so its set-up is that of scripts/test (.venv, the wheel of the
checkout): already done under scripts/test, done here the first time otherwise.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from .servers import free_port, script_running

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))
START_TIMEOUT = 300.0  # seconds; the first run also creates .venv


def get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def wait_for_server(url: str, token: str, server: subprocess.Popen) -> bytes:
    """The first answer of the server at url, polling until it answers or has stopped."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and server.poll() is None:
        try:
            status, body = get(url, token)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
            continue
        assert status == 200
        return body
    raise AssertionError(f"scripts/notebooks did not answer on {url} (exit code {server.poll()})")


def test_scripts_notebooks_serves_the_notebooks_on_localhost_and_stops(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    jupyter_dirs = {  # Jupyter's own files go to tmp_path, not the user's home
        f"JUPYTER_{kind}_DIR": str(tmp_path / kind.lower())
        for kind in ("CONFIG", "DATA", "RUNTIME")
    }
    command = [str(ROOT / "scripts" / "notebooks"), "--no-browser", f"--port={port}"]
    command += ["--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0"]
    command += [f"--IdentityProvider.token={token}"]
    base = f"http://127.0.0.1:{port}"
    with script_running(command, jupyter_dirs, tmp_path / "jupyter.log") as server:
        listing = json.loads(wait_for_server(f"{base}/api/contents", token, server))
        served = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
        assert served == NOTEBOOKS
        status, page = get(f"{base}/lab", token)
        assert status == 200 and b"JupyterLab" in page
    assert server.returncode in (0, -signal.SIGTERM), (tmp_path / "jupyter.log").read_text()
