"""figures dashboard: competing figures over time, grouped by who made each claim.

This file only draws widgets and calls figures.views / figures.charts / the store.
No user text is rendered as HTML: titles, quotes, outlets and file names go through
st.text, st.dataframe or escaped markdown (views.md_escape).
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from figures import charts, views
from figures.store import Store

st.set_page_config(page_title="figures: competing figures over time", layout="wide")

FILTER_KEYS = {
    "places": "f_places", "metrics": "f_metrics", "subjects": "f_subjects", "claimants": "f_claimants",
    "sides": "f_sides", "outlets": "f_outlets", "series": "f_series", "date_from": "f_from",
    "date_to": "f_to", "text": "f_text", "colour_by": "f_colour", "log_scale": "f_log",
    "conditional": "f_cond",
}

FACET_ATTRS = {"place": "places", "metric": "metrics", "subject": "subjects", "claimant": "claimants", "side": "sides",
               "outlet": "outlets"}


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml: that is fine
        return {}


SETTINGS = views.resolve_settings(os.environ, _secrets())
REFRESH_SECONDS = views.refresh_seconds(os.environ, _secrets())


# ---------------------------------------------------------------- data access (cached)


@st.cache_resource(show_spinner="Opening the store…")
def get_store(url: str | None) -> Store:
    """The store; read-only opens it without writing anything (no schema, no demo)."""
    store = Store(url, read_only=SETTINGS.read_only)
    if not SETTINGS.read_only:
        views.ensure_demo(store)
    return store


@st.cache_resource
def login_throttle() -> views.LoginThrottle:
    """Failed logins, shared by every session of this server process."""
    return views.LoginThrottle()


@st.cache_data(max_entries=4, show_spinner=False)
def process_token(url: str | None, tick: int) -> str:
    """The store's newest data version, looked up at most once per REFRESH_SECONDS (``tick``
    changes when a look is due)."""
    return get_store(url).state_token()


@st.cache_resource
def refresher(url: str | None) -> views.Refresher:
    """The data version this process shows; a newer one is prepared in the background."""
    return views.Refresher(lambda token: prepare(url, token))


@st.cache_resource
def recent_views(url: str | None) -> collections.deque:
    """The view-model arguments sessions of this process used last: prepared for a new version."""
    return collections.deque(maxlen=16)


def prepare(url: str | None, token: str) -> None:
    """Load a data version's frame and the views asked for recently, before showing it."""
    facets(url, token)
    facet_counts(url, token, views.ViewFilters().data_key())
    for args in list(dict.fromkeys(recent_views(url))):
        view_model(url, token, *args)


