"""Altair timeline builders: plain DataFrame in, Vega-Lite spec (or Altair chart) out. No Streamlit here.

The input is a claims frame as the store returns it (columns ``claim_id``,
``value``, ``low``, ``high``, ``qualifier``, ``metric``, ``item``, ``subject``,
``claimant``, ``side``, ``date``, ``period``, ``quote``, ``stated``, ``outlet``,
``url``, ...). Every builder first reduces the rows to a few thousand points
(:func:`chart_points`), so a chart never carries a large table to the browser.

The chart itself is built with Altair once per display option (:func:`_template`) and
filled with each view's data as plain Vega-Lite (:func:`timeline_spec`): building and
validating a layered Altair chart costs a few hundred ms, filling the template costs
nothing. Altair is imported on the first chart, not when this module is imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from figures.lexicon import read_table
from figures.labels import labels_of

if TYPE_CHECKING:
    import altair as alt

# Charts never carry more points than this; above it, points are thinned by week, then month, ...
MAX_POINTS = 2000
PER_PERIOD = "per period"  # every per-period kind together, in their own chart

UNATTRIBUTED = "(outlet's own voice)"
UNKNOWN_SIDE = "unknown"

# Distinct colours for the entities a chart shows, handed out most frequent first (picked
# ones before all): no two shown entities share one. Entities past the palette are drawn
# together as OTHERS in a grey no entity gets.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#000000",
)
OTHERS = "others"
OTHERS_COLOUR = "#c7c7c7"
# Fixed colours for the sides, so a side chart reads the same everywhere.
SIDE_COLOURS = {row["side"]: row["colour"] for row in read_table("side_colours.csv")}

QUALIFIER_SHAPES = {
    "exact": "circle",
    "approx": "diamond",
    "at_least": "triangle-up",
    "at_most": "triangle-down",
    "range": "square",
    "vague": "cross",
}
# Drawn as hollow markers off the lines, and kept out of the spread: not exact figures.
BOUNDED_QUALIFIERS = ("at_least", "at_most", "range", "vague")
QUALIFIER_WORDS = {
    "exact": "",
    "approx": "about ",
    "at_least": "at least ",
    "at_most": "at most ",
    "range": "",
    "vague": "",
}
PERIOD_LABELS = {None: "running total", **labels_of("period")}
# A per-period line joins figures of consecutive periods only: a gap longer than this
# (in days) starts a new line, so "40 a day" in March is not joined to one in July.
PERIOD_DAYS = {"day": 1, "week": 7, "month": 31}

# What the browser gets per point (the rest of a claim stays on the server).
PLOT_COLUMNS = ["claim_id", "date", "value", "low", "high", "qualifier", "claimant", "as_named", "side", "colour_key",
                "series", "kind", "place", "line_key", "on_line", "stated", "outlet", "url", "quote", "label",
                "n_claims", "mentions", "sources"]
LABEL_COLUMNS = ["date", "value", "label", "colour_key", "series", "kind"]
POINT_COLUMNS = [
    "claim_id", "date", "value", "low", "high", "qualifier", "claimant", "as_named", "side", "colour_key", "colour",
    "series", "kind", "period", "place", "line_key", "on_line", "stated", "outlet", "url", "quote", "label",
    "n_claims", "mentions", "sources",
]


def assign_colours(counts: Mapping[str, float], by: str = "claimant", picked: Iterable[str] = ()) -> dict[str, str]:
    """A distinct colour for each entity that gets one: ``picked`` ones first, then by claims
    (most first; ties by name), one palette colour each; sides in SIDE_COLOURS keep theirs.
    Entities left out (more than the palette holds) are drawn as OTHERS. Depends only on
    the counts, so the same data colours alike on every rerun and in every export."""
    chosen = {str(name) for name in picked}
    ranked = sorted((str(name) for name, n in counts.items() if n > 0 or str(name) in chosen),
                    key=lambda name: (name not in chosen, -counts.get(name, 0), name))
    fixed = {name: SIDE_COLOURS[name] for name in ranked if by == "side" and name in SIDE_COLOURS}
    free = [colour for colour in PALETTE if colour not in fixed.values()]
    rest = [name for name in ranked if name not in fixed]
    return {**fixed, **dict(zip(rest, free))}


def colour_legend(points: pd.DataFrame, names: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """(domain, range) of a chart's colour scale from its points' ``colour_key`` and ``colour``:
    most claims first, OTHERS last; ``names`` limits it to those keys."""
    if points is None or not len(points) or "colour" not in points:
        return [], []
    weight = points["n_claims"] if "n_claims" in points else pd.Series(1, index=points.index)
    totals = pd.DataFrame({"key": points["colour_key"].astype(str), "colour": points["colour"].astype(str),
                           "n": weight.to_numpy()}).groupby(["key", "colour"], sort=False)["n"].sum()
    wanted = None if names is None else {str(n) for n in names}
    entries = sorted(((key == OTHERS, -n, key, colour) for (key, colour), n in totals.items()
                      if wanted is None or key in wanted))
    return [key for _, _, key, _ in entries], [colour for *_, colour in entries]


def speaker_codes(df: pd.DataFrame) -> np.ndarray:
    """Group codes of who states each figure: the claimant, and for the outlet's own voice
    (no claimant) the outlet, since each outlet speaks for itself."""
    claimant = df["claimant"] if "claimant" in df else pd.Series(None, index=df.index, dtype=object)
    codes = key_codes(claimant)
    names = claimant.astype(object).to_numpy()
    own = (codes < 0) | (names == UNATTRIBUTED)
    if not own.any() or "outlet" not in df:
        return codes
    outlet = key_codes(df["outlet"])
    first = int(codes.max(initial=-1)) + 1  # outlets' codes follow the claimants'
    return np.where(own, np.where(outlet >= 0, first + outlet, -1), codes)


def place_column(df: pd.DataFrame) -> str | None:
    """The column naming the place a figure is about: ``place`` when the frame has one, else
    ``location`` (the sentence's own place), else none."""
    return next((col for col in ("place", "location") if col in df), None)


def series_label(metric: str | None, item: str | None, subject: str | None) -> str:
    """'deaths — Russian military', 'equipment: tanks — Russian military'."""
    head = metric or "other"
    if item and isinstance(item, str):
        head = f"{head}: {item}"
    return f"{head} — {subject or 'unspecified'}"


def format_figure(value: float | None, qualifier: str | None = None,
                  low: float | None = None, high: float | None = None) -> str:
    """'about 5,710', 'at least 388', '2,000–4,000'."""
    def num(x: float) -> str:
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"

    if qualifier == "range" and _present(low) and _present(high):
        return f"{num(low)}–{num(high)}"
    if value is None or pd.isna(value):
        return ""
    return f"{QUALIFIER_WORDS.get(qualifier or 'exact', '')}{num(value)}"


def series_labels(df: pd.DataFrame) -> pd.Series:
    """Vectorised :func:`series_label` over a claims frame."""
    def col(name: str) -> pd.Series:
        if name in df:
            return df[name].astype(object).where(df[name].notna(), None)
        return pd.Series(None, index=df.index, dtype=object)

    metric, item, subject = col("metric").fillna("other"), col("item"), col("subject").fillna("unspecified")
    head = metric.astype(str)
    has_item = item.notna() & (item.astype(str) != "")
    head = head.where(~has_item, head + ": " + item.astype(str))
    return head + " — " + subject.astype(str)


def _present(x) -> bool:
    return x is not None and not pd.isna(x)


def text_list(df: pd.DataFrame, col: str, default: str | None = None) -> list[str | None]:
    """A column as plain Python text, ``default`` where it is missing or empty."""
    if col not in df:
        return [default] * len(df)
    values = df[col]
    if isinstance(values.dtype, pd.CategoricalDtype):
        names = [str(c) or default for c in values.cat.categories] + [default]  # code -1: the last
        return [names[code] for code in values.cat.codes.to_numpy()]
    array = values.to_numpy(dtype=object)
    return [default if missing else (v if isinstance(v, str) else str(v)) or default
            for v, missing in zip(array, pd.isna(array))]


def safe_urls(urls: Iterable[object]) -> list[str | None]:
    """Only http(s) links; anything else (javascript:, 'unknown', missing) becomes None."""
    return [u if isinstance(u, str) and u.startswith(("http://", "https://")) else None for u in urls]


def frame_of(columns: dict[str, Any], index: Any = None) -> pd.DataFrame:
    """A DataFrame of numpy columns; text stays in object columns (no conversion of every
    value to pandas' Arrow-backed strings, which costs more than the rest on small frames)."""
    def text(values: Any) -> bool:
        return isinstance(values, list) or getattr(values, "dtype", None) == np.dtype(object)

    return pd.DataFrame({name: pd.Series(values, index=index, dtype=object) if text(values) else values
                         for name, values in columns.items()}, index=index)


def number_array(df: pd.DataFrame, col: str) -> np.ndarray:
    """A column as float64 (NaN where missing or not a number; all NaN when absent)."""
    if col not in df:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)


