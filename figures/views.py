"""View logic of the dashboard, free of Streamlit: settings, filters and their URL
form, filtering and summaries of a claims frame, article intake and curation.

app.py only draws widgets and calls these functions, so tests reach every rule
here without a browser.

The dashboard keeps one light frame per data version in memory (:func:`load_frame`:
ids, figures, dates and the facet columns as categoricals; no quotes, titles or urls).
Filters, counts, chart thinning and the competing-figures tables run on it; quotes,
titles, urls and status are read from the store only for the rows a page shows
(:func:`view_model`), and a search in quotes runs in SQL (Store.claim_ids_matching).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from figures import charts, labels, lexicon
from figures.charts import UNATTRIBUTED, UNKNOWN_SIDE, format_figure, series_label

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "data" / "demo"

FACETS = ("place", "metric", "subject", "claimant", "side", "outlet")
UNKNOWN_PLACE = "unknown place"
# URL parameter for each filter (short, stable: shared links depend on them).
QUERY_KEYS = {
    "places": "place",
    "metrics": "metric",
    "subjects": "subject",
    "claimants": "claimant",
    "sides": "side",
    "outlets": "outlet",
    "series": "series",
    "date_from": "from",
    "date_to": "to",
    "text": "q",
    "colour_by": "colour",
    "log_scale": "scale",
    "conditional": "cond",
}
EDITABLE_FIELDS = (
    "value", "low", "high", "qualifier", "metric", "item", "subject", "claimant", "side",
    "date", "period", "location",
)
NUMERIC_FIELDS = ("value", "low", "high")
TABLE_COLUMNS = [
    "date", "claimant", "as_named", "side", "stated", "value", "qualifier", "metric", "item", "subject",
    "period", "conditional", "location", "quote", "outlet", "title", "url", "published", "status", "claim_id",
    "mention_group",
]
DERIVED_COLUMNS = ("series", "status", "as_named")
TABLE_LIMIT = 1000
# What every view needs in memory per claim (Store.light_claims_frame reads just these).
FRAME_COLUMNS = ("claim_id", "value", "low", "high", "qualifier", "metric", "item", "subject", "claimant",
                 "side", "date", "period", "outlet", "claimant_entity", "location")
CATEGORY_COLUMNS = ("qualifier", "metric", "item", "subject", "claimant", "side", "period", "outlet",
                    "claimant_entity", "location")
# Read from the store only for the rows a page shows.
DETAIL_COLUMNS = ("quote", "stated", "location", "title", "url", "published", "confirmed", "corrected")


# ---------------------------------------------------------------- settings


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


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class ViewFilters:
    places: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    claimants: tuple[str, ...] = ()
    sides: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""
    colour_by: str = "claimant"
    log_scale: bool = False
    conditional: bool = False  # show conditional figures in the charts and competing-figures tables

    def data_key(self) -> tuple:
        """The part that selects rows (not how they are drawn), hashable for caches."""
        return tuple(getattr(self, name) if name != "text" else self.text.strip() for name in DATA_FIELDS)

    @classmethod
    def from_data_key(cls, key: tuple) -> "ViewFilters":
        return cls(**dict(zip(DATA_FIELDS, key)))


DATA_FIELDS = ("places", "metrics", "subjects", "claimants", "sides", "outlets", "date_from", "date_to", "text")


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def filters_from_query(params: Mapping[str, Sequence[str] | str]) -> ViewFilters:
    """Filters from URL parameters (each a list of values, as st.query_params.get_all gives)."""
    def values(key: str) -> tuple[str, ...]:
        raw = params.get(key, ())
        if isinstance(raw, str):
            raw = [raw]
        seen: list[str] = []
        for item in raw:
            if item and item not in seen and len(item) <= 300:
                seen.append(item)
        return tuple(seen[:200])

    def one(key: str) -> str | None:
        got = values(key)
        return got[0] if got else None

    colour = one(QUERY_KEYS["colour_by"])
    return ViewFilters(
        places=values(QUERY_KEYS["places"]),
        metrics=values(QUERY_KEYS["metrics"]),
        subjects=values(QUERY_KEYS["subjects"]),
        claimants=values(QUERY_KEYS["claimants"]),
        sides=values(QUERY_KEYS["sides"]),
        outlets=values(QUERY_KEYS["outlets"]),
        series=values(QUERY_KEYS["series"]),
        date_from=_date(one(QUERY_KEYS["date_from"])),
        date_to=_date(one(QUERY_KEYS["date_to"])),
        text=(one(QUERY_KEYS["text"]) or "")[:300],
        colour_by="side" if colour == "side" else "claimant",
        log_scale=one(QUERY_KEYS["log_scale"]) == "log",
        conditional=one(QUERY_KEYS["conditional"]) == "show",
    )


def filters_to_query(filters: ViewFilters) -> dict[str, list[str] | str]:
    """URL parameters for filters; defaults are left out so links stay short."""
    out: dict[str, list[str] | str] = {}
    for attr in ("places", "metrics", "subjects", "claimants", "sides", "outlets", "series"):
        values = getattr(filters, attr)
        if values:
            out[QUERY_KEYS[attr]] = list(values)
    if filters.date_from:
        out[QUERY_KEYS["date_from"]] = filters.date_from.isoformat()
    if filters.date_to:
        out[QUERY_KEYS["date_to"]] = filters.date_to.isoformat()
    if filters.text.strip():
        out[QUERY_KEYS["text"]] = filters.text.strip()
    if filters.colour_by == "side":
        out[QUERY_KEYS["colour_by"]] = "side"
    if filters.log_scale:
        out[QUERY_KEYS["log_scale"]] = "log"
    if filters.conditional:
        out[QUERY_KEYS["conditional"]] = "show"
    return out


# ---------------------------------------------------------------- frames


def load_frame(store: Any) -> pd.DataFrame:
    """The claims every view starts from: the store's light frame (no quotes, titles or
    urls), prepared once per data version."""
    return prepare_frame(store.light_claims_frame())


def place_column(df: pd.DataFrame) -> pd.Categorical:
    """The theatre of each claim (theatres.csv): its location's country, else its claimant's
    side, else the theatre most located claims of its document have; UNKNOWN_PLACE when
    none says. Looked up once per distinct location and side, not per row."""
    tables, countries = lexicon.theatres(), lexicon.places()
    names = sorted(set(tables["country"].values()) | set(tables["side"].values()))
    index = {name: i for i, name in enumerate(names)}

    def located(name: str) -> str | None:
        return tables["country"].get(countries.get(name, name))

    def codes(values: pd.Series, lookup: Callable[[str], str | None]) -> np.ndarray:
        found = [index.get(lookup(str(c)) or "", -1) for c in values.cat.categories]
        return np.array(found + [-1], dtype=np.int32)[values.cat.codes.to_numpy()]

    code = codes(df["location"], located)
    code = np.where(code >= 0, code, codes(df["side"], tables["side"].get))
    doc_col = "document_id" if "document_id" in df else "doc_id"
    unknown = code < 0
    if unknown.any() and doc_col in df:
        docs = df[doc_col].to_numpy()
        known = pd.DataFrame({"doc": docs[~unknown], "place": code[~unknown]})
        top = known.value_counts().reset_index().drop_duplicates("doc").set_index("doc")["place"]
        code[unknown] = top.reindex(docs[unknown]).fillna(-1).to_numpy(dtype=np.int32)
    return pd.Categorical.from_codes(np.where(code >= 0, code, len(names)), [*names, UNKNOWN_PLACE])


def _relabel(values: pd.Series, label: str) -> pd.Categorical:
    """A categorical with missing and empty values shown as ``label`` (codes remapped, so a
    million rows cost a lookup each, not a string comparison)."""
    categories = [str(c) for c in values.cat.categories]
    names = sorted({c for c in categories if c} | {label})
    index = {name: i for i, name in enumerate(names)}
    mapping = np.array([index[c or label] for c in categories] + [index[label]], dtype=np.int32)
    return pd.Categorical.from_codes(mapping[values.cat.codes.to_numpy()], names)


def _series_column(df: pd.DataFrame) -> pd.Categorical:
    """'deaths — Russian military' per row, labelled once per metric/item/subject combination."""
    combined = np.zeros(len(df), dtype=np.int64)
    for col in ("metric", "item", "subject"):
        code = df[col].cat.codes.to_numpy().astype(np.int64)
        combined = combined * (int(code.max(initial=-1)) + 2) + code + 1
    codes, uniques = pd.factorize(combined)
    example = np.zeros(len(uniques), dtype=np.int64)
    example[codes] = np.arange(len(codes))

    def text(col: str, row: int) -> str | None:
        value = df[col].iloc[row]
        return None if pd.isna(value) or str(value) == "" else str(value)

    labels = [series_label(text("metric", row), text("item", row), text("subject", row)) for row in example]
    names = sorted(set(labels))
    index = {name: i for i, name in enumerate(names)}
    mapping = np.array([index[label] for label in labels], dtype=np.int32)
    return pd.Categorical.from_codes(mapping[codes], names)


def _entity_or_named(entity: pd.Series, named: pd.Series) -> pd.Categorical:
    """The claimant entity, else the claimant as named, as one categorical (by codes: a million
    rows cost a lookup each)."""
    names = sorted({str(c) for c in entity.cat.categories} | {str(c) for c in named.cat.categories})
    index = {name: i for i, name in enumerate(names)}
    entity_map = np.array([index[str(c)] for c in entity.cat.categories] + [-1], dtype=np.int32)
    named_map = np.array([index[str(c)] for c in named.cat.categories] + [-1], dtype=np.int32)
    entity_codes = entity.cat.codes.to_numpy()
    codes = np.where(entity_codes >= 0, entity_map[entity_codes], named_map[named.cat.codes.to_numpy()])
    return pd.Categorical.from_codes(codes, names)


def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Add what every view needs once per data version: datetime dates, numbers, text
    columns as categoricals, display claimant/side and series labels. ``claimant`` becomes
    the claimant entity (claims-spec.md: charts group by it; the text's own name where no
    entity is stored), the text's name moves to ``as_named``. Works on a light
    frame (Store.light_claims_frame) and on a full one (Store.claims_frame: its quotes,
    titles and status flags are kept). Done once and cached, never per rerun."""
    df = frame.copy() if frame is not None else pd.DataFrame()
    for col in FRAME_COLUMNS:
        if col not in df:
            df[col] = pd.Series(None, index=df.index, dtype=object)
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    if "published" in df:
        df["published"] = pd.to_datetime(df["published"], errors="coerce")
    for col in NUMERIC_FIELDS:
        df[col] = pd.to_numeric(df[col], errors="coerce")
    for col in CATEGORY_COLUMNS:
        if not isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(object).where(df[col].notna(), None).astype("category")
    df["as_named"] = df["claimant"]
    df["claimant"] = _relabel(pd.Series(_entity_or_named(df["claimant_entity"], df["claimant"]), index=df.index),
                              UNATTRIBUTED)
    df["conditional"] = (df["conditional"].fillna(False).astype(bool) if "conditional" in df
                         else pd.Series(False, index=df.index))
    group = df["mention_group"] if "mention_group" in df else pd.Series(np.nan, index=df.index)
    df["mention_group"] = group.fillna(df["claim_id"]).astype(np.int64)
    df["side"] = _relabel(df["side"], UNKNOWN_SIDE)
    df["place"] = place_column(df)
    df["series"] = _series_column(df)
    if {"confirmed", "corrected", "rejected"} & set(df.columns):
        df["status"] = claim_status(df)
    return df


