"""The claims store, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, insert, select

from figures import store_schema
from figures.model import Claim, Document
from figures.store import ClaimFilter, Store, claim_key, resolve_database_url
from tests.conftest import fake_extract, make_article


def _doc(number: int, text: str, day: dt.date | None = dt.date(2022, 3, 1), outlet: str = "Test Gazette",
         title: str | None = None) -> Document:
    return Document(id=f"doc{number}.txt", text=text, title=title or f"Story {number}", outlet=outlet, published=day)


def _articles(folder: Path, count: int, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(start, start + count):
        (folder / f"article_{number:03}.txt").write_text(make_article(number, dt.date(2022, 3, 1 + number % 20)))
    return folder


# ---------------------------------------------------------------- ingestion


def test_ingest_documents_and_duplicates(store: Store) -> None:
    docs = [
        _doc(1, "Officials said 12 soldiers were killed and 30 civilians injured."),
        _doc(2, "A second report: 12 soldiers were killed near the bridge.", dt.date(2022, 3, 2), outlet="Daily Wire"),
    ]
    report = store.ingest_documents(docs, source="batch")
    assert (report.documents, report.duplicates, report.claims, report.error) == (2, 0, 3, None)
    again = store.ingest_documents([docs[1], docs[0], docs[0]], source="batch")
    assert (again.documents, again.duplicates, again.claims) == (0, 3, 0)
    assert store.count_documents() == 2 and store.count_claims() == 3

    frame = store.claims_frame()
    assert list(frame.columns[:3]) == ["claim_id", "doc_id", "mention_group"]
    for column in ("value", "low", "high", "qualifier", "metric", "item", "subject", "claimant", "side", "date",
                   "date_basis", "period", "location", "quote", "stated", "start", "end", "title", "outlet", "url",
                   "published", "confirmed", "rejected", "corrected"):
        assert column in frame.columns
    killed = frame[frame.metric == "deaths"].sort_values("doc_id")
    assert list(killed.doc_id) == ["doc1.txt", "doc2.txt"]
    assert list(killed.outlet) == ["Test Gazette", "Daily Wire"]
    # one claim, two mentions a day apart in two documents: one group
    assert killed.mention_group.nunique() == 1
    assert killed.mention_group.iloc[0] == killed.claim_id.min()
    injured = frame[frame.metric == "injuries"].iloc[0]
    assert injured.mention_group != killed.mention_group.iloc[0]
    text = docs[0].full_text
    assert text[int(injured.start):int(injured.end)] == "30"
    assert frame.date.dtype.kind == "M" and not frame.confirmed.any()


def test_mentions_further_apart_than_a_day_are_not_grouped(store: Store) -> None:
    store.ingest_documents([
        _doc(1, "Officials said 12 soldiers were killed.", dt.date(2022, 3, 1)),
        _doc(2, "Officials said 12 soldiers were killed.", dt.date(2022, 3, 5)),
    ])
    assert store.claims_frame().mention_group.nunique() == 2


def test_ingest_paths_per_file_reports_and_failed_file_leaves_nothing(store: Store, tmp_path: Path) -> None:
    folder = _articles(tmp_path / "in", 3)
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "nocolumn.csv").write_text("id,score\n1,2\n")
    (folder / "rows.csv").write_text(
        'title,text,date\nRow one,"Officials said 5 children were injured.",2022-04-01\n'
        'Row two,"Officials said 6 people were captured.",2022-04-02\n'
    )
    reports = {Path(r.source).name: r for r in store.ingest_paths([folder])}
    assert set(reports) == {"article_000.txt", "article_001.txt", "article_002.txt", "binary.txt",
                            "nocolumn.csv", "rows.csv"}
    assert "binary" in reports["binary.txt"].error
    assert "no text column" in reports["nocolumn.csv"].error
    assert (reports["rows.csv"].documents, reports["rows.csv"].claims) == (2, 2)
    assert all(reports[f"article_00{n}.txt"].claims == 2 for n in range(3))
    assert store.count_documents() == 5 and store.count_claims() == 8


def test_failure_mid_file_rolls_back_the_whole_file(database_url: str, tmp_path: Path) -> None:
    def flaky(document: Document) -> list[Claim]:
        if "Row three" in document.full_text:
            raise RuntimeError("extractor crashed")
        return fake_extract(document)

    path = tmp_path / "rows.csv"
    path.write_text("title,text\n" + "".join(
        f'Row {word},"Officials said {n} people were killed."\n' for n, word in enumerate(["one", "two", "three"], 1)
    ))
    (tmp_path / "good.txt").write_text(make_article(9))
    with Store(database_url, extractor=flaky, extractor_version="t") as store:
        token = store.state_token()
        reports = store.ingest_paths([path, tmp_path / "good.txt"])
        assert "extractor crashed" in reports[0].error and reports[0].documents == 0
        assert reports[1].ok and reports[1].documents == 1
        assert store.count_documents() == 1 and store.count_claims() == 2
        assert store.state_token() != token


def test_ingesting_dev_corpus_twice_stores_each_document_once(shared_dir: Path, database_url: str) -> None:
    folder = shared_dir / "corpus" / "dev"
    with Store(database_url) as store:
        first = store.ingest_paths([folder])
        assert all(r.ok for r in first), [r.error for r in first if not r.ok]
        stored = store.count_documents()
        claims = store.count_claims()
        assert stored == sum(r.documents for r in first) == len(list(folder.glob("*.txt")))
        assert [Path(r.source).name for r in first if r.skipped] == ["SOURCES.md"]  # notes, not an article
        assert claims > 50
        second = store.ingest_paths([folder])
        assert sum(r.documents for r in second) == 0
        assert sum(r.duplicates for r in second) == stored
        assert store.count_documents() == stored and store.count_claims() == claims


def test_shared_exports_stored_with_own_metadata(shared_dir: Path, tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 's.db'}", extractor=fake_extract, extractor_version="t") as store:
        reports = store.ingest_paths([shared_dir / "corpus" / "exports"])
        by_name = {Path(r.source).name: r for r in reports}
        # 182 rows, 9 of them exact repeats of other rows (same date, headline and text): stored once
        guardian = by_name["guardian_2022.csv"]
        assert (guardian.documents, guardian.duplicates) == (173, 9)
        assert by_name["Al Jazeera English_10.txt"].documents == 67
        assert by_name["The Straits Times (Singapore)_3.txt"].documents == 6
        with store.engine.connect() as conn:
            rows = conn.execute(select(store_schema.documents).where(store_schema.documents.c.text != "")).all()
        articles = [r for r in rows if not r.source.endswith(".md")]
        assert len(articles) == 173 + 73
        assert all(r.title and r.outlet and r.published for r in articles)
        assert len({r.doc_key for r in articles}) == 173 + 73


def test_upload_bytes(store: Store, tmp_path: Path) -> None:
    """Uploads have one path, the app's intake (figures.intake), on either database."""
    from figures.intake import ingest_upload

    archive = tmp_path / "up.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", make_article(1))
        zf.writestr("b.txt", make_article(2))
    report = ingest_upload(store, "up.zip", archive.read_bytes())
    assert (report.documents, report.claims, report.error) == (2, 4, None)
    failed = ingest_upload(store, "x.txt", b"\x00\x00\x00")
    assert "binary" in failed.error and "x.txt" in failed.message() and store.count_documents() == 2