def data_token(store: Store, url: str | None) -> str:
    """The data version this session shows: the process's, or a newer one this session wrote."""
    if not REFRESH_SECONDS:
        return store.state_token()
    tick = int((time.time() + os.getpid() % REFRESH_SECONDS) // REFRESH_SECONDS)  # processes refresh apart
    shown = refresher(url).shown(process_token(url, tick))
    return views.newest_token(shown, st.session_state.get("_own_token"))


def wrote(store: Store) -> None:
    """This session changed the store: from now on it shows at least that version."""
    st.session_state["_own_token"] = store.state_token()


@st.cache_resource(max_entries=3, show_spinner="Loading claims…")
def claims_frame(url: str | None, token: str) -> pd.DataFrame:
    """The light frame of one data version (views.load_frame: ids, figures, dates and facet
    columns; no quotes, titles or urls), shared read-only by every session. cache_resource,
    not cache_data: cache_data would pickle and copy its million rows on every hit. Keyed
    on the store's state token, never on a frame; nothing mutates it."""
    return views.load_frame(get_store(url))


@st.cache_data(max_entries=8, show_spinner=False)
def facets(url: str | None, token: str) -> dict:
    frame = claims_frame(url, token)
    return {"span": views.date_span(frame), "default": views.default_view(frame),
            "documents": get_store(url).count_documents(), "claims": len(frame)}


@st.cache_resource(max_entries=2, show_spinner=False)
def quote_index(url: str | None, token: str) -> views.QuoteIndex:
    """The quotes of one data version, loading in the background from the first page on
    (views.QuoteIndex); shared by every session like the light frame."""
    return views.QuoteIndex(get_store(url))


@st.cache_data(max_entries=16, show_spinner=False)
def matching_ids(url: str | None, token: str, text: str) -> np.ndarray | None:
    """Ids of the claims whose quote holds ``text``, per data version and text: searched in
    memory once the quote index has loaded, in SQL before."""
    return quote_index(url, token).search(text) if text else None


@st.cache_resource(max_entries=64, show_spinner=False)
def view_model(url: str | None, token: str, key: tuple, series: tuple, colour_by: str, log_scale: bool,
               conditional: bool = False) -> dict:
    """Everything the page draws for one filter state (views.view_model, chart data already as
    Arrow bytes), keyed on the state token and the filters. cache_resource: one object shared
    read-only by every session, not unpickled per rerun (a fifth of a rerun at 100,000
    claims); nothing mutates it."""
    filters = views.ViewFilters.from_data_key(key)
    return views.with_arrow_tables(views.view_model(get_store(url), claims_frame(url, token), filters, series,
                                                    colour_by, log_scale, matching_ids(url, token, filters.text.strip()),
                                                    conditional))


@st.cache_data(max_entries=8, show_spinner=False)
def corrections(url: str | None, token: str):
    return get_store(url).corrections_frame()


# ---------------------------------------------------------------- filters <-> URL


def seed_filters_from_url(default: views.ViewFilters) -> None:
    """The session's first filters: the link's, or ``default`` for a link without any."""
    if st.session_state.get("_seeded"):
        return
    params = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    start = views.filters_from_query(params) if params else default
    for attr, key in FILTER_KEYS.items():
        value = getattr(start, attr)
        st.session_state[key] = list(value) if isinstance(value, tuple) else value
    st.session_state["_seeded"] = True


@st.cache_data(max_entries=32, show_spinner=False)
def facet_counts(url: str | None, token: str, key: tuple) -> dict[str, dict[str, int]]:
    """Claims per facet value under the other filters (views.facet_counts), per data version
    and filter state."""
    filters = views.ViewFilters.from_data_key(key)
    return views.facet_counts(claims_frame(url, token), filters, matching_ids(url, token, filters.text.strip()))


def state_filters() -> views.ViewFilters:
    """The row filters as the sidebar's widgets hold them at the start of this run, before
    they are drawn: what narrows each facet's options."""
    get = st.session_state.get
    return views.ViewFilters(**{attr: tuple(v for v in get(FILTER_KEYS[attr]) or () if v)
                                for attr in FACET_ATTRS.values()},
                             date_from=get(FILTER_KEYS["date_from"]), date_to=get(FILTER_KEYS["date_to"]),
                             text=get(FILTER_KEYS["text"]) or "")


def settle_facets(known: dict[str, dict[str, int]]) -> None:
    """Put each facet's choice back as plain values before anything reads it: its labels
    carry counts, which change with the other filters (views.clean_choices)."""
    for col, attr in FACET_ATTRS.items():
        key = FILTER_KEYS[attr]
        if key in st.session_state:
            st.session_state[key] = views.clean_choices(st.session_state[key] or [], known[col])


def multiselect(label: str, counts: dict[str, int], attr: str, container) -> tuple[str, ...]:
    """A facet: the values the other filters leave, most claims first, each with its count;
    values already chosen stay (with their count, maybe 0) so a choice is never lost."""
    key = FILTER_KEYS[attr]
    chosen = [v for v in st.session_state.get(key, []) if v]
    options = sorted(set(counts) | set(chosen), key=lambda v: (-counts.get(v, 0), v.casefold()))
    return tuple(container.multiselect(label, options, key=key, format_func=lambda v: views.facet_label(v, counts)))


def draw_filters(meta: dict, counts: dict[str, dict[str, int]]) -> views.ViewFilters:
    side = st.sidebar
    side.header("Filters")
    side.caption("Each list offers what the other filters leave, with its number of claims.")
    places = multiselect("Place", counts["place"], "places", side)
    metrics = multiselect("Metric", counts["metric"], "metrics", side)
    subjects = multiselect("Subject", counts["subject"], "subjects", side)
    claimants = multiselect("Claimant", counts["claimant"], "claimants", side)
    sides = multiselect("Side", counts["side"], "sides", side)
    outlets = multiselect("Outlet", counts["outlet"], "outlets", side)
    low, high = meta["span"]
    date_from = side.date_input("From", key=FILTER_KEYS["date_from"], value=None,
                                min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1),
                                format="YYYY-MM-DD", help=f"Claims start on {low}" if low else None)
    date_to = side.date_input("To", key=FILTER_KEYS["date_to"], value=None,
                              min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1),
                              format="YYYY-MM-DD", help=f"Claims end on {high}" if high else None)
    text = side.text_input("Search in quotes", key=FILTER_KEYS["text"], max_chars=300)
    side.header("Display")
    colour_by = side.radio("Colour by", ["claimant", "side"], key=FILTER_KEYS["colour_by"], horizontal=True)
    log_scale = side.toggle("Log scale", key=FILTER_KEYS["log_scale"])
    conditional = side.toggle("Show conditional figures", key=FILTER_KEYS["conditional"],
                              help="Hypothetical, planned or historical figures ('could kill', 'aims to recruit')")
    return views.ViewFilters(
        places=places, metrics=metrics, subjects=subjects, claimants=claimants, sides=sides, outlets=outlets,
        series=tuple(st.session_state.get(FILTER_KEYS["series"], []) or ()),
        date_from=date_from, date_to=date_to, text=text or "",
        colour_by=colour_by or "claimant", log_scale=bool(log_scale), conditional=bool(conditional),
    )