def key_codes(values: pd.Series) -> np.ndarray:
    """Group codes of a key column; missing and empty values share the code -1."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        empty = [i for i, c in enumerate(values.cat.categories) if str(c) == ""]
        return np.where(np.isin(codes, empty), -1, codes) if empty else codes
    text = values.astype(object).where(values.notna() & (values.astype(str) != ""), None)
    return pd.factorize(text, use_na_sentinel=True)[0].astype(np.int64)


def _combine(keys: list[np.ndarray], size: int) -> np.ndarray:
    """One non-negative integer per distinct combination of key codes, below 2**40."""
    group = np.zeros(size, dtype=np.int64)
    span = 1
    for key in keys:
        width = int(key.max(initial=-1)) + 2
        if span * width >= 2**40:
            group = pd.factorize(group)[0].astype(np.int64)
            span = int(group.max(initial=0)) + 1
        group = group * width + key + 1
        span *= width
    return group


def segment_best(starts: np.ndarray, primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """For sorted arrays cut into segments at ``starts``, the position of each segment's row
    with the highest ``primary``, then the highest ``secondary``; of equal rows the last.
    Three passes of numpy's reduceat: no sort."""
    counts = np.diff(np.r_[starts, len(primary)])
    top = np.maximum.reduceat(primary, starts)
    candidate = primary == np.repeat(top, counts)
    second = np.where(candidate, secondary, secondary.min())
    candidate &= second == np.repeat(np.maximum.reduceat(second, starts), counts)
    return np.maximum.reduceat(np.where(candidate, np.arange(len(primary)), -1), starts)


