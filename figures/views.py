"""View logic of the dashboard, free of Streamlit: settings, filters and their URL
form, filtering and summaries of a claims frame, article intake and curation.

app.py only draws widgets and calls these functions, so tests reach every rule
here without a browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from figures.charts import UNATTRIBUTED, series_labels

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "data" / "demo"

FACETS = ("metric", "subject", "claimant", "side", "outlet")
# URL parameter for each filter (short, stable: shared links depend on them).
QUERY_KEYS = {
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
}
EDITABLE_FIELDS = (
    "value", "low", "high", "qualifier", "metric", "item", "subject", "claimant", "side",
    "date", "period", "location",
)
NUMERIC_FIELDS = ("value", "low", "high")
TABLE_COLUMNS = [
    "date", "claimant", "side", "stated", "value", "qualifier", "metric", "item", "subject",
    "period", "location", "quote", "outlet", "title", "url", "published", "status", "claim_id",
]
DERIVED_COLUMNS = ("series", "status")
TABLE_LIMIT = 1000


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    read_only: bool = False
    editor_password: str | None = None

    @property
    def needs_login(self) -> bool:
        return not self.read_only and bool(self.editor_password)


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
    * editors' password: ``FIGURES_EDITOR_PASSWORD``, else ``[figures] editor_password``.
    """
    env = os.environ if env is None else env
    database = _section(secrets, "database")
    figures = _section(secrets, "figures")
    url = env.get("FIGURES_DATABASE_URL") or database.get("url") or _secret(secrets, "FIGURES_DATABASE_URL")
    if "FIGURES_READ_ONLY" in env:
        read_only = _truthy(env["FIGURES_READ_ONLY"])
    else:
        read_only = _truthy(figures.get("read_only", _secret(secrets, "FIGURES_READ_ONLY") or False))
    password = (env.get("FIGURES_EDITOR_PASSWORD") or figures.get("editor_password")
                or _secret(secrets, "FIGURES_EDITOR_PASSWORD") or None)
    return Settings(database_url=url or None, read_only=read_only, editor_password=password)


def password_ok(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an unset password never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class ViewFilters:
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

    def data_key(self) -> tuple:
        """The part that selects rows (not how they are drawn), hashable for caches."""
        return tuple(getattr(self, name) if name != "text" else self.text.strip() for name in DATA_FIELDS)

    @classmethod
    def from_data_key(cls, key: tuple) -> "ViewFilters":
        return cls(**dict(zip(DATA_FIELDS, key)))


DATA_FIELDS = ("metrics", "subjects", "claimants", "sides", "outlets", "date_from", "date_to", "text")


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
    )


def filters_to_query(filters: ViewFilters) -> dict[str, list[str] | str]:
    """URL parameters for filters; defaults are left out so links stay short."""
    out: dict[str, list[str] | str] = {}
    for attr in ("metrics", "subjects", "claimants", "sides", "outlets", "series"):
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
    return out


# ---------------------------------------------------------------- frames


def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Add what every view needs once per data version: datetime dates, series labels,
    display claimant/side, and a status column. Done once and cached, never per rerun."""
    df = frame.copy() if frame is not None else pd.DataFrame()
    for col in ("claim_id", "value", "low", "high", "qualifier", "metric", "item", "subject",
                "claimant", "side", "date", "period", "quote", "stated", "title", "outlet", "url",
                "published", "confirmed", "rejected", "corrected", "location", "doc_id", "date_basis"):
        if col not in df:
            df[col] = pd.Series(dtype=object)
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    df["published"] = pd.to_datetime(df["published"], errors="coerce")
    for col in NUMERIC_FIELDS:
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df["series"] = series_labels(df).astype("category") if len(df) else pd.Series(dtype="category")
    claimant = df["claimant"]
    df["claimant"] = claimant.where(claimant.notna() & (claimant.astype(str) != ""), UNATTRIBUTED)
    side = df["side"]
    df["side"] = side.where(side.notna() & (side.astype(str) != ""), "unknown")
    for col in ("metric", "subject", "claimant", "side", "outlet", "qualifier"):
        df[col] = df[col].astype("category")
    status = pd.Series("", index=df.index, dtype=object)
    if len(df):
        status = status.mask(df["corrected"].fillna(False).astype(bool), "corrected")
        status = status.mask(df["confirmed"].fillna(False).astype(bool), "confirmed")
        status = status.mask(df["rejected"].fillna(False).astype(bool), "rejected")
    df["status"] = status
    return df


def apply_filters(frame: pd.DataFrame, filters: ViewFilters) -> pd.DataFrame:
    """Rows of a prepared frame that pass every filter (all filters combine with AND)."""
    mask = pd.Series(True, index=frame.index)
    for attr, col in (("metrics", "metric"), ("subjects", "subject"), ("claimants", "claimant"),
                      ("sides", "side"), ("outlets", "outlet")):
        chosen = getattr(filters, attr)
        if chosen:
            mask &= frame[col].isin(chosen)
    if filters.date_from:
        mask &= frame["date"] >= pd.Timestamp(filters.date_from)
    if filters.date_to:
        mask &= frame["date"] < pd.Timestamp(filters.date_to) + pd.Timedelta(days=1)
    text = filters.text.strip()
    if text:
        mask &= frame["quote"].astype("string").str.contains(text, case=False, regex=False, na=False)
    return frame[mask]


def facet_options(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Sorted values of every filterable column, plus the date span."""
    out: dict[str, list[str]] = {}
    for col in FACETS:
        values = frame[col].dropna()
        if isinstance(values.dtype, pd.CategoricalDtype):
            present = values.cat.remove_unused_categories().cat.categories
        else:
            present = values.unique()
        out[col] = sorted(str(v) for v in present if str(v))
    return out


