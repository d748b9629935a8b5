"""Compare extracted figure claims with a table of published facts (``compare-facts``).

A facts table (``../shared/facts/ukraine_war_figures.csv``, columns as its README
describes) holds one row per published figure. Its rows fall into *series*: one
claimant, side, metric, subject, equipment item and period kind. Each distinct day of a
series is a *reference day*. A reference day is *covered* when an extracted claim lies
within ±``window_days`` of it and belongs to the series:

- same metric, same subject (case aside), same item for equipment;
- same period kind: a running total (no period) never pairs with a per-day, per-month
  or other per-period figure, and per-period figures pair only with the same period;
- loosely the same claimant: the claimant shares a word (stop words aside) with the
  fact's claimant, or the claim's side is the fact's side.

Of the claims in the window, the one that names the claimant is taken before one that
only shares the side, then the nearest in days, then the nearest in value. A paired
point *agrees* when the claim's value is within 10% (and, stricter, 0.5%) of the fact's.
Vague figures ("scores of") and conditional ones are left out. Only reference days inside
the span of the claims' dates (widened by the window) are counted unless a span is given:
that is where the two overlap.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from figures.evaluate import claimant_words

CLAIM_COLUMNS = ["doc", "quote", "value", "metric", "item", "subject", "claimant", "side", "date", "period"]
SERIES_FIELDS = ["claimant", "side", "metric", "subject", "item", "period"]


@dataclass(frozen=True)
class Options:
    """Pairing rules: the date window in days, the two value tolerances, the span of reference days."""

    window_days: int = 2
    tolerance: float = 0.10
    strict_tolerance: float = 0.005
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Series:
    """One line of the facts table: who, about what, counted how (period None: a running total)."""

    claimant: str
    side: str
    metric: str
    subject: str
    item: str | None
    period: str | None

    @property
    def label(self) -> str:
        parts = [self.claimant, self.metric, self.subject, self.item, self.period or "running total"]
        return " · ".join(p for p in parts if p)


@dataclass(frozen=True)
class Point:
    """One reference day of a series and the claim paired with it, if any."""

    series: Series
    date: dt.date
    fact_value: float
    claim_value: float | None = None
    claim_date: dt.date | None = None
    doc: str | None = None
    quote: str | None = None
    claim_claimant: str | None = None
    difference: float | None = None  # |claim - fact| / |fact|

    @property
    def paired(self) -> bool:
        return self.claim_value is not None

    def agrees(self, tolerance: float) -> bool:
        return self.difference is not None and self.difference <= tolerance


@dataclass
class SeriesResult:
    series: Series
    points: list[Point] = field(default_factory=list)

    @property
    def reference_days(self) -> int:
        return len(self.points)

    @property
    def covered(self) -> int:
        return sum(p.paired for p in self.points)

    def agreement(self, tolerance: float) -> float | None:
        """Share of paired points within `tolerance`; None when nothing was paired."""
        return _share([p for p in self.points if p.paired], tolerance)


@dataclass
class Comparison:
    options: Options
    results: list[SeriesResult]
    span: tuple[dt.date, dt.date] | None

    @property
    def points(self) -> list[Point]:
        return [p for r in self.results for p in r.points]

    def disagreements(self) -> list[Point]:
        return [p for p in self.points if p.paired and not p.agrees(self.options.tolerance)]


def _share(points: Sequence[Point], tolerance: float) -> float | None:
    if not points:
        return None
    return sum(p.agrees(tolerance) for p in points) / len(points)


def _blank_to_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _as_date(value: object) -> dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _key(text: object) -> str | None:
    text = _blank_to_none(text)
    return text.lower() if text else None


def read_facts(path: str | Path) -> pd.DataFrame:
    """The facts table with dates as `datetime.date`, values as floats and blank item/period as None."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{path}: empty facts table") from exc
    missing = {"date", "claimant", "side", "metric", "subject", "item", "value", "period"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: facts table lacks columns {sorted(missing)}")
    return normalise_facts(frame)


def normalise_facts(frame: pd.DataFrame) -> pd.DataFrame:
    """Facts as compare() expects them: typed dates and values, blanks as None, undated rows dropped."""
    facts = frame.copy()
    facts["date"] = [_as_date(v) for v in facts["date"]]
    facts["value"] = pd.to_numeric(facts["value"], errors="coerce")
    for name in ("item", "period", "claimant", "side", "subject", "metric"):
        facts[name] = [_blank_to_none(v) for v in facts[name]]
    return facts[facts["date"].notna() & facts["value"].notna()].reset_index(drop=True)


def normalise_claims(frame: pd.DataFrame) -> pd.DataFrame:
    """Claims as compare() expects them, from extract output or the store: dated, valued, not vague
    ("scores", "thousands": no figure to check) and not conditional (when the frame says so).
    Other columns are kept."""
    claims = frame.copy()
    if "doc" not in claims.columns and "doc_id" in claims.columns:
        claims["doc"] = claims["doc_id"]
    for name in CLAIM_COLUMNS:
        if name not in claims.columns:
            claims[name] = None
    claims["date"] = [_as_date(v) for v in claims["date"]]
    claims["value"] = pd.to_numeric(claims["value"], errors="coerce")
    for name in ("item", "period", "claimant", "side", "subject", "metric"):
        claims[name] = [_blank_to_none(v) for v in claims[name]]
    keep = claims["date"].notna() & claims["value"].notna()
    if "qualifier" in claims.columns:
        keep &= claims["qualifier"].ne("vague")
    if "conditional" in claims.columns:
        keep &= ~claims["conditional"].fillna(False).astype(bool)
    return claims[keep].reset_index(drop=True)


def fact_series(facts: pd.DataFrame) -> dict[Series, pd.DataFrame]:
    """The facts grouped into series, in the table's order of first appearance."""
    grouped: dict[Series, list[int]] = {}
    for index, row in zip(facts.index, facts[SERIES_FIELDS].itertuples(index=False)):
        grouped.setdefault(Series(*(_blank_to_none(v) for v in row)), []).append(index)
    return {series: facts.loc[rows] for series, rows in grouped.items()}


def same_period_kind(fact_period: str | None, claim_period: str | None) -> bool:
    """A running total (no period) pairs only with a running total, a per-period figure only with the same period."""
    return _key(fact_period) == _key(claim_period)


def claimant_tier(series: Series, claimant: str | None, side: str | None, entity: str | None = None) -> int | None:
    """0 when the claim's claimant (or entity) shares a word with the series' claimant, 1 when only
    the side is the same, None when neither: the claim is not the series' claimant's."""
    words = claimant_words(series.claimant)
    if words & (claimant_words(_blank_to_none(claimant)) | claimant_words(_blank_to_none(entity))):
        return 0
    if side and _key(side) == _key(series.side):
        return 1
    return None


def candidates(series: Series, claims: pd.DataFrame) -> pd.DataFrame:
    """The claims that may belong to the series, with a `tier` column (see claimant_tier)."""
    same = (claims["metric"].map(_key) == _key(series.metric)) & (claims["subject"].map(_key) == _key(series.subject))
    same &= claims["period"].map(lambda period: same_period_kind(series.period, period)).astype(bool)
    if series.metric == "equipment":
        same &= claims["item"].map(_key) == _key(series.item)
    chosen = claims[same]
    entities = chosen["claimant_entity"] if "claimant_entity" in chosen.columns else [None] * len(chosen)
    tiers = [claimant_tier(series, c, s, e) for c, s, e in zip(chosen["claimant"], chosen["side"], entities)]
    chosen = chosen.assign(tier=tiers)
    return chosen[chosen["tier"].notna()]


def relative_difference(claim: float, fact: float) -> float:
    if fact == 0:
        return 0.0 if claim == 0 else math.inf
    return abs(claim - fact) / abs(fact)


def pair_day(series: Series, day: dt.date, fact_values: Sequence[float], pool: pd.DataFrame,
             window_days: int) -> Point:
    """The reference day paired with its best claim within ±window_days (or unpaired)."""
    best: tuple | None = None
    for row in pool.itertuples(index=False):
        days = abs((row.date - day).days)
        if days > window_days:
            continue
        fact, difference = min(((f, relative_difference(row.value, f)) for f in fact_values), key=lambda x: x[1])
        rank = (row.tier, days, difference)
        if best is None or rank < best[0]:
            best = (rank, row, fact, difference)
    if best is None:
        return Point(series, day, float(fact_values[0]))
    _, row, fact, difference = best
    return Point(series, day, float(fact), claim_value=float(row.value), claim_date=row.date, doc=row.doc,
                 quote=row.quote, claim_claimant=row.claimant, difference=difference)


def claims_span(claims: pd.DataFrame, window_days: int) -> tuple[dt.date, dt.date] | None:
    """The days the claims cover, widened by the window; None without dated claims."""
    if claims.empty:
        return None
    margin = dt.timedelta(days=window_days)
    return min(claims["date"]) - margin, max(claims["date"]) + margin


def compare(facts: pd.DataFrame, claims: pd.DataFrame, options: Options = Options()) -> Comparison:
    """Each fact series' reference days inside the span, paired with the extracted claims.

    `facts` and `claims` as normalise_facts / normalise_claims return them. Series without
    a reference day in the span are left out."""
    default = claims_span(claims, options.window_days)
    since = options.since or (default[0] if default else None)
    until = options.until or (default[1] if default else None)
    if since is None or until is None:
        return Comparison(options, [], None)
    results = []
    for series, rows in fact_series(facts).items():
        inside = rows[[since <= d <= until for d in rows["date"]]]
        if inside.empty:
            continue
        pool = candidates(series, claims)
        result = SeriesResult(series)
        for day, values in inside.groupby("date", sort=True)["value"]:
            result.points.append(pair_day(series, day, list(values), pool, options.window_days))
        results.append(result)
    return Comparison(options, results, (since, until))


def summary_rows(comparison: Comparison) -> list[dict]:
    """One row per series (and a last row for all of them): reference days, covered, agreement shares."""
    options = comparison.options
    rows = []
    for result in comparison.results:
        rows.append({**asdict(result.series), "series": result.series.label,
                     "reference_days": result.reference_days, "covered": result.covered,
                     "agree_10pct": result.agreement(options.tolerance),
                     "agree_0_5pct": result.agreement(options.strict_tolerance)})
    paired = [p for p in comparison.points if p.paired]
    rows.append({**{name: None for name in SERIES_FIELDS}, "series": "all series",
                 "reference_days": len(comparison.points), "covered": len(paired),
                 "agree_10pct": _share(paired, options.tolerance),
                 "agree_0_5pct": _share(paired, options.strict_tolerance)})
    return rows


def point_status(point: Point, options: Options) -> str:
    if not point.paired:
        return "no claim"
    if point.agrees(options.strict_tolerance):
        return "agrees"
    return "within 10%" if point.agrees(options.tolerance) else "disagrees"


def points_frame(comparison: Comparison) -> pd.DataFrame:
    """One row per reference day: the series, the fact, the paired claim and the status."""
    records = []
    for point in comparison.points:
        records.append({**asdict(point.series), "series": point.series.label, "date": point.date.isoformat(),
                        "fact_value": point.fact_value, "claim_value": point.claim_value,
                        "claim_date": point.claim_date.isoformat() if point.claim_date else None,
                        "claim_claimant": point.claim_claimant, "difference": point.difference,
                        "status": point_status(point, comparison.options), "doc": point.doc, "quote": point.quote})
    columns = [*SERIES_FIELDS, "series", "date", "fact_value", "claim_value", "claim_date", "claim_claimant",
               "difference", "status", "doc", "quote"]
    return pd.DataFrame.from_records(records, columns=columns)


def csv_bytes(comparison: Comparison) -> bytes:
    """points_frame as CSV for spreadsheets: BOM, cells that would run as formulas neutralised."""
    from figures.records import neutralise

    frame = points_frame(comparison).astype(object)
    for name in ("claimant", "side", "subject", "item", "series", "claim_claimant", "doc", "quote"):
        frame[name] = frame[name].map(neutralise)
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_json(comparison: Comparison) -> dict:
    """The comparison as plain JSON: options, span, per-series summary, every reference day."""
    options = comparison.options
    frame = points_frame(comparison).astype(object)
    points = frame.where(frame.notna(), None).to_dict(orient="records")
    for point in points:
        if point["difference"] is not None and math.isinf(point["difference"]):
            point["difference"] = None
    return {
        "window_days": options.window_days, "tolerance": options.tolerance,
        "strict_tolerance": options.strict_tolerance,
        "span": [d.isoformat() for d in comparison.span] if comparison.span else None,
        "series": summary_rows(comparison), "points": points,
    }


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.2f}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def format_table(comparison: Comparison, width: int = 72) -> str:
    """A plain-text report: one line per series, then every disagreement."""
    if comparison.span is None:
        return "no dated claims to compare"
    since, until = comparison.span
    lines = [f"reference days {since} - {until}, window ±{comparison.options.window_days} days",
             f"{'series':<{width}} {'days':>5} {'covered':>7} {'<=10%':>6} {'<=0.5%':>6}"]
    for row in summary_rows(comparison):
        lines.append(f"{_clip(row['series'], width):<{width}} {row['reference_days']:>5} {row['covered']:>7} "
                     f"{_percent(row['agree_10pct']):>6} {_percent(row['agree_0_5pct']):>6}")
    disagreements = comparison.disagreements()
    lines.append("")
    lines.append(f"{len(disagreements)} disagreements (more than {comparison.options.tolerance:.0%} apart)")
    for point in disagreements:
        lines.append(f"- {point.series.label}, {point.date}: fact {_number(point.fact_value)}, claim "
                     f"{_number(point.claim_value)} on {point.claim_date} by {point.claim_claimant or 'the outlet'} "
                     f"in {point.doc}: {_clip(point.quote or '', 160)}")
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def read_claims_file(path: str | Path) -> pd.DataFrame:
    """Claims written by `extract`: a JSONL, CSV or Parquet file, or an `extract --out` folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(f for f in path.glob("part-*") if f.suffix in {".jsonl", ".csv", ".parquet"})
        return pd.concat([read_claims_file(f) for f in files], ignore_index=True) if files else pd.DataFrame()
    if path.suffix in {".jsonl", ".json", ".csv", ".parquet"} and path.stat().st_size == 0:
        return pd.DataFrame()
    if path.suffix in {".jsonl", ".json"}:
        return pd.read_json(path, lines=True, dtype=False)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"date": str})
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    raise ValueError(f"{path}: expected claims as .jsonl, .csv or .parquet (or a folder of extract --out)")


def extract_corpus(paths: Iterable[str | Path]) -> tuple[pd.DataFrame, list[str]]:
    """Claims extracted from articles (anything `extract` reads) and one message per unreadable file."""
    from figures.documents import DocumentError
    from figures.extract import extract_claims
    from figures.ingest import iter_documents

    records, errors = [], []
    for item in iter_documents(paths):
        if isinstance(item, DocumentError):
            errors.append(str(item))
            continue
        records.extend(claim.to_dict() for claim in extract_claims(item))
    return pd.DataFrame.from_records(records, columns=None if records else CLAIM_COLUMNS), errors