def select_points(df: pd.DataFrame, colour_by: str = "claimant", max_points: int = MAX_POINTS) -> pd.Series:
    """Which claims a chart draws: ``n_claims`` (claims folded into each point) indexed by
    the labels of the kept rows of ``df`` (whose index must be unique).

    One point per series, colour group, place, kind, way of drawing (on a line, or a hollow
    marker for a bounded or vague figure) and day: the highest figure (ties: the latest).
    When that is more than ``max_points``, days widen to weeks, months, quarters, then
    years. The latest claim of each colour group and kind (ties: the highest) is always
    drawn, taken out of its bucket if it was not that bucket's highest, so the labelled
    latest figures are exact whatever the thinning. One sort and a few passes over numpy
    arrays, so a hundred thousand rows cost milliseconds.
    """
    if df is None or len(df) == 0:
        return pd.Series(dtype="int64", name="n_claims")
    date = pd.to_datetime(df["date"], errors="coerce").to_numpy(dtype="datetime64[ns]")
    value = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=np.float64)
    valid = ~np.isnat(date) & ~np.isnan(value)
    if not valid.any():
        return pd.Series(dtype="int64", name="n_claims")
    keys = [key_codes(df[col])[valid] for col in ("metric", "item", "subject", "period") if col in df]
    keys.append(speaker_codes(df)[valid])
    if colour_by == "side" and "side" in df:
        keys.append(key_codes(df["side"])[valid])
    place = place_column(df)
    if place:
        keys.append(key_codes(df[place])[valid])
    if "qualifier" in df:
        keys.append(df["qualifier"].isin(BOUNDED_QUALIFIERS).to_numpy()[valid].astype(np.int64))
    labels = df.index.to_numpy()[valid]
    group = _combine(keys, len(labels))
    days = date[valid].astype("datetime64[D]").astype(np.int64)
    # Group, then day (rows of a day in their order): each group's rows are contiguous and
    # in time order, and so are its buckets at every width (weeks and months follow days).
    order = np.argsort(group * (int(days.max() - days.min()) + 1) + (days - days.min()), kind="stable")
    group, days, value = group[order], days[order], value[valid][order]
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    group_start = np.r_[True, group[1:] != group[:-1]]
    latest = segment_best(np.flatnonzero(group_start), days, value)
    widths = {"D": days, "W": (days + 3) // 7, "M": months, "Q": months // 3, "Y": months // 12}
    for width, bucket in widths.items():
        bucket_start = group_start | np.r_[True, bucket[1:] != bucket[:-1]]
        if int(bucket_start.sum()) + len(latest) <= max_points or width == "Y":
            break
    starts = np.flatnonzero(bucket_start)
    n_claims = np.diff(np.r_[starts, len(order)])
    best = segment_best(starts, value, days)
    extra = latest[~np.isin(latest, best)]
    if len(extra):
        n_claims[np.searchsorted(starts, extra, side="right") - 1] -= 1
    kept = order[np.concatenate([best, extra])]
    n_claims = np.concatenate([n_claims, np.ones(len(extra), dtype=n_claims.dtype)])
    ordered = np.argsort(kept, kind="stable")
    return pd.Series(n_claims[ordered].astype(np.int64), index=labels[kept[ordered]], name="n_claims")


def points_frame(rows: pd.DataFrame, n_claims: pd.Series | None = None, colour_by: str = "claimant",
                 picked: Iterable[str] = ()) -> pd.DataFrame:
    """Chart points (POINT_COLUMNS) from the rows :func:`select_points` kept, with their
    ``n_claims`` (1 where not given); ``label`` is the figure as a short text, ``quote``
    shortened for tooltips. ``colour_key`` is the entity (claimant or side) when it got a
    colour (:func:`assign_colours`, ``picked`` ones first), else OTHERS; ``line_key`` is
    what a line joins: one claimant entity, place and kind (the series is one metric and
    subject; none for the outlet's own voice);
    ``on_line`` is false for bounded and vague figures (hollow markers, no line). Built
    from plain lists: a few thousand rows, where pandas' per-call overhead would cost
    more than the work."""
    if rows is None or len(rows) == 0:
        return pd.DataFrame(columns=POINT_COLUMNS)
    date = pd.to_datetime(rows["date"], errors="coerce").to_numpy(dtype="datetime64[ns]")
    value = number_array(rows, "value")
    valid = ~np.isnat(date) & ~np.isnan(value)
    if not valid.all():
        rows, date, value = rows[valid], date[valid], value[valid]
    low, high = number_array(rows, "low"), number_array(rows, "high")
    qualifier = text_list(rows, "qualifier", "exact")
    claimant = text_list(rows, "claimant", UNATTRIBUTED)
    as_named = [named or who for named, who in zip(text_list(rows, "as_named"), claimant)]
    side = text_list(rows, "side", UNKNOWN_SIDE)
    entity = side if colour_by == "side" else claimant
    series = text_list(rows, "series") if "series" in rows else series_labels(rows).tolist()
    period = text_list(rows, "period")
    kind = [PERIOD_LABELS.get(p, f"per {p}") for p in period]
    counts = (np.ones(len(rows), dtype=np.int64) if n_claims is None
              else n_claims.reindex(rows.index).fillna(1).to_numpy(dtype=np.int64))
    label = [format_figure(v, q, lo, hi) for v, q, lo, hi in zip(value, qualifier, low, high)]
    stated = [text or figure for text, figure in zip(text_list(rows, "stated"), label)]
    quote = [_short(q) for q in text_list(rows, "quote")]
    claim_id = rows["claim_id"].to_numpy() if "claim_id" in rows else np.arange(len(rows))
    outlets = text_list(rows, "outlet")
    place_col = place_column(rows)
    place = text_list(rows, place_col) if place_col else [None] * len(rows)
    # a line per claimant entity (whatever the colour), place and kind; none through the
    # outlet's own voice: an outlet reports many unrelated counts, not one running figure
    line_key = period_runs([None if who == UNATTRIBUTED else f"{who} · {where or '-'} · {how}"
                            for who, where, how in zip(claimant, place, kind)],
                           period, date.astype("datetime64[D]").astype(np.int64))
    on_line = np.array([q not in BOUNDED_QUALIFIERS for q in qualifier], dtype=bool)
    totals: dict[str, int] = {}
    for who, n in zip(entity, counts.tolist()):
        totals[who] = totals.get(who, 0) + n
    colours = assign_colours(totals, colour_by, picked)
    colour_key = [who if who in colours else OTHERS for who in entity]
    colour = [colours.get(who, OTHERS_COLOUR) for who in entity]
    stamp = date.astype(np.int64)
    order = sorted(range(len(rows)), key=lambda i: (series[i], entity[i], kind[i], stamp[i], claim_id[i]))
    columns = {
        "claim_id": claim_id, "date": date, "value": value, "low": low, "high": high, "qualifier": qualifier,
        "claimant": claimant, "as_named": as_named, "side": side, "colour_key": colour_key, "colour": colour,
        "series": series, "kind": kind, "period": period, "place": place, "line_key": line_key, "on_line": on_line,
        "stated": stated, "outlet": outlets,
        "url": safe_urls(text_list(rows, "url")),
        "quote": quote, "label": label, "n_claims": counts,
        "mentions": (rows["mentions"].to_numpy(dtype=np.int64) if "mentions" in rows
                     else np.ones(len(rows), dtype=np.int64)),
        "sources": [named or outlet for named, outlet in zip(text_list(rows, "sources"), text_list(rows, "outlet"))],
    }
    return frame_of({name: np.asarray(values, dtype=object if isinstance(values, list) else None)[order]
                     for name, values in columns.items()})


def period_runs(line_key: list[str | None], period: list[str | None], days: np.ndarray) -> list[str | None]:
    """Line keys of per-period figures cut into runs of consecutive periods (PERIOD_DAYS): a
    figure more than one period after the previous one of its line starts a new line.
    Running totals (no period) keep their key."""
    out = list(line_key)
    last: dict[str, tuple[int, int]] = {}  # key -> (day of its latest figure, run number)
    for i in sorted(range(len(out)), key=lambda i: int(days[i])):
        key, unit = out[i], period[i]
        if key is None or unit is None:
            continue
        day, run = last.get(key, (int(days[i]), 0))
        run += int(days[i]) - day > PERIOD_DAYS.get(unit, 31)
        last[key] = (int(days[i]), run)
        out[i] = f"{key} · {run}"
    return out


def chart_points(df: pd.DataFrame, colour_by: str = "claimant", max_points: int = MAX_POINTS,
                 picked: Iterable[str] = ()) -> pd.DataFrame:
    """Reduce claims to at most ``max_points`` chart points (:func:`select_points`), then
    clean and label only those (:func:`points_frame`)."""
    if df is None or len(df) == 0:
        return pd.DataFrame(columns=POINT_COLUMNS)
    n_claims = select_points(df, colour_by, max_points)
    return points_frame(df.loc[n_claims.index], n_claims, colour_by, picked)


def _short(text, limit: int = 280) -> str:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _latest_rows(date: np.ndarray, value: np.ndarray, keys: list[tuple]) -> np.ndarray:
    """Positions of the latest row per key (ties: the highest value), in position order."""
    last: dict[tuple, int] = {}
    for i in np.lexsort((value, date)):
        last[keys[i]] = int(i)
    return np.array(sorted(last.values()), dtype=np.int64)


def _plot_data(points: pd.DataFrame, kind: str, log_scale: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The points layer and the labels (latest figure on a line per colour, OTHERS not labelled) as plot-ready frames: ISO
    date text, links only for http(s) urls, nothing the browser does not need. Built from
    numpy columns: a frame per chart, not a pandas operation per column."""
    columns = {c: points[c].to_numpy() for c in PLOT_COLUMNS if c in points.columns}
    rows = np.arange(len(points))
    if "kind" in columns:
        kinds = columns["kind"].astype(object)
        rows = rows[kinds != "running total"] if kind == PER_PERIOD else rows[kinds == kind]
    value = columns["value"].astype(np.float64)
    if log_scale:
        rows = rows[value[rows] > 0]
        if "low" in columns:
            low = columns["low"].astype(np.float64)
            columns["low"] = np.where(low > 0, low, np.nan)
    date = pd.to_datetime(columns["date"]).to_numpy(dtype="datetime64[D]")
    columns["date"] = np.datetime_as_string(date, unit="D").astype(object)
    if "url" in columns:
        columns["url"] = np.array(safe_urls(columns["url"]), dtype=object)
    data = frame_of({name: values[rows] for name, values in columns.items()})
    labelled = rows
    if "on_line" in columns:
        labelled = labelled[columns["on_line"][labelled].astype(bool)]
    if "colour_key" in columns:
        labelled = labelled[columns["colour_key"][labelled] != OTHERS]
    keys = (list(zip(*(columns[c][labelled] for c in ("series", "colour_key", "kind") if c in columns)))
            or [()] * len(labelled))
    latest = (labelled[_latest_rows(date[labelled].astype(np.int64), value[labelled], keys)] if len(labelled)
              else labelled)
    labels = frame_of({name: columns[name][latest] for name in LABEL_COLUMNS if name in columns})
    return data, labels


def y_domain(rows: pd.DataFrame, log_scale: bool) -> list[float] | None:
    """The figure axis from every drawn figure but the vague ones ('thousands', 'millions'
    stand for no number: they never stretch the axis; one beyond it sits at its edge).
    None when only vague figures are drawn."""
    if rows is None or not len(rows) or "qualifier" not in rows:
        return None
    exact = rows[rows["qualifier"].astype(str).to_numpy() != "vague"]
    found = np.concatenate([number_array(exact, col) for col in ("value", "low", "high")])
    found = found[~np.isnan(found) & ((found > 0) if log_scale else True)]
    if not len(found):
        return None
    low, high = float(found.min()), float(found.max())
    if low == high:
        low, high = (low / 2, high * 2) if log_scale else (low - max(1.0, abs(low) * 0.1), high + max(1.0, abs(high) * 0.1))
    return [low, high]


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows (None for missing values)."""
    if frame.empty:
        return []
    return json.loads(frame.to_json(orient="records", double_precision=15, force_ascii=False))


def qualifier_label_expr(field: str) -> str:
    """A Vega expression giving the label (labels.csv) of the qualifier code in ``field``."""
    expr = field
    for code, text in reversed(list(labels_of("qualifier").items())):
        expr = f"{field} === {json.dumps(code)} ? {json.dumps(text)} : {expr}"
    return expr


@lru_cache(maxsize=32)
def _template(colour_by: str, log_scale: bool, running: bool, height: int) -> str:
    """The chart without data, built with Altair once per display option (building and
    validating an Altair chart costs a few hundred ms; filling a template costs none; the
    tests validate every display option against the Vega-Lite schema).
    Altair is imported here, on the first chart, not when the module is imported."""
    import altair as alt

    colour_title = "Side" if colour_by == "side" else "Claimant"
    placeholder = alt.Scale(domain=["-"], range=["#000000"])  # timeline_spec fills in the colours
    colour = alt.Color("colour_key:N", title=colour_title, scale=placeholder,
                       legend=alt.Legend(orient="right", labelLimit=320, symbolLimit=40))
    legend = alt.selection_point(name="legend", fields=["colour_key"], bind="legend")
    pick = alt.selection_point(name="pick", fields=["claim_id"], on="click", empty=False)
    y_scale = alt.Scale(type="log") if log_scale else alt.Scale(zero=False)
    x = alt.X("date:T", title="Date of claim")
    y = alt.Y("value:Q", title="Figure", scale=y_scale, axis=alt.Axis(format="~s"))
    tooltip = [
        alt.Tooltip("stated:N", title="As stated"),
        alt.Tooltip("label:N", title="Figure"),
        alt.Tooltip("how:N", title="Qualifier"),
        alt.Tooltip("claimant:N", title="Claimant"),
        alt.Tooltip("as_named:N", title="As named"),
        alt.Tooltip("side:N", title="Side"),
        alt.Tooltip("place:N", title="Place"),
        alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
        alt.Tooltip("outlet:N", title="Outlet"),
        alt.Tooltip("quote:N", title="Quote"),
        alt.Tooltip("kind:N", title="Kind"),
        alt.Tooltip("n_claims:Q", title="Claims folded in"),
        alt.Tooltip("mentions:Q", title="Mentions (articles)"),
        alt.Tooltip("sources:N", title="Reported by"),
    ]
    opacity = alt.condition(legend, alt.value(1.0), alt.value(0.12))
    base = alt.Chart(alt.NamedData(name="points")).encode(x=x, y=y, color=colour, opacity=opacity)
    if running:
        line = base.mark_line(interpolate="step-after", strokeWidth=2)
    else:
        line = base.mark_line(strokeWidth=1, strokeDash=[4, 3])
    # one line per entity, place and kind, through exact and approximate figures only
    line = line.transform_filter("datum.on_line && isValid(datum.line_key)").encode(detail="line_key:N")
    bars = (
        base.transform_filter("isValid(datum.low) && isValid(datum.high)")
        .mark_rule(strokeWidth=2)
        .encode(y=alt.Y("low:Q", scale=y_scale), y2="high:Q")
    )
    # bounded and vague figures: hollow markers (white inside), never on a line
    hollow = alt.condition("datum.on_line", alt.Fill("colour_key:N", scale=placeholder, legend=None),
                           alt.value("white"))
    dots = base.transform_calculate(how=qualifier_label_expr("datum.qualifier")).mark_point(filled=False, fillOpacity=1, size=70, strokeWidth=1.5).encode(
        fill=hollow,
        shape=alt.Shape("qualifier:N", title="Qualifier",
                        scale=alt.Scale(domain=list(QUALIFIER_SHAPES), range=list(QUALIFIER_SHAPES.values())),
                        legend=alt.Legend(orient="right", columns=2, labelExpr=qualifier_label_expr("datum.label"))),
        tooltip=tooltip,
        size=alt.condition(pick, alt.value(220), alt.value(70)),
    ).add_params(legend, pick)
    labels = (
        alt.Chart(alt.NamedData(name="latest"))
        .mark_text(align="left", dx=7, dy=-7, fontSize=11)
        .encode(x=x, y=y, text="label:N", color=colour, opacity=opacity)
    )
    # fit-x: the width follows the page, the height grows with the legend (Streamlit's
    # default, fit, clips a legend taller than the chart)
    chart = alt.layer(line, bars, dots, labels).properties(
        width="container", height=height, title="", autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )
    return json.dumps(chart.to_dict(validate=False))  # tests validate every option against the schema


def timeline_spec(
    points: pd.DataFrame,
    *,
    colour_by: str = "claimant",
    log_scale: bool = False,
    title: str | None = None,
    kind: str = "running total",
    colour_names: Iterable[str] | None = None,
    height: int = 360,
    frames: bool = False,
) -> dict:
    """The Vega-Lite spec (a dict) of one timeline; see :func:`timeline_chart`.

    Its two datasets are lists of records (JSON-ready), or with ``frames=True`` DataFrames:
    Streamlit ships those as Arrow, without building a dict per point.
    """
    spec = json.loads(_template(colour_by, log_scale, kind == "running total", height))
    rows, latest = _plot_data(points, kind, log_scale)
    names = (colour_names if colour_names is not None
             else {str(n) for n in rows.get("colour_key", ())})
    domain, colours = colour_legend(points, names)
    scale = {"domain": domain, "range": colours}
    figures = y_domain(rows, log_scale)
    for layer in spec["layer"]:
        encoding = layer.get("encoding", {})
        for colour in (encoding.get("color"), encoding.get("fill", {}).get("condition")):
            if colour and "scale" in colour:
                colour["scale"] = dict(scale)
        axis = encoding.get("y")
        if figures and axis and "scale" in axis:
            axis["scale"] = {**axis["scale"], "domain": figures, "clamp": True, "nice": True}
    spec["datasets"] = {"points": rows, "latest": latest} if frames else {"points": _records(rows),
                                                                         "latest": _records(latest)}
    spec["title"] = title or ""
    spec["height"] = max(height, legend_height(len(domain)))
    return spec


def legend_height(entries: int) -> int:
    """The chart height that holds its legends on the right: the page clips what is taller
    (Streamlit's chart box is as tall as the chart, whatever the autosize), so a chart
    with many entities grows instead. The colour legend's entries, the qualifier legend's
    three rows (two columns) and the two titles, at the page's line height."""
    return LEGEND_ROW * (entries + 3) + 2 * LEGEND_ROW


LEGEND_ROW = 30  # px per legend row in the app (its theme's font), measured on the page


def timeline_chart(
    points: pd.DataFrame,
    *,
    colour_by: str = "claimant",
    log_scale: bool = False,
    title: str | None = None,
    kind: str = "running total",
    colour_names: Iterable[str] | None = None,
    width: int | str = "container",
    height: int = 360,
) -> alt.LayerChart:
    """One timeline: x = claim date, y = figure, colour = claimant (or side).

    Running totals are step lines; per-period figures (``kind`` other than
    "running total") are drawn as points joined by thin dashed lines, never on the
    same line as totals — call this once per kind. A line joins the exact and
    approximate figures of one entity and place (``line_key``); bounded and vague
    figures are hollow markers off the lines, vague ones never stretch the axis
    (:func:`y_domain`). Ranges get an error bar from low to high, the marker shape
    tells the qualifier, the latest figure of each line is labelled, colours are
    distinct per entity (:func:`assign_colours`, the rest as OTHERS), a click on a
    point selects it (selection parameter ``pick``; no ``href``: Streamlit's chart
    would open it in place of the dashboard, so the app's selected-claim panel links
    the sources, in a new tab), and a click on the legend
    highlights claimants (parameter ``legend``).
    """
    spec = timeline_spec(points, colour_by=colour_by, log_scale=log_scale, title=title, kind=kind,
                         colour_names=colour_names, height=height)
    import altair as alt

    chart = alt.LayerChart.from_dict(spec, validate=False)
    if width != "container":
        chart = chart.properties(width=width)
    return chart


def chart_image(chart: alt.TopLevelMixin, fmt: str = "png", scale: float = 2.0) -> bytes:
    """The chart as PNG or SVG bytes, rendered with vl-convert (no browser)."""
    import vl_convert as vlc

    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    spec = dict(spec)
    if isinstance(spec.get("datasets"), dict):
        spec["datasets"] = {name: _records(from_arrow_bytes(data) if isinstance(data, bytes) else data)
                            if isinstance(data, (pd.DataFrame, bytes)) else data
                            for name, data in spec["datasets"].items()}
    if spec.get("width") == "container":
        spec["width"] = 900
    spec_json = json.dumps(spec)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec_json).encode("utf-8")
    if fmt == "png":
        return vlc.vegalite_to_png(spec_json, scale=scale)
    raise ValueError(f"unknown image format {fmt!r}")


def arrow_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as Arrow IPC stream bytes: the form Streamlit ships chart datasets in."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_arrow_bytes(data: bytes) -> pd.DataFrame:
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all().to_pandas()


def with_arrow_datasets(spec: dict) -> dict:
    """The spec with its DataFrame datasets as Arrow bytes, which Streamlit passes on as they
    are: converted once when a cached view model is built, not on every rerun of every
    session (that conversion was a third of a rerun at 100,000 claims)."""
    datasets = spec.get("datasets") or {}
    return {**spec, "datasets": {name: arrow_bytes(data) if isinstance(data, pd.DataFrame) else data
                                 for name, data in datasets.items()}}
