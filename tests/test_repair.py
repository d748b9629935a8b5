"""The one-off review of edits (figures.repair, `python -m figures review-edits`): saves that
gave a claim another claim's values, as the edit form did before it was keyed on the claim."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from figures.model import Document
from figures.repair import review_edits
from figures.store import Store

ROOT = Path(__file__).resolve().parents[1]
DOCS = [Document(id=f"r{i}", text=f"repair dispatch {i}", title=f"Dispatch {i}") for i in range(3)]


def _claim(doc: str, value: float, metric: str, subject: str, claimant: str, side: str, date: str) -> dict:
    return dict(doc=doc, quote=f"{claimant} gave {value:.0f}.", start=0, end=3, value=value, low=None, high=None,
                qualifier="exact", metric=metric, item=None, subject=subject, claimant=claimant, side=side,
                date=date, date_basis="stated", period=None, location=None, stated=None)


def _seeded(store: Store) -> dict[str, int]:
    store.bulk_load_claims([
        _claim("r0", 7000, "deaths", "Russian military", "Ukraine's General Staff", "Ukraine", "2022-03-10"),
        _claim("r1", 1351, "injuries", "civilians", "Sergei Rudskoy", "Russia", "2022-03-25"),
        _claim("r2", 500, "refugees", "people", "UNHCR", "United Nations", "2022-04-02"),
    ], DOCS)
    frame = store.claims_frame()
    return dict(zip(frame["doc_id"], frame["claim_id"].astype(int)))


def test_a_save_that_carried_another_claims_values_is_listed(store: Store) -> None:
    ids = _seeded(store)
    a, b, c = ids["r0"], ids["r1"], ids["r2"]
    store.edit_claim(a, {"value": 7100}, user="ana")  # a genuine edit of A
    # the old form, still showing A, saved on B: value and claimant typed, the rest carried from A
    store.edit_claim(b, {"value": 1400, "claimant": "Igor Konashenkov", "metric": "deaths",
                         "subject": "Russian military", "side": "Ukraine", "date": "2022-03-10"}, user="ana")
    store.edit_claim(c, {"value": 600}, user="ben")  # changed and changed back: nothing to review
    store.edit_claim(c, {"value": 500}, user="ben")
    found = review_edits(store)
    assert set(found["claim_id"]) == {a, b}
    on_b = found[found["claim_id"] == b].set_index("field")
    assert set(on_b.index) == {"value", "claimant", "metric", "subject", "side", "date"}
    assert on_b.loc["metric", "original"] == "injuries" and on_b.loc["metric", "now"] == "deaths"
    assert on_b.loc["date", "original"] == "2022-03-25" and on_b.loc["date", "now"] == "2022-03-10"
    assert {f for f, src in on_b["carried_from"].items() if src == a} == {"metric", "subject", "side", "date"}
    assert on_b["carried_from"][["value", "claimant"]].isna().all()
    assert found.loc[found["claim_id"] == a, "carried_from"].isna().all()
    assert found["save"].tolist() == [1, 2, 2, 2, 2, 2, 2]
    assert len(store.corrections_frame()) == 9  # reviewing changes nothing


def test_review_edits_on_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'figures.db'}"
    with Store(url) as store:
        ids = _seeded(store)
        store.edit_claim(ids["r1"], {"side": "=cmd|' /C calc'!A0"}, user="@mallory")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "figures", "review-edits", "--db", url, "--csv"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout.lstrip("\ufeff"))))
    assert [(r["claim_id"], r["field"], r["original"]) for r in rows] == [(str(ids["r1"]), "side", "Russia")]
    assert rows[0]["now"].startswith("'=") and rows[0]["user"] == "'@mallory"
    table = subprocess.run([sys.executable, "-m", "figures", "review-edits", "--db", url], env=env,
                           capture_output=True, text=True, timeout=120)
    assert table.returncode == 0 and "1 saves, 1 fields differ" in table.stdout