def sync_url(filters: views.ViewFilters) -> None:
    wanted = views.filters_to_query(filters)
    current = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    normal = {k: (v if isinstance(v, list) else [v]) for k, v in wanted.items()}
    if normal != current:
        st.query_params.from_dict(wanted)


# ---------------------------------------------------------------- editors


def editor_mode() -> bool:
    if SETTINGS.read_only:
        return False
    if SETTINGS.editing_open:
        return True
    if not SETTINGS.needs_login:
        st.sidebar.caption("Editing is off: set FIGURES_EDITOR_PASSWORD (editors log in here), "
                           "or FIGURES_OPEN_EDITING=1 to let everyone edit on your own machine.")
        return False
    if st.session_state.get("_editor"):
        with st.sidebar:
            if st.button("Log out (editor)", key="logout"):
                st.session_state["_editor"] = False
                st.rerun()
        return True
    with st.sidebar.expander("Editors", expanded=bool(st.session_state.get("_login_failed"))):
        st.text_input("Editor password", type="password", key="editor_password")
        st.button("Log in", key="login", on_click=_log_in)
        if st.session_state.get("_login_failed"):
            st.error(st.session_state["_login_failed"])
    return False


def _log_in() -> None:
    address = st.context.ip_address
    client = address if isinstance(address, str) and address else "unknown client"
    ok, message = views.try_login(login_throttle(), client, st.session_state.get("editor_password"),
                                  SETTINGS.editor_password)
    st.session_state["_editor"] = ok
    st.session_state["_login_failed"] = message
    st.session_state["editor_password"] = ""


def flash(message: str, kind: str = "success") -> None:
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    shown = st.session_state.pop("_flash", [])
    for kind, message in shown:
        getattr(st, kind)(views.md_escape(message))
    st.session_state["_flashed"] = bool(shown)


def act(write: Callable[[], object], done: str, failed: str) -> None:
    """Run one write and say, in the section the person is in, whether it landed; then rerun
    the page (its data changed). A write that fails says so and stores nothing."""
    error = views.safely(write, failed)
    if error:
        flash(error, "error")
    else:
        wrote(get_store(SETTINGS.database_url))
        flash(done)
    st.rerun()


# ---------------------------------------------------------------- sections


