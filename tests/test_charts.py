"""Chart builders (figures/charts.py) and the view logic they rely on (figures/views.py)."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from figures import charts, views


def claims(rows: list[dict]) -> pd.DataFrame:
    base = {
        "claim_id": 0, "value": 0.0, "low": None, "high": None, "qualifier": "exact", "metric": "deaths",
        "item": None, "subject": "Russian military", "claimant": "Ukraine's General Staff", "side": "Ukraine",
        "date": "2022-03-01", "period": None, "quote": "q", "stated": None, "outlet": "Demo Wire",
        "url": "https://example.org/a", "title": "t",
    }
    out = []
    for i, row in enumerate(rows):
        item = dict(base, claim_id=i + 1)
        item.update(row)
        out.append(item)
    return pd.DataFrame(out)


@pytest.fixture
def sample() -> pd.DataFrame:
    return claims([
        {"value": 5710, "qualifier": "approx", "date": "2022-03-01"},
        {"value": 17700, "qualifier": "approx", "date": "2022-04-01"},
        {"value": 17000, "qualifier": "approx", "date": "2022-04-01"},  # same day, lower: folded
        {"value": 498, "claimant": "Russian Ministry of Defence", "side": "Russia", "date": "2022-03-02"},
        {"value": 3000, "low": 2000, "high": 4000, "qualifier": "range", "claimant": "Scott Berrier",
         "side": "United States", "date": "2022-03-08"},
        {"value": 355, "subject": "civilians", "claimant": "OHCHR", "side": "United Nations",
         "period": "month", "date": "2022-08-02"},
        {"value": 5327, "subject": "civilians", "claimant": "OHCHR", "side": "United Nations",
         "date": "2022-08-02"},
        {"value": 12, "claimant": None, "side": None, "date": "2022-05-01"},
    ])


def many_claimants(n_claimants: int = 15) -> pd.DataFrame:
    """Claimant i states i + 1 figures (claimant 14 most often), a few days apart."""
    rows = [{"value": 100 + 10 * i + k, "claimant": f"claimant {i:02d}", "date": f"2022-03-{1 + k:02d}"}
            for i in range(n_claimants) for k in range(i + 1)]
    return claims(rows)


def colour_map(spec: dict) -> dict[str, str]:
    scale = spec["layer"][0]["encoding"]["color"]["scale"]
    return dict(zip(scale["domain"], scale["range"]))


def test_shown_entities_get_distinct_colours_most_frequent_first_the_rest_as_others():
    spec = charts.timeline_spec(charts.chart_points(many_claimants()))
    colours = colour_map(spec)
    named = [name for name in colours if name != charts.OTHERS]
    assert len(set(colours.values())) == len(colours)  # no two shown entities share a colour
    assert named == [f"claimant {i:02d}" for i in range(14, 14 - len(charts.PALETTE), -1)]
    assert list(colours)[-1] == charts.OTHERS and colours[charts.OTHERS] == charts.OTHERS_COLOUR
    drawn = {row["colour_key"] for row in spec["datasets"]["points"]}
    assert drawn == set(colours)
    # the fill of the markers uses the same colours as the legend
    fill = spec["layer"][2]["encoding"]["fill"]["condition"]["scale"]
    assert dict(zip(fill["domain"], fill["range"])) == colours


def test_a_picked_entity_gets_its_own_colour_even_when_rare():
    points = charts.chart_points(many_claimants(), picked=["claimant 00"])
    colours = colour_map(charts.timeline_spec(points))
    assert colours["claimant 00"] == charts.PALETTE[0]
    assert len(set(colours.values())) == len(colours)
    assert "claimant 03" not in colours  # pushed into the others by the pick


def test_colours_are_stable_for_the_same_data_in_any_order_process_and_export():
    frame = many_claimants()
    colours = colour_map(charts.timeline_spec(charts.chart_points(frame)))
    shuffled = frame.sample(frac=1, random_state=4)
    assert colour_map(charts.timeline_spec(charts.chart_points(shuffled))) == colours
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script = ("import json, sys; sys.path.insert(0, 'tests'); from test_charts import many_claimants, colour_map; "
              "from figures import charts; "
              "print(json.dumps(colour_map(charts.timeline_spec(charts.chart_points(many_claimants())))))")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True,
                             env={"PYTHONPATH": str(root), "PYTHONHASHSEED": seed}, check=True).stdout
        assert json.loads(out) == colours
    svg = charts.chart_image(charts.timeline_spec(charts.chart_points(frame)), "svg").decode().lower()
    assert all(colour in svg for colour in colours.values())


def test_side_colours_keep_their_table_and_other_sides_do_not_collide():
    colours = charts.assign_colours({"Russia": 5, "Ukraine": 4, "Atlantis": 3, "Lilliput": 2}, "side")
    assert colours["Russia"] == charts.SIDE_COLOURS["Russia"] and colours["Ukraine"] == charts.SIDE_COLOURS["Ukraine"]
    assert len(set(colours.values())) == 4 and charts.OTHERS_COLOUR not in colours.values()


def test_chart_points_one_per_claimant_and_day_keeping_the_highest(sample):
    points = charts.chart_points(sample)
    gs = points[(points["colour_key"] == "Ukraine's General Staff") & (points["series"] == "deaths — Russian military")]
    assert list(gs["value"]) == [5710, 17700]
    assert gs["n_claims"].tolist() == [1, 2]
    assert "(outlet's own voice)" in set(points["colour_key"])
    assert set(points["kind"]) == {"running total", "per month"}
    rng = points[points["qualifier"] == "range"].iloc[0]
    assert (rng["low"], rng["high"], rng["label"]) == (2000, 4000, "2,000–4,000")
    assert points.loc[points["value"] == 5710, "stated"].iloc[0] == "about 5,710"


def test_chart_points_colour_by_side(sample):
    points = charts.chart_points(sample, colour_by="side")
    assert set(points["colour_key"]) == {"Ukraine", "Russia", "United States", "United Nations", "unknown"}


def test_chart_points_never_exceed_the_limit():
    n = 50_000
    rng = np.random.default_rng(1)
    big = claims([{}] * 1).loc[[0] * n].reset_index(drop=True)
    big["claim_id"] = range(n)
    big["claimant"] = [f"claimant {i % 7}" for i in range(n)]
    big["date"] = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    big["value"] = rng.integers(1, 10_000, n).astype(float)
    points = charts.chart_points(big, max_points=500)
    assert 0 < len(points) <= 500
    assert points["n_claims"].sum() == n
    # the kept point of each bucket is the highest figure in it
    assert points["value"].max() == big["value"].max()


def test_running_totals_and_per_period_figures_are_separate_charts(sample):
    points = charts.chart_points(sample[sample["subject"] == "civilians"])
    totals = charts.timeline_chart(points, kind="running total").to_dict()
    monthly = charts.timeline_chart(points, kind="per month").to_dict()

    def values(spec):
        data = spec["datasets"]
        return sorted(v["value"] for dataset in data.values() for v in dataset if "label" in v and "n_claims" in v)

    assert 5327 in values(totals) and 355 not in values(totals)
    assert values(monthly) and 355 in values(monthly) and 5327 not in values(monthly)


def test_timeline_chart_spec(sample):
    points = charts.chart_points(sample[sample["subject"] == "Russian military"])
    spec = charts.timeline_chart(points, title="deaths — Russian military").to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["line", "rule", "point", "text"]
    assert spec["layer"][0]["mark"]["interpolate"] == "step-after"
    dots = spec["layer"][2]["encoding"]
    assert "href" not in dots  # a click selects the claim; it never navigates away from the app
    assert {t["field"] for t in dots["tooltip"]} >= {"stated", "how", "claimant", "date", "outlet", "quote"}
    assert dots["shape"]["scale"]["domain"][:4] == ["exact", "approx", "at_least", "at_most"]
    params = {p["name"]: p for p in spec.get("params", [])} or {
        p["name"]: p for layer in spec["layer"] for p in layer.get("params", [])}
    assert params["legend"]["bind"] == "legend" and "pick" in params
    rule = spec["layer"][1]
    assert rule["encoding"]["y"]["field"] == "low" and rule["encoding"]["y2"]["field"] == "high"
    # the latest figure per claimant is labelled
    label_data = spec["datasets"][spec["layer"][3]["data"]["name"]]
    labelled = {row["colour_key"]: row["label"] for row in label_data}
    assert labelled["Ukraine's General Staff"] == "about 17,700"


def test_qualifiers_show_as_words_in_the_legend_and_tooltips(sample):
    """The legend and the tooltips say 'at least', never the stored code 'at_least'; the
    legend is never clipped (the chart grows with it)."""
    spec = charts.timeline_spec(charts.chart_points(sample))
    assert spec["autosize"]["type"] == "fit-x"
    assert spec["height"] >= charts.legend_height(len(spec["layer"][0]["encoding"]["color"]["scale"]["domain"]))
    shown = re.findall(r"<text[^>]*>([^<]*)</text>", charts.chart_image(spec, "svg").decode())
    assert {"at least", "at most", "about"} <= set(shown) and "at_least" not in shown
    how = next(t for layer in spec["layer"] for t in layer.get("transform", []) if t.get("as") == "how")
    assert '"at_least" ? "at least"' in how["calculate"]


def test_a_per_period_line_joins_consecutive_periods_only():
    rows = [{"value": v, "claimant": "OHCHR", "side": "United Nations", "period": "day", "date": d}
            for v, d in [(40, "2022-03-01"), (42, "2022-03-02"), (30, "2022-07-01"), (31, "2022-07-02")]]
    rows.append({"value": 300, "claimant": "OHCHR", "side": "United Nations", "period": "month", "date": "2022-04-01"})
    rows.append({"value": 310, "claimant": "OHCHR", "side": "United Nations", "period": "month", "date": "2022-05-01"})
    frame = claims(rows)
    frame["claim_id"] = range(1, len(frame) + 1)
    points = charts.chart_points(frame).sort_values("date")
    lines = points.groupby("line_key", sort=False)["value"].apply(list).tolist()
    assert sorted(lines) == [[30, 31], [40, 42], [300, 310]]


def test_log_scale_drops_non_positive_values():
    frame = claims([{"value": 0, "date": "2022-03-01"}, {"value": 10, "date": "2022-03-02"}])
    spec = charts.timeline_chart(charts.chart_points(frame), log_scale=True).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    rows = [r for d in spec["datasets"].values() for r in d if "n_claims" in r]
    assert rows and all(r["value"] > 0 for r in rows)


def test_chart_image_png_and_svg(sample):
    chart = charts.timeline_chart(charts.chart_points(sample))
    png = charts.chart_image(chart, "png", scale=1)
    svg = charts.chart_image(chart, "svg")
    assert png.startswith(b"\x89PNG")
    assert b"<svg" in svg[:500]


def test_unsafe_url_is_not_a_link():
    frame = claims([{"value": 5, "url": "javascript:alert(1)"}, {"value": 6, "date": "2022-03-02", "url": "unknown"}])
    spec = charts.timeline_chart(charts.chart_points(frame)).to_dict()
    rows = [r for d in spec["datasets"].values() for r in d if "n_claims" in r]
    assert sorted(r["value"] for r in rows) == [5, 6] and all(r["url"] is None for r in rows)


def test_format_figure():
    assert charts.format_figure(5710, "approx") == "about 5,710"
    assert charts.format_figure(388, "at_least") == "at least 388"
    assert charts.format_figure(25000, "at_most") == "at most 25,000"
    assert charts.format_figure(3000, "range", 2000, 4000) == "2,000–4,000"
    assert charts.format_figure(1.5, "exact") == "1.5"


# ---------------------------------------------------------------- views


def test_filters_round_trip_through_the_url():
    filters = views.ViewFilters(metrics=("deaths",), claimants=("OHCHR", "Oryx"), date_from=dt.date(2022, 3, 1),
                                text="killed", colour_by="side", log_scale=True, series=("deaths — civilians",))
    query = views.filters_to_query(filters)
    assert query["claimant"] == ["OHCHR", "Oryx"] and query["from"] == "2022-03-01" and query["scale"] == "log"
    back = views.filters_from_query({k: v if isinstance(v, list) else [v] for k, v in query.items()})
    assert back == filters
    assert views.filters_to_query(views.ViewFilters()) == {}
    assert views.filters_from_query({"from": ["not a date"], "colour": ["<x>"]}) == views.ViewFilters()


def test_apply_filters_each_filter(sample):
    frame = views.prepare_frame(sample)
    assert len(views.apply_filters(frame, views.ViewFilters())) == len(sample)
    assert set(views.apply_filters(frame, views.ViewFilters(subjects=("civilians",)))["claimant"]) == {"OHCHR"}
    assert len(views.apply_filters(frame, views.ViewFilters(sides=("Russia",)))) == 1
    assert len(views.apply_filters(frame, views.ViewFilters(claimants=("(outlet's own voice)",)))) == 1
    dated = views.apply_filters(frame, views.ViewFilters(date_from=dt.date(2022, 3, 2), date_to=dt.date(2022, 3, 8)))
    assert sorted(dated["value"]) == [498, 3000]
    frame.loc[frame["value"] == 498, "quote"] = "Moscow admitted 498 DEAD soldiers"
    assert list(views.apply_filters(frame, views.ViewFilters(text="dead sol"))["value"]) == [498]
    assert len(views.apply_filters(frame, views.ViewFilters(outlets=("Nope",)))) == 0


def test_competing_figures_latest_per_claimant_and_spread(sample):
    frame = views.prepare_frame(sample)
    table, spread = views.competing_figures(views.rows_of_series(frame, "deaths — Russian military"))
    latest = dict(zip(table["claimant"], table["value"]))
    assert latest["Ukraine's General Staff"] == 17700
    assert latest["Russian Ministry of Defence"] == 498
    # the spread compares figures stated within a week of each other: the latest such week is
    # 1-2 March (the range of 8 March is bounded, the 12 of 1 May and 17,700 have no rival that week)
    assert (spread["window_start"], spread["window_end"]) == (dt.date(2022, 2, 24), dt.date(2022, 3, 2))
    assert spread["highest_claimant"] == "Ukraine's General Staff" and spread["highest"] == 5710
    assert spread["lowest"] == 498 and spread["difference"] == 5710 - 498
    civ_table, _ = views.competing_figures(views.rows_of_series(frame, "deaths — civilians"))
    assert list(civ_table["value"]) == [5327]  # the per-month 355 is not a running total


def test_chart_series_defaults_to_largest(sample):
    frame = views.prepare_frame(sample)
    assert views.chart_series(frame) == ["deaths — Russian military", "deaths — civilians"]
    assert views.chart_series(frame, ["deaths — civilians"]) == ["deaths — civilians"]
    assert views.chart_series(frame, ["gone"], default_count=1) == ["deaths — Russian military"]


def test_settings_from_env_and_secrets():
    secrets = {"database": {"url": "postgresql://u@h/db"}, "figures": {"read_only": True, "editor_password": "s"}}
    s = views.resolve_settings({}, secrets)
    assert (s.database_url, s.read_only, s.editor_password) == ("postgresql://u@h/db", True, "s")
    s = views.resolve_settings({"FIGURES_DATABASE_URL": "sqlite:///x.db", "FIGURES_READ_ONLY": "0",
                                "FIGURES_EDITOR_PASSWORD": "p"}, secrets)
    assert (s.database_url, s.read_only, s.editor_password) == ("sqlite:///x.db", False, "p")
    assert views.resolve_settings({}, None) == views.Settings()
    assert views.password_ok("p", "p") and not views.password_ok("q", "p") and not views.password_ok("", None)


def test_md_escape_makes_markdown_inert():
    escaped = views.md_escape("![x](http://evil) <img onerror=alert(1)> **b**")
    import re

    assert not re.search(r"(?<!\\)[!\[\]()<>*]", escaped)  # every special character is escaped
    assert escaped.replace("\\", "") == "![x](http://evil) <img onerror=alert(1)> **b**"


def test_parse_edit_validates():
    assert views.parse_edit("value", "5,840") == 5840.0
    assert views.parse_edit("date", "2022-03-01") == dt.date(2022, 3, 1)
    assert views.parse_edit("claimant", "  ") is None
    for field, raw in (("value", "many"), ("date", "1 March"), ("qualifier", "lots"), ("quote", "x")):
        with pytest.raises(ValueError):
            views.parse_edit(field, raw)


def test_per_period_chart_holds_every_period_kind_and_no_totals(sample):
    extra = claims([{"value": 40, "claimant": "OHCHR", "side": "United Nations", "subject": "civilians",
                     "period": "day", "date": "2022-08-03"}])
    extra["claim_id"] = 99
    points = charts.chart_points(pd.concat([sample[sample["subject"] == "civilians"], extra], ignore_index=True))
    spec = charts.timeline_spec(points, kind=charts.PER_PERIOD)
    assert sorted(r["value"] for r in spec["datasets"]["points"]) == [40, 355]
    assert {r["kind"] for r in spec["datasets"]["points"]} == {"per day", "per month"}
    assert spec["layer"][0]["mark"].get("strokeDash")  # dashed, not a step line


def test_capped_chart_keeps_each_claimants_latest_figure():
    """Thinned to weeks or months, a chart still draws (and labels) every claimant's exact
    latest figure, even when a higher figure earlier in the same bucket would have won."""
    n = 20_000
    rng = np.random.default_rng(3)
    big = claims([{}] * 1).loc[[0] * n].reset_index(drop=True)
    big["claim_id"] = range(1, n + 1)
    big["claimant"] = [f"claimant {i % 9}" for i in range(n)]
    big["date"] = pd.Timestamp("2022-01-03") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    big["value"] = rng.integers(1_000, 10_000, n).astype(float)
    last_day = big.groupby("claimant")["date"].transform("max")
    big.loc[big["date"] == last_day, "value"] = 5.0  # each latest figure is the lowest of its bucket
    frame = views.prepare_frame(big)
    for limit in (300, 60):
        points = charts.chart_points(frame, max_points=limit)
        assert 0 < len(points) <= limit
        assert points["n_claims"].sum() == n
        spec = charts.timeline_spec(points)
        labelled = {row["colour_key"]: (row["date"], row["value"]) for row in spec["datasets"]["latest"]}
        table, _ = views.competing_figures(frame)
        expected = {row.claimant: (row.date, row.value) for row in table.itertuples()}
        assert labelled == expected and set(v for _, v in expected.values()) == {5.0}


def test_select_points_ties_and_missing_values():
    frame = claims([
        {"value": 10, "date": "2022-03-01"}, {"value": 10, "date": "2022-03-01"},  # a tie: the later row
        {"value": 7, "date": None}, {"value": None, "date": "2022-03-02"},  # not drawable
        {"value": 3, "date": "2022-03-01", "claimant": ""},  # an empty claimant is the outlet's own voice
    ])
    kept = charts.select_points(frame)
    assert kept.to_dict() == {1: 2, 4: 1}
    points = charts.points_frame(frame.loc[kept.index], kept)
    assert points["claimant"].tolist() == ["(outlet's own voice)", "Ukraine's General Staff"]
    assert charts.select_points(frame.iloc[:0]).empty


def test_spec_is_valid_vega_lite_and_images_render():
    """Every display option gives a spec that Altair's schema accepts, with data as records or frames."""
    import altair as alt

    points = charts.chart_points(claims([{"value": 5, "date": "2022-03-01", "period": "day"},
                                         {"value": 9, "low": 8, "high": 10, "qualifier": "range",
                                          "date": "2022-03-02"}]))
    for colour_by in ("claimant", "side"):
        for log_scale in (False, True):
            for kind in ("running total", charts.PER_PERIOD):
                spec = charts.timeline_spec(points, colour_by=colour_by, log_scale=log_scale, kind=kind)
                alt.LayerChart.from_dict(spec, validate=True)
    framed = charts.timeline_spec(points, frames=True)
    assert isinstance(framed["datasets"]["points"], pd.DataFrame)
    assert charts.chart_image(framed, "svg").startswith(b"<svg")