# ---------------------------------------------------------------- corrections and re-extraction


def test_corrections_win_everywhere_and_are_audited(store: Store) -> None:
    store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed and 30 civilians injured.")])
    frame = store.claims_frame()
    deaths = int(frame[frame.metric == "deaths"].claim_id.iloc[0])
    injuries = int(frame[frame.metric == "injuries"].claim_id.iloc[0])
    token = store.state_token()

    store.add_correction(deaths, "edit", "claimant", "Regional governor", user="ana")
    store.add_correction(deaths, "edit", "value", "15", user="ana")
    store.add_correction(deaths, "edit", "date", "2022-02-27", user="ana")
    store.add_correction(deaths, "confirm", user="ben")
    store.add_correction(injuries, "reject", user="ben")
    assert store.state_token() != token

    visible = store.claims_frame()
    assert list(visible.claim_id) == [deaths]
    row = visible.iloc[0]
    assert (row.claimant, row.value, row.date.date()) == ("Regional governor", 15.0, dt.date(2022, 2, 27))
    assert row.corrected and row.confirmed and not row.rejected
    assert list(store.claims_frame(ClaimFilter(claimants=["Regional governor"])).claim_id) == [deaths]
    assert store.claims_frame(ClaimFilter(date_from=dt.date(2022, 3, 1))).empty
    assert store.facet_values("claimant") == ["Regional governor"]
    assert store.facet_values("metric") == ["deaths"]
    everything = store.claims_frame(include_rejected=True)
    assert bool(everything.set_index("claim_id").loc[injuries, "rejected"])

    with store.engine.connect() as conn:
        original = conn.execute(select(store_schema.claims.c.original)
                                .where(store_schema.claims.c.id == deaths)).scalar_one()
    assert json.loads(original)["value"] == 12.0 and json.loads(original)["claimant"] is None

    audit = store.corrections_frame()
    assert list(audit.columns[:7]) == ["claim_id", "kind", "field", "old_value", "new_value", "user", "created_at"]
    assert list(audit.kind) == ["edit", "edit", "edit", "confirm", "reject"]
    assert list(audit.old_value[:2]) == [None, "12"]
    assert list(audit.new_value[:3]) == ["Regional governor", "15", "2022-02-27"]
    assert list(audit.user) == ["ana", "ana", "ana", "ben", "ben"]

    store.add_correction(injuries, "restore", user="ana")
    assert len(store.claims_frame()) == 2