def date_span(frame: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    dates = frame["date"].dropna()
    if dates.empty:
        return None, None
    return dates.min().date(), dates.max().date()


def series_counts(frame: pd.DataFrame) -> pd.Series:
    """Claims per chart series ('deaths — Russian military'), largest first."""
    if frame.empty:
        return pd.Series(dtype=int)
    counts = frame["series"].value_counts(sort=True)
    return counts[counts > 0]


def chart_series(frame: pd.DataFrame, chosen: Sequence[str] = (), default_count: int = 3) -> list[str]:
    """Which series to chart: the chosen ones that have data, else the largest few."""
    counts = series_counts(frame)
    if chosen:
        present = [s for s in chosen if s in counts.index]
        if present:
            return present
    return [str(s) for s in counts.index[:default_count]]


def rows_of_series(frame: pd.DataFrame, series: str) -> pd.DataFrame:
    return frame[frame["series"] == series]


def competing_figures(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Each claimant's latest running total (period empty) in a series, and the spread.

    Returns (table, spread) where spread has highest/lowest claimant and value,
    difference and ratio; empty when fewer than one figure.
    """
    totals = frame[frame["period"].isna() | (frame["period"].astype(str) == "")]
    totals = totals.dropna(subset=["date", "value"])
    columns = ["claimant", "side", "figure", "value", "qualifier", "date", "outlet", "url"]
    if totals.empty:
        return pd.DataFrame(columns=columns), {}
    latest = (totals.sort_values(["date", "value"])
              .drop_duplicates(["claimant"], keep="last")
              .sort_values("value", ascending=False))
    from figures.charts import format_figure

    table = pd.DataFrame({
        "claimant": latest["claimant"].astype(str).values,
        "side": latest["side"].astype(str).values,
        "figure": [format_figure(v, q, lo, hi) for v, q, lo, hi in
                   zip(latest["value"], latest["qualifier"].astype(object), latest["low"], latest["high"])],
        "value": latest["value"].values,
        "qualifier": latest["qualifier"].astype(str).values,
        "date": latest["date"].dt.date.values,
        "outlet": latest["outlet"].astype(object).values,
        "url": latest["url"].astype(object).values,
    })
    top, bottom = table.iloc[0], table.iloc[-1]
    spread = {
        "highest_claimant": top["claimant"], "highest": float(top["value"]),
        "lowest_claimant": bottom["claimant"], "lowest": float(bottom["value"]),
        "difference": float(top["value"] - bottom["value"]),
        "ratio": float(top["value"] / bottom["value"]) if bottom["value"] else None,
        "claimants": len(table),
    }
    return table, spread


def table_view(frame: pd.DataFrame, limit: int = TABLE_LIMIT) -> pd.DataFrame:
    """The newest ``limit`` claims with the columns the claims table shows."""
    newest = frame.sort_values("date", ascending=False, na_position="last").head(limit)
    out = newest.reindex(columns=TABLE_COLUMNS).copy()
    for col in ("date", "published"):
        out[col] = pd.to_datetime(out[col], errors="coerce").dt.date
    for col in ("claimant", "side", "metric", "subject", "outlet", "qualifier"):
        out[col] = out[col].astype(object)
    url = out["url"].astype(object)
    out["url"] = url.where(url.astype(str).str.match(r"^https?://", na=False), None)
    return out.reset_index(drop=True)


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the filtered claims with the store's columns (corrections applied), without
    the dashboard's helper columns; the unattributed label goes back to an empty claimant."""
    out = frame.drop(columns=[c for c in DERIVED_COLUMNS if c in frame.columns]).copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    if "claimant" in out:
        out["claimant"] = out["claimant"].where(out["claimant"] != UNATTRIBUTED, None)
    return out.reset_index(drop=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The filtered claims as CSV through the project's safe exporter (BOM, formulas neutralised)."""
    from figures.export import safe_csv_bytes

    return safe_csv_bytes(export_frame(frame))


def filter_summary(filters: ViewFilters) -> str:
    """A one-line plain-text description of the active filters (for captions and file names)."""
    parts = []
    for attr in ("metrics", "subjects", "claimants", "sides", "outlets"):
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

    @property
    def ok(self) -> bool:
        return self.error is None

    def message(self) -> str:
        if self.error:
            return f"{self.name}: not added. {self.error}"
        extra = f", {self.duplicates} already stored" if self.duplicates else ""
        return f"{self.name}: {self.documents} article(s), {self.claims} claim(s) added{extra}."


def _report_to_result(name: str, report: Any) -> IntakeResult:
    return IntakeResult(
        name=name,
        documents=int(getattr(report, "documents", 0) or 0),
        duplicates=int(getattr(report, "duplicates", 0) or 0),
        claims=int(getattr(report, "claims", 0) or 0),
        error=getattr(report, "error", None) or None,
    )


def ingest_upload(store: Any, name: str, data: bytes) -> IntakeResult:
    """Read one uploaded file (txt, html, csv, jsonl, zip) and store its articles.

    Never raises: a file that cannot be read or stored gives a result with a
    message naming the file and the problem.
    """
    from figures.documents import DocumentError
    from figures.ingest import documents_from_bytes

    safe_name = Path(name or "upload").name[:200] or "upload"
    try:
        documents = documents_from_bytes(safe_name, data)
    except DocumentError as exc:
        return IntakeResult(safe_name, error=str(getattr(exc, "problem", exc)))
    except Exception as exc:  # a parser failure must not break the page
        return IntakeResult(safe_name, error=f"could not be read ({type(exc).__name__}).")
    if not documents:
        return IntakeResult(safe_name, error="no articles were found in it.")
    for doc in documents:
        doc.source = doc.source or f"upload:{safe_name}"
    try:
        report = store.ingest_documents(documents, source=f"upload:{safe_name}")
    except Exception as exc:
        return IntakeResult(safe_name, error=f"could not be stored ({type(exc).__name__}: {exc}).")
    return _report_to_result(safe_name, report)


def ingest_uploads(store: Any, files: Iterable[tuple[str, bytes]]) -> list[IntakeResult]:
    return [ingest_upload(store, name, data) for name, data in files]


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
    try:
        report = store.ingest_documents([document], source="paste")
    except Exception as exc:
        return IntakeResult("pasted text", error=f"could not be stored ({type(exc).__name__}: {exc}).")
    return _report_to_result("pasted text", report)


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


def apply_edits(store: Any, claim_id: Any, row: Mapping[str, Any], edits: Mapping[str, str],
                user: str) -> list[str]:
    """Store one 'edit' correction per changed field; returns the changed field names.

    Raises ValueError (nothing stored) when any edited value is invalid.
    """
    changes: dict[str, Any] = {}
    for name, raw in edits.items():
        if (raw or "").strip() == current_value(row, name):
            continue
        changes[name] = parse_edit(name, raw)
    for name, value in changes.items():
        store.add_correction(claim_id, "edit", field=name, value=value, user=user or "anonymous")
    return list(changes)


def clean_user(name: str | None) -> str:
    name = " ".join((name or "").split())[:80]
    return name or "anonymous"


def find_claim(frame: pd.DataFrame, raw_id: str) -> tuple[Any, dict | None]:
    """The claim with this id in a prepared frame, as (typed id, row dict) or (raw, None)."""
    raw = (raw_id or "").strip()
    if not raw or "claim_id" not in frame:
        return raw, None
    ids = frame["claim_id"]
    candidates: list[Any] = [raw]
    try:
        candidates.insert(0, int(raw))
    except ValueError:
        pass
    for candidate in candidates:
        try:
            hit = frame[ids == candidate]
        except (TypeError, ValueError):
            continue
        if len(hit):
            row = hit.iloc[0].to_dict()
            return row.get("claim_id", candidate), row
    return raw, None


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


def load_claims_frame(store: Any) -> pd.DataFrame:
    """All claims not rejected, corrections applied (the store reads them off the cursor)."""
    return store.claims_frame()