def test_newest_rows_by_date_then_id_undated_last():
    frame = views.prepare_frame(claims([
        {"date": "2022-03-01"}, {"date": None}, {"date": "2022-05-01"}, {"date": "2022-03-01"},
        {"date": "2021-12-31"},
    ]))
    assert views.newest_rows(frame, 10)["claim_id"].tolist() == [3, 4, 1, 5, 2]
    assert views.newest_rows(frame, 2)["claim_id"].tolist() == [3, 4]
    assert views.table_view(frame, 3)["claim_id"].tolist() == [3, 4, 1]
    # with a mask: only the rows it keeps (an undated one included), as if the frame were cut first
    keep = frame["claim_id"].isin([1, 2, 5]).to_numpy()
    assert views.newest_rows(frame, 10, keep)["claim_id"].tolist() == [1, 5, 2]
    assert views.newest_rows(frame, 2, keep)["claim_id"].tolist() == [1, 5]
    assert views.newest_rows(frame, 2, np.zeros(len(frame), dtype=bool)).empty


def test_rows_of_series_with_a_mask_equals_cutting_the_frame_first():
    frame = views.prepare_frame(claims([
        {"metric": "deaths", "subject": "civilians", "claimant": "OHCHR"},
        {"metric": "injuries", "subject": "civilians", "claimant": "OHCHR"},
        {"metric": "deaths", "subject": "civilians", "claimant": "Kyiv"},
        {"metric": "deaths", "subject": "civilians", "claimant": "OHCHR"},
    ]))
    keep = (frame["claimant"] == "OHCHR").to_numpy()
    both = views.rows_of_series(frame, "deaths — civilians", keep)
    assert both["claim_id"].tolist() == [1, 4]
    pd.testing.assert_frame_equal(both, views.rows_of_series(frame[keep], "deaths — civilians"))
    assert views.rows_of_series(frame, "no such series", keep).empty