def test_invalid_corrections_are_refused(store: Store) -> None:
    store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
    claim_id = int(store.claims_frame().claim_id.iloc[0])
    with pytest.raises(ValueError, match="metric must be one of"):
        store.add_correction(claim_id, "edit", "metric", "vibes")
    with pytest.raises(ValueError, match="field must be one of"):
        store.add_correction(claim_id, "edit", "quote", "anything")
    with pytest.raises(ValueError, match="kind"):
        store.add_correction(claim_id, "delete")
    with pytest.raises(KeyError):
        store.add_correction(claim_id + 999, "confirm")
    assert store.corrections_frame().empty


def test_bulk_corrections_land_together_or_not_at_all(store: Store) -> None:
    store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed and 30 civilians injured."),
                            _doc(2, "Medics said 40 civilians were injured.", outlet="Daily Wire")])
    ids = [int(i) for i in store.claims_frame(include_rejected=True).claim_id]
    assert len(ids) == 3
    with pytest.raises(KeyError):
        store.add_corrections([ids[0], max(ids) + 999], "reject", user="ana")
    assert store.corrections_frame().empty and not store.get_claim(ids[0])["rejected"]
    with pytest.raises(ValueError, match="kind"):
        store.add_corrections(ids, "edit")
    assert store.add_corrections([ids[0], ids[2], ids[0]], "reject", user="ana") == 2
    assert set(store.claims_frame().claim_id) == {ids[1]}
    assert store.add_corrections(ids, "confirm", user="ben") == 3
    assert store.add_corrections([ids[0], ids[2]], "restore", user="ana") == 2
    assert store.add_corrections([ids[1]], "unconfirm", user="ben") == 1
    frame = store.claims_frame().set_index("claim_id")
    assert len(frame) == 3 and list(frame.loc[ids, "confirmed"]) == [True, False, True]
    assert list(store.corrections_frame().kind) == ["reject"] * 2 + ["confirm"] * 3 + ["restore"] * 2 + ["unconfirm"]