@st.fragment
def draw_timeline(url: str | None, token: str, filters: views.ViewFilters) -> None:
    """The charts: a fragment, so picking series or a point reruns this part only (the
    series come from the session, not from ``filters`` of the last full run)."""
    filters = replace(filters, series=tuple(st.session_state.get(FILTER_KEYS["series"], []) or ()))
    sync_url(filters)
    model = page_model(url, token, filters)
    options = model["series_options"]
    chosen = [s for s in st.session_state.get(FILTER_KEYS["series"], []) if s]
    st.multiselect("Metric and subject to chart (largest three when empty)",
                   sorted(set(options) | set(chosen)), key=FILTER_KEYS["series"])
    if not model["panels"]:
        st.info("No claims match these filters.")
        return
    for index, panel in enumerate(model["panels"]):
        st.subheader(views.md_escape(panel["series"]))
        points = panel["points"]
        chart = None
        for kind, spec in panel["specs"]:
            if kind == "running total":
                event = st.vega_lite_chart(spec=spec, key=f"chart_{index}", on_select="rerun",
                                           selection_mode=["pick"], width="stretch")
                show_pick(event, points, url, token, f"picked_{index}")
            else:
                st.caption("Per-period figures (per day, per month, …): their own chart, "
                           "never on the line of running totals.")
                st.vega_lite_chart(spec=spec, key=f"chart_{index}_{kind}", width="stretch")
            chart = chart if chart is not None else spec
        st.markdown("**Competing figures at a glance** (each claimant's latest running total)")
        if len(panel["table"]):
            st.dataframe(panel["table_arrow"], hide_index=True, key=f"glance_{index}", column_config={
                "url": st.column_config.LinkColumn("Source", display_text="open"),
                "value": st.column_config.NumberColumn("Value", format="localized"),
            })
            if len(panel["table"]) > 1:
                st.text(views.spread_text(panel["spread"]))
        else:
            st.text("No running totals here, only per-period figures.")
        if chart is not None:
            cols = st.columns(4)
            slug = "".join(c if c.isalnum() else "-" for c in panel["series"].lower()).strip("-")[:60]
            cols[0].download_button("Chart as PNG", data=lambda c=chart: charts.chart_image(c, "png"),
                                    file_name=f"figures-{slug}.png", mime="image/png",
                                    key=f"png_{index}", on_click="ignore")
            cols[1].download_button("Chart as SVG", data=lambda c=chart: charts.chart_image(c, "svg"),
                                    file_name=f"figures-{slug}.svg", mime="image/svg+xml",
                                    key=f"svg_{index}", on_click="ignore")
            draw_csv_choices(url, token, filters, panel, slug, model["count"], index, cols[2:])
        st.divider()


def draw_csv_choices(url: str | None, token: str, filters: views.ViewFilters, panel: dict, slug: str,
                     count: int, index: int, cols: list) -> None:
    """Two CSV downloads under a chart, each saying what it holds: this chart's claims, and
    all filtered claims (both through the one safe writer, views.filtered_csv)."""
    store, frame = get_store(url), claims_frame(url, token)
    matching = matching_ids(url, token, filters.text.strip())
    cols[0].download_button("CSV: this chart", key=f"csv_chart_{index}", on_click="ignore", mime="text/csv",
                            data=lambda: views.filtered_csv(store, frame, filters, matching, panel["series"]),
                            file_name=f"figures-{slug}.csv",
                            help=views.download_caption(panel["claims"], filters, panel["series"]))
    cols[1].download_button("CSV: all filtered claims", key=f"csv_all_{index}", on_click="ignore",
                            data=lambda: views.filtered_csv(store, frame, filters, matching),
                            file_name="figures-claims.csv", mime="text/csv",
                            help=views.download_caption(count, filters))
    st.caption(f"CSV this chart: {views.download_caption(panel['claims'], filters, panel['series'])} "
               f"CSV all: {views.download_caption(count, filters)}")


def show_pick(event, points: pd.DataFrame, url: str | None, token: str, key: str) -> None:
    """The clicked point's claim and every article that reported it (its mention group); the
    source links open in a new tab, so the dashboard stays where it was."""
    try:
        picked = event.selection.get("pick") or []
    except AttributeError:
        return
    ids = [p.get("claim_id") for p in picked if isinstance(p, dict) and p.get("claim_id") is not None]
    rows = points[points["claim_id"].isin(ids)]
    if not len(rows):
        return
    first = rows.iloc[0]
    with st.container(border=True):
        st.markdown("**Selected claim**")
        st.text(f"{views.plain(first['claimant'])} ({views.plain(first['side'])}): "
                f"{views.plain(first['stated']) or views.plain(first['label'])}, "
                f"{pd.Timestamp(first['date']):%d %b %Y}")
        st.text(f"Quote: {views.plain(first['quote'])}")
        mentions = views.claim_mentions(get_store(url), claims_frame(url, token), int(first["claim_id"]))
        st.caption(f"Reported by {len(mentions):,} article(s); sources open in a new tab")
        st.dataframe(mentions, hide_index=True, key=key, column_config={
            "url": st.column_config.LinkColumn("Source", display_text="open source"),
            "quote": st.column_config.TextColumn("Quote", width="large")})