def test_chart_datasets_as_arrow_bytes_round_trip_and_still_render() -> None:
    from figures.charts import (arrow_bytes, chart_image, from_arrow_bytes, points_frame, select_points,
                                timeline_spec, with_arrow_datasets)

    points = pd.DataFrame({
        "claim_id": [1, 2], "date": pd.to_datetime(["2022-03-01", "2022-04-01"]), "value": [10.0, 20.0],
        "low": [None, None], "high": [None, None], "claimant": ["A", "B"], "side": ["x", "y"],
        "qualifier": ["exact", "approx"], "metric": ["deaths", "deaths"], "item": [None, None],
        "subject": ["civilians", "civilians"], "period": [None, None], "quote": ["one", "two"],
        "outlet": ["o", "o"], "url": [None, None], "title": ["t", "t"],
    })
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", None]})
    assert from_arrow_bytes(arrow_bytes(frame)).equals(frame)

    plotted = points_frame(points, select_points(points, "claimant"), "claimant")
    spec = timeline_spec(plotted, frames=True)
    shipped = with_arrow_datasets(spec)
    assert all(isinstance(v, bytes) for v in shipped["datasets"].values())
    assert isinstance(spec["datasets"]["points"], pd.DataFrame)  # the original is left alone
    assert b"<svg" in chart_image(shipped, "svg")[:500]


