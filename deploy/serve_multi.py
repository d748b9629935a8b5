"""Serve the dashboard from several Streamlit processes behind nginx, with sticky sessions.

    python deploy/serve_multi.py --processes 4 --port 8501

One Streamlit process runs every session's script on one core (the GIL), so a team
shares the machine's cores by running several processes against the same store. Each
listens on a free loopback port; nginx listens on ``--address:--port`` and forwards
HTTP and the ``/_stcore/stream`` websocket (upgrade headers, no read timeout). Sessions
are sticky: a browser's first request gets a ``figures_backend`` cookie and nginx hashes
it (``hash ... consistent``) to pick the process, so the page, its websocket, uploads and
downloads of one session all reach the process that holds it. Clients without cookies
(a new tab before its first response) are spread by request id.

The processes share a cookie secret (``STREAMLIT_SERVER_COOKIE_SECRET``, generated when
unset) and the environment (``FIGURES_DATABASE_URL``, ``FIGURES_EDITOR_PASSWORD``,
``FIGURES_READ_ONLY``). Use PostgreSQL, or SQLite on a local disk. Ctrl-C or SIGTERM
stops nginx and every process; if one process dies, all are stopped and the exit
status is 1. Needs nginx (Debian: ``apt-get install nginx-light``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NGINX_CONF = """\
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_max_body_size {upload_mb}m;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;

    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # Sticky sessions: the cookie set below, or for a first request its request id.
    map $cookie_figures_backend $figures_sticky {{ "" $request_id; default $cookie_figures_backend; }}

    upstream figures {{
        hash $figures_sticky consistent;
{servers}
    }}

    server {{
        listen {address}:{port};
        location / {{
            proxy_pass http://figures;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;
            add_header Set-Cookie "figures_backend=$figures_sticky; Path=/; HttpOnly; SameSite=Lax" always;
{extra}
        }}
    }}
}}
"""


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def nginx_config(work: Path, address: str, port: int, backends: list[int], upload_mb: int = 60,
                 show_backend: bool = False) -> str:
    """The nginx configuration for these loopback backend ports."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in backends)
    extra = "            add_header X-Figures-Backend $upstream_addr always;" if show_backend else ""
    return NGINX_CONF.format(work=work, address=address, port=port, servers=servers, upload_mb=upload_mb,
                             extra=extra)


def healthy(base: str, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    """Wait until ``base``/_stcore/health answers 200 (False when ``proc`` died or time ran out)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.3)
    return False


def start_backend(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2, help="Streamlit processes (default: cores)")
    parser.add_argument("--port", type=int, default=8501, help="port nginx listens on")
    parser.add_argument("--address", default="127.0.0.1", help="address nginx listens on (put TLS in front)")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx", help="the nginx binary")
    parser.add_argument("--workdir", type=Path, help="folder for nginx.conf and logs (default: a temp folder)")
    parser.add_argument("--show-backend", action="store_true",
                        help="add an X-Figures-Backend header naming the process (for tests)")
    args = parser.parse_args(argv)
    if not Path(args.nginx).exists():
        print(f"error: nginx not found at {args.nginx} (apt-get install nginx-light)", file=sys.stderr)
        return 2
    work = (args.workdir or Path(tempfile.mkdtemp(prefix="figures-serve-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # nginx workers (user nobody under root) create their temp folders here
    env = dict(os.environ)
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
    ports = [free_port() for _ in range(max(1, args.processes))]
    children: list[subprocess.Popen] = []
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        children = [start_backend(port, env, work / f"streamlit-{port}.log") for port in ports]
        for port, child in zip(ports, children):
            if not healthy(f"http://127.0.0.1:{port}", 90, child):
                print(f"error: the process on port {port} did not start; see {work}/streamlit-{port}.log",
                      file=sys.stderr)
                return 1
        conf = work / "nginx.conf"
        conf.write_text(nginx_config(work, args.address, args.port, ports, show_backend=args.show_backend))
        children.append(subprocess.Popen([args.nginx, "-p", str(work), "-c", str(conf), "-g", "daemon off;"],
                                         stdout=subprocess.DEVNULL, stderr=open(work / "nginx.log", "wb")))
        if not healthy(f"http://{args.address}:{args.port}", 30):
            print(f"error: nginx did not start; see {work}/nginx.log", file=sys.stderr)
            return 1
        print(f"figures: http://{args.address}:{args.port}/ served by {len(ports)} processes on "
              f"127.0.0.1:{','.join(map(str, ports))} (logs in {work})", flush=True)
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("error: a process stopped; stopping the others", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        stop(children[::-1])


if __name__ == "__main__":
    sys.exit(main())
