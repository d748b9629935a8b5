"""End to end: `streamlit run app.py` on a free port, driven by Playwright in Debian's
headless Chromium (/usr/bin/chromium, never a downloaded browser).

Checks that the page finishes running, draws the timeline and the claims table,
serves a CSV download that parses, renders hostile article text as text, narrows the
charts by place, gives every shown entity its own colour, and curates in bulk with undo.
Screenshots go to pytest's tmp folder, never into docs/ (scripts/screenshots.py makes
those). Skips when Chromium is missing, unless
FIGURES_REQUIRE_SERVICES=1 (CI), where it fails instead.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from services import require_browser, streamlit_app

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

HOSTILE = (
    "title: <script>window.__pwned=1</script> Breaking\nurl: javascript:alert(1)\n"
    "outlet: <b>Evil</b> Wire\npublished: 2022-06-01\n\n"
    "Ukraine's General Staff said on 1 June that about 30,700 Russian soldiers had been killed "
    "<img src=x onerror=\"window.__pwned=2\">.\n"
)
WARNING = (
    "title: Cholera warning\npublished: 2022-06-02\n\n"
    "The Coastal Relief League said on 2 June that cholera could kill 4,000 people in the port city.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser(CHROMIUM)
    from figures import views
    from figures.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'figures.db'}"
    with Store(url) as store:  # the demo (what a first start does) plus one hostile article
        views.ensure_demo(store)
        assert views.ingest_upload(store, "hostile.txt", HOSTILE.encode()).ok
        assert views.ingest_upload(store, "warning.txt", WARNING.encode()).ok
    with streamlit_app(url, tmp_path_factory.mktemp("log") / "streamlit.log", FIGURES_OPEN_EDITING="1") as base:
        yield base, url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


def wait_until_done(page, timeout: float = 45_000) -> None:
    """The script has run to the end: charts drawn and no run in progress."""
    page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
                           timeout=timeout)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const state = app && app.getAttribute('data-test-script-state');
            return state === 'notRunning' || (state === null && !document.querySelector('[data-testid="stStatusWidget"]'));
        }""",
        timeout=timeout,
    )


def idle(page, timeout: float = 45_000) -> None:
    """No run in progress (the previous run's elements may show until then)."""
    page.wait_for_function("""() => document.querySelector('[data-testid="stApp"]')
                                 ?.getAttribute('data-test-script-state') === 'notRunning'""", timeout=timeout)


def poll(check: Callable[[], bool], timeout: float = 30) -> bool:
    """Whether ``check`` came true within ``timeout`` seconds (a write lands after the click)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.25)
    return check()


def store_frame(url: str):
    from figures.store import Store

    with Store(url) as store:
        return store.claims_frame()


OPEN_RECORDER = """window.__opened = [];
window.open = (url, target, features) => { window.__opened.push([String(url), String(target)]); return null; };"""
LEGENDS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg .role-legend')].map(g => ({
    title: g.querySelector('.role-legend-title')?.textContent || '',
    labels: [...g.querySelectorAll('.role-legend-label')].map(t => t.textContent),
    colours: [...g.querySelectorAll('.role-legend-symbol path, path.role-legend-symbol')].map(p => getComputedStyle(p).fill),
}))"""


def legends(page, title: str) -> list[dict]:
    """The rendered legends called ``title`` of every chart on the page: labels and fills."""
    return [g for g in page.evaluate(LEGENDS) if g["title"] == title]


def test_dashboard_in_a_real_browser(server, browser, tmp_path):
    server, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server, wait_until="domcontentloaded")
    wait_until_done(page)

    # the timeline is a fragment that may finish drawing after the page reports it is done
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    page.locator('[data-testid="stVegaLiteChart"]').nth(1).wait_for(timeout=30_000)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 2
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    assert page.get_by_text("deaths — Russian military", exact=False).count() >= 1
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=False)
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000

    # the CSV download is the safe export of the filtered claims
    page.get_by_role("tab", name="Claims").click()
    button = page.get_by_role("button", name="Download these claims as CSV")
    button.wait_for(timeout=15_000)
    with page.expect_download(timeout=30_000) as info:
        button.click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    csv = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(csv) >= 40 and {"claim_id", "claimant", "value", "quote"} <= set(csv.columns)

    # hostile title and quote: shown as text, no element or script created from them
    page.goto(f"{server}/?q=onerror", wait_until="domcontentloaded")
    wait_until_done(page)
    page.get_by_role("tab", name="Claims").click()
    page.get_by_text("Newest claim in this view").wait_for(timeout=30_000)
    body = page.locator("body").text_content()
    assert "<script>window.__pwned=1</script>" in body
    assert 'onerror="window.__pwned=2"' in body
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => [...document.scripts].filter(s => s.text.includes('__pwned')).length") == 0
    assert page.locator("b", has_text="Evil").count() == 0
    assert dialogs == []
    context.close()


