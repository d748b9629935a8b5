"""Helpers for tests that need a service from the machine (PostgreSQL, Chromium)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))

from serve_multi import healthy  # noqa: E402

REQUIRE_SERVICES = os.environ.get("FIGURES_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip with the reason, or fail when CI (FIGURES_REQUIRE_SERVICES=1) needs the service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (FIGURES_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base: str, proc: subprocess.Popen | None = None, timeout: float = 30) -> bool:
    """Wait until ``base``/_stcore/health answers 200 (False when ``proc`` died or time ran out)."""
    return healthy(base, timeout, proc)


def require_browser(chromium: str) -> None:
    """Skip (or fail under FIGURES_REQUIRE_SERVICES=1) without Chromium or Playwright."""
    if not os.path.exists(chromium):
        service_missing(f"{chromium} not found (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        service_missing("playwright is not installed")


@contextlib.contextmanager
def streamlit_app(database_url: str, log_path: Path, **env: str) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port against ``database_url``; yields its base URL."""
    port = free_port()
    environ = dict(os.environ, FIGURES_DATABASE_URL=database_url, FIGURES_READ_ONLY="0", **env)
    if "FIGURES_EDITOR_PASSWORD" not in env:
        environ.pop("FIGURES_EDITOR_PASSWORD", None)
    with open(log_path, "w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            if not wait_healthy(base, proc, timeout=60):
                log.seek(0)
                pytest.fail(f"streamlit did not come up:\n{log.read()[-3000:]}")
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