def test_reextraction_keeps_corrections_without_duplicates(database_url: str) -> None:
    text = "Officials said 12 soldiers were killed, 30 civilians injured and 4 people captured."

    def improved(document: Document) -> list[Claim]:
        """Version 2: names the claimant, files the captured as missing, finds a new figure."""
        claims = []
        for claim in fake_extract(document):
            claim.claimant = "Officials"
            if claim.metric == "prisoners":
                claim.metric = "missing"
            claims.append(claim)
        full = document.full_text
        at = full.index("Story")
        claims.append(Claim(doc=document.id, quote="Story 1", start=at + 6, end=at + 7, value=1.0,
                            metric="other", date=document.published))
        return claims

    with Store(database_url, extractor=fake_extract, extractor_version="v1") as store:
        store.ingest_documents([_doc(1, text), _doc(2, "Officials said 12 soldiers were killed.")])
        frame = store.claims_frame()
        ids = dict(zip(frame.metric + frame.doc_id, frame.claim_id))
        store.add_correction(int(ids["deathsdoc1.txt"]), "edit", "value", 13, user="ana")
        store.add_correction(int(ids["injuriesdoc1.txt"]), "reject", user="ana")
        store.add_correction(int(ids["prisonersdoc1.txt"]), "edit", "subject", "Ukrainian military", user="ana")
        before = store.count_claims()

    with Store(database_url, extractor=improved, extractor_version="v2") as store:
        report = store.reextract()
        assert report.documents == 2 and not report.errors
        assert (report.added, report.updated, report.removed) == (2, 4, 0)
        assert report.corrections_kept == 1  # the prisoners -> missing claim moved its correction along
        assert store.count_claims() == before + 2
        frame = store.claims_frame(include_rejected=True).set_index("claim_id")
        deaths = frame.loc[int(ids["deathsdoc1.txt"])]
        assert (deaths.value, deaths.claimant, deaths.corrected, deaths.extractor_version) == (
            13.0, "Officials", True, "v2")
        assert bool(frame.loc[int(ids["injuriesdoc1.txt"]), "rejected"])
        moved = frame.loc[int(ids["prisonersdoc1.txt"])]
        assert (moved.metric, moved.subject) == ("missing", "Ukrainian military")
        assert len(store.corrections_frame()) == 3
        assert set(store.corrections_frame().claim_id) == {int(ids["deathsdoc1.txt"]),
                                                            int(ids["injuriesdoc1.txt"]),
                                                            int(ids["prisonersdoc1.txt"])}
        # twice is the same as once
        again = store.reextract()
        assert (again.added, again.removed) == (0, 0) and store.count_claims() == before + 2
        # corrected 13 no longer groups with doc2's 12
        deaths_frame = store.claims_frame(ClaimFilter(metrics=["deaths"]))
        assert deaths_frame.mention_group.nunique() == 2
        assert store.reextract(only_outdated=True).documents == 0

    with Store(database_url, extractor=lambda d: [], extractor_version="v3") as store:
        report = store.reextract()
        assert report.removed == before + 2 and store.count_claims() == 0
        assert len(store.corrections_frame()) == 3  # kept, ready to re-attach

    with Store(database_url, extractor=fake_extract, extractor_version="v4") as store:
        store.reextract()
        frame = store.claims_frame(include_rejected=True)
        doc1 = frame[frame.doc_id == "doc1.txt"].set_index("metric")
        assert doc1.loc["deaths", "value"] == 13.0 and bool(doc1.loc["injuries", "rejected"])
        assert doc1.loc["prisoners", "subject"] == "Ukrainian military"
        assert len(frame) == 4


def test_real_extractor_reextract_keeps_correction(shared_dir: Path, tmp_path: Path) -> None:
    paths = sorted((shared_dir / "corpus" / "dev").glob("0*.txt"))[:4]
    with Store(f"sqlite:///{tmp_path / 'real.db'}") as store:
        store.ingest_paths(paths)
        frame = store.claims_frame()
        assert not frame.empty
        target = int(frame.claim_id.iloc[0])
        store.add_correction(target, "edit", "claimant", "Corrected Claimant", user="tester")
        count = store.count_claims()
        report = store.reextract()
        assert report.documents == len(paths) and report.added == 0 and report.removed == 0
        assert store.count_claims() == count
        assert store.claims_frame().set_index("claim_id").loc[target, "claimant"] == "Corrected Claimant"


# ---------------------------------------------------------------- filters, facets, tokens


def test_filters_run_in_sql(store: Store) -> None:
    store.ingest_documents([
        _doc(1, "Officials said 12 soldiers were killed.", dt.date(2022, 3, 1), outlet="Alpha"),
        _doc(2, "Officials said 30 civilians were injured in Kharkiv.", dt.date(2022, 4, 1), outlet="Beta"),
        _doc(3, "Officials said 7 children were killed (100%_sure).", dt.date(2022, 5, 1), outlet="Beta"),
    ])
    def values(**kwargs: object) -> list[float]:
        return sorted(store.claims_frame(ClaimFilter(**kwargs)).value)

    assert values() == [7.0, 12.0, 30.0]
    assert values(metrics=["deaths"]) == [7.0, 12.0]
    assert values(subjects=["civilians", "children"]) == [7.0, 30.0]
    assert values(outlets=["Beta"], metrics=["deaths"]) == [7.0]
    assert values(sides=["media"]) == [7.0, 12.0, 30.0]
    assert values(date_from=dt.date(2022, 3, 15), date_to=dt.date(2022, 4, 15)) == [30.0]
    assert values(text="KILLED") == [7.0, 12.0]
    assert values(text="%") == [] and values(text="_sure") == []  # wildcards are literal; quotes hold no "%"
    assert values(metrics=[]) == [7.0, 12.0, 30.0]
    assert store.facet_values("outlet") == ["Alpha", "Beta"]
    assert store.facet_values("subject") == ["children", "civilians", "soldiers"]
    with pytest.raises(ValueError):
        store.facet_values("quote; drop table claims")
    assert len(store.claims_frame(limit=2)) == 2