def test_spread_never_compares_figures_stated_weeks_apart_and_says_so():
    frame = views.prepare_frame(claims([
        {"value": 12000, "claimant": "A", "date": "2023-10-01"},
        {"value": 5500, "claimant": "B", "date": "2023-10-20"},
        {"value": 2000000, "qualifier": "vague", "claimant": "B", "date": "2023-10-02"},
        {"value": 9000, "qualifier": "at_least", "claimant": "C", "date": "2023-10-02"},
    ]))
    table, spread = views.competing_figures(frame)
    assert spread == {}
    assert "within 7 days" in views.spread_text(spread)
    assert set(table["claimant"]) == {"A", "B", "C"} and 2000000 not in set(table["value"])  # vague: not a total


def test_spread_takes_the_latest_window_with_two_claimants_and_names_it():
    frame = views.prepare_frame(claims([
        {"value": 100, "claimant": "A", "date": "2023-10-01"},
        {"value": 400, "claimant": "B", "date": "2023-10-03"},
        {"value": 150, "claimant": "A", "date": "2023-10-20"},
        {"value": 180, "claimant": "A", "date": "2023-10-25"},
        {"value": 120, "qualifier": "approx", "claimant": "C", "date": "2023-10-27"},
        {"value": 130, "claimant": "C", "date": "2023-10-26"},
        {"value": 900, "claimant": "B", "date": "2023-11-30"},  # no rival within a week
    ]))
    spread = views.spread_within(frame)
    assert (spread["window_start"], spread["window_end"]) == (dt.date(2023, 10, 21), dt.date(2023, 10, 27))
    assert [(f["claimant"], f["value"]) for f in spread["figures"]] == [("A", 180), ("C", 120)]
    assert spread["ratio"] == 1.5 and spread["claimants"] == 2
    text = views.spread_text(spread)
    assert "21 Oct 2023 to 27 Oct 2023 (7 days)" in text and "C: about 120 on 27 Oct 2023" in text
    # a narrower window finds no pair
    assert views.spread_within(frame, days=1) == {}


