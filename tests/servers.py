"""The project's scripts that serve something (scripts/notebooks, scripts/docs serve), run by
the tests on a free port of localhost, each in its own process group so that stopping it
stops everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def script_running(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen]:
    """``command`` running with ``env`` added to the environment, its output going to ``log``;
    after the block, its whole process group gets SIGTERM (SIGKILL after 30 s)."""
    with log.open("w") as output:
        server = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield server
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