def draw_claims(model: dict, filters: views.ViewFilters, store: Store, frame: pd.DataFrame,
                matching: np.ndarray | None) -> None:
    table = model["table"]
    shown = min(len(table), model["count"])
    st.text(f"{model['count']:,} claims match ({views.filter_summary(filters)}); "
            f"the table shows the newest {shown:,}, the CSV holds all of them.")
    st.caption(f"CSV: {views.download_caption(model['count'], filters)} "
               "Each chart on the Timeline offers its own claims as CSV too.")
    st.download_button(
        "Download these claims as CSV",
        data=lambda: views.filtered_csv(store, frame, filters, matching),
        file_name="figures-claims.csv", mime="text/csv", key="csv", on_click="ignore",
    )
    st.dataframe(model["table_arrow"], hide_index=True, key="claims_table", column_config={
        "url": st.column_config.LinkColumn("Source", display_text="open"),
        "quote": st.column_config.TextColumn("Quote", width="large"),
        "title": st.column_config.TextColumn("Title"),
        "value": st.column_config.NumberColumn("Value", format="localized"),
    })
    if len(table):
        st.caption("Newest claim in this view, as plain text")
        first = table.iloc[0]
        st.text(f"Title: {views.plain(first['title'])}")
        st.text(f"Quote: {views.plain(first['quote'])}")
        st.text(f"Outlet: {views.plain(first['outlet'])}")


@st.fragment
def draw_intake(store: Store) -> None:
    """Upload and paste: a fragment, so choosing files or typing reruns this part only."""
    st.subheader("Upload articles")
    st.text("Text (.txt with a title:/url:/outlet:/published: header), HTML, CSV, JSONL or a ZIP of these.")
    files = st.file_uploader("Files", accept_multiple_files=True, key="upload",
                             type=["txt", "md", "html", "htm", "csv", "jsonl", "json", "ndjson", "zip"])
    found = "(found by its name)"
    columns = st.session_state.get("_upload_columns", [])
    column = st.selectbox("Text column (CSV and JSON tables)", [found, *columns], key="upload_text_column",
                          help="The column holding the article text, when it is not found by its name.")
    if st.button("Add uploaded files", key="add_files", disabled=not files):
        results = views.ingest_uploads(store, [(f.name, f.getvalue()) for f in files or []],
                                       max_inflated_bytes=SETTINGS.max_upload_inflated_bytes,
                                       text_column=None if column == found else column)
        st.session_state["_upload_columns"] = sorted({c for r in results for c in r.columns})
        for result in results:
            flash(result.message(), "success" if result.ok else "error")
        wrote(store)
        st.rerun()  # the whole page: counts, filters and charts hold the new claims
    st.subheader("Paste an article")
    with st.form("paste", clear_on_submit=False):
        text = st.text_area("Article text", key="paste_text", height=200)
        cols = st.columns(2)
        title = cols[0].text_input("Title", key="paste_title")
        outlet = cols[1].text_input("Outlet", key="paste_outlet")
        url = cols[0].text_input("URL", key="paste_url")
        published = cols[1].date_input("Published", value=None, key="paste_published", format="YYYY-MM-DD")
        if st.form_submit_button("Add pasted article"):
            result = views.ingest_paste(store, text, title, outlet, url, published)
            flash(result.message(), "success" if result.ok else "error")
            wrote(store)
            st.rerun()


