"""deploy/serve_multi.py: several Streamlit processes behind nginx with sticky sessions.

Starts two processes and nginx on loopback, then checks that a session's requests stay
on one process (cookie), that new sessions are spread over both, that a websocket
session runs the app through the proxy (filters included), and that stopping the
launcher stops every process. Skips without nginx, unless FIGURES_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from services import ROOT, free_port, service_missing, wait_healthy

from figures.model import Document
from figures.store import Store
from figures.wsclient import StreamlitSession

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """(the backend that answered, the sticky cookie set) for one request."""
    request = urllib.request.Request(url, headers={"Cookie": f"figures_backend={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        sticky = reply.headers.get("Set-Cookie", "")
        value = sticky.split("figures_backend=", 1)[1].split(";", 1)[0] if "figures_backend=" in sticky else None
        return reply.headers["X-Figures-Backend"], value


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    if not Path(NGINX).exists():
        service_missing("nginx not found (apt-get install nginx-light)")
    folder = tmp_path_factory.mktemp("deploy")
    url = f"sqlite:///{folder / 'figures.db'}"
    docs = [Document(id=f"p{i}", text=f"deployment dispatch {i}", title=f"Dispatch {i}", outlet="Proxy Wire")
            for i in range(2)]
    rows = [dict(doc=f"p{i % 2}", quote=f"Officials gave {100 + i}.", start=i * 10, end=i * 10 + 3,
                 value=float(100 + i), low=None, high=None, qualifier="exact", metric="deaths", item=None,
                 subject="civilians", claimant=("OHCHR", "Sergei Shoigu")[i % 2], side=("United Nations", "Russia")[i % 2],
                 date=(dt.date(2022, 3, 1) + dt.timedelta(days=i)).isoformat(), date_basis="stated", period=None,
                 location=None, stated=None) for i in range(12)]
    with Store(url) as store:
        store.bulk_load_claims(rows, docs)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIGURES_", "STREAMLIT_"))}
    env.update(FIGURES_DATABASE_URL=url, FIGURES_READ_ONLY="1", PATH=f"{env.get('PATH', '')}:/usr/sbin")
    log = open(folder / "launcher.log", "w+")
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve_multi.py"), "--processes", "2",
                             "--port", str(port), "--workdir", str(folder / "work"), "--show-backend"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(base, proc, timeout=180):
            log.seek(0)
            pytest.fail(f"the deployment did not come up:\n{log.read()[-3000:]}")
        yield base, proc, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        log.close()


def test_a_session_stays_on_one_process_and_sessions_spread(deployment):
    base = deployment[0]
    first, cookie = _get(f"{base}/")
    assert cookie, "the first response sets the sticky cookie"
    assert {_get(f"{base}/_stcore/health", cookie)[0] for _ in range(8)} == {first}
    spread = {_get(f"{base}/_stcore/health", uuid.uuid4().hex)[0] for _ in range(24)}
    assert len(spread) == 2


def test_the_app_runs_through_the_proxy_over_its_websocket(deployment):
    base = deployment[0]
    _, cookie = _get(f"{base}/")

    async def session() -> tuple:
        async with StreamlitSession(base, headers={"Cookie": f"figures_backend={cookie}"}) as client:
            first = await client.run()
            filtered = await client.run({"f_sides": ["Russia"], "section": "Claims"})
            return first, filtered

    first, filtered = asyncio.run(session())
    assert first.ok and filtered.ok, (first.exceptions, filtered.exceptions)
    assert any("12 claims from 2 articles" in text for text in first.texts)
    assert any(text.startswith("6 claims match (sides: Russia)") for text in filtered.texts)


def test_stopping_the_launcher_stops_every_process(deployment):
    base, proc, log = deployment
    log.seek(0)
    ports = log.read().split("processes on 127.0.0.1:", 1)[1].split(" ", 1)[0].split(",")
    assert len(ports) == 2
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    for port in ports:
        assert not wait_healthy(f"http://127.0.0.1:{port}", timeout=1)
    assert not wait_healthy(base, timeout=1)