def test_empty_store_frames_have_columns(store: Store) -> None:
    frame = store.claims_frame()
    assert frame.empty and "claim_id" in frame.columns and "mention_group" in frame.columns
    assert store.corrections_frame().empty
    assert store.facet_values("metric") == []


def test_filter_columns_are_indexed(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'i.db'}", extractor=fake_extract, extractor_version="t") as store:
        statement = store._claims_select(ClaimFilter(claimants=["x"]), include_rejected=False)
        with store.engine.connect() as conn:
            compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_claims_claimant" in plan


# ---------------------------------------------------------------- bulk loading


def test_bulk_load_claims(store: Store) -> None:
    documents = [_doc(n, f"Officials said {n} soldiers were killed.") for n in range(1, 4)]
    claims = [claim for document in documents for claim in fake_extract(document)]
    orphan = {"doc": "elsewhere.txt", "quote": "12 soldiers were killed", "start": 0, "end": 2, "value": 12.0,
              "metric": "deaths", "subject": "soldiers", "side": "media", "date": "2022-03-01",
              "date_basis": "published", "qualifier": "exact", "stated": "12"}
    assert store.bulk_load_claims([*claims, orphan], documents, batch_size=2) == 4
    assert store.bulk_load_claims([*claims, orphan], documents) == 0
    assert store.count_claims() == 4 and store.count_documents() == 4
    frame = store.claims_frame()
    assert set(frame.doc_id) == {"doc1.txt", "doc2.txt", "doc3.txt", "elsewhere.txt"}
    assert frame.mention_group.notna().all()

    import pandas as pd

    table = pd.DataFrame([{**c.to_dict(), "doc": "frame.txt", "start": c.start + 100 * i, "end": c.end + 100 * i}
                          for i, c in enumerate(claims)])
    assert store.bulk_load_claims(table) == 3
    assert store.count_claims() == 7


# ---------------------------------------------------------------- reads for the dashboard

LIGHT_COMPARED = ("value", "low", "high", "date", "qualifier", "metric", "item", "subject", "claimant", "side",
                  "period", "outlet")


def _dashboard_claims(store: Store) -> dict[str, int]:
    """Claims with awkward text (quotes, backslashes, Cyrillic, a newline), ranges, gaps and a
    correction and a rejection; returns claim ids by quote."""
    documents = [_doc(1, "first", dt.date(2022, 3, 1), outlet='The "Daily" \\ Wire'),
                 _doc(2, "second", dt.date(2022, 4, 1), outlet="Київ Пост")]
    rows = [
        {"doc": "doc1.txt", "quote": "Officials said 12 soldiers were KILLED.", "start": 0, "end": 2, "value": 12.0,
         "metric": "deaths", "subject": "soldiers", "claimant": 'Mr "Quote" O\'Brien\\', "side": "media",
         "date": "2022-03-01", "date_basis": "published", "qualifier": "exact"},
        {"doc": "doc1.txt", "quote": "Between 2,000 and 4,000 civilians were wounded (100%_sure).", "start": 10,
         "end": 15, "value": 3000.0, "low": 2000.0, "high": 4000.0, "metric": "injuries", "subject": "civilians",
         "claimant": None, "side": "unknown", "date": None, "date_basis": "unknown", "qualifier": "range",
         "period": "month"},
        {"doc": "doc2.txt", "quote": "Генштаб: 1,351 військових загинули, КИЇВ.", "start": 0, "end": 5,
         "value": 1351.25, "metric": "deaths", "subject": "Russian military", "claimant": "Генштаб\nЗСУ",
         "side": "Ukraine", "date": "2022-04-01", "date_basis": "stated", "qualifier": "approx", "item": "tanks"},
        {"doc": "doc2.txt", "quote": "A rejected figure of 99 killed.", "start": 20, "end": 22, "value": 99.0,
         "metric": "deaths", "subject": "soldiers", "side": "media", "date": "2022-04-02",
         "date_basis": "stated", "qualifier": "exact"},
    ]
    assert store.bulk_load_claims(rows, documents) == 4
    ids = {row["quote"]: int(store.claims_frame(ClaimFilter(text=row["quote"][:12])).claim_id.iloc[0])
           for row in rows}
    store.add_correction(ids[rows[0]["quote"]], "edit", "value", "15", user="ana")
    store.add_correction(ids[rows[3]["quote"]], "reject", user="ana")
    return ids