def claim_status(frame: pd.DataFrame) -> pd.Series:
    """'rejected', 'confirmed', 'corrected' or '' per claim, from the store's flags."""
    status = pd.Series("", index=frame.index, dtype=object)
    for flag in ("corrected", "confirmed", "rejected"):
        if flag in frame:
            status = status.mask(frame[flag].fillna(False).astype(bool), flag)
    return status


def _ids_in(ids: pd.Series, wanted: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are in ``wanted``: a lookup table for ids up to a few ten million."""
    values = ids.to_numpy(dtype=np.int64)
    wanted = np.asarray(wanted, dtype=np.int64)
    if not len(values) or not len(wanted):
        return np.zeros(len(values), dtype=bool)
    top = int(max(values.max(), wanted.max()))
    if top > 50_000_000 or values.min() < 0 or wanted.min() < 0:
        return np.isin(values, wanted)
    lookup = np.zeros(top + 1, dtype=bool)
    lookup[wanted] = True
    return lookup[values]


class QuoteIndex:
    """The quotes of one data version in memory (Arrow), so that a search in quotes does not
    scan the database: a million quotes are searched in about 0.2 s, against 0.6 s in SQLite.

    The quotes load in a background thread (the first page does not need them; at a million
    claims they take a few seconds and about 130 MB); until they are in, or if loading
    failed, searches run in SQL (Store.claim_ids_matching), with the same results."""

    def __init__(self, store: Any, background: bool = True):
        self._store = store
        self._ids: np.ndarray | None = None
        self._quotes: Any = None
        self._loaded = threading.Event()
        if background:
            threading.Thread(target=self._load, name="figures-quote-index", daemon=True).start()
        else:
            self._load()

    def _load(self) -> None:
        try:
            self._ids, self._quotes = self._store.quote_texts()
        except Exception:  # the index is only a shortcut: searches keep going to SQL
            self._ids = self._quotes = None
        finally:
            self._loaded.set()

    @property
    def ready(self) -> bool:
        return self._loaded.is_set() and self._ids is not None

    def search(self, text: str) -> np.ndarray:
        """Ids of the claims not rejected whose quote holds ``text``, ignoring case."""
        needle = (text or "").strip()
        if not needle:
            return np.array([], dtype=np.int64)
        if not self.ready:
            return self._store.claim_ids_matching(needle)
        import pyarrow.compute as pc

        found = pc.match_substring(self._quotes, needle, ignore_case=True).fill_null(False)
        return self._ids[found.to_numpy(zero_copy_only=False)]


_FACET_FILTERS = (("places", "place"), ("metrics", "metric"), ("subjects", "subject"), ("claimants", "claimant"),
                  ("sides", "side"), ("outlets", "outlet"))


def apply_filters(frame: pd.DataFrame, filters: ViewFilters, matching: np.ndarray | None = None) -> pd.DataFrame:
    """Rows of a prepared frame that pass every filter (all filters combine with AND).

    The search in quotes keeps the claims whose id is in ``matching`` (the store's search,
    Store.claim_ids_matching); without it the frame's own ``quote`` column is searched.
    """
    mask = filter_mask(frame, filters, matching)
    return frame if mask.all() else frame[mask]


def filter_mask(frame: pd.DataFrame, filters: ViewFilters, matching: np.ndarray | None = None) -> np.ndarray:
    """Which rows pass every filter (see :func:`apply_filters`)."""
    mask = np.ones(len(frame), dtype=bool)
    for attr, col in _FACET_FILTERS:
        chosen = getattr(filters, attr)
        if chosen:
            mask &= frame[col].isin(chosen).to_numpy()
    if filters.date_from:
        mask &= (frame["date"] >= pd.Timestamp(filters.date_from)).to_numpy()
    if filters.date_to:
        mask &= (frame["date"] < pd.Timestamp(filters.date_to) + pd.Timedelta(days=1)).to_numpy()
    text = filters.text.strip()
    if text and matching is not None:
        mask &= _ids_in(frame["claim_id"], matching)
    elif text:
        if "quote" not in frame:
            raise ValueError("this frame holds no quotes: pass the ids the store's search matched")
        mask &= frame["quote"].astype("string").str.contains(text, case=False, regex=False, na=False).to_numpy()
    return mask


def facet_counts(frame: pd.DataFrame, filters: ViewFilters, matching: np.ndarray | None = None
                 ) -> dict[str, dict[str, int]]:
    """Per facet column, the claims each value has under every OTHER filter (a facet does not
    narrow its own options: picking a second side stays possible), values with none left out.
    One mask per filter, combined per facet, then a bincount over the categorical codes:
    a few milliseconds per facet at a million claims."""
    own = {col: (frame[col].isin(getattr(filters, attr)).to_numpy() if getattr(filters, attr) else None)
           for attr, col in _FACET_FILTERS}
    base = filter_mask(frame, replace(filters, **{attr: () for attr, _ in _FACET_FILTERS}), matching)
    out: dict[str, dict[str, int]] = {}
    for _, col in _FACET_FILTERS:
        mask = base.copy()
        for other, other_mask in own.items():
            if other != col and other_mask is not None:
                mask &= other_mask
        out[col] = _value_counts(frame[col], mask)
    return out


_COUNTED = re.compile(r"^(.*) \(\d[\d,]*\)$", re.DOTALL)


def facet_label(value: str, counts: Mapping[str, int]) -> str:
    """A facet option as shown: 'OHCHR (1,234)'."""
    return f"{value} ({counts.get(value, 0):,})"


def clean_choices(chosen: Iterable[Any], known: Collection[str]) -> list[str]:
    """Chosen facet values as plain values. A multiselect hands back the label it showed
    ('OHCHR (12)') when the counts changed since (another filter moved, or the data did):
    such a label becomes its value again when that value is known."""
    out: list[str] = []
    for value in chosen:
        text = str(value)
        match = _COUNTED.match(text)
        if text not in known and match and match.group(1) in known:
            text = match.group(1)
        if text and text not in out:
            out.append(text)
    return out


def _value_counts(values: pd.Series, mask: np.ndarray) -> dict[str, int]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()[mask]
        counts = np.bincount(codes + 1, minlength=len(values.cat.categories) + 1)[1:]
        pairs = zip(values.cat.categories, counts)
    else:
        pairs = values[mask].dropna().value_counts().items()
    return {str(v): int(n) for v, n in pairs if n and str(v)}


def date_span(frame: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    low, high = frame["date"].min(), frame["date"].max()
    if pd.isna(low):
        return None, None
    return low.date(), high.date()


def default_view(frame: pd.DataFrame) -> ViewFilters:
    """The view a link without filters opens: when the claims span several theatres, the
    most-reported theatre and its most-reported series (wars are never mixed on one axis
    by default); else no filters."""
    places = frame["place"].value_counts()
    places = places[(places > 0) & (places.index != UNKNOWN_PLACE)]
    if len(places) < 2:
        return ViewFilters()
    place = str(places.index[0])
    series = series_counts(frame[(frame["place"] == place).to_numpy()])
    return ViewFilters(places=(place,), series=tuple(str(s) for s in series.index[:1]))


def series_counts(frame: pd.DataFrame) -> pd.Series:
    """Claims per chart series ('deaths — Russian military'), largest first."""
    if frame.empty:
        return pd.Series(dtype=int)
    counts = frame["series"].value_counts(sort=True)
    return counts[counts > 0]


def _pick_series(counts: pd.Series, chosen: Sequence[str], default_count: int) -> list[str]:
    if chosen:
        present = [s for s in chosen if s in counts.index]
        if present:
            return present
    return [str(s) for s in counts.index[:default_count]]


def chart_series(frame: pd.DataFrame, chosen: Sequence[str] = (), default_count: int = 3) -> list[str]:
    """Which series to chart: the chosen ones that have data, else the largest few."""
    return _pick_series(series_counts(frame), chosen, default_count)


def rows_of_series(frame: pd.DataFrame, series: str) -> pd.DataFrame:
    return frame[frame["series"] == series]


MAX_SOURCES = 8  # outlets named per chart point; the rest counted


def fold_mentions(part: pd.DataFrame) -> pd.DataFrame:
    """One row per mention group (the same claim reported by several articles: Store's mention
    groups), its first mention (smallest claim id), with ``mentions`` (how many) and, for a claim
    of several mentions, ``sources`` (the outlets that reported it). A part where every claim is
    its own mention comes back as it is (no mentions column: one each)."""
    group = part["mention_group"].to_numpy(dtype=np.int64)
    order = np.lexsort((part["claim_id"].to_numpy(dtype=np.int64), group))
    starts = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1]]) if len(part) else order
    if len(starts) == len(part):
        return part
    counts = np.diff(np.r_[starts, len(order)])
    folded = part.iloc[order[starts]].copy()
    outlet = part["outlet"].astype("category")
    names = [str(name) for name in outlet.cat.categories]
    codes = outlet.cat.codes.to_numpy()[order].tolist()  # plain ints: slicing a list is cheap
    sources = np.full(len(starts), None, dtype=object)
    for position in np.flatnonzero(counts > 1):
        start = int(starts[position])
        found = [names[code] for code in dict.fromkeys(codes[start : start + int(counts[position])]) if code >= 0]
        more = f" and {len(found) - MAX_SOURCES} more" if len(found) > MAX_SOURCES else ""
        sources[position] = ", ".join(found[:MAX_SOURCES]) + more
    folded["mentions"] = counts
    folded["sources"] = sources
    return folded


SPREAD_DAYS = 7  # the spread compares figures stated within this many days of each other
SPREAD_QUALIFIERS = ("exact", "approx")  # bounded and vague figures stay out of the spread


def _totals(frame: pd.DataFrame, qualifiers: Sequence[str] | None = None) -> np.ndarray:
    """Positions of the dated running totals (period empty) of a frame, of these qualifiers
    (a missing qualifier counts as exact) or, without them, of every qualifier but vague."""
    date = frame["date"].to_numpy(dtype="datetime64[ns]")
    value = frame["value"].to_numpy(dtype=np.float64)
    keep = (charts.key_codes(frame["period"]) < 0) & ~np.isnat(date) & ~np.isnan(value)
    if "qualifier" in frame:
        qualifier = frame["qualifier"].astype(object).fillna("exact").to_numpy()
        keep &= np.isin(qualifier, qualifiers) if qualifiers is not None else qualifier != "vague"
    return np.flatnonzero(keep)


def latest_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Each claimant's latest running total (period empty; vague figures left out; ties on the
    date: the highest figure, then the highest claim id), in frame order."""
    date = frame["date"].to_numpy(dtype="datetime64[ns]")
    value = frame["value"].to_numpy(dtype=np.float64)
    rows = _totals(frame)
    if not len(rows):
        return frame.iloc[rows]
    rows = rows[np.argsort(frame["claim_id"].to_numpy()[rows], kind="stable")]
    claimant = charts.key_codes(frame["claimant"])[rows]
    by_claimant = np.argsort(claimant, kind="stable")
    rows, claimant = rows[by_claimant], claimant[by_claimant]
    starts = np.flatnonzero(np.r_[True, claimant[1:] != claimant[:-1]])
    best = charts.segment_best(starts, date[rows].astype(np.int64), value[rows])
    return frame.iloc[np.sort(rows[best])]


def _window_end(days: np.ndarray, who: np.ndarray, width: int) -> int | None:
    """For rows sorted by day, the position of the latest row that has a row of another
    claimant within ``width`` days before it (same day included), or None."""
    if len(days) < 2:
        return None
    run_start = np.r_[True, who[1:] != who[:-1]]
    before_run = np.maximum.accumulate(np.where(run_start, np.arange(len(days)) - 1, -1))
    other = before_run >= 0
    ok = other & (days[np.maximum(before_run, 0)] > days - width)
    found = np.flatnonzero(ok)
    return int(found[-1]) if len(found) else None


def spread_within(frame: pd.DataFrame, days: int = SPREAD_DAYS) -> dict[str, Any]:
    """The spread of the latest window of ``days`` days in which at least two claimants stated
    an exact or approximate running total (bounded and vague figures stay out): each one's
    latest figure in that window, compared. Per place when the frame has a ``place``
    column (the latest such window of any place). Empty when no two claimants' figures
    fall within ``days`` of each other.

    Keys: window_start, window_end (dates), days, place, highest/lowest claimant, value
    and date, difference, ratio, claimants (how many compared) and figures (claimant,
    figure, date, highest first)."""
    rows = _totals(frame, SPREAD_QUALIFIERS)
    if len(rows) < 2:
        return {}
    day = frame["date"].to_numpy(dtype="datetime64[D]").astype(np.int64)[rows]
    value = frame["value"].to_numpy(dtype=np.float64)[rows]
    who = charts.speaker_codes(frame)[rows]
    place = charts.key_codes(frame["place"])[rows] if "place" in frame else np.zeros(len(rows), dtype=np.int64)
    best: tuple[int, np.ndarray] | None = None
    for code in np.unique(place):
        here = np.flatnonzero(place == code)
        here = here[np.lexsort((who[here], day[here]))]
        end = _window_end(day[here], who[here], days)
        if end is None:
            continue
        inside = here[(day[here] > day[here[end]] - days) & (day[here] <= day[here[end]])]
        if best is None or (day[here[end]], len(inside)) > (best[0], len(best[1])):
            best = (int(day[here[end]]), inside)
    if best is None:
        return {}
    end_day, inside = best
    latest: dict[int, int] = {}
    for i in inside[np.lexsort((value[inside], day[inside]))]:
        latest[int(who[i])] = int(i)
    picked = sorted(latest.values(), key=lambda i: -value[i])
    claimant = [name if name != UNATTRIBUTED or not outlet else f"{outlet} (own voice)"
                for name, outlet in zip(charts.text_list(frame.iloc[rows[picked]], "claimant", UNATTRIBUTED),
                                        charts.text_list(frame.iloc[rows[picked]], "outlet"))]
    qualifier = charts.text_list(frame.iloc[rows[picked]], "qualifier", "exact")
    epoch = dt.date(1970, 1, 1)
    dates = [epoch + dt.timedelta(days=int(d)) for d in day[picked]]
    figures = [{"claimant": c, "figure": format_figure(value[i], q), "value": float(value[i]), "date": d}
               for c, q, i, d in zip(claimant, qualifier, picked, dates)]
    top, bottom = figures[0], figures[-1]
    where = charts.text_list(frame.iloc[rows[picked[:1]]], "place")[0] if "place" in frame else None
    return {
        "window_start": epoch + dt.timedelta(days=end_day - days + 1),
        "window_end": epoch + dt.timedelta(days=end_day), "days": days, "place": where,
        "highest_claimant": top["claimant"], "highest": top["value"], "highest_date": top["date"],
        "lowest_claimant": bottom["claimant"], "lowest": bottom["value"], "lowest_date": bottom["date"],
        "difference": top["value"] - bottom["value"],
        "ratio": top["value"] / bottom["value"] if bottom["value"] else None,
        "claimants": len(figures), "figures": figures,
    }


def spread_text(spread: Mapping[str, Any]) -> str:
    """The spread as one plain sentence that names its window and the figures compared."""
    if not spread:
        return (f"Spread: no two claimants stated an exact or approximate total within {SPREAD_DAYS} days "
                "of each other, so none is compared.")

    def day(value: dt.date) -> str:
        return f"{value.day} {value:%b %Y}"

    ratio = f", {spread['ratio']:.1f} times the lowest" if spread.get("ratio") else ""
    place = f" in {spread['place']}" if spread.get("place") else ""
    named = "; ".join(f"{f['claimant']}: {f['figure']} on {day(f['date'])}" for f in spread["figures"])
    return (f"Spread{place}, figures stated {day(spread['window_start'])} to {day(spread['window_end'])} "
            f"({spread['days']} days): {spread['difference']:,.0f} between the highest "
            f"({spread['highest_claimant']}: {spread['highest']:,.0f}) and the lowest "
            f"({spread['lowest_claimant']}: {spread['lowest']:,.0f}){ratio}. Compared: {named}.")


def competing_figures(frame: pd.DataFrame, spread_rows: pd.DataFrame | None = None,
                      days: int = SPREAD_DAYS) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Each claimant's latest running total (period empty, vague figures left out) in a
    series, and the spread (:func:`spread_within`) of ``spread_rows`` (default: the frame).

    Returns (table, spread); the spread is empty when no two claimants' exact or
    approximate figures fall within ``days`` of each other. The url column is empty when
    the frame holds no urls (a light frame without its details). Built from plain lists:
    one row per claimant.
    """
    columns = ["claimant", "side", "figure", "value", "qualifier", "date", "outlet", "url", "mentions"]
    latest = latest_totals(frame)
    if latest.empty:
        return pd.DataFrame(columns=columns), spread_within(frame if spread_rows is None else spread_rows, days)
    value = latest["value"].to_numpy(dtype=np.float64)
    claimant = charts.text_list(latest, "claimant", UNATTRIBUTED)
    order = sorted(range(len(latest)), key=lambda i: (-value[i], claimant[i]))
    qualifier = charts.text_list(latest, "qualifier", "exact")
    low, high = charts.number_array(latest, "low"), charts.number_array(latest, "high")
    dates = shown_dates(latest["date"].to_numpy())
    outlet, side = shown_text(latest, "outlet"), shown_text(latest, "side")
    url = charts.safe_urls(charts.text_list(latest, "url"))
    table = pd.DataFrame({
        "claimant": [claimant[i] for i in order],
        "side": [side[i] for i in order],
        "figure": [format_figure(value[i], qualifier[i], low[i], high[i]) for i in order],
        "value": whole_numbers(value[order]),
        "qualifier": labels.label_list("qualifier", [qualifier[i] for i in order]),
        "date": dates[order],
        "outlet": np.array([outlet[i] for i in order], dtype=object),
        "url": np.array([url[i] for i in order], dtype=object),
        "mentions": (latest["mentions"].to_numpy(dtype=np.int64)[order] if "mentions" in latest
                     else np.ones(len(order), dtype=np.int64)),
    }, columns=columns)
    return table, spread_within(frame if spread_rows is None else spread_rows, days)


def newest_rows(frame: pd.DataFrame, limit: int = TABLE_LIMIT) -> pd.DataFrame:
    """The ``limit`` newest claims (by date, then id; undated last), newest first. A partial
    sort (argpartition), so a million rows cost a few milliseconds, not a full sort."""
    if len(frame) == 0:
        return frame
    days = frame["date"].to_numpy(dtype="datetime64[D]")
    known = ~np.isnat(days)
    day = np.where(known, days.astype(np.int64) + 2**22, 0)  # 0 sorts undated claims last
    key = (day << 40) + frame["claim_id"].to_numpy(dtype=np.int64)
    if len(key) > limit:
        top = np.argpartition(-key, limit - 1)[:limit]
    else:
        top = np.arange(len(key))
    return frame.iloc[top[np.argsort(-key[top], kind="stable")]]


def shown_text(frame: pd.DataFrame, col: str) -> np.ndarray:
    """A text column as a table shows it: '' where missing, stored codes as their labels
    (labels.csv: 'at least', not 'at_least')."""
    values = charts.text_list(frame, col, "")
    return np.array(labels.label_list(col, values) if col in labels.FIELDS else values, dtype=object)


def shown_dates(values: Any) -> np.ndarray:
    """Dates as ISO text ('2022-03-01'), '' where missing: sorts as dates, never shows None."""
    days = pd.to_datetime(pd.Series(values), errors="coerce")
    return days.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)


def whole_numbers(values: Any) -> Any:
    """Figures as integers when every one is whole (5710, not 5710.0), else as they are."""
    array = np.asarray(values, dtype=np.float64)
    known = array[~np.isnan(array)]
    if not len(known) or not np.all(np.mod(known, 1) == 0) or np.abs(known).max() >= 2**53:
        return array
    missing = np.isnan(array)
    return pd.arrays.IntegerArray(np.where(missing, 0, array).astype(np.int64), missing)


def table_view(frame: pd.DataFrame, limit: int = TABLE_LIMIT) -> pd.DataFrame:
    """The newest ``limit`` claims with the columns the claims table shows (plain values:
    ISO dates, whole figures as integers, labels for codes, blanks for missing text, links
    only for http(s) urls)."""
    newest = newest_rows(frame, limit)
    out: dict[str, Any] = {}
    for col in TABLE_COLUMNS:
        if col in ("date", "published"):
            out[col] = shown_dates(newest[col] if col in newest else [None] * len(newest))
        elif col in ("value", "low", "high", "claim_id"):
            out[col] = whole_numbers(newest[col].to_numpy() if col in newest else np.full(len(newest), np.nan))
        elif col == "conditional":
            out[col] = newest[col].to_numpy(dtype=bool) if col in newest else np.zeros(len(newest), dtype=bool)
        elif col == "status":
            out[col] = (newest["status"] if "status" in newest else claim_status(newest)).to_numpy(dtype=object)
        elif col == "url":
            out[col] = np.array(charts.safe_urls(charts.text_list(newest, "url")), dtype=object)
        else:
            out[col] = shown_text(newest, col)
    return pd.DataFrame(out, columns=TABLE_COLUMNS)


def claim_details(store: Any, ids: Iterable[int]) -> pd.DataFrame:
    """Quotes, titles, urls and status flags (DETAIL_COLUMNS) of these claims, by claim id."""
    return store.claims_by_ids(ids, include_rejected=True, columns=DETAIL_COLUMNS).set_index("claim_id")


MENTION_COLUMNS = ["published", "outlet", "title", "claimant", "stated", "date", "quote", "url"]


def claim_mentions(store: Any, frame: pd.DataFrame, claim_id: int) -> pd.DataFrame:
    """Every mention of the claim ``claim_id`` (the shown claims sharing its ``mention_group``:
    one figure reported by several articles), oldest article first, links only for http(s)."""
    match = frame.loc[frame["claim_id"] == claim_id, "mention_group"]
    group = frame.loc[frame["mention_group"] == match.iloc[0], "claim_id"] if len(match) else [claim_id]
    rows = store.claims_by_ids(list(group), include_rejected=False,
                               columns=[c for c in MENTION_COLUMNS if c != "published"] + ["published"])
    rows = rows.sort_values(["published", "claim_id"], na_position="last", kind="stable")
    for col in ("published", "date"):
        rows[col] = pd.to_datetime(rows[col], errors="coerce").dt.strftime("%Y-%m-%d")
    out = {col: np.array(charts.text_list(rows, col, ""), dtype=object) for col in MENTION_COLUMNS}
    out["url"] = np.array(charts.safe_urls(out["url"]), dtype=object)
    return pd.DataFrame(out, columns=MENTION_COLUMNS)


def with_details(rows: pd.DataFrame, details: pd.DataFrame) -> pd.DataFrame:
    """Rows of a light frame with their DETAIL_COLUMNS added (missing where the store had none)."""
    extra = details[[c for c in details.columns if c not in rows.columns]]
    found = extra.reindex(rows["claim_id"].to_numpy())
    return pd.concat([rows, found.set_axis(rows.index)], axis=1)


def view_model(store: Any, frame: pd.DataFrame, filters: ViewFilters, series: Sequence[str] = (),
               colour_by: str = "claimant", log_scale: bool = False,
               matching: np.ndarray | None = None, conditional: bool = False) -> dict[str, Any]:
    """Everything the page draws for one filter state, small enough to cache and pickle:
    the count, series options, per charted series its points (a few thousand at most),
    Vega-Lite specs and competing-figures table, and the newest rows of the claims table.

    Filtering, counting and thinning run on the light frame; the details of the rows
    that are drawn (table rows, chart points, latest figures) come in one store read.
    Conditional figures stay out of the charts and competing-figures tables unless
    `conditional`; the claims table and the CSV keep them.
    """
    rows = apply_filters(frame, filters, matching)
    hidden = rows["conditional"].to_numpy(dtype=bool)
    charted = rows if conditional or not hidden.any() else rows[~hidden]
    counts = series_counts(charted)
    picked = []
    for name in _pick_series(counts, series, 3):
        series_rows = rows_of_series(charted, name)
        part = fold_mentions(series_rows)
        n_claims = charts.select_points(part, colour_by)
        picked.append((name, part, part.loc[n_claims.index], n_claims, latest_totals(part), len(series_rows)))
    newest = newest_rows(rows, TABLE_LIMIT)
    ids = np.concatenate([newest["claim_id"].to_numpy()]
                         + [f["claim_id"].to_numpy() for _, _, kept, _, latest, _ in picked for f in (kept, latest)])
    details = claim_details(store, np.unique(ids))
    chosen = filters.sides if colour_by == "side" else filters.claimants  # picked entities get a colour first
    panels = []
    for name, part, kept, n_claims, latest, claims in picked:
        points = charts.points_frame(with_details(kept, details), n_claims, colour_by, chosen)
        table, spread = competing_figures(with_details(latest, details), spread_rows=part)
        running = points["kind"] == "running total"
        kinds = (["running total"] if running.any() else []) + ([charts.PER_PERIOD] if (~running).any() else [])
        specs = [(kind, charts.with_arrow_datasets(charts.timeline_spec(
                     points, kind=kind, colour_by=colour_by, log_scale=log_scale, title=f"{name} ({kind})",
                     height=360 if kind == "running total" else 220, frames=True)))
                 for kind in kinds]
        panels.append({"series": name, "points": points, "specs": specs, "table": table, "spread": spread,
                       "claims": claims})
    return {"count": len(rows), "series_options": [str(s) for s in counts.index], "panels": panels,
            "table": table_view(with_details(newest, details), TABLE_LIMIT)}


CURATE_COLUMNS = ["claim_id", "date", "claimant", "stated", "metric", "subject", "quote", "status"]


def with_arrow_tables(model: dict[str, Any]) -> dict[str, Any]:
    """A view model with its tables also as Arrow tables (``table_arrow``, ``curate_arrow``
    and each panel's ``table_arrow``), which Streamlit ships without converting a DataFrame
    on every rerun of every session. The DataFrames stay for the code that reads rows."""
    import pyarrow as pa

    def arrow(frame: pd.DataFrame) -> pa.Table:
        return pa.Table.from_pandas(frame, preserve_index=False)

    panels = [{**panel, "table_arrow": arrow(panel["table"])} for panel in model["panels"]]
    return {**model, "panels": panels, "table_arrow": arrow(model["table"]),
            "curate_arrow": arrow(model["table"][CURATE_COLUMNS])}


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the filtered claims with the store's columns (corrections applied), without
    the dashboard's helper columns; the unattributed label goes back to an empty claimant."""
    out = frame.drop(columns=[c for c in DERIVED_COLUMNS if c in frame.columns]).copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    if "claimant" in out:
        out["claimant"] = out["claimant"].where(out["claimant"] != UNATTRIBUTED, None)
    if "as_named" in frame:
        out["claimant"] = frame["as_named"].astype(object).to_numpy()
    return out.reset_index(drop=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The filtered claims as CSV through the project's safe exporter (BOM, formulas neutralised)."""
    from figures.export import safe_csv_bytes

    return safe_csv_bytes(export_frame(frame))


def chart_rows(rows: pd.DataFrame, series: str, conditional: bool = False) -> pd.DataFrame:
    """The filtered rows one chart draws: its series (metric, item and subject; the place is a
    filter), conditional figures only when they are shown."""
    keep = (rows["series"] == series).to_numpy().copy()
    if not conditional:
        keep &= ~rows["conditional"].to_numpy(dtype=bool)
    return rows[keep]


def filtered_claims(store: Any, frame: pd.DataFrame, filters: ViewFilters,
                    matching: np.ndarray | None = None, series: str | None = None) -> pd.DataFrame:
    """Every claim passing the filters with all the store's columns, oldest first (as the
    store exports them); with ``series``, only those of that chart (:func:`chart_rows`).
    Most of the store wanted: one full read; else by id."""
    rows = apply_filters(frame, filters, matching)
    if series is not None:
        rows = chart_rows(rows, series, filters.conditional)
    ids = rows["claim_id"].to_numpy()
    if len(ids) > len(frame) // 2:
        full = store.claims_frame()
        return full[_ids_in(full["claim_id"], ids)].reset_index(drop=True)
    picked = store.claims_by_ids(ids)
    return picked.sort_values(["date", "claim_id"], na_position="first", kind="stable").reset_index(drop=True)


def filtered_csv(store: Any, frame: pd.DataFrame, filters: ViewFilters, matching: np.ndarray | None = None,
                 series: str | None = None) -> bytes:
    """A CSV download: exactly the filtered claims (or, with ``series``, those of one chart),
    corrections applied, through the one safe writer (export.safe_csv_bytes)."""
    return csv_bytes(filtered_claims(store, frame, filters, matching, series))


def download_caption(count: int, filters: ViewFilters, series: str | None = None) -> str:
    """What a CSV download holds, in one line: how many claims, which ones, under which filters."""
    if series is None:
        what = "all filtered claims, every series, conditional figures included"
    else:
        shown = "included" if filters.conditional else "left out"
        what = f"this chart only: {series}, conditional figures {shown}"
    return f"{count:,} claim{'s' if count != 1 else ''}: {what} ({filter_summary(filters)})."


def filter_summary(filters: ViewFilters) -> str:
    """A one-line plain-text description of the active filters (for captions and file names)."""
    parts = []
    for attr in ("places", "metrics", "subjects", "claimants", "sides", "outlets"):
        values = getattr(filters, attr)
        if values:
            parts.append(f"{attr}: {', '.join(values)}")
    if filters.date_from or filters.date_to:
        parts.append(f"dates: {filters.date_from or '…'} to {filters.date_to or '…'}")
    if filters.text.strip():
        parts.append(f"quote contains: {filters.text.strip()}")
    return "; ".join(parts) or "no filters"


# ---------------------------------------------------------------- intake


@dataclass
class IntakeResult:
    name: str
    documents: int = 0
    duplicates: int = 0
    claims: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # rows or archive members left out, one line each
    columns: list[str] = field(default_factory=list)  # a table's columns when no text column was found

    @property
    def ok(self) -> bool:
        return self.error is None

    def message(self) -> str:
        notes = "".join(f" {note}." for note in self.notes[:10])
        if len(self.notes) > 10:
            notes += f" ... and {len(self.notes) - 10} more."
        if self.error:
            return f"{self.name}: not added. {self.error}{notes}"
        extra = f", {self.duplicates} already stored" if self.duplicates else ""
        return f"{self.name}: {self.documents} article(s), {self.claims} claim(s) added{extra}.{notes}"


def _report_to_result(name: str, report: Any, notes: Sequence[str] = ()) -> IntakeResult:
    return IntakeResult(
        name=name,
        documents=int(getattr(report, "documents", 0) or 0),
        duplicates=int(getattr(report, "duplicates", 0) or 0),
        claims=int(getattr(report, "claims", 0) or 0),
        error=getattr(report, "error", None) or None,
        notes=[*notes, *(getattr(report, "notes", None) or [])],
    )


def _stored(store: Any, documents: list, source: str, name: str, notes: Sequence[str] = ()) -> IntakeResult:
    """Store documents; a failure gives a short message, the detail goes to the server log."""
    from figures.store import failure_message

    try:
        report = store.ingest_documents(documents, source=source)
    except Exception as exc:  # noqa: BLE001 - never the SQL or the article text in the page
        log.exception("storing %s failed", name)
        return IntakeResult(name, error=f"could not be stored: {failure_message(exc)}.", notes=list(notes))
    return _report_to_result(name, report, notes)


def ingest_upload(store: Any, name: str, data: bytes, max_inflated_bytes: int | None = None,
                  text_column: str | None = None) -> IntakeResult:
    """Read one uploaded file (txt, html, csv, jsonl, zip) and store its articles.

    Never raises: a file that cannot be read or stored gives a result with a
    message naming the file and the problem. An archive may inflate to at most
    `max_inflated_bytes` in all (the upload cap); a table's text column may be named.
    """
    from figures.documents import DocumentError, printable
    from figures.ingest import MissingTextColumn, documents_from_bytes

    safe_name = printable(Path(name or "upload").name[:200] or "upload")
    limits: dict[str, Any] = {"text_column": text_column or None}
    if max_inflated_bytes:
        limits.update(max_archive_bytes=max_inflated_bytes, archive_setting="FIGURES_MAX_UPLOAD_INFLATED_MB")
    notes: list[str] = []
    try:
        documents = documents_from_bytes(safe_name, data, notes=notes, **limits)
    except MissingTextColumn as exc:
        return IntakeResult(safe_name, columns=exc.columns, notes=notes, error=(
            f"no column was found to hold the article text; its columns are: {', '.join(exc.columns)}. "
            "Choose one under 'Text column' and add the file again."))
    except DocumentError as exc:
        return IntakeResult(safe_name, error=str(getattr(exc, "problem", exc)), notes=notes)
    except Exception as exc:  # a parser failure must not break the page
        log.exception("reading upload %s failed", safe_name)
        return IntakeResult(safe_name, error=f"could not be read ({type(exc).__name__}).", notes=notes)
    if not documents:
        return IntakeResult(safe_name, error="no articles were found in it.", notes=notes)
    for doc in documents:
        doc.source = doc.source or f"upload:{safe_name}"
    return _stored(store, documents, f"upload:{safe_name}", safe_name, notes)


def ingest_uploads(store: Any, files: Iterable[tuple[str, bytes]], max_inflated_bytes: int | None = None,
                   text_column: str | None = None) -> list[IntakeResult]:
    return [ingest_upload(store, name, data, max_inflated_bytes, text_column) for name, data in files]


def safely(action: Any, failed: str) -> str | None:
    """Run a write the page asked for; None when it landed, else ``failed`` and a short reason
    for the page (the detail, with any SQL, goes to the server log)."""
    from figures.store import EditConflict, failure_message

    try:
        action()
    except (ValueError, EditConflict) as exc:
        return f"{failed}: {exc}"
    except Exception as exc:  # noqa: BLE001 -- whatever the database said, the person learns it did not land
        log.exception("%s", failed)
        return f"{failed}: {failure_message(exc)}."
    return None


def pasted_document(text: str, title: str = "", outlet: str = "", url: str = "",
                    published: dt.date | None = None):
    """A Document from pasted text and the fields typed next to it."""
    from figures.model import Document

    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValueError("Paste the article text first.")
    digest = hashlib.sha1("\x1f".join([title or "", text]).encode("utf-8")).hexdigest()[:16]
    url = (url or "").strip()
    return Document(
        id=f"paste-{digest}",
        text=text,
        title=(title or "").strip() or None,
        url=url or None,
        outlet=(outlet or "").strip() or None,
        published=published,
        source="paste",
    )


def ingest_paste(store: Any, text: str, title: str = "", outlet: str = "", url: str = "",
                 published: dt.date | None = None) -> IntakeResult:
    try:
        document = pasted_document(text, title, outlet, url, published)
    except ValueError as exc:
        return IntakeResult("pasted text", error=str(exc))
    return _stored(store, [document], "paste", "pasted text")


def demo_paths(folder: Path = DEMO_DIR) -> list[Path]:
    return sorted(folder.glob("*.txt"))


def ensure_demo(store: Any, folder: Path = DEMO_DIR) -> list[Any] | None:
    """Ingest the demo dispatches through the normal pipeline when the store is empty."""
    if store.count_documents() > 0:
        return None
    paths = demo_paths(folder)
    if not paths:
        return None
    return store.ingest_paths([str(p) for p in paths])


# ---------------------------------------------------------------- curation


def parse_edit(field_name: str, raw: str) -> Any:
    """A typed value for an edited field; raises ValueError with a readable message."""
    if field_name not in EDITABLE_FIELDS:
        raise ValueError(f"{field_name} cannot be edited")
    raw = (raw or "").strip()
    if field_name in NUMERIC_FIELDS:
        if not raw:
            if field_name == "value":
                raise ValueError("the figure cannot be empty")
            return None
        try:
            return float(raw.replace(",", "").replace("_", ""))
        except ValueError:
            raise ValueError(f"{field_name} must be a number, not {raw!r}") from None
    if field_name == "date":
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValueError("date must be YYYY-MM-DD") from None
    if field_name == "qualifier":
        from figures.model import QUALIFIERS

        if raw not in QUALIFIERS:
            raise ValueError(f"qualifier must be one of {', '.join(QUALIFIERS)}")
    if field_name == "period" and raw:
        from figures.model import PERIODS

        if raw not in PERIODS:
            raise ValueError(f"period must be empty or one of {', '.join(PERIODS)}")
    return raw or None


def current_value(row: Mapping[str, Any], field_name: str) -> str:
    value = row.get(field_name)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if field_name == "claimant" and value == UNATTRIBUTED:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def claim_revision(row: Mapping[str, Any]) -> str:
    """A short digest of a claim's editable values and status: the edit form is keyed on the
    claim id and this, so a form never shows another claim's (or an older) values."""
    shown = [current_value(row, name) for name in EDITABLE_FIELDS]
    shown += [str(bool(row.get(flag))) for flag in ("confirmed", "rejected")]
    return hashlib.sha1("\x1f".join(shown).encode("utf-8")).hexdigest()[:12]


def edit_changes(row: Mapping[str, Any], edits: Mapping[str, str]) -> dict[str, tuple[str, Any]]:
    """The fields a person changed in the edit form: field -> (value shown, typed new value).

    A field counts as changed only when its text differs from what the form showed for
    this claim. Raises ValueError (naming the field) when a changed value is invalid."""
    changes: dict[str, tuple[str, Any]] = {}
    for name, raw in edits.items():
        shown = current_value(row, name)
        if (raw or "").strip() != shown:
            changes[name] = (shown, parse_edit(name, raw))
    return changes


def change_table(changes: Mapping[str, tuple[str, Any]]) -> pd.DataFrame:
    """What a save will change, one row per field: the value now and the new one, as text."""
    return pd.DataFrame([{"field": name, "now": shown, "new": "" if new is None else current_value({name: new}, name)}
                         for name, (shown, new) in changes.items()], columns=["field", "now", "new"])


def save_changes(store: Any, claim_id: Any, changes: Mapping[str, tuple[str, Any]], user: str) -> list[str]:
    """Store the changed fields of one claim in one transaction; returns the fields stored.

    Refused, nothing stored (store.EditConflict), when someone changed one of these fields
    after the form showed it."""
    if not changes:
        return []
    return store.edit_claim(claim_id, {name: new for name, (_, new) in changes.items()}, user=user or "anonymous",
                            expected={name: shown for name, (shown, _) in changes.items()})


def apply_edits(store: Any, claim_id: Any, row: Mapping[str, Any], edits: Mapping[str, str],
                user: str) -> list[str]:
    """Store an 'edit' correction for each field changed from the values shown; returns the
    changed field names. Raises ValueError (nothing stored) when any edited value is invalid."""
    return save_changes(store, claim_id, edit_changes(row, edits), user)


def clean_user(name: str | None) -> str:
    name = " ".join((name or "").split())[:80]
    return name or "anonymous"


UNDO_KIND = {"reject": "restore", "confirm": "unconfirm"}
_PAST = {"reject": "rejected", "confirm": "confirmed", "restore": "restored", "unconfirm": "unconfirmed"}


def id_list(ids: Sequence[int], most: int = 12) -> str:
    """'ids 3, 5, 8' (the first ``most``, then how many more)."""
    shown = ", ".join(str(i) for i in ids[:most])
    more = f" and {len(ids) - most:,} more" if len(ids) > most else ""
    return f"id{'s' if len(ids) > 1 else ''} {shown}{more}"


def _claims_named(ids: Sequence[int]) -> str:
    return f"Claim {ids[0]}" if len(ids) == 1 else f"{len(ids):,} claims ({id_list(ids)})"


def curation_message(kind: str, ids: Sequence[int], user: str, undo: bool = False, failed: bool = False) -> str:
    """The one message a reject/confirm/restore/unconfirm of these claims leaves on the page."""
    what, past = _claims_named(ids), _PAST[kind]
    if failed:
        return f"{what} {'was' if len(ids) == 1 else 'were'} NOT {past}"
    gone = "; it no longer appears" if len(ids) == 1 else "; they no longer appear"
    tail = f"{gone} in charts, tables or exports." if kind == "reject" else "."
    return f"{'Undone: ' if undo else ''}{what} {past} by {user}{tail}"


def undo_label(kind: str, ids: Sequence[int]) -> str:
    """The undo button's text for the last action."""
    return f"Undo: {_claims_named(ids).lower()} {_PAST[kind]} (marks {'it' if len(ids) == 1 else 'them'} " \
           f"{_PAST[UNDO_KIND[kind]]})"


def find_claim(store: Any, raw_id: str, include_rejected: bool = False) -> tuple[Any, dict | None]:
    """The claim with this id (not rejected, unless asked for), as (id, row dict with
    corrections applied), or (raw text, None) when there is none."""
    raw = (raw_id or "").strip()
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= 2**63:
        return raw, None
    row = store.get_claim(int(raw))
    if row is None or (row.get("rejected") and not include_rejected):
        return raw, None
    return row["claim_id"], dict(row)


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:&=")


def md_escape(text: Any) -> str:
    """Text made inert for Streamlit markdown (labels, alerts, subheaders): every
    markdown and HTML-ish character is backslash-escaped, so '[x](http://…)',
    '![img](…)' and '<b>' show as typed."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))


def plain(value: Any) -> str:
    """A cell as display text: '' for None/NaN."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)
