"""Helpers for tests that need a service from the machine (PostgreSQL, Chromium)."""

from __future__ import annotations

import os
import socket

import pytest

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