def test_light_claims_frame_matches_claims_frame(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import figures.store_reads as store_module  # where the packed reads live

    assert store.light_claims_frame().empty
    ids = _dashboard_claims(store)
    full = store.claims_frame().set_index("claim_id").sort_index()
    for chunk in (500_000, 2):  # one part, then a part of two ids each (read on two connections)
        monkeypatch.setattr(store_module, "_JSON_CHUNK", chunk)
        light = store.light_claims_frame().set_index("claim_id").sort_index()
        assert list(light.index) == list(full.index) and len(light) == 3  # the rejected claim is left out
        assert "quote" not in light.columns and "url" not in light.columns
        for column in LIGHT_COMPARED:
            expected = full[column].astype(object).where(full[column].notna(), None).tolist()
            got = light[column].astype(object).where(light[column].notna(), None).tolist()
            assert got == expected, column
        assert light.loc[ids["Officials said 12 soldiers were KILLED."], "value"] == 15.0  # corrected
        assert isinstance(light["claimant"].dtype, pd.CategoricalDtype)


def test_claims_by_ids_in_the_order_given(store: Store) -> None:
    ids = _dashboard_claims(store)
    killed, wounded, kyiv, rejected = ids.values()
    frame = store.claims_by_ids([kyiv, 10_000, killed, wounded, kyiv])
    assert list(frame.claim_id) == [kyiv, killed, wounded]
    assert list(frame.columns) == list(store.claims_frame().columns)
    assert frame.set_index("claim_id").loc[killed, "value"] == 15.0
    assert store.claims_by_ids([rejected]).empty
    assert list(store.claims_by_ids([rejected], include_rejected=True).claim_id) == [rejected]
    slim = store.claims_by_ids([wounded, killed], columns=["quote", "url", "confirmed"])
    assert list(slim.columns) == ["claim_id", "quote", "url", "confirmed"]
    assert slim.quote.tolist() == ["Between 2,000 and 4,000 civilians were wounded (100%_sure).",
                                   "Officials said 12 soldiers were KILLED."]
    assert store.claims_by_ids([]).empty and "quote" in store.claims_by_ids([]).columns


def test_claim_ids_matching_searches_quotes_in_sql(store: Store) -> None:
    ids = _dashboard_claims(store)
    killed, wounded, kyiv, rejected = ids.values()

    def found(text: str) -> list[int]:
        return sorted(store.claim_ids_matching(text).tolist())

    assert found("killed") == [killed]  # case ignored; the rejected claim's quote is not searched
    assert found("  Were ") == sorted([killed, wounded])
    assert found("100%_") == [wounded] and found("%") == [wounded] and found("_s") == [wounded]
    assert found("київ") == [kyiv] and found("ГЕНШТАБ") == [kyiv]  # non-ASCII letters ignore case too
    assert found("nothing like this") == [] and found("") == []
    for text in ("killed", "Were", "%"):  # as the store's own text filter (ASCII: SQLite folds no other case)
        assert found(text) == sorted(store.claims_frame(ClaimFilter(text=text)).claim_id.tolist())


def test_quote_index_in_memory_finds_what_sql_finds(store: Store) -> None:
    from figures.views import QuoteIndex

    _dashboard_claims(store)
    index = QuoteIndex(store, background=False)
    assert index.ready
    for text in ("killed", "  Were ", "100%_", "%", "_s", "київ", "ГЕНШТАБ", "nothing like this", ""):
        assert sorted(index.search(text).tolist()) == sorted(store.claim_ids_matching(text).tolist()), text


def test_quote_index_falls_back_to_sql_until_loaded(store: Store) -> None:
    from figures.views import QuoteIndex

    killed = _dashboard_claims(store)["Officials said 12 soldiers were KILLED."]

    class Failing:
        def quote_texts(self):
            raise RuntimeError("the database went away")

        def claim_ids_matching(self, text):
            return store.claim_ids_matching(text)

    index = QuoteIndex(Failing(), background=False)
    assert not index.ready
    assert index.search("killed").tolist() == [killed]


# ---------------------------------------------------------------- schema upgrades


def test_upgrade_from_schema_version_1_keeps_data(database_url: str) -> None:
    engine = create_engine(database_url)
    old = store_schema.v1_metadata()
    now = dt.datetime(2022, 3, 3, 12, 0)
    with engine.begin() as conn:
        old.create_all(conn)
        t = old.tables
        conn.execute(insert(t["schema_version"]).values(version=1))
        ids = []
        for number, day in ((1, dt.date(2022, 3, 1)), (2, dt.date(2022, 3, 2))):
            document_id = conn.execute(insert(t["documents"]).values(
                doc_key=f"old{number}.txt", content_hash=f"{number:064d}", title=f"Old {number}",
                outlet="Archive", published=day, text=f"Officials said 12 soldiers were killed. ({number})",
                ingested_at=now).returning(t["documents"].c.id)).scalar_one()
            ids.append(conn.execute(insert(t["claims"]).values(
                document_id=document_id, claim_key="15:17:deaths", doc=f"old{number}.txt",
                quote="12 soldiers were killed", start=15, end=17, value=12.0, qualifier="exact", metric="deaths",
                subject="soldiers", side="media", date=day, date_basis="published", stated="12",
                extractor_version="v0", confirmed=False, rejected=False, corrected=True,
                claimant="Old claimant", original=json.dumps({"claimant": None})).returning(t["claims"].c.id)
            ).scalar_one())
        conn.execute(insert(t["corrections"]).values(
            document_id=document_id, claim_key="15:17:deaths", claim_id=ids[-1], kind="edit", field="claimant",
            old_value="null", new_value='"Old claimant"', user_name="ana", created_at=now))
    engine.dispose()

    with Store(database_url, extractor=fake_extract, extractor_version="t") as store:
        with store.engine.connect() as conn:
            assert store_schema.current_version(conn) == store_schema.SCHEMA_VERSION
        assert store.count_documents() == 2 and store.count_claims() == 2
        frame = store.claims_frame()
        assert list(frame.claimant) == ["Old claimant", "Old claimant"]
        assert list(frame.claimant_entity) == ["Old claimant", "Old claimant"]  # filled by the 2 -> 3 step
        assert not frame.conditional.any()
        assert frame.mention_group.nunique() == 1 and frame.mention_group.iloc[0] == min(ids)
        assert list(store.corrections_frame().user) == ["ana"]
        token = store.state_token()
        assert store.state_token() == token  # reading changes nothing
        store.ingest_documents([_doc(3, "Officials said 12 soldiers were killed.", dt.date(2022, 3, 3))])
        assert store.count_documents() == 3
        assert store.state_token() != token  # a write on the upgraded store is seen by readers' caches


def test_newer_schema_is_refused(database_url: str) -> None:
    Store(database_url, extractor=fake_extract, extractor_version="t").close()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(store_schema.schema_version.update().values(version=store_schema.SCHEMA_VERSION + 1))
    engine.dispose()
    with pytest.raises(store_schema.SchemaError, match="newer"):
        Store(database_url, extractor=fake_extract, extractor_version="t")


# ---------------------------------------------------------------- concurrency


def _ingest_worker(url: str, folder: str, barrier, queue) -> None:
    try:
        with Store(url, extractor=fake_extract, extractor_version="t") as store:
            barrier.wait(timeout=120)  # both processes start ingesting at the same moment
            queue.put([(r.documents, r.duplicates, r.error) for r in store.ingest_paths([folder])])
    except BaseException as error:  # the test reports it at once instead of waiting for a result
        barrier.abort()
        queue.put(f"worker failed: {error!r}")
        raise


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_processes_ingest_into_one_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    shared = _articles(tmp_path / "shared", 30)
    own_a = _articles(tmp_path / "a", 20, start=100)
    own_b = _articles(tmp_path / "b", 20, start=200)
    for number in range(30):
        (own_a / f"copy_{number}.txt").write_text((shared / f"article_{number:03}.txt").read_text())
        (own_b / f"copy_{number}.txt").write_text((shared / f"article_{number:03}.txt").read_text())
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_ingest_worker, args=(url, str(folder), barrier, queue))
               for folder in (own_a, own_b)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=300) for _ in workers]
    assert not [result for result in results if isinstance(result, str)], results
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(error is None for result in results for _, _, error in result)
    stored = sum(documents for result in results for documents, _, _ in result)
    duplicates = sum(dup for result in results for _, dup, _ in result)
    assert stored == 70 and duplicates == 30
    with Store(url, extractor=fake_extract, extractor_version="t") as store:
        assert store.count_documents() == 70
        assert store.count_claims() == 140
        frame = store.claims_frame()
        assert not frame.duplicated(["doc_id", "start", "end", "metric"]).any()


