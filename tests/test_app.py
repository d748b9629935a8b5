"""The Streamlit dashboard (app.py) driven headless with streamlit.testing.v1.AppTest.

Each test gets its own SQLite file through FIGURES_DATABASE_URL. Most tests seed
the store with a fixed set of claims (bulk loader, no extractor involved) so the
assertions do not depend on extraction quality; the demo, upload and paste tests
go through the real pipeline.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from figures import viewmodel, views
from figures.entities import resolve as resolve_entity
from figures.model import Document
from figures.store import ClaimFilter, Store

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 90

DOCS = [
    Document(id="d1", text="dispatch one", title="Kyiv tally", outlet="Demo Wire",
             url="https://example.org/one", published=dt.date(2022, 3, 1)),
    Document(id="d2", text="dispatch two", title="Moscow toll", outlet="Sample Times",
             url="https://example.org/two", published=dt.date(2022, 3, 25)),
    Document(id="d3", text="dispatch three", title="UN count", outlet="Demo Wire",
             url="https://example.org/three", published=dt.date(2022, 8, 2)),
    Document(id="d4", text="dispatch four", title="Tank losses", outlet="Evening Post",
             url="unknown", published=dt.date(2023, 4, 1)),
]


def claim(doc, n, value, claimant, side, date, metric="deaths", subject="Russian military", quote="", **extra):
    row = dict(doc=doc, quote=quote or f"{claimant} said {value:,.0f} on {date}.", start=n, end=n + 3,
               value=float(value), low=None, high=None, qualifier="exact", metric=metric, item=None,
               subject=subject, claimant=claimant, side=side, date=date, date_basis="stated",
               period=None, location=None, stated=None)
    row.update(extra)
    return row


CLAIMS = [
    claim("d1", 0, 5710, "Ukraine's General Staff", "Ukraine", "2022-03-01", qualifier="approx",
          quote="Ukraine's General Staff said about 5,710 Russian soldiers had been killed."),
    claim("d1", 10, 198, "Ukraine's General Staff", "Ukraine", "2022-03-01", metric="equipment", item="tanks"),
    claim("d2", 0, 1351, "Sergei Rudskoy", "Russia", "2022-03-25",
          quote="Sergei Rudskoy said 1,351 Russian soldiers had died."),
    claim("d2", 10, 17700, "Ukraine's General Staff", "Ukraine", "2022-04-01", qualifier="approx"),
    claim("d2", 20, 3000, "Scott Berrier", "United States", "2022-03-08", qualifier="range", low=2000, high=4000),
    claim("d3", 0, 5327, "OHCHR", "United Nations", "2022-08-02", subject="civilians",
          quote="The UN human rights office verified 5,327 civilian deaths."),
    claim("d3", 10, 355, "OHCHR", "United Nations", "2022-08-02", subject="civilians", period="month"),
    claim("d3", 20, 331, "OHCHR", "United Nations", "2022-03-04", subject="civilians"),
    claim("d4", 0, 1907, "Oryx", "independent", "2023-04-01", metric="equipment", item="tanks",
          qualifier="at_least", low=1907),
    claim("d4", 10, 3616, "Ukraine's General Staff", "Ukraine", "2023-04-01", metric="equipment", item="tanks"),
]


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch):
    for name in ("FIGURES_READ_ONLY", "FIGURES_EDITOR_PASSWORD", "FIGURES_DATABASE_URL", "FIGURES_OPEN_EDITING",
                 "FIGURES_MAX_UPLOAD_INFLATED_MB"):
        monkeypatch.delenv(name, raising=False)
    # Others' writes show after an hour: every test that sees a change sees its own session's.
    monkeypatch.setenv("FIGURES_REFRESH_SECONDS", "3600")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def empty_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'figures.db'}"
    monkeypatch.setenv("FIGURES_DATABASE_URL", url)
    return url


@pytest.fixture
def editing(monkeypatch) -> None:
    """Editing without a password, as FIGURES_OPEN_EDITING=1 allows on one's own machine."""
    monkeypatch.setenv("FIGURES_OPEN_EDITING", "1")


@pytest.fixture
def seeded_url(empty_url) -> str:
    with Store(empty_url) as store:
        assert store.bulk_load_claims(CLAIMS, DOCS) == len(CLAIMS)
    return empty_url


def run_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def restart() -> AppTest:
    """A new app process as far as the app can tell: no cached store, frames or state."""
    st.cache_data.clear()
    st.cache_resource.clear()
    return run_app()


def show(at: AppTest, section: str) -> AppTest:
    """Open a tab of the page (only the open one is drawn) and rerun, as a click on it does."""
    current = at.session_state["section"] if "section" in at.session_state else None
    if current != section:
        at.session_state["section"] = section
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def chart_frames(at: AppTest) -> list[pd.DataFrame]:
    """The point data of every chart on the page (the layer with the tooltips)."""
    show(at, "Timeline")
    frames = []
    for element in at.get("vega_lite_chart"):
        for dataset in element.proto.datasets:
            frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            if "n_claims" in frame and "claimant" in frame and len(frame) > 0:
                frames.append(frame)
                break
    return frames


def chart_claimants(at: AppTest) -> set[str]:
    return {c for frame in chart_frames(at) for c in frame["claimant"]}


def tables_with(at: AppTest, *columns: str) -> list[pd.DataFrame]:
    """Dataframes on the page holding these columns (read-only tables carry no key in AppTest)."""
    return [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]


def claims_table(at: AppTest) -> pd.DataFrame:
    """The Claims tab table: the only one with the full table_view columns."""
    show(at, "Claims")
    found = [t for t in tables_with(at, *views.TABLE_COLUMNS) if list(t.columns) == views.TABLE_COLUMNS]
    assert len(found) == 1
    return found[0]


def glance_tables(at: AppTest) -> list[pd.DataFrame]:
    show(at, "Timeline")
    return tables_with(at, "claimant", "figure", "value")


