"""The dashboard's view model: the light claims frame prepared once per data version, chart
series, mention folding, latest figures and the spread, the tables a page shows, and the
CSV downloads (all filtered claims, or one chart's). Free of Streamlit.

The dashboard keeps one light frame per data version in memory (:func:`load_frame`:
ids, figures, dates and the facet columns as categoricals; no quotes, titles or urls).
Filters, counts, chart thinning and the competing-figures tables run on it; quotes,
titles, urls and status are read from the store only for the rows a page shows
(:func:`view_model`), and a search in quotes runs in SQL (Store.claim_ids_matching).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from figures import charts, labels, lexicon
from figures.charts import UNATTRIBUTED, format_figure, series_label, UNKNOWN_SIDE
from figures.filters import ViewFilters, _ids_in, apply_filters, filter_mask, filter_summary

UNKNOWN_PLACE = "unknown place"
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


def rows_of_series(frame: pd.DataFrame, series: str, mask: np.ndarray | None = None) -> pd.DataFrame:
    """The rows of one chart series; with ``mask``, only those it keeps (one copy of the few
    rows wanted, not of the whole filtered frame first)."""
    keep = (frame["series"] == series).to_numpy()
    return frame.iloc[np.flatnonzero(keep if mask is None else keep & mask)]


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
    url = [u or "" for u in charts.safe_urls(charts.text_list(latest, "url"))]
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


def newest_rows(frame: pd.DataFrame, limit: int = TABLE_LIMIT, mask: np.ndarray | None = None) -> pd.DataFrame:
    """The ``limit`` newest claims (by date, then id; undated last), newest first; with
    ``mask``, of the rows it keeps (no copy of the filtered frame). A partial sort
    (argpartition), so a million rows cost a few milliseconds, not a full sort."""
    if len(frame) == 0:
        return frame
    days = frame["date"].to_numpy(dtype="datetime64[D]")
    known = ~np.isnat(days)
    day = np.where(known, days.astype(np.int64) + 2**22, 0)  # 0 sorts undated claims last
    key = (day << 40) + frame["claim_id"].to_numpy(dtype=np.int64)
    if mask is not None:
        key = np.where(mask, key, -1)  # below every kept claim, undated ones included
        limit = min(limit, int(np.count_nonzero(mask)))
        if limit == 0:
            return frame.iloc[:0]
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
            out[col] = np.array([u or "" for u in charts.safe_urls(charts.text_list(newest, "url"))], dtype=object)
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

    Filtering, counting and thinning run on the light frame (a mask; only each charted
    series' rows and the table's newest rows are copied); the details of the rows
    that are drawn (table rows, chart points, latest figures) come in one store read.
    Conditional figures stay out of the charts and competing-figures tables unless
    `conditional`; the claims table and the CSV keep them.
    """
    mask = filter_mask(frame, filters, matching)
    charted = mask if conditional else mask & ~frame["conditional"].to_numpy(dtype=bool)
    counts = series_counts(frame[["series"]][charted])
    picked = []
    for name in _pick_series(counts, series, 3):
        series_rows = rows_of_series(frame, name, charted)
        part = fold_mentions(series_rows)
        n_claims = charts.select_points(part, colour_by)
        picked.append((name, part, part.loc[n_claims.index], n_claims, latest_totals(part), len(series_rows)))
    newest = newest_rows(frame, TABLE_LIMIT, mask)
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
    return {"count": int(np.count_nonzero(mask)), "series_options": [str(s) for s in counts.index], "panels": panels,
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