# ---------------------------------------------------------------- configuration


def test_resolve_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FIGURES_DATABASE_URL", raising=False)
    assert resolve_database_url().startswith("sqlite:///") and resolve_database_url().endswith("data/figures.db")
    monkeypatch.setenv("FIGURES_DATABASE_URL", "postgres://u:p@db.example:5432/figs")
    assert resolve_database_url() == "postgresql+psycopg://u:p@db.example:5432/figs"
    assert resolve_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert resolve_database_url(str(tmp_path / "f.db")) == f"sqlite:///{tmp_path / 'f.db'}"


def test_claim_key_is_span_and_metric() -> None:
    claim = Claim(doc="d", quote="q", start=3, end=5, value=1.0, metric="deaths")
    assert claim_key(claim) == "3:5:deaths" == claim_key(claim.to_dict())


def test_get_claim(store: Store) -> None:
    store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.", dt.date(2022, 3, 4))])
    claim_id = int(store.claims_frame().claim_id.iloc[0])
    claim = store.get_claim(claim_id)
    assert claim["date"] == dt.date(2022, 3, 4) and claim["published"] == dt.date(2022, 3, 4)
    assert claim["value"] == 12.0 and store.get_claim(claim_id + 100) is None


def test_an_edit_stores_only_the_fields_that_change(store: Store) -> None:
    store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
    row = store.claims_frame().iloc[0]
    claim_id = int(row.claim_id)
    same = {"value": "12", "metric": row.metric, "subject": row.subject, "side": row.side, "date": row.date.date()}
    assert store.edit_claim(claim_id, {**same, "claimant": "Regional governor"}, user="ana") == ["claimant"]
    assert store.edit_claim(claim_id, same, user="ana") == []
    assert store.add_correction(claim_id, "edit", "value", 12.0) is False
    audit = store.corrections_frame()
    assert list(zip(audit.kind, audit.field)) == [("edit", "claimant")]
    revision = store.state_token()
    assert store.edit_claim(claim_id, {"claimant": "Regional governor"}) == [] and store.state_token() == revision


