"""Regenerate the dashboard images in docs/ from a real corpus, in headless Chromium.

    python scripts/screenshots.py --corpus ../shared/corpus/exports   # ingest into a temp SQLite first
    python scripts/screenshots.py --db sqlite:////tmp/exports.db      # an already ingested store
    python scripts/screenshots.py --db ... --out /tmp/shots           # somewhere else than docs/

Each image is one question an analyst asks, opened as a shareable link: the filters
are URL parameters (views.filters_to_query), so the link printed next to each image
opens the same view in any browser. The app runs read-only (it adds nothing to the
store, not even the demo) with `streamlit run app.py` on a free loopback port; the
browser is Debian's /usr/bin/chromium driven by Playwright. The browser tests never
write into docs/: this script is the one place the tracked images come from.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))

from figures import views  # noqa: E402
from serve_multi import healthy  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
UKRAINE, GAZA = "Russia–Ukraine war", "Israel–Gaza war"


@dataclass(frozen=True)
class Shot:
    """One image: the file name, the question it answers and the filters that answer it."""

    name: str
    question: str
    filters: views.ViewFilters
    height: int = 1500


SHOTS = (
    Shot("screenshot.png", "The default view of a real corpus: the most-reported series of the largest theatre",
         views.ViewFilters(), 1000),
    Shot("question_a.png", "How did Ukraine's claims of Russian losses evolve in mid-2022?",
         views.ViewFilters(places=(UKRAINE,), sides=("Ukraine",), subjects=("Russian military",),
                           series=("deaths — Russian military",),
                           date_from=dt.date(2022, 4, 1), date_to=dt.date(2022, 9, 30), log_scale=True)),
    Shot("question_b.png", "Who gave which death tolls for Gaza in autumn 2023, and how do they compare?",
         views.ViewFilters(places=(GAZA,), metrics=("deaths",),
                           series=("deaths — people", "deaths — Palestinians"),
                           date_from=dt.date(2023, 10, 1), date_to=dt.date(2023, 11, 30)), 2200),
)


def link(base: str, filters: views.ViewFilters) -> str:
    """The shareable link of a view: its filters as URL parameters."""
    query = urllib.parse.urlencode(views.filters_to_query(filters), doseq=True)
    return f"{base}/?{query}" if query else f"{base}/"


def ingest(corpus: Path, folder: Path) -> str:
    url = f"sqlite:///{folder / 'corpus.db'}"
    subprocess.run([sys.executable, "-m", "figures", "ingest", str(corpus), "--db", url], cwd=ROOT, check=True)
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(database_url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, FIGURES_DATABASE_URL=database_url, FIGURES_READ_ONLY="1")
    env.pop("FIGURES_EDITOR_PASSWORD", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    if not healthy(base, 90, proc):
        proc.terminate()
        raise SystemExit(f"streamlit did not come up; see {log}")
    return proc, base


def wait_until_drawn(page, timeout: float = 90_000) -> None:
    """The script ran to the end and every chart on the page has drawn its marks."""
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg, [data-testid="stVegaLiteChart"] canvas',
                           timeout=timeout)
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')
                 === 'notRunning'""", timeout=timeout)
    page.wait_for_timeout(1500)  # vega's transitions and the fragment's last paint


def take(shots: tuple[Shot, ...], base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for shot in shots:
            page = browser.new_page(viewport={"width": 1500, "height": shot.height})
            address = link(base, shot.filters)
            page.goto(address, wait_until="domcontentloaded")
            wait_until_drawn(page)
            errors = page.locator('[data-testid="stException"]').count()
            if errors:
                raise SystemExit(f"{shot.name}: the page shows {errors} exception(s) at {address}")
            page.screenshot(path=str(out / shot.name), full_page=False)
            print(f"{out / shot.name}: {shot.question}\n    {address.replace(base, '')}", flush=True)
            page.close()
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", type=Path, help="articles to ingest first (a folder, files or a zip)")
    source.add_argument("--db", help="database URL of an ingested store (opened read-only)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the images (default: docs/)")
    parser.add_argument("--only", nargs="+", help="file names of the images to take (default: all)")
    args = parser.parse_args(argv)
    shots = tuple(s for s in SHOTS if not args.only or s.name in args.only)
    with tempfile.TemporaryDirectory(prefix="figures-shots-") as tmp:
        url = args.db or ingest(args.corpus, Path(tmp))
        proc, base = start_app(url, Path(tmp) / "streamlit.log")
        try:
            take(shots, base, args.out)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