def corrections_log(at: AppTest) -> pd.DataFrame:
    show(at, "Corrections log")
    found = tables_with(at, "kind", "field", "user")
    assert len(found) == 1
    return found[0]


def capture_downloads(monkeypatch) -> dict[str, object]:
    """Deferred download callables by file name, as the app registers them."""
    captured: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        captured[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return captured


def downloads_of(at: AppTest, downloads: dict[str, object], section: str) -> dict[str, object]:
    """The downloads the given tab offers now: the tab is opened and drawn afresh."""
    downloads.clear()
    show(at, section)
    if not downloads:
        at.run()
    return downloads


def url_values(at: AppTest, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return list(value) if isinstance(value, (list, tuple)) else [value]


def tab_labels(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


# ---------------------------------------------------------------- first start


def test_first_start_ingests_the_demo_through_the_pipeline(empty_url):
    demo = views.demo_paths()
    assert len(demo) >= 40
    at = run_app()
    with Store(empty_url) as store:
        assert store.count_documents() == len(demo)
        frame = store.claims_frame()
    assert len(frame) >= 40
    assert set(frame["metric"]) >= {"deaths", "refugees"}
    # the charts show competing claimants on the biggest series
    assert len(chart_frames(at)) >= 2
    assert len(chart_claimants(at)) >= 3
    assert len(claims_table(at)) == min(len(frame), views.TABLE_LIMIT)
    # a second start does not ingest the demo again
    restart()
    with Store(empty_url) as store:
        assert store.count_documents() == len(demo)


# ---------------------------------------------------------------- filters


# the seeded claims name it "Ukraine's General Staff"; charts group by the entity
GENERAL_STAFF = "General Staff of the Armed Forces of Ukraine"
assert resolve_entity("Ukraine's General Staff", "Ukraine")[0] == GENERAL_STAFF


def test_each_filter_changes_chart_data_and_table(seeded_url):
    at = run_app()
    assert len(claims_table(at)) == len(CLAIMS)
    everyone = chart_claimants(at)
    assert {GENERAL_STAFF, "Sergei Rudskoy", "OHCHR", "Oryx"} <= everyone

    cases = [
        ("f_metrics", ["equipment"], lambda t: set(t["metric"]) == {"equipment"}, {GENERAL_STAFF, "Oryx"}),
        ("f_subjects", ["civilians"], lambda t: set(t["subject"]) == {"civilians"}, {"OHCHR"}),
        ("f_claimants", ["Sergei Rudskoy"], lambda t: set(t["claimant"]) == {"Sergei Rudskoy"}, {"Sergei Rudskoy"}),
        ("f_sides", ["United Nations"], lambda t: set(t["side"]) == {"United Nations"}, {"OHCHR"}),
        ("f_outlets", ["Evening Post"], lambda t: set(t["outlet"]) == {"Evening Post"}, {GENERAL_STAFF, "Oryx"}),
    ]
    for key, value, table_ok, claimants in cases:
        at = run_app()
        at.multiselect(key=key).set_value(value).run()
        assert not at.exception
        table = claims_table(at)
        assert 0 < len(table) < len(CLAIMS), key
        assert table_ok(table), key
        assert chart_claimants(at) == claimants, key
        assert url_values(at, views.QUERY_KEYS[key.replace("f_", "")]) == value

    at = run_app()
    at.date_input(key="f_from").set_value(dt.date(2022, 3, 2))
    at.date_input(key="f_to").set_value(dt.date(2022, 4, 1)).run()
    table = claims_table(at)
    expected = [c for c in CLAIMS if "2022-03-02" <= c["date"] <= "2022-04-01"]
    assert sorted(table["value"]) == sorted(c["value"] for c in expected)
    assert chart_claimants(at) == {resolve_entity(c["claimant"], c["side"])[0] for c in expected}
    assert url_values(at, "from") == ["2022-03-02"] and url_values(at, "to") == ["2022-04-01"]

    at = run_app()
    at.text_input(key="f_text").set_value("human rights").run()
    table = claims_table(at)
    assert list(table["value"]) == [5327]
    assert chart_claimants(at) == {"OHCHR"}
    assert url_values(at, "q") == ["human rights"]


def test_colour_by_side_and_log_scale(seeded_url):
    at = run_app()
    at.radio(key="f_colour").set_value("side")
    at.toggle(key="f_log").set_value(True).run()
    frames = chart_frames(at)
    assert {k for f in frames for k in f["colour_key"]} >= {"Ukraine", "Russia", "United States"}
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert '"log"' in spec
    assert url_values(at, "colour") == ["side"] and url_values(at, "scale") == ["log"]


def test_a_shared_link_restores_the_view(seeded_url):
    at = run_app({"side": ["Russia", "United States"], "from": "2022-03-01", "q": "said"})
    assert at.multiselect(key="f_sides").value == ["Russia", "United States"]
    assert at.date_input(key="f_from").value == dt.date(2022, 3, 1)
    assert set(claims_table(at)["side"]) == {"Russia", "United States"}
    assert chart_claimants(at) == {"Sergei Rudskoy", "Scott Berrier"}


def test_competing_figures_table_and_spread(seeded_url):
    at = run_app({"series": "deaths — Russian military"})
    glance = glance_tables(at)[0]
    latest = dict(zip(glance["claimant"], glance["value"]))
    assert latest == {GENERAL_STAFF: 17700, "Scott Berrier": 3000, "Sergei Rudskoy": 1351}
    # 1,351 (25 March) and 17,700 (1 April) are eight days apart, the range is bounded: no
    # spread, and the page says why instead of comparing figures weeks apart
    spread = [t.value for t in at.text if t.value.startswith("Spread")]
    assert spread and "within 7 days" in spread[0] and "16,349" not in spread[0]


def test_csv_download_holds_exactly_the_filtered_rows(seeded_url, monkeypatch):
    downloads = capture_downloads(monkeypatch)
    at = run_app()
    at.multiselect(key="f_sides").set_value(["Ukraine", "Russia"])
    at.date_input(key="f_to").set_value(dt.date(2022, 12, 31)).run()
    data = downloads_of(at, downloads, "Claims")["figures-claims.csv"]()
    assert data.startswith("\ufeff".encode())
    csv = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    with Store(seeded_url) as store:
        expected = store.claims_frame(ClaimFilter(sides=["Ukraine", "Russia"], date_to=dt.date(2022, 12, 31)))
    assert sorted(csv["claim_id"]) == sorted(expected["claim_id"])
    assert len(csv) == 4 and set(csv["side"]) == {"Ukraine", "Russia"}
    assert "series" not in csv.columns and "quote" in csv.columns
    # the chart images are offered too, rendered on click
    images = downloads_of(at, downloads, "Timeline")
    png = next(fn for name, fn in images.items() if name.endswith(".png"))()
    svg = next(fn for name, fn in images.items() if name.endswith(".svg"))()
    assert png.startswith(b"\x89PNG") and b"<svg" in svg[:500]


def test_each_chart_offers_its_own_csv_and_all_filtered_claims(seeded_url, monkeypatch):
    """'CSV: this chart' holds the chart's metric and subject under the filters; 'CSV: all
    filtered claims' every filtered claim; each says what it holds, with its row count."""
    downloads = capture_downloads(monkeypatch)
    at = run_app({"series": "deaths — Russian military", "to": "2022-12-31"})
    offered = downloads_of(at, downloads, "Timeline")
    chart = pd.read_csv(io.BytesIO(offered["figures-deaths---russian-military.csv"]()), encoding="utf-8-sig")
    everything = pd.read_csv(io.BytesIO(offered["figures-claims.csv"]()), encoding="utf-8-sig")
    in_2022 = [c for c in CLAIMS if c["date"] <= "2022-12-31"]
    deaths = [c for c in in_2022 if c["metric"] == "deaths" and c["subject"] == "Russian military"]
    assert sorted(chart["value"]) == sorted(c["value"] for c in deaths) and len(chart) == 4
    assert sorted(everything["value"]) == sorted(c["value"] for c in in_2022) and len(everything) == 8
    assert set(chart["claim_id"]) < set(everything["claim_id"])
    assert set(zip(chart["metric"], chart["subject"])) == {("deaths", "Russian military")}
    assert chart["value"].dtype.kind == "i"  # whole figures as integers, not 5710.0
    captions = " ".join(c.value for c in at.caption)
    assert "4 claims: this chart only: deaths — Russian military" in captions
    assert "8 claims: all filtered claims" in captions and "dates: … to 2022-12-31" in captions


def test_the_table_shows_the_newest_rows_with_their_quotes_and_the_csv_all(seeded_url, monkeypatch):
    """Quotes, titles and urls are read from the store for the rows shown; the CSV still holds
    every filtered claim, however few rows the table shows."""
    monkeypatch.setattr(viewmodel, "TABLE_LIMIT", 4)
    downloads = capture_downloads(monkeypatch)
    at = run_app()
    with Store(seeded_url) as store:
        stored = store.claims_frame().set_index("claim_id")
    table = claims_table(at)
    assert len(table) == 4
    assert list(table["date"]) == sorted(stored["date"].dt.strftime("%Y-%m-%d"), reverse=True)[:4]
    for row in table.itertuples():
        assert row.quote == stored.loc[row.claim_id, "quote"] and row.title == stored.loc[row.claim_id, "title"]
        assert row.outlet == stored.loc[row.claim_id, "outlet"]
    points = pd.concat(chart_frames(at))
    for row in points.itertuples():
        assert row.quote == " ".join(stored.loc[row.claim_id, "quote"].split())
    csv = pd.read_csv(io.BytesIO(downloads_of(at, downloads, "Claims")["figures-claims.csv"]()),
                      encoding="utf-8-sig")
    assert sorted(csv["claim_id"]) == sorted(stored.index)

    at.text_input(key="f_text").set_value("SAID").run()  # searched in SQL, case ignored
    said = sorted(i for i, quote in stored["quote"].items() if "said" in quote.lower())
    newest = stored.loc[said].reset_index().sort_values(["date", "claim_id"], ascending=False)["claim_id"]
    assert claims_table(at)["claim_id"].tolist() == newest.tolist()[:4]
    csv = pd.read_csv(io.BytesIO(downloads_of(at, downloads, "Claims")["figures-claims.csv"]()),
                      encoding="utf-8-sig")
    assert sorted(csv["claim_id"]) == said and len(said) > 4
    assert any(f"{len(said):,} claims match" in t.value for t in at.text)


def test_view_model_without_the_app(seeded_url):
    """views.view_model on the light frame: the rows drawn carry their store details."""
    with Store(seeded_url) as store:
        frame = views.load_frame(store)
        assert "quote" not in frame.columns
        model = views.view_model(store, frame, views.ViewFilters(sides=("Ukraine",)))
        stored = store.claims_frame().set_index("claim_id")
    assert model["count"] == 4
    assert set(model["table"]["quote"]) == set(stored.loc[stored["side"] == "Ukraine", "quote"])
    tanks = next(p for p in model["panels"] if p["series"] == "equipment: tanks — Russian military")
    assert tanks["table"]["value"].tolist() == [3616.0] and tanks["table"]["url"].tolist() == [""]
    deaths = next(p for p in model["panels"] if p["series"] == "deaths — Russian military")
    assert deaths["table"]["url"].tolist() == ["https://example.org/two"]
    assert set(deaths["points"]["outlet"]) == {"Demo Wire", "Sample Times"}


def test_tables_show_labels_blanks_and_whole_numbers(seeded_url):
    """Codes as words ('at least', 'per month'), '' instead of None, 5710 instead of 5710.0."""
    from figures.labels import labels_of
    from figures.model import PERIODS, QUALIFIERS

    assert set(labels_of("qualifier")) == set(QUALIFIERS) and set(labels_of("period")) == set(PERIODS)
    at = run_app()
    table = claims_table(at)
    rows = {int(r.value): r for r in table.itertuples()}
    assert rows[1907].qualifier == "at least" and rows[5710].qualifier == "about"
    assert rows[355].period == "per month" and rows[5327].period == ""
    assert rows[5710].item == "" and rows[5710].location == ""
    assert not table.isna().any().any()
    assert all(float(v).is_integer() for v in table["value"]) and str(table["value"].dtype).lower() == "int64"
    glance = glance_tables(run_app({"series": "equipment: tanks — Russian military"}))[0]
    assert set(glance["qualifier"]) == {"at least", "exact"}


def test_csv_neutralises_formula_cells(empty_url, monkeypatch):
    with Store(empty_url) as store:
        store.bulk_load_claims([claim("d1", 0, 10, "=HYPERLINK(\"http://x\")", "unknown", "2022-03-01")], DOCS[:1])
    downloads = capture_downloads(monkeypatch)
    at = run_app()
    csv = pd.read_csv(io.BytesIO(downloads_of(at, downloads, "Claims")["figures-claims.csv"]()), encoding="utf-8-sig")
    assert csv["claimant"][0].startswith("'=")


# ---------------------------------------------------------------- adding articles


DISPATCH = (
    "title: Test dispatch\nurl: https://example.org/test\noutlet: Test Wire\npublished: 2022-05-02\n\n"
    "The Ukrainian health ministry said on 2 May that 217 children had been killed since the invasion began.\n"
)


def test_upload_adds_claims_and_reports_each_failed_file(seeded_url, editing):
    at = show(run_app(), "Add articles")
    before = len(CLAIMS)
    at.file_uploader(key="upload").set_value([
        ("dispatch.txt", DISPATCH.encode(), "text/plain"),
        ("broken.zip", b"this is not a zip archive", "application/zip"),
        ("empty.txt", b"", "text/plain"),
    ]).run()
    at.button(key="add_files").click().run()
    assert not at.exception
    successes = [s.value for s in at.success]
    errors = [e.value for e in at.error]
    assert any("dispatch" in s for s in successes), successes
    assert at.session_state["section"] == "Add articles"  # the page stays where the person was
    assert len(errors) == 2
    assert any("broken" in e for e in errors) and any("empty" in e for e in errors)
    with Store(seeded_url) as store:
        assert store.count_claims() > before
        assert "Test Wire" in store.facet_values("outlet")
    assert "Test Wire" in set(claims_table(at)["outlet"])
    assert "Test Wire" in facet(at, "f_outlets")


def test_upload_handler_directly(seeded_url):
    with Store(seeded_url) as store:
        results = views.ingest_uploads(store, [("a.txt", DISPATCH.encode()), ("b.zip", b"PK nonsense"),
                                               ("c.exe", b"MZ\x00\x00")])
        assert results[0].ok and results[0].claims >= 1
        assert not results[1].ok and "b.zip" in results[1].message()
        assert not results[2].ok
        again = views.ingest_upload(store, "a.txt", DISPATCH.encode())
        assert again.ok and again.duplicates == 1 and again.claims == 0


def test_paste_adds_claims_at_once(seeded_url, editing):
    at = show(run_app(), "Add articles")
    at.text_area(key="paste_text").set_value(
        "Ukraine's General Staff said on 9 May that about 25,650 Russian soldiers had been killed.")
    at.text_input(key="paste_title").set_value("Pasted dispatch")
    at.text_input(key="paste_outlet").set_value("Paste Gazette")
    at.text_input(key="paste_url").set_value("https://example.org/pasted")
    at.date_input(key="paste_published").set_value(dt.date(2022, 5, 9))
    at.button(key="FormSubmitter:paste-Add pasted article").click().run()
    assert not at.exception
    assert any("pasted text" in s.value for s in at.success), [e.value for e in at.error]
    assert at.session_state["section"] == "Add articles"
    table = claims_table(at)
    assert 25650 in set(table["value"])
    assert "Paste Gazette" in set(table["outlet"])
    # an empty paste is refused with a message, nothing stored
    show(at, "Add articles")
    at.text_area(key="paste_text").set_value("   ")
    at.button(key="FormSubmitter:paste-Add pasted article").click().run()
    assert any("Paste the article text" in e.value for e in at.error)


# ---------------------------------------------------------------- curation


def _claim_id(url: str, value: float) -> int:
    with Store(url) as store:
        frame = store.claims_frame()
    return int(frame.loc[frame["value"] == value, "claim_id"].iloc[0])


def edit_input(at: AppTest, name: str):
    """The edit form's input for one field (its key names the claim and its revision)."""
    found = [w for w in at.text_input if (w.key or "").startswith("edit_") and w.key.endswith(f"_{name}")]
    assert len(found) == 1, [w.key for w in at.text_input]
    return found[0]


def review(at: AppTest) -> AppTest:
    button = next(b for b in at.button if (b.key or "").startswith("FormSubmitter:edit-"))
    return button.click().run()


def pick(at: AppTest, claim_id: int, user: str = "Ada") -> AppTest:
    show(at, "Curate")
    at.text_input(key="curate_user").set_value(user)
    return at.text_input(key="curate_id").set_value(str(claim_id)).run()


def test_a_correction_persists_across_reruns_and_restarts(seeded_url, editing, monkeypatch):
    cid = _claim_id(seeded_url, 1351)
    at = pick(run_app(), cid)
    assert edit_input(at, "value").value == "1351"
    edit_input(at, "value").set_value("1,352")
    edit_input(at, "claimant").set_value("Russian General Staff")
    review(at)
    assert not at.exception
    preview = next(d.value for d in at.dataframe if list(d.value.columns) == ["field", "now", "new"])
    assert preview.values.tolist() == [["value", "1351", "1352"], ["claimant", "Sergei Rudskoy", "Russian General Staff"]]
    with Store(seeded_url) as store:
        assert store.corrections_frame().empty  # nothing is stored before the person saves
    at.button(key="save_edit").click().run()
    assert not at.exception
    assert any("corrected" in s.value for s in at.success)
    assert at.session_state["section"] == "Curate"  # the page stays where the person was
    assert edit_input(at, "value").value == "1352"  # the form shows the stored values

    def shows_correction(app: AppTest) -> bool:
        table = claims_table(app)
        row = table[table["claim_id"] == cid].iloc[0]
        return row["value"] == 1352 and row["claimant"] == "Russian General Staff" and \
            "Russian General Staff" in chart_claimants(app) and "Sergei Rudskoy" not in chart_claimants(app)

    assert shows_correction(at)
    at.run()  # a plain rerun
    assert shows_correction(at)
    fresh = restart()  # a new process on the same database
    assert shows_correction(fresh)
    log = corrections_log(fresh)
    assert set(log["field"]) == {"value", "claimant"} and set(log["user"]) == {"Ada"}
    assert set(log["kind"]) == {"edit"}

    # rejecting removes the claim from charts, table and CSV, and says so where the person is
    downloads = capture_downloads(monkeypatch)
    pick(fresh, cid)
    fresh.button(key="reject").click().run()
    assert fresh.session_state["section"] == "Curate"
    assert any(f"Claim {cid} rejected" in s.value for s in fresh.success)
    assert any("is rejected" in w.value for w in fresh.warning)
    assert cid not in set(claims_table(fresh)["claim_id"])
    assert "Russian General Staff" not in chart_claimants(fresh)
    csv = pd.read_csv(io.BytesIO(downloads_of(fresh, downloads, "Claims")["figures-claims.csv"]()),
                      encoding="utf-8-sig")
    assert cid not in set(csv["claim_id"]) and len(csv) == len(CLAIMS) - 1
    other = _claim_id(seeded_url, 5327)
    pick(fresh, other)
    fresh.button(key="confirm").click().run()
    table = claims_table(fresh)
    assert table.loc[table["claim_id"] == other, "status"].iloc[0] == "confirmed"
    assert list(corrections_log(fresh)["kind"])[-2:] == ["reject", "confirm"]
    # a rejected claim can be restored from the same place
    pick(fresh, cid)
    fresh.button(key="restore").click().run()
    assert cid in set(claims_table(fresh)["claim_id"])


def test_editing_claims_in_turn_saves_only_each_claims_own_changes(seeded_url, editing):
    """Pick one claim, then others: each form shows its own claim, and a save stores only the
    fields the person changed there (no values carried over from the claim picked before)."""
    with Store(seeded_url) as store:
        before = store.claims_frame().set_index("claim_id")
    edits = {_claim_id(seeded_url, 5710): {"value": "5711"},
             _claim_id(seeded_url, 1351): {"value": "1400", "claimant": "Igor Konashenkov"},
             _claim_id(seeded_url, 5327): {"location": "Kyiv"}}
    at = run_app()
    for cid, change in edits.items():
        pick(at, cid)
        for name in views.EDITABLE_FIELDS:
            assert edit_input(at, name).value == views.current_value(before.loc[cid].to_dict(), name), (cid, name)
        for name, value in change.items():
            edit_input(at, name).set_value(value)
        review(at)
        at.button(key="save_edit").click().run()
        assert not at.exception
    with Store(seeded_url) as store:
        after = store.claims_frame().set_index("claim_id")
        log = store.corrections_frame()
    assert sorted(zip(log["claim_id"], log["field"])) == sorted((c, f) for c, ch in edits.items() for f in ch)
    for cid, change in edits.items():
        for name in views.EDITABLE_FIELDS:
            wanted = views.parse_edit(name, change[name]) if name in change else before.loc[cid, name]
            assert views.current_value({name: after.loc[cid, name]}, name) == \
                views.current_value({name: wanted}, name), (cid, name)


def test_an_edit_on_values_someone_changed_since_is_refused(seeded_url, editing):
    cid = _claim_id(seeded_url, 1351)
    first, second = pick(run_app(), cid, "Ada"), pick(run_app(), cid, "Ben")
    edit_input(first, "claimant").set_value("Igor Konashenkov")
    edit_input(second, "claimant").set_value("Russian General Staff")
    review(first)
    review(second)
    first.button(key="save_edit").click().run()
    second.button(key="save_edit").click().run()
    assert any("NOT corrected" in e.value and "someone else" in e.value for e in second.error)
    with Store(seeded_url) as store:
        assert store.get_claim(cid)["claimant"] == "Igor Konashenkov"
        assert list(store.corrections_frame()["user"]) == ["Ada"]
    assert edit_input(second, "claimant").value == "Igor Konashenkov"  # the form shows the stored value now


def test_changes_by_others_show_within_the_refresh_interval(seeded_url, monkeypatch):
    monkeypatch.setenv("FIGURES_REFRESH_SECONDS", "0.5")
    cid = _claim_id(seeded_url, 1351)
    at = run_app()
    with Store(seeded_url) as store:  # another process's editor
        store.add_correction(cid, "reject", user="elsewhere")
    assert cid in set(claims_table(at)["claim_id"])
    # once a look is due, the new version is prepared in the background, then shown
    deadline = time.time() + 20
    while cid in set(claims_table(at)["claim_id"]) and time.time() < deadline:
        time.sleep(0.2)
        at.run()
    assert cid not in set(claims_table(at)["claim_id"])
    assert any("changes show within 0.5 s" in c.value for c in at.caption)


def test_a_refresh_is_prepared_before_it_is_shown():
    started, release = threading.Event(), threading.Event()
    prepared = []

    def prepare(token: str) -> None:
        started.set()
        release.wait(10)
        prepared.append(token)

    refresher = views.Refresher(prepare)
    assert refresher.shown("x:1") == "x:1"
    assert refresher.shown("x:2") == "x:1"  # the newer one is being prepared
    assert started.wait(10)
    assert refresher.shown("x:3") == "x:1"  # one preparation at a time
    release.set()
    refresher.wait(10)
    assert prepared == ["x:2"] and refresher.shown("x:3") == "x:2"
    refresher.wait(10)
    assert refresher.shown("x:3") == "x:3"


def test_a_write_that_fails_says_it_did_not_land(seeded_url, monkeypatch, editing):
    from sqlalchemy.exc import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("UPDATE claims", {}, Exception("database is locked"))

    cid = _claim_id(seeded_url, 1351)
    at = pick(run_app(), cid)
    monkeypatch.setattr(Store, "add_corrections", locked)
    at.button(key="reject").click().run()
    assert any(f"Claim {cid} was NOT rejected" in e.value and "database refused the write" in e.value
               and "UPDATE" not in e.value for e in at.error)
    assert not at.success and "undo" not in [b.key for b in at.button] and at.session_state["section"] == "Curate"
    monkeypatch.undo()
    with Store(seeded_url) as store:
        assert not store.get_claim(cid)["rejected"] and store.corrections_frame().empty


def test_invalid_edit_is_refused(seeded_url, editing):
    cid = _claim_id(seeded_url, 1351)
    at = pick(run_app(), cid)
    edit_input(at, "value").set_value("lots")
    review(at)
    assert any("number" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "save_edit"]
    with Store(seeded_url) as store:
        assert len(store.corrections_frame()) == 0
    at.text_input(key="curate_id").set_value("999999").run()
    assert any("No claim" in e.value for e in at.error)


# ---------------------------------------------------------------- access


def test_read_only_mode_hides_every_editing_control(seeded_url, monkeypatch):
    monkeypatch.setenv("FIGURES_READ_ONLY", "1")
    at = run_app()
    assert tab_labels(at) == ["Timeline", "Claims", "Corrections log"]
    assert len(at.file_uploader) == 0 and len(at.text_area) == 0
    keys = {w.key for w in at.text_input}
    assert not keys & {"curate_id", "paste_title", "editor_password"}
    assert not [b for b in at.button if b.key in ("add_files", "confirm", "reject")]
    assert len(claims_table(at)) == len(CLAIMS)  # viewers still see everything


def test_editor_password_gates_editing(seeded_url, monkeypatch):
    monkeypatch.setenv("FIGURES_EDITOR_PASSWORD", "correct horse")
    at = run_app()
    assert "Curate" not in tab_labels(at)
    at.text_input(key="editor_password").set_value("wrong")
    at.button(key="login").click().run()
    assert any("Wrong password" in e.value for e in at.error)
    assert "Curate" not in tab_labels(at)
    at.text_input(key="editor_password").set_value("correct horse")
    at.button(key="login").click().run()
    assert "Curate" in tab_labels(at) and "Add articles" in tab_labels(at)


# ---------------------------------------------------------------- hostile text


HOSTILE = (
    "title: <script>window.__pwned=1</script> Breaking\nurl: javascript:alert(1)\n"
    "outlet: <b>Evil</b> [Wire](http://evil.example)\npublished: 2022-06-01\n\n"
    "Ukraine's General Staff said on 1 June that about 30,700 Russian soldiers had been killed "
    "<img src=x onerror=\"window.__pwned=2\">.\n"
)


def test_hostile_text_is_shown_as_text_never_as_markup(seeded_url):
    with Store(seeded_url) as store:
        result = views.ingest_upload(store, "hostile.txt", HOSTILE.encode())
        assert result.ok and result.claims >= 1, result.message()
    at = run_app({"q": "onerror"})
    table = claims_table(at)
    assert len(table) >= 1
    assert "<img src=x" in table["quote"].iloc[0]
    assert (table["url"] == "").all()  # a javascript: URL is never a link (a blank cell)
    texts = [t.value for t in at.text]
    assert any("<script>window.__pwned=1</script>" in t for t in texts)
    assert any("onerror=" in t for t in texts)
    # nothing user-written reaches markdown or HTML unescaped
    assert len(at.get("html")) == 0
    for element in list(at.markdown) + list(at.subheader) + list(at.caption) + list(at.success) + list(at.error):
        assert "<script" not in element.value and "<img" not in element.value
        assert "](http://evil" not in element.value


def test_refresh_settings_and_the_newest_token():
    assert views.refresh_seconds({}) == 10.0
    assert views.refresh_seconds({"FIGURES_REFRESH_SECONDS": "0"}) == 0.0
    assert views.refresh_seconds({"FIGURES_REFRESH_SECONDS": "soon"}) == 10.0
    assert views.refresh_seconds({}, {"figures": {"refresh_seconds": 30}}) == 30.0
    assert views.newest_token("ab12:9", None, "ab12:10") == "ab12:10"


# ---------------------------------------------------------------- entities and conditional figures


def test_charts_group_by_entity_and_hide_conditional_figures_unless_asked(seeded_url, monkeypatch):
    with Store(seeded_url) as store:
        store.bulk_load_claims([
            claim("d2", 40, 6000, "the General Staff of Ukraine's armed forces", "Ukraine", "2022-03-20"),
            claim("d2", 50, 90000, "Scott Berrier", "United States", "2022-03-21", conditional=True,
                  quote="Scott Berrier said losses could reach 90,000."),
        ])
    at = run_app()
    points = pd.concat(chart_frames(at))
    general_staff = points[points["claimant"] == GENERAL_STAFF]
    assert {"Ukraine's General Staff", "the General Staff of Ukraine's armed forces"} <= set(general_staff["as_named"])
    assert 90000 not in set(points["value"])
    assert 90000 in set(claims_table(at)["value"])  # the table keeps it, with its flag
    assert claims_table(at).set_index("value").loc[90000, "conditional"]
    assert all(90000 not in set(t["value"]) for t in glance_tables(at))
    downloads = capture_downloads(monkeypatch)
    csv = pd.read_csv(io.BytesIO(downloads_of(at, downloads, "Claims")["figures-claims.csv"]()), encoding="utf-8-sig")
    assert {"claimant_entity", "conditional"} <= set(csv.columns)
    assert csv.set_index("value").loc[90000, "conditional"]
    assert set(csv.loc[csv["claimant_entity"] == GENERAL_STAFF, "claimant"]) >= {"Ukraine's General Staff"}

    at.toggle(key="f_cond").set_value(True).run()
    assert not at.exception
    assert 90000 in set(pd.concat(chart_frames(at))["value"])
    assert url_values(at, views.QUERY_KEYS["conditional"]) == ["show"]
    shared = run_app({views.QUERY_KEYS["conditional"]: "show"})
    assert 90000 in set(pd.concat(chart_frames(shared))["value"])


def test_one_claim_reported_by_several_articles_is_one_point(empty_url):
    docs = [Document(id=f"m{n}", text=f"dispatch m{n}", title=f"Toll {n}", outlet=outlet,
                     url=f"https://example.org/m{n}", published=dt.date(2022, 3, 1 + n))
            for n, outlet in enumerate(["Wire A", "Wire B", "Wire C"])]
    rows = [claim(f"m{n}", 0, value, "Ukraine's General Staff", "Ukraine", f"2022-03-0{1 + n}")
            for n, value in enumerate([5000, 5010, 5000])]
    rows.append(claim("m2", 10, 6100, "Ukraine's General Staff", "Ukraine", "2022-03-03"))
    with Store(empty_url) as store:
        assert store.bulk_load_claims(rows, docs) == 4
        frame = store.claims_frame()
        assert frame["mention_group"].nunique() == 2  # 5,000 and 5,010 within 0.5% and 3 days
    at = run_app()
    points = pd.concat(chart_frames(at))
    assert sorted(points["value"]) == [5000, 6100]
    linked = points[points["value"] == 5000].iloc[0]
    assert linked["mentions"] == 3 and linked["sources"] == "Wire A, Wire B, Wire C"
    assert len(claims_table(at)) == 4  # the table and the CSV keep one row per mention
    assert claims_table(at)["mention_group"].nunique() == 2
    # a click on the point shows the claim with every article that reported it (the panel: test_e2e_browser)
    with Store(empty_url) as store:
        mentions = views.claim_mentions(store, views.load_frame(store), int(linked["claim_id"]))
    assert list(mentions["outlet"]) == ["Wire A", "Wire B", "Wire C"]
    assert list(mentions["url"]) == [f"https://example.org/m{n}" for n in range(3)]
    assert list(mentions["published"]) == ["2022-03-01", "2022-03-02", "2022-03-03"]


def select_rows(at: AppTest, rows: list[int]) -> AppTest:
    """Select rows of the Curate table, as clicks (shift/ctrl for several) do."""
    key = f"curate_table_{at.session_state['_curate_round'] if '_curate_round' in at.session_state else 0}"
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def curate_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if list(d.value.columns) == views.CURATE_COLUMNS)


def test_bulk_reject_then_undo_with_one_message_each(seeded_url, editing):
    at = show(run_app(), "Curate")
    at.text_input(key="curate_user").set_value("Ada").run()
    table = curate_table(at)
    chosen = [int(table.iloc[i]["claim_id"]) for i in (0, 2, 3)]
    select_rows(at, [0, 2, 3])
    assert "bulk_reject" in [b.key for b in at.button]
    at.button(key="bulk_reject").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [views.md_escape(views.curation_message("reject", chosen, "Ada"))]
    assert not at.error
    with Store(seeded_url) as store:
        assert all(store.get_claim(cid)["rejected"] for cid in chosen)
    assert not set(chosen) & set(curate_table(at)["claim_id"])
    assert "bulk_reject" not in [b.key for b in at.button]  # the selection is cleared with the rows gone
    assert not set(chosen) & set(claims_table(at)["claim_id"])
    show(at, "Curate")
    at.button(key="undo").click().run()
    assert [s.value for s in at.success] == [views.md_escape(views.curation_message("restore", chosen, "Ada",
                                                                                    undo=True))]
    assert set(chosen) <= set(curate_table(at)["claim_id"])
    assert "undo" not in [b.key for b in at.button]  # one undo, of the last action
    assert list(corrections_log(at)["kind"]) == ["reject"] * 3 + ["restore"] * 3


def test_bulk_confirm_and_its_undo(seeded_url, editing):
    at = show(run_app(), "Curate")
    table = curate_table(at)
    chosen = [int(table.iloc[i]["claim_id"]) for i in (1, 4)]
    select_rows(at, [1, 4]).button(key="bulk_confirm").click().run()
    assert len(at.success) == 1 and not at.error
    statuses = claims_table(at).set_index("claim_id")["status"]
    assert all(statuses[cid] == "confirmed" for cid in chosen)
    show(at, "Curate").button(key="undo").click().run()
    statuses = claims_table(at).set_index("claim_id")["status"]
    assert not any(statuses[cid] == "confirmed" for cid in chosen)


def test_rejecting_one_claim_leaves_one_message_and_an_undo(seeded_url, editing):
    cid = _claim_id(seeded_url, 1351)
    at = pick(run_app(), cid)
    at.button(key="reject").click().run()
    assert len(at.success) == 1 and not at.error
    at.button(key="undo").click().run()
    assert len(at.success) == 1 and not at.error and "Undone" in at.success[0].value
    with Store(seeded_url) as store:
        assert not store.get_claim(cid)["rejected"]


def facet(at: AppTest, key: str) -> dict[str, int]:
    """A sidebar facet's options as shown ('OHCHR (3)'), as {value: count} in their order."""
    pairs = [option.rsplit(" (", 1) for option in at.multiselect(key=key).options]
    return {name: int(count.rstrip(")").replace(",", "")) for name, count in pairs}


def test_facets_are_narrowed_by_the_other_filters_and_show_counts(seeded_url):
    at = run_app()
    claimants = facet(at, "f_claimants")
    assert claimants["General Staff of the Armed Forces of Ukraine"] == 4 and claimants["OHCHR"] == 3
    assert next(iter(claimants)) == "General Staff of the Armed Forces of Ukraine"  # most claims first
    at.multiselect(key="f_sides").set_value(["Russia"]).run()
    assert facet(at, "f_claimants") == {"Sergei Rudskoy": 1}
    # a facet does not narrow itself: a second side stays possible
    assert {"Russia", "Ukraine", "United Nations"} <= set(facet(at, "f_sides"))
    assert facet(at, "f_metrics") == {"deaths": 1}
    at.multiselect(key="f_sides").set_value(["Russia", "United Nations"]).run()
    at.multiselect(key="f_claimants").set_value(["Sergei Rudskoy"]).run()
    assert facet(at, "f_sides") == {"Russia": 1, "United Nations": 0}
    at.multiselect(key="f_sides").set_value(["United Nations"]).run()
    # a choice the others exclude stays, with 0
    assert at.multiselect(key="f_claimants").value == ["Sergei Rudskoy"]
    assert facet(at, "f_claimants") == {"OHCHR": 3, "Sergei Rudskoy": 0}
    at.multiselect(key="f_claimants").set_value(["OHCHR"]).run()
    assert facet(at, "f_claimants")["OHCHR"] == 3
    at.date_input(key="f_from").set_value(dt.date(2022, 8, 1)).run()
    # the label the person picked ('OHCHR (3)') changed with the date; the choice did not
    assert at.multiselect(key="f_claimants").value == ["OHCHR"] and facet(at, "f_claimants")["OHCHR"] == 2
    assert facet(at, "f_subjects") == {"civilians": 2}
    assert len(claims_table(at)) == 2


def test_clean_choices_reads_a_label_back_as_its_value():
    known = {"OHCHR", "Unit (5)", "Oryx"}
    assert views.clean_choices(["OHCHR (1,234)", "Oryx", "Unit (5)", "Oryx (2)"], known) == ["OHCHR", "Oryx", "Unit (5)"]
    assert views.clean_choices(["Nobody (3)", ""], known) == ["Nobody (3)"]  # unknown: kept as typed, matches nothing
    assert views.facet_label("OHCHR", {"OHCHR": 1234}) == "OHCHR (1,234)"


GAZA_DOCS = [Document(id="g1", text="dispatch g1", title="Strip toll", outlet="Coast Wire",
                      url="https://example.org/g1", published=dt.date(2023, 11, 2)),
             Document(id="g2", text="dispatch g2", title="Border report", outlet="Coast Wire",
                      url="https://example.org/g2", published=dt.date(2023, 11, 9))]
GAZA_CLAIMS = [
    claim("g1", 0, 9000, "Gaza health ministry", "Palestine", "2023-11-02", subject="people"),
    claim("g1", 10, 9100, "The outlet", "media", "2023-11-02", subject="people"),  # the document says where
    claim("g2", 0, 1200, "Israeli officials", "Israel", "2023-11-09", subject="people"),
    claim("g2", 10, 240, "Army spokesman", "unknown", "2023-11-09", metric="prisoners", subject="people",
          location="Khan Younis"),
]


def test_place_comes_from_location_side_or_document_and_unknown_stays_visible(empty_url):
    with Store(empty_url) as store:
        store.bulk_load_claims(CLAIMS + GAZA_CLAIMS, DOCS + GAZA_DOCS)
        frame = views.load_frame(store)
    place = dict(zip(frame["value"], frame["place"].astype(str)))
    assert place[9000] == place[9100] == place[1200] == place[240] == "Israel–Gaza war"
    assert place[5710] == place[1351] == "Russia–Ukraine war"
    assert place[5327] == views.UNKNOWN_PLACE  # the UN office, no location, no located claim in its article
    assert place[3000] == "Russia–Ukraine war"  # a US official in an article whose other claims are located
    default = views.default_view(frame)
    assert default.places == ("Russia–Ukraine war",) and default.series == ("deaths — Russian military",)
    assert views.default_view(frame[frame["place"] != "Israel–Gaza war"]) == views.ViewFilters()


def test_the_default_view_is_one_theatre_and_a_link_keeps_its_own(empty_url):
    with Store(empty_url) as store:
        store.bulk_load_claims(CLAIMS + GAZA_CLAIMS, DOCS + GAZA_DOCS)
    at = run_app()
    assert at.multiselect(key="f_places").value == ["Russia–Ukraine war"]
    assert url_values(at, "place") == ["Russia–Ukraine war"]
    places = facet(at, "f_places")
    assert places["Israel–Gaza war"] == 4 and places[views.UNKNOWN_PLACE] == 3
    assert [f["series"].iloc[0] for f in chart_frames(at)] == ["deaths — Russian military"]
    assert "Gaza health ministry" not in facet(at, "f_claimants")
    at.multiselect(key="f_places").set_value(["Israel–Gaza war"]).run()
    at.multiselect(key="f_series").set_value([]).run()
    assert chart_claimants(at) >= {"Gaza health ministry", "Israel"}  # 'Israeli officials' is Israel's voice
    linked = run_app({"place": views.UNKNOWN_PLACE})
    assert linked.multiselect(key="f_places").value == [views.UNKNOWN_PLACE]
    assert set(claims_table(linked)["claimant"]) == {"OHCHR"}