def test_an_edit_made_on_values_changed_since_is_refused(store: Store) -> None:
    from figures.store import EditConflict

    store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
    claim_id = int(store.claims_frame().claim_id.iloc[0])
    store.edit_claim(claim_id, {"value": 13}, user="ana", expected={"value": "12"})
    with pytest.raises(EditConflict, match="value"):
        store.edit_claim(claim_id, {"value": 14, "claimant": "Someone"}, user="ben", expected={"value": "12"})
    assert store.get_claim(claim_id)["value"] == 13 and store.get_claim(claim_id)["claimant"] is None
    assert list(store.corrections_frame().user) == ["ana"]
    # what the person saw of other fields does not matter when those fields are unchanged
    assert store.edit_claim(claim_id, {"value": 14}, user="ben", expected={"value": "13", "claimant": ""}) == ["value"]


class _LockedCursor:
    """A cursor whose journal-mode switch meets a lock ``locked`` times, then passes."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.locked, self.message, self.calls = locked, message, 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.calls <= self.locked:
            raise sqlite3.OperationalError(self.message)


def test_switch_to_wal_retries_a_locked_file_then_gives_up() -> None:
    from figures.store_core import _switch_to_wal

    waiting = _LockedCursor(locked=3)
    _switch_to_wal(waiting, seconds=5)
    assert waiting.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _switch_to_wal(_LockedCursor(locked=10**6), seconds=0.2)
    other = _LockedCursor(locked=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        _switch_to_wal(other, seconds=5)
    assert other.calls == 1  # only a lock is waited for


def test_new_sqlite_store_is_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    Store(url, extractor=fake_extract, extractor_version="t").close()
    with sqlite3.connect(tmp_path / "wal.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
