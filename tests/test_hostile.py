"""Hostile input and careless operation (issue 13): one test (or more) per item. Every
hostile file is generated here, in a temporary folder; none is committed.

1 corrections survive an extractor that shifts spans   6 write failures stay short; NUL bytes per row
2 extractor version and resume follow content          7 attribution is linear in paragraph length
3 one file never aborts a run                          8 FIFOs, links out of a folder, notes files
4 CSV output neutralises formulas                      9 encodings, bad JSONL lines, zip paths, names
5 read-only writes nothing; editing is opt-in          10 the inflated size of an upload is capped
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import shutil
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from conftest import fake_extract, make_article
from figures import views
from figures.batch import BatchOptions, run_batch
from figures.documents import DocumentError, SkippedFile, decode_text, printable
from figures.cli import extract_to_stream, format_file_report, main
from figures.extract import EXTRACTOR_VERSION, extractor_version
from figures.ingest import documents_from_bytes, iter_documents
from figures.model import Claim, Document
from figures.store import ReadOnlyError, Store

ROOT = Path(__file__).resolve().parents[1]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _doc(number: int, body: str) -> Document:
    return Document(id=f"doc{number}.txt", text=body, title=f"Dispatch {number}", published=dt.date(2022, 3, 1))


# ---------------------------------------------------------------- 1 corrections after an extractor change


def shifted(document: Document) -> list[Claim]:
    """A newer extractor: every span one character wider on the left, quotes re-cut with it."""
    found = []
    for claim in fake_extract(document):
        start = max(0, claim.start - 1)
        found.append(replace(claim, start=start, quote=document.full_text[start : claim.end + 20]))
    return found


def test_corrections_follow_claims_whose_spans_moved(database_url: str) -> None:
    body = "Officials said 12 soldiers were killed, 30 civilians injured and 4 people captured."
    with Store(database_url, extractor=fake_extract, extractor_version="v1") as store:
        store.ingest_documents([_doc(1, body)])
        ids = {row.metric: int(row.claim_id) for row in store.claims_frame().itertuples()}
        store.add_correction(ids["deaths"], "edit", "claimant", "Regional officials", user="ana")
        store.add_correction(ids["injuries"], "reject", user="ana")
        store.add_correction(ids["prisoners"], "confirm", user="ben")

    def drops_prisoners(document: Document) -> list[Claim]:
        return [claim for claim in shifted(document) if claim.metric != "prisoners"]

    with Store(database_url, extractor=drops_prisoners, extractor_version="v2") as store:
        report = store.reextract()
        assert not report.errors and report.corrections_kept == 2  # deaths and injuries moved with the span
        visible = store.claims_frame()
        assert "injuries" not in set(visible.metric)  # the rejected claim stays rejected
        deaths = visible.set_index("claim_id").loc[ids["deaths"]]
        assert deaths.claimant == "Regional officials" and deaths.extractor_version == "v2"
        # the confirmation's claim is gone: reported, and kept for a later extractor
        assert len(report.unattached) == 1 and "confirm by ben" in report.unattached[0]
        assert len(store.corrections_frame()) == 3

    with Store(database_url, extractor=shifted, extractor_version="v3") as store:
        report = store.reextract()
        assert report.unattached == []  # the prisoners claim is back and takes its confirmation
        frame = store.claims_frame(include_rejected=True).set_index("metric")
        assert bool(frame.loc["prisoners", "confirmed"]) and bool(frame.loc["injuries", "rejected"])


def test_cli_lists_corrections_it_could_not_reattach(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with Store(url, extractor=fake_extract, extractor_version="v1") as store:
        store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
        store.add_correction(int(store.claims_frame().claim_id.iloc[0]), "reject", user="ana")
    assert main(["reextract", "--db", url]) == 0  # the real extractor, another version
    out, err = capsys.readouterr()
    assert "corrections re-attached" in out and "could not be re-attached" in out


# ---------------------------------------------------------------- 2 stale output


def _package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "figures"
    shutil.copytree(ROOT / "figures", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_extractor_version_is_a_hash_of_the_rules(tmp_path: Path) -> None:
    package = _package_copy(tmp_path)
    assert extractor_version(package) == EXTRACTOR_VERSION
    (package / "ingest.py").write_text("# reading files is not extracting\n", encoding="utf-8")
    assert extractor_version(package) == EXTRACTOR_VERSION
    table = package / "data" / "cues.csv"
    table.write_text(table.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed_table = extractor_version(package)
    assert changed_table != EXTRACTOR_VERSION
    rules = package / "attribution.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# a rule changed\n", encoding="utf-8")
    assert extractor_version(package) not in (EXTRACTOR_VERSION, changed_table)


def test_reextract_outdated_picks_documents_of_another_version(database_url: str) -> None:
    with Store(database_url, extractor=fake_extract, extractor_version="1.0.0") as store:
        store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
    with Store(database_url, extractor=fake_extract) as store:
        assert store.extractor_version == EXTRACTOR_VERSION
        assert store.reextract(only_outdated=True).documents == 1
        assert store.reextract(only_outdated=True).documents == 0


def test_resume_reextracts_an_input_edited_since(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text(make_article(1), encoding="utf-8")
    (inputs / "b.txt").write_text(make_article(2), encoding="utf-8")
    options = BatchOptions(out=tmp_path / "out", format="jsonl", partition_size=1, workers=1)
    first = run_batch([inputs], options)
    assert first["reused_partitions"] == 0
    assert run_batch([inputs], options)["reused_partitions"] == 2
    edited = make_article(2).replace("were killed", "were killed and 77 soldiers were captured")
    (inputs / "b.txt").write_text(edited, encoding="utf-8")
    again = run_batch([inputs], options)
    assert again["reused_partitions"] == 1  # a.txt only: b.txt changed size and time
    values = [json.loads(line)["value"] for line in (tmp_path / "out" / "part-000001.jsonl").read_text().splitlines()]
    assert 77 in values


# ---------------------------------------------------------------- 3 one file never aborts a run


def _nested_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth  # 200 KB


def test_deeply_nested_json_is_that_files_error(tmp_path: Path, database_url: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "deep.json").write_text(_nested_json(), encoding="utf-8")
    (folder / "deep_rows.jsonl").write_text('{"text": "Officials said 9 soldiers were killed."}\n'
                                            + _nested_json() + "\n", encoding="utf-8")
    (folder / "good.txt").write_text(make_article(1), encoding="utf-8")
    items = list(iter_documents([folder]))
    deep = [i for i in items if isinstance(i, DocumentError) and i.source.endswith("deep.json")]
    assert len(deep) == 1 and "nested too deeply" in deep[0].problem
    with Store(database_url, extractor=fake_extract, extractor_version="t") as store:
        reports = {Path(r.source).name: r for r in store.ingest_paths([folder])}
        assert "nested too deeply" in reports["deep.json"].error
        assert reports["deep_rows.jsonl"].documents == 1 and "line 2" in reports["deep_rows.jsonl"].notes[0]
        assert reports["good.txt"].documents == 1


def test_deeply_nested_json_does_not_stop_extract(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "deep.json").write_text(_nested_json(), encoding="utf-8")
    (folder / "good.txt").write_text(make_article(1), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert extract_to_stream([folder], "jsonl", out, err) == 0
    assert out.getvalue().count("\n") >= 2 and "deep.json" in err.getvalue()
    options = BatchOptions(out=tmp_path / "out", format="jsonl", partition_size=1, workers=1)
    for _ in range(2):  # and a resume finishes too
        manifest = run_batch([folder], options)
        assert manifest["documents"] == 1 and len(manifest["errors"]) == 1
        assert "nested too deeply" in manifest["errors"][0]["message"]


def test_memory_error_in_a_parser_is_that_files_error(tmp_path: Path, monkeypatch) -> None:
    import figures.ingest as ingest

    def exhausted(*_args, **_kwargs):
        raise MemoryError()

    monkeypatch.setattr(ingest, "_parse_csv", exhausted)
    (tmp_path / "huge.csv").write_text("text\nOfficials said 12 soldiers were killed.\n", encoding="utf-8")
    (tmp_path / "good.txt").write_text(make_article(1), encoding="utf-8")
    items = list(iter_documents([tmp_path]))
    [error] = [i for i in items if isinstance(i, DocumentError)]
    assert error.source.endswith("huge.csv") and "MemoryError" in error.problem
    assert [i.id for i in items if isinstance(i, Document)] == ["good.txt"]


def test_extractor_failure_on_one_document_is_an_error_not_a_crash(tmp_path: Path, monkeypatch) -> None:
    import figures.batch as batch  # the one-process stream of `extract` runs there

    real = batch.extract_claims

    def fragile(document: Document) -> list[Claim]:
        if "77" in document.text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(document)

    monkeypatch.setattr(batch, "extract_claims", fragile)
    (tmp_path / "a.txt").write_text(make_article(67), encoding="utf-8")  # 77 civilians
    (tmp_path / "b.txt").write_text(make_article(1), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert extract_to_stream([tmp_path], "jsonl", out, err) == 0
    assert "RecursionError" in err.getvalue() and out.getvalue()


# ---------------------------------------------------------------- 4 formula injection


def _hostile_article(folder: Path) -> Path:
    path = folder / "=HYPERLINK(1).txt"
    path.write_text('=HYPERLINK("http://evil.example","open") officials said 12 soldiers were killed '
                    "in Kharkiv on Monday.\n", encoding="utf-8")
    return path


def _assert_inert(rows: list[dict]) -> None:
    assert rows
    for row in rows:
        for name, cell in row.items():
            assert not (cell or "").startswith(FORMULA_START), (name, cell)
    assert rows[0]["doc"] == "'=HYPERLINK(1).txt"


def test_extract_csv_to_stdout_neutralises_formulas(tmp_path: Path) -> None:
    _hostile_article(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert extract_to_stream([tmp_path], "csv", out, err) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    _assert_inert(rows)
    assert any(row["quote"].startswith("'=HYPERLINK") for row in rows)


def test_extract_out_csv_neutralises_formulas(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _hostile_article(folder)
    run_batch([folder], BatchOptions(out=tmp_path / "out", format="csv", workers=1))
    for name in ("part-000000.csv", "documents-000000.csv"):
        rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / name).read_text(encoding="utf-8"), newline="")))
        if name.startswith("part"):
            _assert_inert(rows)
        else:
            assert rows[0]["id"] == "'=HYPERLINK(1).txt" and rows[0]["text"].startswith("'=HYPERLINK")


# ---------------------------------------------------------------- 5 read-only, open editing, lockout


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_read_only_store_writes_nothing(database_url: str, tmp_path: Path) -> None:
    with Store(database_url, read_only=True) as store:
        assert not store.ready
        report = store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
        assert "read-only" in report.error
        with pytest.raises(ReadOnlyError):
            store.regroup_mentions()
    if database_url.startswith("sqlite"):
        assert not (tmp_path / "figures.db").exists()
    else:
        assert _tables(database_url) == []
    with Store(database_url, extractor=fake_extract, extractor_version="t") as writer:
        writer.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
        claim_id = int(writer.claims_frame().claim_id.iloc[0])
    with Store(database_url, read_only=True) as store:
        assert store.ready and store.count_claims() == 1
        with pytest.raises(ReadOnlyError):
            store.add_correction(claim_id, "reject")
        if not database_url.startswith("sqlite"):  # PostgreSQL itself refuses writes in these sessions
            with store.engine.connect() as conn, pytest.raises(Exception, match="read-only"):
                conn.execute(text("DELETE FROM claims"))
    with Store(database_url) as store:
        assert store.count_claims() == 1 and len(store.corrections_frame()) == 0


def _app(url: str, monkeypatch, **env: str):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    for name in ("FIGURES_READ_ONLY", "FIGURES_EDITOR_PASSWORD", "FIGURES_OPEN_EDITING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FIGURES_DATABASE_URL", url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_read_only_app_on_an_empty_database_says_so_and_writes_nothing(database_url: str, tmp_path: Path,
                                                                        monkeypatch) -> None:
    at = _app(database_url, monkeypatch, FIGURES_READ_ONLY="1")
    assert any("read-only" in info.value and "no figures" in info.value for info in at.info)
    if database_url.startswith("sqlite"):
        assert not (tmp_path / "figures.db").exists()
    else:
        assert _tables(database_url) == []
    with Store(database_url, extractor=fake_extract, extractor_version="t") as writer:  # an editor loads data
        writer.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
    at.run()  # the same server process: the read-only view now shows it
    assert not at.info and any(c.value.startswith("1 claims from 1 articles · read-only") for c in at.caption)


def test_editing_without_a_password_is_opt_in(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    at = _app(url, monkeypatch)
    labels = [tab.label for tab in at.tabs]
    assert "Curate" not in labels and "Add articles" not in labels
    assert any("FIGURES_OPEN_EDITING" in caption.value for caption in at.caption)
    with Store(url) as store:
        assert store.count_documents() > 0  # the demo still loads out of the box
    at = _app(url, monkeypatch, FIGURES_OPEN_EDITING="1")
    assert "Curate" in [tab.label for tab in at.tabs]


def test_failed_logins_lock_the_client_out() -> None:
    now = [1000.0]
    throttle = views.LoginThrottle(free=3, longest=60, clock=lambda: now[0])
    for _ in range(3):
        assert views.try_login(throttle, "10.0.0.1", "guess", "secret") == (False, "Wrong password.")
    ok, message = views.try_login(throttle, "10.0.0.1", "guess", "secret")
    assert not ok and "Wait 2 s" in message
    ok, message = views.try_login(throttle, "10.0.0.1", "secret", "secret")
    assert not ok and "Too many failed tries" in message  # even the right password waits
    assert views.try_login(throttle, "10.0.0.2", "secret", "secret") == (True, "")  # others are not locked
    now[0] += 2.5
    assert views.try_login(throttle, "10.0.0.1", "secret", "secret") == (True, "")
    for _ in range(20):
        throttle.failed("10.0.0.3")
    assert throttle.wait_left("10.0.0.3") == 60  # doubling, up to the longest lockout


def test_app_locks_out_after_failed_logins(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    at = _app(url, monkeypatch, FIGURES_EDITOR_PASSWORD="correct horse")
    for _ in range(4):
        at.text_input(key="editor_password").set_value("wrong")
        at.button(key="login").click().run()
    assert any("Wait" in e.value for e in at.error)
    at.text_input(key="editor_password").set_value("correct horse")
    at.button(key="login").click().run()
    assert any("Too many failed tries" in e.value for e in at.error)
    assert "Curate" not in [tab.label for tab in at.tabs]


# ---------------------------------------------------------------- 6 errors leak no internals; NUL bytes


def _break_document_inserts(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if url.startswith("sqlite"):
            conn.execute(text("CREATE TRIGGER no_docs BEFORE INSERT ON documents "
                              "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"))
            conn.execute(text("CREATE TRIGGER no_corrections BEFORE INSERT ON corrections "
                              "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"))
        else:
            conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'disk quota exceeded'; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER no_docs BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION refuse()"))
            conn.execute(text("CREATE TRIGGER no_corrections BEFORE INSERT ON corrections "
                              "FOR EACH ROW EXECUTE FUNCTION refuse()"))
    engine.dispose()


def test_a_failed_write_shows_a_short_message_and_logs_the_detail(database_url: str, caplog) -> None:
    secret = "Unpublished source notes: 41 soldiers were killed near the depot."
    with Store(database_url, extractor=fake_extract, extractor_version="t") as store:
        store.ingest_documents([_doc(1, "Officials said 12 soldiers were killed.")])
        claim_id = int(store.claims_frame().claim_id.iloc[0])
        _break_document_inserts(database_url)
        with caplog.at_level(logging.ERROR):
            upload = views.ingest_upload(store, "notes.txt", secret.encode())
            paste = views.ingest_paste(store, secret, title="notes")
            correction = views.safely(lambda: store.add_correction(claim_id, "reject"), "The rejection did not land")
        for message in (upload.message(), paste.message(), correction):
            assert "database refused the write" in message and "server log" in message
            assert "INSERT" not in message and "41 soldiers" not in message and "quota" not in message
        assert "INSERT" in caplog.text and "disk quota exceeded" in caplog.text


def test_nul_bytes_in_a_csv_cell_are_stripped_per_row(database_url: str, tmp_path: Path) -> None:
    rows = [("One", "Officials said 12 soldiers were killed."),
            ("Two\x00", "Officials said 30 civilians were\x00 injured."),
            ("Three", "Officials said 4 people were captured.")]
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("title", "text"), *rows])
    with Store(database_url, extractor=fake_extract, extractor_version="t") as store:
        [report] = store.ingest_paths([path])
        assert report.ok and report.documents == 3 and report.claims == 3
        frame = store.claims_frame()
        assert "Two" in set(frame.title) and not any("\x00" in q for q in frame.quote)


# ---------------------------------------------------------------- 7 linear time


def _long_line_seconds(size: int) -> float:
    from figures.extract import extract_claims

    unit = ("Officials said 12 people were killed in Kharkiv on Monday, and the governor, Oleh Synehubov, "
            "said 30 were wounded; the ministry said it destroyed 5 tanks. ")
    document = Document(id="long", text=(unit * (size // len(unit) + 1))[:size], published=dt.date(2022, 3, 1))
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        extract_claims(document)
        best = min(best, time.perf_counter() - started)
    return best


def test_attribution_cost_grows_linearly_with_paragraph_length() -> None:
    small, large = _long_line_seconds(50_000), _long_line_seconds(400_000)
    # eight times the text: about eight times the time when linear, 64 times when quadratic
    assert large < 20 * small, (small, large)


# ---------------------------------------------------------------- 8 FIFOs, symlinks, notes files


def _in_thread(function, timeout: float = 60):
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function()), daemon=True)
    thread.start()
    thread.join(timeout)
    assert result, "timed out: something waited on a FIFO"
    return result[0]


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(make_article(1), encoding="utf-8")
    os.mkfifo(folder / "a.txt")
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\nOfficials said 99 soldiers were killed.\n")
    (folder / "passwd.txt").symlink_to(outside)
    (folder / "inside.txt").symlink_to(folder / "good.txt")  # a link inside the folder is fine
    return folder


def test_fifo_and_links_out_of_the_folder_are_skipped(hostile_folder: Path, database_url: str) -> None:
    items = _in_thread(lambda: list(iter_documents([hostile_folder])))
    skipped = {Path(i.source).name: i.problem for i in items if isinstance(i, SkippedFile)}
    assert set(skipped) == {"a.txt", "passwd.txt"}
    assert "not a regular file" in skipped["a.txt"] and "outside the folder" in skipped["passwd.txt"]
    with Store(database_url, extractor=fake_extract, extractor_version="t") as store:
        reports = _in_thread(lambda: store.ingest_paths([hostile_folder]))
        assert sorted(Path(r.source).name for r in reports if r.skipped) == ["a.txt", "passwd.txt"]
        assert not any("root:" in text for text in store.claims_frame().quote)
        assert store.count_documents() == 1  # good.txt and the link to it are one article


def test_extract_out_skips_a_fifo_and_says_so(hostile_folder: Path, tmp_path: Path) -> None:
    options = BatchOptions(out=tmp_path / "out", format="jsonl", workers=1)
    manifest = _in_thread(lambda: run_batch([hostile_folder], options))
    assert {Path(e["file"]).name for e in manifest["errors"] if e.get("skipped")} == {"a.txt", "passwd.txt"}
    assert manifest["documents"] == 2
    out, err = io.StringIO(), io.StringIO()
    assert _in_thread(lambda: extract_to_stream([hostile_folder / "a.txt"], "jsonl", out, err)) == 1
    assert "not a regular file" in err.getvalue()


def test_streamlit_secrets_are_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored


# ---------------------------------------------------------------- 9 encodings, bad rows, zip paths, names


def test_utf16_with_bom_is_read() -> None:
    text = "title: Counts\n\nOfficials said 12 soldiers were killed in Kharkiv."
    for encoding in ("utf-16", "utf-16-be", "utf-32"):
        data = ("\ufeff" + text).encode(encoding)
        [document] = documents_from_bytes("counts.txt", data)
        assert document.title == "Counts" and "12 soldiers" in document.text


def test_mixed_utf8_and_cp1252_lines_are_decoded_line_by_line() -> None:
    data = "Zelenskiy’s office said – in Kyiv".encode() + b"\n" + "The café’s owner said 12 were hurt".encode("cp1252")
    decoded = decode_text(data, "mixed.txt")
    assert decoded == "Zelenskiy’s office said – in Kyiv\nThe café’s owner said 12 were hurt"


def test_a_bad_jsonl_line_keeps_the_good_rows(database_url: str, tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"Officials said {n} soldiers were killed."}) for n in (11, 12, 13, 14)]
    lines[1] = "{broken"
    lines[3] = "[1, 2]"
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store(database_url, extractor=fake_extract, extractor_version="t") as store:
        [report] = store.ingest_paths([path])
        assert report.ok and report.documents == 2
        assert "lines 2, 4 are not valid JSON" in report.notes[0]
        assert "lines 2, 4" in format_file_report(report)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_members_leaving_the_archive_are_reported() -> None:
    data = _zip({"../escape.txt": make_article(1).encode(), "/etc/abs.txt": make_article(2).encode(),
                 "ok/article.txt": make_article(3).encode(), "README.md": b"notes on the sources"})
    notes: list[str] = []
    documents = documents_from_bytes("pack.zip", data, notes=notes)
    assert [d.id for d in documents] == ["article.txt"]
    assert any("../escape.txt" in n and "leaves the archive" in n for n in notes)
    assert any("/etc/abs.txt" in n and "leaves the archive" in n for n in notes)
    assert any("README.md" in n and "notes file" in n for n in notes)


def test_a_newline_in_a_file_name_cannot_fake_a_report_line(tmp_path: Path, capsys) -> None:
    name = "evil.txt\nall.txt: 999 new documents, 0 already stored, 999 claims"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"{name}.txt").write_text("", encoding="utf-8")  # empty: a failure line
    assert main(["ingest", "--db", str(tmp_path / "n.db"), str(tmp_path / "in")]) == 1
    out, err = capsys.readouterr()
    assert "999 new documents" not in [line.split(": ", 1)[-1] for line in (out + err).splitlines()]
    assert "evil.txt\\nall.txt" in err
    assert printable("a\rb\x1b") == "a\\rb\\x1b"


def test_upload_form_offers_the_text_column(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'cols.db'}"
    table = "headline,story_body\nCounts,Officials said 12 soldiers were killed in Kharkiv on Monday.\n"
    at = _app(url, monkeypatch, FIGURES_OPEN_EDITING="1")
    at.session_state["section"] = "Add articles"  # only the open tab is drawn
    at.run()
    at.file_uploader(key="upload").set_value([("table.csv", table.encode(), "text/csv")]).run()
    at.button(key="add_files").click().run()
    assert any("Text column" in e.value for e in at.error)
    assert "story_body" in at.selectbox(key="upload_text_column").options
    at.selectbox(key="upload_text_column").set_value("story_body").run()
    at.button(key="add_files").click().run()
    added = [s.value.replace("\\", "") for s in at.success]
    assert any("table.csv: 1 article(s), 1 claim(s) added" in s for s in added), added


# ---------------------------------------------------------------- 10 compressed uploads


def test_upload_cap_on_inflated_size(database_url: str, monkeypatch) -> None:
    member = (make_article(1) * 40_000).encode()[: 2 * 1024 * 1024]  # 2 MB that deflate to a few KB
    bomb = _zip({f"part{n:02d}.txt": member for n in range(20)})  # 40 MB inflated
    assert len(bomb) < 1024 * 1024
    with Store(database_url, extractor=fake_extract, extractor_version="t") as store:
        started = time.perf_counter()
        result = views.ingest_upload(store, "bomb.zip", bomb, max_inflated_bytes=5 * 1024 * 1024)
        assert time.perf_counter() - started < 5
        assert not result.ok and "5.0 MB limit" in result.error and "FIGURES_MAX_UPLOAD_INFLATED_MB" in result.error
        assert store.count_documents() == 0
    monkeypatch.setenv("FIGURES_MAX_UPLOAD_INFLATED_MB", "3")
    assert views.resolve_settings().max_upload_inflated_bytes == 3 * 1024 * 1024
    assert views.resolve_settings({}, {"figures": {"max_upload_inflated_mb": 7}}).max_upload_inflated_mb == 7
    assert views.resolve_settings({}, {}).max_upload_inflated_mb == views.DEFAULT_MAX_UPLOAD_INFLATED_MB


# ---------------------------------------------------------------- notes files beside the articles (issue 16)


@pytest.mark.parametrize("name", ["README.md", "readme.txt", "LICENSE.txt", "Sources.MD", "CHANGELOG.md"])
def test_notes_files_in_a_folder_are_skipped_unless_named(tmp_path: Path, name: str, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "article.txt").write_text(make_article(1), encoding="utf-8")
    (folder / name).write_text("Notes. The collection holds 12 articles on 3 topics.\n", encoding="utf-8")
    db = str(tmp_path / "n.db")
    assert main(["ingest", "--db", db, str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"{name}: skipped: a notes file" in out and "1 skipped" in out
    with Store(db) as store:
        assert store.count_documents() == 1
    assert main(["ingest", "--db", db, str(folder / name)]) == 0  # named on its own: read
    with Store(db) as store:
        assert store.count_documents() == 2


def test_notes_file_uploaded_on_its_own_is_read(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'u.db'}", extractor=fake_extract, extractor_version="t") as store:
        result = views.ingest_upload(store, "README.md", make_article(4).encode())
        assert result.ok and result.documents == 1
