"""Altair timeline builders: plain DataFrame in, Chart out. No Streamlit here.

The input is a claims frame as the store returns it (columns ``claim_id``,
``value``, ``low``, ``high``, ``qualifier``, ``metric``, ``item``, ``subject``,
``claimant``, ``side``, ``date``, ``period``, ``quote``, ``stated``, ``outlet``,
``url``, ...). Every builder first reduces the rows to a few thousand points
(:func:`chart_points`), so a chart never carries a large table to the browser.
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import lru_cache
from typing import Iterable

import altair as alt
import pandas as pd

# Charts never carry more points than this; above it, points are thinned by week, then month.
MAX_POINTS = 2000
PER_PERIOD = "per period"  # every per-period kind together, in their own chart

UNATTRIBUTED = "(outlet's own voice)"
UNKNOWN_SIDE = "unknown"

# 20 well-separated colours (Tableau 20 without the two greys), picked by a hash of the
# name: the same claimant gets the same colour in every chart and under every filter.
PALETTE = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728",
    "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2",
    "#bcbd22", "#dbdb8d", "#17becf", "#9edae5", "#393b79", "#637939",
)
# Fixed colours for the sides, so a side chart reads the same everywhere.
SIDE_COLOURS = {
    "Ukraine": "#1f77b4",
    "Russia": "#d62728",
    "United States": "#2ca02c",
    "United Kingdom": "#9467bd",
    "United Nations": "#17becf",
    "NATO": "#8c564b",
    "independent": "#ff7f0e",
    "media": "#7f7f7f",
    "unknown": "#bcbd22",
}

QUALIFIER_SHAPES = {
    "exact": "circle",
    "approx": "diamond",
    "at_least": "triangle-up",
    "at_most": "triangle-down",
    "range": "square",
    "vague": "cross",
}
QUALIFIER_WORDS = {
    "exact": "",
    "approx": "about ",
    "at_least": "at least ",
    "at_most": "at most ",
    "range": "",
    "vague": "",
}
PERIOD_LABELS = {None: "running total", "day": "per day", "week": "per week", "month": "per month"}

# What the browser gets per point (the rest of a claim stays on the server).
PLOT_COLUMNS = ["claim_id", "date", "value", "low", "high", "qualifier", "claimant", "side", "colour_key",
                "series", "kind", "stated", "outlet", "url", "quote", "label", "n_claims"]
POINT_COLUMNS = [
    "claim_id", "date", "value", "low", "high", "qualifier", "claimant", "side", "colour_key",
    "series", "kind", "period", "stated", "outlet", "url", "quote", "label", "n_claims",
]


def colour_for(name: str, by: str = "claimant") -> str:
    """A deterministic colour for a claimant (hash) or a side (fixed table, else hash)."""
    if by == "side" and name in SIDE_COLOURS:
        return SIDE_COLOURS[name]
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]


def colour_scale(names: Iterable[str], by: str = "claimant") -> alt.Scale:
    domain = sorted({str(n) for n in names})
    return alt.Scale(domain=domain, range=[colour_for(n, by) for n in domain])


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


def _clean(df: pd.DataFrame, colour_by: str) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    out["claim_id"] = df["claim_id"] if "claim_id" in df else range(len(df))
    out["date"] = pd.to_datetime(df["date"], errors="coerce")
    out["value"] = pd.to_numeric(df["value"], errors="coerce")
    out["low"] = pd.to_numeric(df["low"], errors="coerce") if "low" in df else float("nan")
    out["high"] = pd.to_numeric(df["high"], errors="coerce") if "high" in df else float("nan")
    out["qualifier"] = (df["qualifier"] if "qualifier" in df else "exact")
    out["qualifier"] = out["qualifier"].fillna("exact").astype(object)
    claimant = df["claimant"].astype(object) if "claimant" in df else pd.Series(None, index=df.index, dtype=object)
    out["claimant"] = claimant.where(claimant.notna() & (claimant.astype(str) != ""), UNATTRIBUTED)
    side = df["side"].astype(object) if "side" in df else pd.Series(None, index=df.index, dtype=object)
    out["side"] = side.where(side.notna() & (side.astype(str) != ""), UNKNOWN_SIDE)
    out["colour_key"] = out["side"] if colour_by == "side" else out["claimant"]
    out["series"] = series_labels(df)
    period = df["period"].astype(object) if "period" in df else pd.Series(None, index=df.index, dtype=object)
    period = period.where(period.notna() & (period.astype(str) != ""), None)
    out["period"] = period
    out["kind"] = period.map(lambda p: PERIOD_LABELS.get(p, f"per {p}")) if len(period) else period
    for col in ("stated", "outlet", "url", "quote"):
        out[col] = df[col].astype(object) if col in df else None
    return out.dropna(subset=["date", "value"])


def chart_points(df: pd.DataFrame, colour_by: str = "claimant", max_points: int = MAX_POINTS) -> pd.DataFrame:
    """Reduce claims to chart points: one per series, colour group, kind and day (the highest).

    When that is still more than ``max_points``, the days are widened to weeks, then
    to months, quarters and years, keeping the highest figure per bucket. ``n_claims``
    counts the claims folded into each point; ``label`` is the figure as a short text.
    The reduction runs on the raw key columns first, so the costly cleaning and
    labelling only touch the few thousand rows that are kept.
    """
    if df is None or len(df) == 0:
        return pd.DataFrame(columns=POINT_COLUMNS)
    colour_col = "side" if colour_by == "side" else "claimant"
    slim = pd.DataFrame({
        "_date": pd.to_datetime(df["date"], errors="coerce"),
        "_value": pd.to_numeric(df["value"], errors="coerce"),
    }, index=df.index)
    keys = []
    for col in ("metric", "item", "subject", colour_col, "period"):
        if col in df:
            slim["_k_" + col] = df[col].fillna("")
            keys.append("_k_" + col)
    slim = slim.dropna(subset=["_date", "_value"])
    if slim.empty:
        return pd.DataFrame(columns=POINT_COLUMNS)
    slim = slim.sort_values(["_value", "_date"], ascending=[False, False])
    for freq in ("D", "W", "M", "Q", "Y"):
        if freq == "D":
            bucket = slim["_date"].dt.normalize()
        else:
            bucket = slim["_date"].dt.to_period(freq).dt.start_time
        grouped = slim.assign(_bucket=bucket)
        top = grouped.drop_duplicates(keys + ["_bucket"], keep="first")
        if len(top) <= max_points or freq == "Y":
            break
    if len(top) < len(grouped):
        counts = grouped.groupby(keys + ["_bucket"], sort=False, dropna=False).size().rename("n_claims")
        n_claims = top.join(counts, on=keys + ["_bucket"])["n_claims"]
    else:
        n_claims = pd.Series(1, index=top.index)
    out = _clean(df.loc[top.index], colour_by)
    out["n_claims"] = n_claims.reindex(out.index).fillna(1).astype(int)
    out["label"] = [format_figure(v, q, lo, hi) for v, q, lo, hi in
                    zip(out["value"], out["qualifier"], out["low"], out["high"])]
    out["stated"] = out["stated"].where(out["stated"].notna() & (out["stated"].astype(str) != ""), out["label"])
    out["quote"] = [_short(q) for q in out["quote"]]
    out = out.sort_values(["series", "colour_key", "kind", "date"]).reset_index(drop=True)
    return out[POINT_COLUMNS]


def _short(text, limit: int = 280) -> str:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def latest_points(points: pd.DataFrame) -> pd.DataFrame:
    """The latest point of each colour group and kind (ties: the highest value)."""
    if points.empty:
        return points
    ordered = points.sort_values(["date", "value"])
    return ordered.drop_duplicates(["series", "colour_key", "kind"], keep="last").reset_index(drop=True)


def _plot_data(points: pd.DataFrame, kind: str, log_scale: bool) -> tuple[list[dict], list[dict]]:
    """Records for the points layer and for the labels (latest per colour group)."""
    if "kind" not in points:
        data = points
    elif kind == PER_PERIOD:
        data = points[points["kind"] != "running total"]
    else:
        data = points[points["kind"] == kind]
    data = data[[c for c in PLOT_COLUMNS if c in data.columns]]
    if log_scale:
        data = data[data["value"] > 0]
        data = data.assign(low=data["low"].where(data["low"] > 0))
    latest = latest_points(data) if len(data) else data
    latest = latest[[c for c in ("date", "value", "label", "colour_key", "series", "kind") if c in latest.columns]]

    def records(frame: pd.DataFrame) -> list[dict]:
        if frame.empty:
            return []
        out = frame.assign(date=pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d"))
        if "url" in out:
            url = out["url"].astype(object)
            out["url"] = url.where(url.astype(str).str.match(r"^https?://", na=False), None)
        out = out.astype(object).where(out.notna(), None)
        return out.to_dict(orient="records")

    return records(data), records(latest)


@lru_cache(maxsize=32)
def _template(colour_by: str, log_scale: bool, running: bool, height: int) -> str:
    """The chart without data, built with Altair once per display option (building and
    validating an Altair chart costs a few hundred ms; filling a template costs none)."""
    colour_title = "Side" if colour_by == "side" else "Claimant"
    colour = alt.Color("colour_key:N", title=colour_title, scale=alt.Scale(domain=["-"], range=["#000000"]),
                       legend=alt.Legend(orient="right", labelLimit=240, symbolLimit=40))
    legend = alt.selection_point(name="legend", fields=["colour_key"], bind="legend")
    pick = alt.selection_point(name="pick", fields=["claim_id"], on="click", empty=False)
    y_scale = alt.Scale(type="log") if log_scale else alt.Scale(zero=False)
    x = alt.X("date:T", title="Date of claim")
    y = alt.Y("value:Q", title="Figure", scale=y_scale, axis=alt.Axis(format="~s"))
    tooltip = [
        alt.Tooltip("stated:N", title="As stated"),
        alt.Tooltip("label:N", title="Figure"),
        alt.Tooltip("qualifier:N", title="Qualifier"),
        alt.Tooltip("claimant:N", title="Claimant"),
        alt.Tooltip("side:N", title="Side"),
        alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
        alt.Tooltip("outlet:N", title="Outlet"),
        alt.Tooltip("quote:N", title="Quote"),
        alt.Tooltip("kind:N", title="Kind"),
        alt.Tooltip("n_claims:Q", title="Claims folded in"),
    ]
    opacity = alt.condition(legend, alt.value(1.0), alt.value(0.12))
    base = alt.Chart(alt.NamedData(name="points")).encode(x=x, y=y, color=colour, opacity=opacity)
    if running:
        line = base.mark_line(interpolate="step-after", strokeWidth=2)
    else:
        line = base.mark_line(strokeWidth=1, strokeDash=[4, 3])
    line = line.encode(detail=["colour_key:N", "kind:N"])
    bars = (
        base.transform_filter("isValid(datum.low) && isValid(datum.high)")
        .mark_rule(strokeWidth=2)
        .encode(y=alt.Y("low:Q", scale=y_scale), y2="high:Q")
    )
    dots = base.mark_point(filled=True, size=70).encode(
        shape=alt.Shape("qualifier:N", title="Qualifier",
                        scale=alt.Scale(domain=list(QUALIFIER_SHAPES), range=list(QUALIFIER_SHAPES.values())),
                        legend=alt.Legend(orient="right")),
        href="url:N",
        tooltip=tooltip,
        size=alt.condition(pick, alt.value(220), alt.value(70)),
    ).add_params(legend, pick)
    labels = (
        alt.Chart(alt.NamedData(name="latest"))
        .mark_text(align="left", dx=7, dy=-7, fontSize=11)
        .encode(x=x, y=y, text="label:N", color=colour, opacity=opacity)
    )
    chart = alt.layer(line, bars, dots, labels).properties(
        width="container", height=height, title="",
        # vega-embed reads this: a click on a point opens its source in a new tab,
        # never in place of the dashboard.
        usermeta={"embedOptions": {"loader": {"target": "_blank"}}},
    )
    return json.dumps(chart.to_dict())


def timeline_spec(
    points: pd.DataFrame,
    *,
    colour_by: str = "claimant",
    log_scale: bool = False,
    title: str | None = None,
    kind: str = "running total",
    colour_names: Iterable[str] | None = None,
    height: int = 360,
) -> dict:
    """The Vega-Lite spec (a dict) of one timeline; see :func:`timeline_chart`."""
    spec = json.loads(_template(colour_by, log_scale, kind == "running total", height))
    rows, latest = _plot_data(points, kind, log_scale)
    names = sorted({str(n) for n in colour_names} if colour_names is not None
                   else {str(r["colour_key"]) for r in rows})
    scale = {"domain": names, "range": [colour_for(n, colour_by) for n in names]}
    for layer in spec["layer"]:
        colour = layer.get("encoding", {}).get("color")
        if colour and "scale" in colour:
            colour["scale"] = dict(scale)
    spec["datasets"] = {"points": rows, "latest": latest}
    spec["title"] = title or ""
    return spec


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
    same line as totals — call this once per kind. Ranges get an error bar from low
    to high, the marker shape tells the qualifier, the latest figure of each
    claimant is labelled, a click on a point opens its source (``href``, new tab)
    and selects it (selection parameter ``pick``), and a click on the legend
    highlights claimants (parameter ``legend``).
    """
    spec = timeline_spec(points, colour_by=colour_by, log_scale=log_scale, title=title, kind=kind,
                         colour_names=colour_names, height=height)
    chart = alt.LayerChart.from_dict(spec, validate=False)
    if width != "container":
        chart = chart.properties(width=width)
    return chart


def chart_image(chart: alt.TopLevelMixin, fmt: str = "png", scale: float = 2.0) -> bytes:
    """The chart as PNG or SVG bytes, rendered with vl-convert (no browser)."""
    import vl_convert as vlc

    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    spec = dict(spec)
    if spec.get("width") == "container":
        spec["width"] = 900
    spec_json = json.dumps(spec)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec_json).encode("utf-8")
    if fmt == "png":
        return vlc.vegalite_to_png(spec_json, scale=scale)
    raise ValueError(f"unknown image format {fmt!r}")


def save_bytes(chart: alt.TopLevelMixin, fmt: str) -> io.BytesIO:
    return io.BytesIO(chart_image(chart, fmt))