def test_spread_compares_figures_of_one_place_only():
    """The place facet's theatres (prepare_frame) split the spread: Gaza figures never meet Ukraine's."""
    frame = views.prepare_frame(claims([
        {"value": 100, "claimant": "A", "date": "2023-10-01", "location": "Gaza", "side": "Hamas"},
        {"value": 90000, "claimant": "B", "date": "2023-10-02", "location": "Kharkiv"},
        {"value": 300, "claimant": "C", "date": "2023-09-28", "location": "Kharkiv"},
    ]))
    spread = views.spread_within(frame)
    assert spread["place"] == "Russia–Ukraine war" and {f["claimant"] for f in spread["figures"]} == {"B", "C"}


def test_a_line_joins_one_entity_and_place_only_never_bounded_or_vague_figures():
    frame = claims([
        {"value": 12000, "claimant": "X", "date": "2023-10-10", "location": "Gaza"},
        {"value": 5500, "claimant": "X", "date": "2023-10-12", "location": "Israel"},
        {"value": 2000, "qualifier": "vague", "low": 2000, "claimant": "X", "date": "2023-10-13",
         "location": "Gaza"},
        {"value": 12500, "claimant": "X", "date": "2023-10-14", "location": "Gaza"},
        {"value": 40, "claimant": "X", "date": "2023-10-14", "location": "Gaza", "period": "day"},
    ])
    points = charts.chart_points(frame)
    lines = {key: sorted(group["value"]) for key, group in points[points["on_line"]].groupby("line_key")}
    assert sorted(lines.values()) == [[40.0], [5500.0], [12000.0, 12500.0]]
    assert len(lines) == 3  # Gaza totals, Israel totals, Gaza per day: never one line
    assert set(points["colour_key"]) == {"X"}  # one entity, one colour
    spec = charts.timeline_spec(points)
    line = spec["layer"][0]
    assert line["transform"] == [{"filter": "datum.on_line && isValid(datum.line_key)"}]
    assert line["encoding"]["detail"]["field"] == "line_key"
    # coloured by side, a line still joins one claimant's figures only; the outlet's own voice gets none
    by_side = charts.chart_points(pd.concat([frame, claims([
        {"value": 11000, "claimant": "Y", "date": "2023-10-11", "location": "Gaza"},
        {"value": 30, "claimant": None, "date": "2023-10-11", "location": "Gaza"}])]).reset_index(drop=True),
        colour_by="side")
    assert by_side.groupby("line_key")["claimant"].nunique().max() == 1
    assert by_side.loc[by_side["claimant"] == charts.UNATTRIBUTED, "line_key"].isna().all()