@st.fragment
def draw_curation(store: Store, url: str | None, token: str, filters: views.ViewFilters) -> None:
    """Pick, confirm, reject, restore and correct claims, one or a selection at a time: a
    fragment, so picking claims or reviewing an edit reruns this part only; a stored change
    reruns the page."""
    st.text("Select claims in the table (click rows; shift or ctrl for several) to reject or confirm "
            "them together, or pick one (a row, or its id) to correct it. Every change is stored as a "
            "correction with your name and the time, and the last reject or bulk action can be undone.")
    model = page_model(url, token, filters)
    table = model["table"]
    table_key = f"curate_table_{st.session_state.get('_curate_round', 0)}"  # a new key clears the selection
    event = st.dataframe(model["curate_arrow"], hide_index=True, key=table_key, on_select="rerun",
                         selection_mode="multi-row")
    try:
        rows = [r for r in event.selection.get("rows") or [] if r < len(table)]
    except AttributeError:
        rows = []
    picked = [int(table.iloc[r]["claim_id"]) for r in rows]
    if len(picked) == 1 and st.session_state.get("_picked_row") != picked[0]:
        st.session_state["curate_id"] = str(picked[0])
    st.session_state["_picked_row"] = picked[0] if len(picked) == 1 else None
    user = views.clean_user(st.text_input("Your name (recorded with the correction)", key="curate_user"))
    draw_bulk(store, picked, user)
    draw_undo(store, user)
    raw_id = st.text_input("Claim id", key="curate_id")
    draw_entity_merge(store, user, entity_names(url, token))
    if not raw_id.strip():
        return
    claim_id, row = views.find_claim(store, raw_id, include_rejected=True)
    if row is None:
        if not st.session_state.get("_flashed"):  # one message: the write's, not a stale id's as well
            st.error(views.md_escape(f"No claim with id {raw_id.strip()[:40]} in the current data."))
        return
    st.text(f"Quote: {views.plain(row.get('quote'))}")
    st.text(f"Source: {views.plain(row.get('title'))} | {views.plain(row.get('outlet'))} | "
            f"{views.plain(row.get('url'))}")
    if row.get("rejected"):
        st.warning(f"Claim {claim_id} is rejected: it appears in no chart, table or export.")
        if st.button("Restore this claim", key="restore"):
            curate(store, [claim_id], "restore", user)
        return
    cols = st.columns(2)
    if cols[0].button("Confirm this claim", key="confirm"):
        curate(store, [claim_id], "confirm", user)
    if cols[1].button("Reject this claim", key="reject"):
        curate(store, [claim_id], "reject", user)
    draw_edit(store, claim_id, row, user)


def draw_bulk(store: Store, picked: list[int], user: str) -> None:
    """Reject or confirm every selected row at once (one transaction: all or none)."""
    if len(picked) < 2:
        return
    st.text(f"{len(picked):,} claims selected: {views.id_list(picked)}")
    cols = st.columns(2)
    if cols[0].button(f"Reject {len(picked):,} selected claims", key="bulk_reject"):
        curate(store, picked, "reject", user)
    if cols[1].button(f"Confirm {len(picked):,} selected claims", key="bulk_confirm"):
        curate(store, picked, "confirm", user)


def draw_undo(store: Store, user: str) -> None:
    """Undo of this session's last reject or bulk action, by the opposite correction."""
    last = st.session_state.get("_undo")
    if not last:
        return
    kind, ids = last
    if st.button(views.undo_label(kind, ids), key="undo"):
        curate(store, ids, views.UNDO_KIND[kind], user, undo=True)


def curate(store: Store, ids: list[int], kind: str, user: str, undo: bool = False) -> None:
    """Store one correction per claim, remember what can be undone, clear the selection and
    say once what happened (act)."""
    def write() -> None:
        store.add_corrections(ids, kind, user=user)
        undoable = not undo and (kind == "reject" or len(ids) > 1) and kind in views.UNDO_KIND
        st.session_state["_undo"] = (kind, list(ids)) if undoable else None
        st.session_state["_curate_round"] = st.session_state.get("_curate_round", 0) + 1

    act(write, views.curation_message(kind, ids, user, undo=undo),
        views.curation_message(kind, ids, user, undo=undo, failed=True))


def draw_edit(store: Store, claim_id: int, row: dict, user: str) -> None:
    """The edit form, keyed on the claim and its revision (so it always shows this claim's
    stored values), then the changes to review, then saving only those fields."""
    revision = views.claim_revision(row)
    with st.form(f"edit-{claim_id}-{revision}"):
        st.text(f"Correct fields of claim {claim_id} (leave unchanged what is right)")
        edits = {}
        cols = st.columns(3)
        for i, name in enumerate(views.EDITABLE_FIELDS):
            edits[name] = cols[i % 3].text_input(name, value=views.current_value(row, name),
                                                 key=f"edit_{claim_id}_{revision}_{name}")
        if st.form_submit_button("Review changes"):
            try:
                st.session_state["_pending_edit"] = (claim_id, revision, views.edit_changes(row, edits))
            except ValueError as exc:
                st.session_state.pop("_pending_edit", None)
                st.error(views.md_escape(str(exc)))
    pending = st.session_state.get("_pending_edit")
    if pending and pending[0] == claim_id and pending[1] != revision:
        st.session_state.pop("_pending_edit", None)
        lost = "; ".join(f"{name} → {views.current_value({name: new}, name) or '(empty)'}"
                         for name, (_, new) in pending[2].items())
        st.error(views.md_escape(f"Claim {claim_id} was changed by someone else since you reviewed your changes; "
                                 f"they were NOT corrected ({lost}). The form shows the stored values now."))
    if not pending or pending[:2] != (claim_id, revision):
        return
    changes = pending[2]
    if not changes:
        st.info("Nothing changed: every field holds the stored value.")
        return
    st.text(f"Saving will change these fields of claim {claim_id} and nothing else:")
    st.dataframe(views.change_table(changes), hide_index=True, key="edit_review")
    cols = st.columns(2)
    if cols[0].button(f"Save {len(changes)} change(s)", key="save_edit", type="primary"):
        st.session_state.pop("_pending_edit", None)
        act(lambda: views.save_changes(store, claim_id, changes, user),
            f"Claim {claim_id}: corrected {', '.join(changes)}.", f"Claim {claim_id} was NOT corrected")
    if cols[1].button("Discard", key="discard_edit"):
        st.session_state.pop("_pending_edit", None)
        st.rerun(scope="fragment")


