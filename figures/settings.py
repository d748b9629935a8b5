"""Settings of the dashboard (environment, then Streamlit secrets), the editors' login and
its throttle, and which data version a server process shows (refresh). Free of Streamlit."""

from __future__ import annotations

import hmac
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

DEFAULT_MAX_UPLOAD_INFLATED_MB = 50.0


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    read_only: bool = False
    editor_password: str | None = None
    open_editing: bool = False  # FIGURES_OPEN_EDITING=1: everyone may edit without a password
    max_upload_inflated_mb: float = DEFAULT_MAX_UPLOAD_INFLATED_MB

    @property
    def needs_login(self) -> bool:
        return not self.read_only and bool(self.editor_password)

    @property
    def editing_open(self) -> bool:
        """Editing without a password: only when asked for, never because no password is set."""
        return not self.read_only and not self.editor_password and self.open_editing

    @property
    def max_upload_inflated_bytes(self) -> int:
        return int(self.max_upload_inflated_mb * 1024 * 1024)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _section(secrets: Mapping[str, Any] | None, name: str) -> Mapping[str, Any]:
    if not secrets:
        return {}
    try:
        value = secrets.get(name)
    except Exception:  # st.secrets raises when no secrets file exists
        return {}
    return value if isinstance(value, Mapping) else {}


def _secret(secrets: Mapping[str, Any] | None, key: str) -> Any:
    if not secrets:
        return None
    try:
        return secrets.get(key)
    except Exception:
        return None


def resolve_settings(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> Settings:
    """Settings from the environment, then Streamlit secrets; everything may be absent.

    * database: ``FIGURES_DATABASE_URL``, else ``[database] url`` in secrets, else the
      store's default (SQLite in data/);
    * read-only: ``FIGURES_READ_ONLY=1``, else ``[figures] read_only = true``;
    * editors' password: ``FIGURES_EDITOR_PASSWORD``, else ``[figures] editor_password``;
    * editing without a password: ``FIGURES_OPEN_EDITING=1``, else ``[figures] open_editing = true``
      (off by default: no password means no editing, not editing for everyone);
    * cap on what one upload may inflate to: ``FIGURES_MAX_UPLOAD_INFLATED_MB``, else
      ``[figures] max_upload_inflated_mb`` (default 50).
    """
    env = os.environ if env is None else env
    database = _section(secrets, "database")
    figures = _section(secrets, "figures")
    url = env.get("FIGURES_DATABASE_URL") or database.get("url") or _secret(secrets, "FIGURES_DATABASE_URL")

    def flag(name: str, key: str) -> bool:
        if name in env:
            return _truthy(env[name])
        return _truthy(figures.get(key, _secret(secrets, name) or False))

    password = (env.get("FIGURES_EDITOR_PASSWORD") or figures.get("editor_password")
                or _secret(secrets, "FIGURES_EDITOR_PASSWORD") or None)
    cap = _positive(env.get("FIGURES_MAX_UPLOAD_INFLATED_MB") or figures.get("max_upload_inflated_mb")
                    or _secret(secrets, "FIGURES_MAX_UPLOAD_INFLATED_MB"), DEFAULT_MAX_UPLOAD_INFLATED_MB)
    return Settings(database_url=url or None, read_only=flag("FIGURES_READ_ONLY", "read_only"),
                    editor_password=password, open_editing=flag("FIGURES_OPEN_EDITING", "open_editing"),
                    max_upload_inflated_mb=cap)


def _positive(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


class LoginThrottle:
    """Failed editor logins per client (shared by every session of the server): the first
    `free` failures cost nothing, then each one locks the client out for twice as long as the
    last (2 s, 4 s, 8 s ... at most `longest`), so guessing the password is slow. A success
    clears the client's record."""

    def __init__(self, free: int = 3, longest: float = 300.0, clock: Any = None, max_clients: int = 10_000):
        import time

        self.free, self.longest, self.max_clients = free, longest, max_clients
        self.clock = clock or time.monotonic
        self._failures: dict[str, tuple[int, float]] = {}  # client -> (failures, locked until)
        self._lock = threading.Lock()

    def wait_left(self, client: str) -> float:
        """Seconds before this client may try again (0 when it may now)."""
        with self._lock:
            _, until = self._failures.get(client, (0, 0.0))
        return max(0.0, until - self.clock())

    def failed(self, client: str) -> float:
        """Record a failed try; returns the lockout it earned, in seconds."""
        with self._lock:
            if len(self._failures) >= self.max_clients and client not in self._failures:
                self._failures.pop(next(iter(self._failures)))
            count = self._failures.get(client, (0, 0.0))[0] + 1
            lockout = 0.0 if count <= self.free else min(self.longest, 2.0 ** (count - self.free))
            self._failures[client] = (count, self.clock() + lockout)
        return lockout

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def try_login(throttle: LoginThrottle, client: str, given: str | None, expected: str | None) -> tuple[bool, str]:
    """(logged in, message): refused unchecked while the client is locked out."""
    wait = throttle.wait_left(client)
    if wait > 0:
        return False, f"Too many failed tries: wait {wait:.0f} s before the next one."
    if password_ok(given, expected):
        throttle.succeeded(client)
        return True, ""
    lockout = throttle.failed(client)
    return False, "Wrong password." + (f" Wait {lockout:.0f} s before the next try." if lockout else "")


def refresh_seconds(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> float:
    """How long a server process may show a data version before looking for a newer one:
    ``FIGURES_REFRESH_SECONDS``, else ``[figures] refresh_seconds``, else 10. Every write
    makes each process reload its claims and recompute each view (about a second of CPU at
    100,000 claims), so with an editor writing every few seconds viewers would spend most
    of a core on reloads; a session that wrote sees its own change at once. 0: always
    the newest."""
    env = os.environ if env is None else env
    raw = env.get("FIGURES_REFRESH_SECONDS") or _section(secrets, "figures").get("refresh_seconds")
    try:
        return max(0.0, float(raw)) if raw not in (None, "") else 10.0
    except (TypeError, ValueError):
        return 10.0


def newest_token(*tokens: str | None) -> str:
    """The token of the newest data version among these (tokens end in ':revision')."""
    known = [t for t in tokens if t]
    return max(known, key=lambda t: int(t.rsplit(":", 1)[-1]))


class Refresher:
    """Which data version a server process shows: the newest one whose data is ready.

    When a newer version appears, ``prepare(token)`` runs in a background thread (the app
    loads the frame and the views its sessions asked for recently) while every session
    keeps the version that is ready; once prepared, the newer one takes over. So a
    refresh costs sessions no wait, only the work of the thread. The first version is
    shown at once (prepared by the first page)."""

    def __init__(self, prepare: Callable[[str], Any]):
        self._prepare = prepare
        self._lock = threading.Lock()
        self._ready: str | None = None
        self._loading: threading.Thread | None = None

    def shown(self, newest: str) -> str:
        with self._lock:
            if self._ready is None:
                self._ready = newest
            if newest != self._ready and self._loading is None:
                self._loading = threading.Thread(target=self._run, args=(newest,), name="figures-refresh",
                                                 daemon=True)
                self._loading.start()
            return self._ready

    def _run(self, token: str) -> None:
        try:
            self._prepare(token)
        except Exception:  # the first page on this version prepares it again and shows the error
            pass
        with self._lock:
            self._ready, self._loading = token, None

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a refresh in progress (tests)."""
        loading = self._loading
        if loading is not None:
            loading.join(timeout)


def password_ok(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an unset password never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