def test_vague_and_bounded_figures_are_hollow_markers_that_never_stretch_the_axis():
    frame = claims([
        {"value": 5000, "date": "2023-10-10"},
        {"value": 2000000, "qualifier": "vague", "low": 2000000, "date": "2023-10-11"},
        {"value": 7000, "qualifier": "at_least", "low": 7000, "date": "2023-10-12"},
        {"value": 3000, "low": 2000, "high": 4000, "qualifier": "range", "claimant": "B", "date": "2023-10-12"},
        {"value": 6000, "date": "2023-10-13"},
    ])
    points = charts.chart_points(frame)
    assert dict(zip(points["qualifier"], points["on_line"])) == {
        "exact": True, "vague": False, "at_least": False, "range": False}
    for log_scale in (False, True):
        spec = charts.timeline_spec(points, log_scale=log_scale)
        for layer in spec["layer"]:
            assert layer["encoding"]["y"]["scale"]["domain"] == [2000, 7000]  # the range's low bound to the at-least
        assert spec["layer"][2]["mark"]["filled"] is False
        fill = spec["layer"][2]["encoding"]["fill"]
        assert fill["condition"]["test"] == "datum.on_line" and fill["value"] == "white"
        assert [row["value"] for row in spec["datasets"]["latest"]] == [6000]  # B's range is not a line: no label
    # the thinning never lets a vague figure hide an exact one of the same day
    same_day = claims([{"value": 900, "date": "2023-10-10"},
                       {"value": 2000, "qualifier": "vague", "low": 2000, "date": "2023-10-10"}])
    assert sorted(charts.chart_points(same_day)["value"]) == [900, 2000]
