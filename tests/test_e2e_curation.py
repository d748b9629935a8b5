"""Curation in a real browser (Debian's /usr/bin/chromium through Playwright): editing three
claims in turn saves each one's own changes only, and confirm, reject and paste land,
say so, and leave the person in the tab they were in, while four other sessions change
filters back to back (figures.wsclient).

Skips when Chromium or Playwright is missing, unless FIGURES_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import threading
from collections.abc import Iterator

import pytest
from services import require_browser, streamlit_app
from test_e2e_browser import ARGS, CHROMIUM

from figures import views
from figures.model import Document
from figures.store import Store
from figures.wsclient import StreamlitSession

DOCS = [Document(id=f"c{i}", text=f"curation dispatch {i}", title=f"Curation dispatch {i}", outlet="Test Wire")
        for i in range(4)]


def _claim(doc: str, value: float, metric: str, subject: str, claimant: str, side: str, date: str,
           location: str | None = None) -> dict:
    return dict(doc=doc, quote=f"{claimant} put the figure at {value:,.0f}.", start=0, end=3, value=value,
                low=None, high=None, qualifier="exact", metric=metric, item=None, subject=subject,
                claimant=claimant, side=side, date=date, date_basis="stated", period=None, location=location,
                stated=None)


CLAIMS = [
    _claim("c0", 7000, "deaths", "Russian military", "Ukraine's General Staff", "Ukraine", "2022-03-10", "Kyiv"),
    _claim("c1", 1351, "injuries", "civilians", "Sergei Rudskoy", "Russia", "2022-03-25"),
    _claim("c2", 500000, "refugees", "people", "UNHCR", "United Nations", "2022-04-02", "Poland"),
    _claim("c3", 331, "deaths", "civilians", "OHCHR", "United Nations", "2022-03-04"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require_browser(CHROMIUM)
    url = f"sqlite:///{tmp_path_factory.mktemp('curation') / 'figures.db'}"
    with Store(url) as store:
        store.bulk_load_claims(CLAIMS, DOCS)
        ids = dict(zip(store.claims_frame()["doc_id"], store.claims_frame()["claim_id"].astype(int)))
    with streamlit_app(url, tmp_path_factory.mktemp("log") / "streamlit.log", FIGURES_OPEN_EDITING="1") as base:
        yield base, url, ids


@pytest.fixture(scope="module")
def page(app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1400})
        tab = context.new_page()
        tab.set_default_timeout(45_000)
        tab.goto(app[0], wait_until="domcontentloaded")
        tab.get_by_role("tab", name="Curate").wait_for()
        yield tab
        browser.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    selected(page, name)


def selected(page, name: str) -> None:
    """The tab called ``name`` is the open one (waits for it)."""
    page.get_by_role("tab", name=name, selected=True).wait_for()


def pick(page, claim_id: int, user: str = "Ada") -> None:
    name = page.get_by_label("Your name (recorded with the correction)")
    name.fill(user)
    name.press("Enter")
    box = page.get_by_label("Claim id")
    box.fill(str(claim_id))
    box.press("Enter")
    page.get_by_text(f"Correct fields of claim {claim_id} ").wait_for()
    idle(page)


def idle(page) -> None:
    """The run in progress has finished (until then the previous run's elements may show)."""
    page.wait_for_function("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.getAttribute('data-test-script-state') === 'notRunning';
    }""")


def field(page, name: str):
    return page.get_by_role("textbox", name=name, exact=True)


def test_three_claims_edited_in_turn_each_keep_their_own_values(app, page):
    _, url, ids = app
    with Store(url) as store:
        before = {cid: store.get_claim(cid) for cid in ids.values()}
    edits = {ids["c0"]: {"value": "7100"},
             ids["c1"]: {"value": "1400", "claimant": "Igor Konashenkov"},
             ids["c2"]: {"location": "Moldova", "date": "2022-04-03"}}
    open_tab(page, "Curate")
    for cid, change in edits.items():
        pick(page, cid)
        for name in views.EDITABLE_FIELDS:  # the form shows this claim, not the one picked before
            assert field(page, name).input_value() == views.current_value(before[cid], name), (cid, name)
        for name, value in change.items():
            field(page, name).fill(value)
        page.get_by_role("button", name="Review changes").click()
        review = page.get_by_role("button", name=re.compile(r"Save \d change"))
        review.wait_for()
        assert review.inner_text().startswith(f"Save {len(change)} change")
        review.click()
        page.get_by_text(f"Claim {cid}: corrected").wait_for()
        selected(page, "Curate")
    with Store(url) as store:
        for cid in ids.values():
            after = store.get_claim(cid)
            for name in views.EDITABLE_FIELDS:
                change = edits.get(cid, {})
                wanted = views.parse_edit(name, change[name]) if name in change else before[cid][name]
                assert views.current_value(after, name) == views.current_value({name: wanted}, name), (cid, name)
        log = store.corrections_frame()
    assert sorted(zip(log["claim_id"], log["field"])) == sorted((c, f) for c, ch in edits.items() for f in ch)


@contextlib.contextmanager
def viewers(base: str, count: int = 4) -> Iterator[list[float]]:
    """``count`` websocket sessions changing filters back to back meanwhile (figures.wsclient);
    yields the list their run times go into."""
    stop, times = threading.Event(), []

    async def viewer(seed: int) -> None:
        rng = random.Random(seed)
        async with StreamlitSession(base) as client:
            await client.run()
            while not stop.is_set():
                result = await client.run({"f_sides": rng.choice([[], ["Russia"], ["United Nations"]])})
                times.append(result.seconds)

    async def everyone() -> None:
        await asyncio.gather(*(viewer(i) for i in range(count)))

    thread = threading.Thread(target=asyncio.run, args=(everyone(),), daemon=True)
    thread.start()
    try:
        yield times
    finally:
        stop.set()
        thread.join(60)


def test_confirm_reject_and_paste_land_and_stay_in_their_tab(app, page):
    base, url, ids = app
    with viewers(base) as times:
        confirm_reject_and_paste(page, url, ids)
    assert len(times) >= 4  # the viewers were running all along


def confirm_reject_and_paste(page, url: str, ids: dict) -> None:
    open_tab(page, "Curate")
    pick(page, ids["c3"], "Ben")
    page.get_by_role("button", name="Confirm this claim").click()
    page.get_by_text(f"Claim {ids['c3']} confirmed by Ben").wait_for()
    selected(page, "Curate")
    page.get_by_role("button", name="Reject this claim").click()
    page.get_by_text(f"Claim {ids['c3']} rejected by Ben").wait_for()
    page.get_by_text(f"Claim {ids['c3']} is rejected").wait_for()
    selected(page, "Curate")
    with Store(url) as store:
        assert store.get_claim(ids["c3"])["rejected"] and store.get_claim(ids["c3"])["confirmed"]

    open_tab(page, "Add articles")
    page.get_by_label("Article text").fill(
        "The regional governor said on 3 May that 14 civilians had been killed in the overnight strikes.")
    page.get_by_label("Title").fill("Browser paste")
    page.get_by_role("button", name="Add pasted article").click()
    page.get_by_text("pasted text: 1 article(s)").wait_for()
    selected(page, "Add articles")
    with Store(url) as store:
        assert store.count_documents() == len(DOCS) + 1
