"""Shared fixtures: the /work/shared corpus, a throwaway PostgreSQL server, and stores on both databases.

The PostgreSQL server comes from Debian's ``postgresql`` package: initdb in a temp
directory, started with pg_ctl on a free loopback port, stopped at the end of the
session. As root it runs as the ``postgres`` OS user. Without the binaries the
PostgreSQL tests skip, unless FIGURES_REQUIRE_SERVICES=1 (CI) makes them fail.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from figures.model import Claim, Document
from services import free_port, service_missing

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """/work/shared (the corpus and gold data), skipping when it is absent."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"shared corpus not found at {SHARED}")
    return SHARED


@dataclass
class PostgresServer:
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh empty database; returns its URL."""
        import psycopg

        name = f"figures_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        service_missing("PostgreSQL server binaries not found (apt-get install postgresql)")
    bindir = Path(binaries[-1]).parent
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        service_missing("running as root but runuser is missing, cannot start PostgreSQL as postgres")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    tmp = Path(tempfile.mkdtemp(prefix="figures-pg-"))
    data = tmp / "data"
    if as_root:
        shutil.chown(tmp, "postgres", "postgres")
    os.chmod(tmp, 0o700)
    port = free_port()
    user = "postgres"
    log = tmp / "server.log"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)

    init = run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8")
    if init.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        service_missing(f"initdb failed: {init.stderr.strip()[-500:]}")
    options = f"-h 127.0.0.1 -p {port} -k {tmp} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    start = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
    if start.returncode != 0:
        detail = log.read_text(errors="replace")[-800:] if log.exists() else start.stderr
        shutil.rmtree(tmp, ignore_errors=True)
        service_missing(f"PostgreSQL did not start: {detail}")
    try:
        yield PostgresServer(port=port, user=user)
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a real SQLite file, or a fresh database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'figures.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database()


# ---------------------------------------------------------------- a small deterministic extractor

_FAKE_PATTERN = re.compile(
    r"(?P<number>\d[\d,]*) (?P<subject>soldiers|civilians|people|children) (?:were |had been )?"
    r"(?P<verb>killed|injured|wounded|captured)"
)
_FAKE_METRICS = {"killed": "deaths", "injured": "injuries", "wounded": "injuries", "captured": "prisoners"}


def fake_extract(document: Document) -> list[Claim]:
    """Finds 'N soldiers killed'-style phrases; enough to exercise the store without the real extractor."""
    text = document.full_text
    found = []
    for match in _FAKE_PATTERN.finditer(text):
        found.append(Claim(
            doc=document.id,
            quote=match.group(0),
            start=match.start("number"),
            end=match.end("number"),
            value=float(match.group("number").replace(",", "")),
            metric=_FAKE_METRICS[match.group("verb")],
            subject=match.group("subject"),
            side="media",
            date=document.published,
            date_basis="published" if document.published else "unknown",
            stated=match.group("number"),
        ))
    return found


@pytest.fixture
def store(database_url: str):
    """A Store on an empty database (both backends) using the deterministic test extractor."""
    from figures.store import Store

    instance = Store(database_url, extractor=fake_extract, extractor_version="test-1")
    yield instance
    instance.close()


def make_article(number: int, day: dt.date | None = dt.date(2022, 3, 1), outlet: str = "Test Gazette") -> str:
    """A short article of our own in the key: value header layout."""
    header = [f"title: Report number {number} from the front", f"outlet: {outlet}"]
    if day:
        header.append(f"published: {day.isoformat()}")
    body = (
        f"Regional officials said on Tuesday that {number + 10} civilians were killed when shelling hit "
        f"the market district, and {number + 3} soldiers wounded in fighting nearby.\n"
        f"Report {number}: aid groups asked for calm while crews cleared the streets."
    )
    return "\n".join(header) + "\n\n" + body + "\n"