def page_model(url: str | None, token: str, filters: views.ViewFilters) -> dict:
    args = (filters.data_key(), filters.series, filters.colour_by, filters.log_scale, filters.conditional)
    recent_views(url).append(args)
    return view_model(url, token, *args)


@st.cache_data(max_entries=8, show_spinner=False)
def entity_names(url: str | None, token: str) -> list[str]:
    return get_store(url).facet_values("claimant_entity")


def draw_entity_merge(store: Store, user: str, names: list[str]) -> None:
    with st.expander("Merge or rename a claimant entity"):
        with st.form("merge"):
            source = st.selectbox("Entity", names, key="merge_source")
            target = st.text_input("Merge into (an existing entity, or a new name to rename it)", key="merge_target")
            if st.form_submit_button("Merge"):
                act(lambda: store.merge_entities(source or "", target, user),
                    f"Claims of {source} now under {target.strip()} (by {user}).",
                    f"{source} was NOT merged into {target.strip()}")


# ---------------------------------------------------------------- page


def main() -> None:
    url = SETTINGS.database_url
    store = get_store(url)
    if not store.is_ready() or (SETTINGS.read_only and store.count_documents() == 0):
        st.title("figures")
        st.info("The database holds no figures yet, and this view is read-only, so it adds nothing itself "
                "(not even the demo). Load articles from an editing deployment or with "
                "python -m figures ingest, then reload this page.")
        return
    token = data_token(store, url)
    if "curate_user" in st.session_state:  # the editor's name outlives a visit to another tab
        st.session_state["curate_user"] = st.session_state["curate_user"]
    meta = facets(url, token)
    seed_filters_from_url(meta["default"])
    settle_facets(facet_counts(url, token, views.ViewFilters().data_key()))
    filters = draw_filters(meta, facet_counts(url, token, state_filters().data_key()))
    sync_url(filters)
    editor = editor_mode()

    st.title("figures")
    st.text("Competing casualty and loss figures over time, grouped by who made each claim.")
    st.caption(f"{meta['claims']:,} claims from {meta['documents']:,} articles"
               + (" · read-only" if SETTINGS.read_only else "")
               + (f" · others' changes show within {REFRESH_SECONDS:g} s" if REFRESH_SECONDS else ""))

    names = ["Timeline", "Claims"] + (["Add articles", "Curate"] if editor else []) + ["Corrections log"]
    if st.session_state.get("section") not in names:
        st.session_state.pop("section", None)
    # Keyed and stateful: the open tab survives every rerun (a confirm, a paste), and only
    # the open tab's part of the page runs.
    tabs = dict(zip(names, st.tabs(names, key="section", on_change="rerun")))
    open_tab = next((name for name, tab in tabs.items() if tab.open), names[0])
    with tabs[open_tab]:
        show_flash()
        if open_tab == "Timeline":
            draw_timeline(url, token, filters)
        elif open_tab == "Claims":
            draw_claims(page_model(url, token, filters), filters, store, claims_frame(url, token),
                        matching_ids(url, token, filters.text.strip()))
        elif open_tab == "Add articles":
            draw_intake(store)
        elif open_tab == "Curate":
            draw_curation(store, url, token, filters)
        else:
            log = corrections(url, token)
            if log is None or len(log) == 0:
                st.text("No corrections yet.")
            else:
                st.dataframe(log, hide_index=True, key="corrections")
            merges = store.entity_merges_frame()
            if len(merges):
                st.dataframe(merges, hide_index=True, key="entity_merges")
    quote_index(url, token)  # once the page is drawn, the quotes start loading for searches


main()