def test_conditional_toggle_and_entity_merge_in_a_real_browser(server, browser):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from figures.store import Store

    base, url = server
    with Store(url) as store:
        frame = store.claims_frame()
    warning = frame[frame["doc_id"] == "warning.txt"]
    assert list(warning["conditional"]) == [True] and list(warning["claimant_entity"]) == ["Coastal Relief League"]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(base, wait_until="domcontentloaded")
    wait_until_done(page)

    # conditional figures: off by default, the toggle shows them and puts it in the URL
    assert "cond=" not in page.url
    page.get_by_text("Show conditional figures").click()
    page.wait_for_function("() => window.location.search.includes('cond=show')", timeout=30_000)
    wait_until_done(page)
    assert page.locator('[data-testid="stException"]').count() == 0

    # a curator merges an entity into a new name (a rename), from the Curate tab
    page.get_by_role("tab", name="Curate").click()  # only the open tab runs: wait for its run
    idle(page)
    page.get_by_text("Merge or rename a claimant entity").click()
    idle(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Entity")
    for _ in range(5):  # a rerun that lands while the list is open closes it: open it again
        box.click()
        page.keyboard.type("Coastal Relief")
        try:
            page.get_by_role("option", name="Coastal Relief League", exact=True).click(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            idle(page)
    assert poll(lambda: "Coastal Relief League" in (box.inner_text() + box.locator("input").input_value()))
    page.get_by_label("Merge into (an existing entity, or a new name to rename it)").fill("Coastal Relief Alliance")
    page.get_by_role("button", name="Merge").click()
    page.get_by_text("now under Coastal Relief Alliance", exact=False).wait_for(timeout=30_000)

    def merged() -> bool:
        frame = store_frame(url)
        return list(frame.loc[frame["doc_id"] == "warning.txt", "claimant_entity"]) == ["Coastal Relief Alliance"]

    assert poll(merged)
    with Store(url) as store:
        assert list(store.entity_merges_frame()["target"]) == ["Coastal Relief Alliance"]
    context.close()


def test_a_click_on_a_point_selects_it_and_stays_in_the_app(server, browser):
    base, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened: list = []
    context.on("page", lambda new: opened.append(new))
    context.add_init_script(OPEN_RECORDER)
    page = context.new_page()
    page.goto(base, wait_until="domcontentloaded")
    wait_until_done(page)
    first = page.locator('[data-testid="stVegaLiteChart"]').first
    dot = first.locator(".mark-symbol path").first  # the chart is SVG: each point is a path
    dot.scroll_into_view_if_needed()
    dot.click(force=True)
    page.get_by_text("Selected claim").wait_for(timeout=30_000)
    page.get_by_text("article(s); sources open in a new tab", exact=False).wait_for(timeout=30_000)
    assert page.url.startswith(base) and opened == [page]  # the session is where it was, no tab replaced

    # a source link of the panel opens in a new tab (window.open with target _blank, recorded
    # instead of opened): the grid (a canvas) is scrolled to its last column, Source, and the
    # link found by clicking along its first row
    grid = page.get_by_text("sources open in a new tab", exact=False).locator(
        "xpath=following::div[@data-testid='stDataFrame'][1]")
    grid.scroll_into_view_if_needed()
    grid.locator(".dvn-scroller").evaluate("el => { el.scrollLeft = el.scrollWidth; }")  # Source is last
    page.wait_for_timeout(300)
    box = grid.bounding_box()
    for x in range(int(box["width"]) - 10, 40, -20):
        page.mouse.click(box["x"] + x, box["y"] + 35 + 17)
        if page.evaluate("() => window.__opened.length"):
            break
    calls = page.evaluate("() => window.__opened")
    assert calls and calls[0][0].startswith("https://example.org/figures-demo/"), calls
    assert calls[0][1] == "_blank", calls
    assert page.url.startswith(base)
    assert page.locator('[data-testid="stException"]').count() == 0
    context.close()


def test_bulk_reject_and_undo_in_a_real_browser(server, browser):
    from figures.store import Store

    base, url = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/?subject=civilians", wait_until="domcontentloaded")
    wait_until_done(page)
    page.get_by_role("tab", name="Curate").click()
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=30_000)
    page.get_by_label("Claim id").wait_for(timeout=30_000)
    idle(page)
    with Store(url) as store:
        before = set(store.claims_frame()["claim_id"])
    box = table.bounding_box()
    # the row markers (checkboxes) are the grid's first column; rows are 35 px below a 35 px header
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    page.keyboard.down("Shift")
    page.mouse.click(box["x"] + 15, box["y"] + 35 * 2 + 17)
    page.keyboard.up("Shift")
    button = page.get_by_role("button", name="Reject 2 selected claims")
    button.wait_for(timeout=30_000)
    button.click()
    page.get_by_text("2 claims (ids", exact=False).first.wait_for(timeout=30_000)
    assert poll(lambda: len(before - set(store_frame(url)["claim_id"])) == 2)
    gone = before - set(store_frame(url)["claim_id"])
    with Store(url) as store:
        assert all(store.get_claim(int(cid))["rejected"] for cid in gone)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    undo = page.get_by_role("button", name="Undo", exact=False)
    undo.wait_for(timeout=30_000)
    undo.click()
    page.get_by_text("Undone", exact=False).first.wait_for(timeout=30_000)
    assert poll(lambda: set(store_frame(url)["claim_id"]) == before), before - set(store_frame(url)["claim_id"])
    with Store(url) as store:
        assert not any(store.get_claim(int(cid))["rejected"] for cid in gone)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    context.close()


def test_the_two_csv_choices_in_a_real_browser(server, browser):
    """Under a chart, 'CSV: this chart' downloads that chart's metric and subject under the
    filters, 'CSV: all filtered claims' every filtered claim: the first is a strict part of
    the second, and each button says what it holds."""
    base, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/?series=deaths+%E2%80%94+Russian+military", wait_until="domcontentloaded")
    wait_until_done(page)

    def download(name: str) -> pd.DataFrame:
        button = page.get_by_role("button", name=name).first
        button.wait_for(timeout=30_000)
        with page.expect_download(timeout=30_000) as info:
            button.click()
        data = Path(info.value.path()).read_bytes()
        assert data.startswith("\ufeff".encode())
        return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")

    chart = download("CSV: this chart")
    everything = download("CSV: all filtered claims")
    assert len(chart) >= 3 and set(chart["metric"]) == {"deaths"} and set(chart["subject"]) == {"Russian military"}
    assert set(chart["claim_id"]) < set(everything["claim_id"])
    assert len(set(zip(everything["metric"], everything["subject"]))) > 1
    assert chart["value"].dtype.kind == "i"
    page.get_by_text(f"{len(chart):,} claims: this chart only: deaths — Russian military", exact=False).wait_for()
    page.get_by_text(f"{len(everything):,} claims: all filtered claims", exact=False).first.wait_for()
    context.close()


def test_choosing_a_place_narrows_the_charts_and_each_entity_has_its_own_colour(server, browser):
    from figures import views
    from figures.store import Store

    base, url = server
    with Store(url) as store:
        frame = views.load_frame(store)
    place = views.UNKNOWN_PLACE
    here = frame[(frame["place"] == place).to_numpy() & ~frame["conditional"].to_numpy()]
    expected = [str(s) for s in views.series_counts(here).index[:3]]
    everywhere = [str(s) for s in views.series_counts(frame[~frame["conditional"].to_numpy()]).index[:3]]
    assert expected != everywhere  # the place changes which series are charted
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(base, wait_until="domcontentloaded")
    wait_until_done(page)
    facet = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Place")
    facet.click()
    page.get_by_role("option", name=f"{place} (", exact=False).click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => window.location.search.includes('place=unknown+place')", timeout=30_000)
    wait_until_done(page)
    headers = page.locator('[data-testid="stHeading"] h3')
    assert poll(lambda: [headers.nth(i).inner_text() for i in range(headers.count())] == expected), \
        [headers.nth(i).inner_text() for i in range(headers.count())]
    names = {str(n) for col in ("claimant_entity", "claimant") for n in here[col].dropna()} | {"(outlet's own voice)"}
    shown = legends(page, "Claimant")
    assert len(shown) >= len(expected)  # each chart lists the entities it draws
    assert max(len(legend["labels"]) for legend in shown) >= 2
    for legend in shown:
        entries = [(label, colour) for label, colour in zip(legend["labels"], legend["colours"])
                   if label != "others"]
        colours = [colour for _, colour in entries]
        assert all(colour and colour != "none" for colour in colours), legend
        assert len(set(colours)) == len(colours), legend  # no two entities of a chart share a colour
        for label, _ in entries:  # only entities of this place (long names are cut with …)
            assert any(name.startswith(label.rstrip("…")) for name in names), label
    assert page.locator('[data-testid="stException"]').count() == 0
    context.close()


def test_the_screenshot_script_writes_where_it_is_told(server, tmp_path):
    """scripts/screenshots.py (the only writer of docs/ images) runs end to end on a store."""
    import subprocess
    import sys

    _, url = server
    before = (ROOT / "docs" / "screenshot.png").read_bytes()
    done = subprocess.run([sys.executable, "scripts/screenshots.py", "--db", url, "--out", str(tmp_path),
                           "--only", "screenshot.png"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "screenshot.png").stat().st_size > 10_000
    assert (ROOT / "docs" / "screenshot.png").read_bytes() == before
