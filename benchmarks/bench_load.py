"""Dashboard under load: concurrent sessions over Streamlit's websocket, one editor writing.

    python benchmarks/bench_load.py                          # 100,000 claims; 1, 5, 10, 20 sessions
    python benchmarks/bench_load.py --processes 2            # behind nginx (deploy/serve_multi.py)
    python benchmarks/bench_load.py --sessions 10 --seconds 30 --keep /tmp/bench

No browser: each session is a figures.wsclient.StreamlitSession (the frontend's
protocol: a rerun request with widget values, then messages until the run finishes).
Everything stays on loopback: the benchmark starts its own server (one Streamlit
process, or ``--processes N`` behind nginx) on a bulk-generated store (as in
bench_dashboard.py; ``--keep DIR`` reuses it). Bounded: at most 50 sessions and 300 s
per level.

Per level, every session opens the page (timed apart: "page open"), then for
``--seconds`` changes one filter at a time (side, claimant, metric, dates, text, or
none) and waits for the run to finish. Reported per level: reruns, p50/p95/max of a
rerun, reruns per second, failed runs. Meanwhile one editor writes through the store
every ``--edit-every`` seconds (a confirm or an edit of a random claim); each write
changes the data version, so every process reloads its frame on the next rerun.

The load average is printed before each level: the machine may be shared.
Target: at 10 sessions, p95 of a rerun < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "deploy"))

from serve_multi import free_port, healthy  # noqa: E402

MAX_SESSIONS = 50
MAX_SECONDS = 300

FILTERS = [
    {},
    {"f_sides": ["Russia"]},
    {"f_sides": ["Ukraine", "United Nations"]},
    {"f_claimants": ["OHCHR", "Oryx"]},
    {"f_metrics": ["deaths"]},
    {"f_from": ["2023-01-01"]},
    {"f_text": "wounded"},
]
CLEAR = {"f_sides": [], "f_claimants": [], "f_metrics": [], "f_from": [], "f_text": ""}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def start_server(url: str, processes: int, folder: Path, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """One Streamlit process, or several behind nginx, serving ``root``'s app.py (another copy of
    the project, e.g. an older commit, for a before/after); returns (process, base URL)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIGURES_")}
    env.update(FIGURES_DATABASE_URL=url, FIGURES_READ_ONLY="1")
    log = open(folder / f"server-{processes}.log", "wb")
    if processes == 1:
        command = [sys.executable, "-m", "streamlit", "run", str(root / "app.py"), "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--server.headless", "true",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    else:
        command = [sys.executable, str(ROOT / "deploy" / "serve_multi.py"), "--processes", str(processes),
                   "--port", str(port), "--workdir", str(folder / f"serve-{processes}")]
    proc = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    if not healthy(base, 180):
        proc.terminate()
        raise SystemExit(f"the server did not start; see {folder}/server-{processes}.log")
    return proc, base


class Editor(threading.Thread):
    """One person curating meanwhile: a confirm or an edit of a random claim every few seconds."""

    def __init__(self, url: str, every: float):
        super().__init__(daemon=True)
        self.url, self.every = url, every
        self.stop = threading.Event()
        self.writes: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        from figures.store import Store

        rng = random.Random(16)
        with Store(self.url) as store:
            top = store.count_claims()
            while not self.stop.wait(self.every):
                claim_id = rng.randint(1, top)
                t = time.perf_counter()
                try:
                    if rng.random() < 0.5:
                        store.add_correction(claim_id, "confirm", user="bench editor")
                    else:
                        store.edit_claim(claim_id, {"location": rng.choice(["Kyiv", "Kharkiv", "Odesa"])},
                                         user="bench editor")
                    self.writes.append(time.perf_counter() - t)
                except Exception as exc:  # counted and reported, the run goes on
                    self.errors.append(f"{type(exc).__name__}: {exc}")


async def session(base: str, seconds: float, seed: int, opens: list[float], reruns: list[float],
                  failures: list[str], think: float = 0.0) -> None:
    from figures.wsclient import StreamlitSession

    rng = random.Random(seed)
    async with StreamlitSession(base, timeout=120) as client:
        first = await client.run()
        opens.append(first.seconds)
        if not first.ok:
            failures.append("; ".join(first.exceptions) or first.status)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            result = await client.run({**CLEAR, **rng.choice(FILTERS)})
            reruns.append(result.seconds)
            if not result.ok:
                failures.append("; ".join(result.exceptions) or result.status)


def run_level(base: str, url: str, sessions: int, seconds: float, edit_every: float, think: float) -> dict:
    opens: list[float] = []
    reruns: list[float] = []
    failures: list[str] = []
    editor = Editor(url, edit_every)
    editor.start()
    started = time.perf_counter()

    async def everyone() -> None:
        await asyncio.gather(*(session(base, seconds, 100 * sessions + i, opens, reruns, failures, think)
                               for i in range(sessions)))

    asyncio.run(everyone())
    elapsed = time.perf_counter() - started
    editor.stop.set()
    editor.join(timeout=30)
    return {"sessions": sessions, "reruns": len(reruns), "p50": percentile(reruns, 0.5),
            "p95": percentile(reruns, 0.95), "max": max(reruns, default=float("nan")),
            "per_second": len(reruns) / elapsed, "open_p50": percentile(opens, 0.5),
            "open_max": max(opens, default=float("nan")), "failures": failures,
            "writes": len(editor.writes), "write_p50": percentile(editor.writes, 0.5), "write_errors": editor.errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--seconds", type=float, default=20.0, help="per level")
    parser.add_argument("--processes", type=int, default=1, help="Streamlit processes (more than 1: behind nginx)")
    parser.add_argument("--edit-every", type=float, default=5.0, help="seconds between the editor's writes")
    parser.add_argument("--think", type=float, default=0.0,
                        help="a person's pause between changes, in s (0: back to back, the worst case)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="serve the app of another copy of the project (one process), e.g. an older commit")
    parser.add_argument("--keep", type=Path, help="folder for the database (reused when present)")
    args = parser.parse_args(argv)
    if max(args.sessions) > MAX_SESSIONS or args.seconds > MAX_SECONDS:
        parser.error(f"at most {MAX_SESSIONS} sessions and {MAX_SECONDS} s per level")
    from bench_dashboard import build_store

    folder = args.keep or Path(tempfile.mkdtemp(prefix="figures-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{args.claims:,} claims, {args.processes} process(es), editor writes every {args.edit_every:g} s, "
          f"{args.seconds:g} s per level, pause between changes {args.think:g} s; {os.cpu_count()} cores",
          flush=True)
    url = build_store(args.claims, folder)
    proc, base = start_server(url, args.processes, folder, args.root.resolve())
    ok = True
    try:
        t = time.perf_counter()
        asyncio.run(session(base, 0, 0, [], [], []))
        print(f"  first page (cold: the store's frame loads): {time.perf_counter() - t:.2f} s", flush=True)
        if args.processes > 1:  # sessions land on every process: each loads its frame once, before timing

            async def warm() -> None:
                await asyncio.gather(*(session(base, 0, i, [], [], []) for i in range(4 * args.processes)))

            asyncio.run(warm())
        for n in args.sessions:
            load = "/".join(f"{x:.2f}" for x in os.getloadavg())
            r = run_level(base, url, n, args.seconds, args.edit_every, args.think)
            print(f"  {n:>2} sessions: {r['reruns']:>4} reruns, p50 {r['p50']:.3f} s, p95 {r['p95']:.3f} s, "
                  f"max {r['max']:.2f} s, {r['per_second']:.1f} reruns/s; page open p50 {r['open_p50']:.2f} s "
                  f"(max {r['open_max']:.2f}); editor {r['writes']} writes (p50 {r['write_p50'] * 1000:.0f} ms); "
                  f"failed runs {len(r['failures'])}; load average before {load}"
                  + ("  [target p95 < 1 s]" if n == 10 else ""), flush=True)
            for problem in (r["failures"] + r["write_errors"])[:5]:
                print(f"     failure: {problem[:200]}")
            ok &= not r["failures"] and not r["write_errors"] and (n != 10 or r["p95"] < 1.0)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    print(f"  run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
