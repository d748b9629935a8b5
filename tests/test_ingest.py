"""Ingestion: every input format, encodings, limits and hostile files."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from figures.documents import DocumentError, SkippedFile
from figures.ingest import (
    IngestOptions,
    _read_member,
    documents_from_bytes,
    guess_outlet,
    iter_documents,
    looks_like_nexis,
    parse_any_date,
    read_documents,
)
from tests.conftest import make_article

BODY = "The district council said 40 people were killed and 75 injured after the flood wall gave way."


def _write(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


# ---------------------------------------------------------------- text files and encodings


def test_header_layout_text_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "flood.txt", make_article(7, dt.date(2022, 5, 4), outlet="River Post"))
    [document] = read_documents(path)
    assert document.id == "flood.txt"
    assert document.title == "Report number 7 from the front"
    assert document.outlet == "River Post"
    assert document.published == dt.date(2022, 5, 4)
    assert document.text.startswith("Regional officials said")
    assert document.source == str(path)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("latin-1", b"")],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = "title: Café owners count losses\npublished: 2022-03-09\n\nThe café’s owner said 12 people were injured." \
        if encoding != "latin-1" else "title: Café owners count losses\npublished: 2022-03-09\n\nÀ Zürich, 12 people injured."
    path = _write(tmp_path / "cafe.txt", prefix + text.encode(encoding))
    [document] = read_documents(path)
    assert document.title == "Café owners count losses"
    assert not document.title.startswith("\ufeff")
    assert "12 people" in document.text
    assert "\ufffd" not in document.text
    assert ("Zürich" if encoding == "latin-1" else "café’s") in document.text


def test_binary_file_renamed_txt_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    with pytest.raises(DocumentError) as error:
        read_documents(path)
    assert error.value.source == str(path)
    assert "binary" in error.value.problem


def test_file_ten_times_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    limit = 64 * 1024
    path = _write(tmp_path / "huge.txt", ("10 people were killed. " * 30_000).encode())
    assert path.stat().st_size >= 10 * limit
    items = list(iter_documents([path], max_file_bytes=limit))
    assert len(items) == 1 and isinstance(items[0], DocumentError)
    assert "limit" in items[0].problem and "huge.txt" in str(items[0])


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="empty"):
        read_documents(_write(tmp_path / "empty.txt", b"   \n"))
    [missing] = list(iter_documents([tmp_path / "nope.txt"]))
    assert isinstance(missing, DocumentError) and "no such" in missing.problem


def test_unsupported_file_type_named(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="unsupported file type .docx"):
        read_documents(_write(tmp_path / "report.docx", b"PK\x03\x04"))


# ---------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html>
<html><head>
<title>Flood toll rises | Valley Herald</title>
<meta property="og:title" content="Flood toll rises to 40 in the valley">
<meta property="og:site_name" content="Valley Herald">
<meta property="article:published_time" content="2023-06-14T08:30:00Z">
<link rel="canonical" href="https://valleyherald.example/news/flood-toll">
<script>var tracker = "SECRET-TRACKING-CODE"; document.write("injected 999 people killed");</script>
<style>.x { color: red }</style>
</head><body>
<nav>Home | World | Sport</nav>
<article>
<h1>Flood toll rises to 40 in the valley</h1>
<p>The district council said on Tuesday that 40 people were killed and 75 injured after the flood wall gave way
near the old mill, in the worst disaster the valley has seen in half a century.</p>
<p>Rescue teams from three neighbouring towns worked through the night, and the council asked residents to stay
away from the river banks until engineers had inspected the remaining sections of the wall.</p>
<script>alert("also hidden")</script>
<p>A spokesperson for the regional government said emergency funds would be released on Wednesday to help
families who lost their homes, and that a full inquiry into the collapse would follow.</p>
</article>
<footer>Copyright Valley Herald</footer>
</body></html>"""


def test_html_page_text_and_metadata_without_scripts(tmp_path: Path) -> None:
    [document] = read_documents(_write(tmp_path / "flood.html", PAGE))
    assert "40 people were killed" in document.text
    assert "SECRET-TRACKING-CODE" not in document.full_text
    assert "999" not in document.full_text and "alert" not in document.full_text
    assert "Home | World" not in document.text
    assert document.title == "Flood toll rises to 40 in the valley"
    assert document.outlet == "Valley Herald"
    assert document.published == dt.date(2023, 6, 14)
    assert document.url == "https://valleyherald.example/news/flood-toll"


def test_html_without_article_text_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "blank.html", "<html><head><script>var a = 1;</script></head><body></body></html>")
    with pytest.raises(DocumentError, match="no article text"):
        read_documents(path)


def test_shared_dev_html_pages(shared_dir: Path) -> None:
    folder = shared_dir / "corpus" / "dev-html"
    documents = [item for item in iter_documents([folder]) if not isinstance(item, DocumentError)]
    assert len(documents) == len(list(folder.glob("*.html"))) >= 2
    for document in documents:
        assert document.title and document.outlet and document.published and document.url
        assert len(document.text) > 1000
        assert "<script" not in document.text and "function(" not in document.text


# ---------------------------------------------------------------- CSV and JSON exports


def test_csv_columns_found_by_common_names(tmp_path: Path) -> None:
    rows = [
        "headline,body,link,publish_date,publisher",
        f'Flood toll rises,"{BODY}",https://a.example/1,2023-06-14,Valley Herald',
        'Second story,"Officials said 3 soldiers were captured.",https://a.example/2,"June 15, 2023",Valley Herald',
        'No text row,,https://a.example/3,2023-06-16,Valley Herald',
    ]
    path = _write(tmp_path / "export.csv", "\n".join(rows))
    documents = read_documents(path)
    assert [d.id for d in documents] == ["export.csv#1", "export.csv#2"]
    assert documents[0].title == "Flood toll rises" and documents[0].url == "https://a.example/1"
    assert documents[0].outlet == "Valley Herald"
    assert [d.published for d in documents] == [dt.date(2023, 6, 14), dt.date(2023, 6, 15)]


def test_csv_columns_named_by_user(tmp_path: Path) -> None:
    path = _write(tmp_path / "odd.csv", f'story_text;heading;when\n"{BODY}";My title;20230614\n')
    documents = read_documents(path, text_column="story_text", title_column="heading", date_column="when")
    assert documents[0].title == "My title" and documents[0].published == dt.date(2023, 6, 14)
    with pytest.raises(DocumentError, match="no column named 'missing'"):
        read_documents(path, text_column="missing")


def test_csv_without_text_column_lists_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "numbers.csv", "id,headline,score\n1,Something,3\n")
    with pytest.raises(DocumentError) as error:
        read_documents(path)
    assert "no text column" in error.value.problem
    assert "id, headline, score" in error.value.problem
    assert "--text-column" in error.value.problem


def test_jsonl_and_json_exports(tmp_path: Path) -> None:
    records = [
        {"title": "One", "content": BODY, "url": "https://www.theguardian.com/x", "date": "2023-06-14T10:00:00Z"},
        {"title": "Two", "content": "Officials said 8 civilians were killed.", "published": "2023-06-15"},
    ]
    jsonl = _write(tmp_path / "feed.jsonl", "\n".join(json.dumps(r) for r in records) + "\n\n")
    documents = read_documents(jsonl)
    assert [d.id for d in documents] == ["feed.jsonl#1", "feed.jsonl#2"]
    assert documents[0].outlet == "The Guardian"  # from the URL's host
    assert documents[0].published == dt.date(2023, 6, 14)

    wrapped = _write(tmp_path / "feed.json", json.dumps({"status": "ok", "articles": records}))
    assert [d.title for d in read_documents(wrapped)] == ["One", "Two"]
    single = _write(tmp_path / "one.json", json.dumps(records[0]))
    assert [d.id for d in read_documents(single)] == ["one.json"]

    broken = _write(tmp_path / "broken.jsonl", json.dumps(records[0]) + "\n{not json\n")
    good, problem = list(iter_documents([broken]))
    assert good.title == "One" and isinstance(problem, DocumentError)
    assert "line 2 is not valid JSON" in problem.problem


def test_shared_exports_guardian_and_nexis(shared_dir: Path) -> None:
    folder = shared_dir / "corpus" / "exports"
    items = list(iter_documents([folder]))
    skipped = [item for item in items if isinstance(item, SkippedFile)]
    assert [Path(item.source).name for item in skipped] == ["README.md"]  # notes beside the exports
    items = [item for item in items if item not in skipped]
    assert not [item for item in items if isinstance(item, DocumentError)]
    by_file = Counter(Path(item.source).name for item in items)
    assert by_file["guardian_2022.csv"] == 182
    assert by_file["Al Jazeera English_10.txt"] == 67
    assert by_file["The Straits Times (Singapore)_3.txt"] == 6
    articles = [item for item in items if not item.source.endswith(".md")]
    assert len(articles) == 182 + 73
    for document in articles:
        assert document.title and document.outlet and document.published, document.id
        assert len(document.text) > 200
    assert len({d.id for d in articles}) == len(articles)
    guardian = [d for d in articles if d.source.endswith(".csv")]
    assert {d.outlet for d in guardian} == {"The Guardian"}
    assert len({d.title for d in guardian}) > 150
    nexis = [d for d in articles if not d.source.endswith(".csv")]
    assert {d.outlet for d in nexis} == {"Al Jazeera English", "The Straits Times (Singapore)"}
    assert all(dt.date(2023, 1, 1) <= d.published <= dt.date(2023, 12, 31) for d in nexis)
    assert not any("End of Document" in d.text or "Load-Date:" in d.text for d in nexis)


# ---------------------------------------------------------------- Nexis Uni

NEXIS = """\ufeff
Date and Time: Monday, 4 December 2023 10:00:00 CET
Job Number: 1
Documents (2)
1. Dam breach floods villages
Client/Matter: -None-
Search Terms: flood

2. Relief convoys reach the valley
Client/Matter: -None-


Dam breach floods villages
The Valley Herald
November 3, 2023 Friday


Copyright 2023 Valley Herald Ltd
Section: NEWS
Length: 40 words
Byline: Ana Smith
Body


Officials said 40 people were killed when the dam failed.
 Another 75 were injured, the council added.


Load-Date: November 4, 2023


End of Document


Relief convoys reach the valley
Wire Feeds
The Valley Herald
November 5, 2023 Sunday 9:15 AM EST


Copyright 2023 Valley Herald Ltd
Length: 30 words
Body


Relief convoys carried food for 3,000 displaced families.

Notes
Distributed by a wire service.
Load-Date: November 6, 2023


End of Document
"""


def test_nexis_export_split_into_articles(tmp_path: Path) -> None:
    assert looks_like_nexis(NEXIS)
    path = _write(tmp_path / "herald.txt", NEXIS)
    first, second = read_documents(path)
    assert (first.id, second.id) == ("herald.txt#1", "herald.txt#2")
    assert first.title == "Dam breach floods villages" and first.outlet == "The Valley Herald"
    assert first.published == dt.date(2023, 11, 3)
    assert first.meta["byline"] == "Ana Smith" and first.meta["section"] == "NEWS"
    assert first.text.startswith("Officials said 40 people") and "Load-Date" not in first.text
    assert second.title == "Relief convoys reach the valley" and second.outlet == "The Valley Herald"
    assert second.published == dt.date(2023, 11, 5)
    assert "Distributed by" not in second.text
    assert first.content_hash != second.content_hash


# ---------------------------------------------------------------- folders, archives, laziness


def test_folder_recursive_and_zip(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _write(root / "a.txt", make_article(1))
    _write(root / "sub" / "deeper" / "b.md", make_article(2))
    _write(root / "sub" / "page.html", PAGE)
    _write(root / "sub" / "notes.bin", b"\x00\x01")
    _write(root / ".hidden" / "c.txt", make_article(3))
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x/one.txt", make_article(4))
        zf.writestr("x/two.csv", f'title,text\nRow title,"{BODY}"\n')
        zf.writestr("__MACOSX/x/._one.txt", "junk")
        zf.writestr("x/bad.txt", b"\x00\x00binary")
    items = list(iter_documents([root, archive]))
    documents = [i for i in items if not isinstance(i, DocumentError)]
    errors = [i for i in items if isinstance(i, DocumentError)]
    assert sorted(d.id for d in documents) == ["a.txt", "b.md", "one.txt", "page.html", "two.csv#1"]
    assert [e.source for e in errors] == [f"{archive}:x/bad.txt"]
    assert {d.source for d in documents if d.id == "one.txt"} == {f"{archive}:x/one.txt"}
    with pytest.raises(DocumentError, match="bad.txt"):
        read_documents(archive)
    clean = tmp_path / "clean.zip"
    with zipfile.ZipFile(clean, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("one.txt", make_article(4))
        zf.writestr("two.txt", make_article(5))
    assert [d.id for d in documents_from_bytes("upload.zip", clean.read_bytes())] == ["one.txt", "two.txt"]


def test_iter_documents_is_lazy(tmp_path: Path) -> None:
    for number in range(3):
        _write(tmp_path / f"{number}.txt", make_article(number))
    stream = iter_documents([tmp_path])
    first = next(stream)
    assert first.id == "0.txt"
    (tmp_path / "2.txt").unlink()  # not read yet, so its absence shows up when reached
    rest = list(stream)
    assert rest[0].id == "1.txt"
    assert isinstance(rest[1], DocumentError) and "2.txt" in rest[1].source


def _zip_bomb(path: Path, inflated: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("bomb.txt", "w", force_zip64=True) as member:
            chunk = b"0" * (1024 * 1024)
            for _ in range(inflated // len(chunk)):
                member.write(chunk)


def test_zip_bomb_refused_from_declared_size(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    _zip_bomb(bomb, 200 * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024
    items = list(iter_documents([bomb], max_archive_bytes=50 * 1024 * 1024, max_file_bytes=20 * 1024 * 1024))
    assert len(items) == 1 and isinstance(items[0], DocumentError)
    assert "inflate" in items[0].problem and "limit" in items[0].problem


def test_zip_bomb_with_lying_header_stops_at_the_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "liar.zip"
    _zip_bomb(bomb, 30 * 1024 * 1024)
    data = bytearray(bomb.read_bytes())
    # Rewrite the declared sizes (local header, central directory and zip64 extras) to 1 KB.
    with zipfile.ZipFile(bomb) as zf:
        info = zf.infolist()[0]
    true_size = info.file_size
    for fmt in ("<Q", "<I"):
        packed = struct.pack(fmt, true_size)
        data = data.replace(packed, struct.pack(fmt, 1024))
    liar = tmp_path / "liar2.zip"
    liar.write_bytes(bytes(data))
    with zipfile.ZipFile(liar) as zf:
        assert zf.infolist()[0].file_size == 1024
    [error] = list(iter_documents([liar], max_file_bytes=1024 * 1024))
    assert isinstance(error, DocumentError) and error.source.endswith(":bomb.txt")
    assert "CRC" in error.problem or "limit" in error.problem


def test_member_read_stops_at_the_counter_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    _zip_bomb(bomb, 8 * 1024 * 1024)
    with zipfile.ZipFile(bomb) as zf:
        with pytest.raises(DocumentError, match="inflates past"):
            _read_member(zf, zf.infolist()[0], 256 * 1024, "bomb.zip:bomb.txt")


def test_archive_member_count_limit(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for number in range(30):
            zf.writestr(f"{number}.txt", make_article(number))
    assert len(list(iter_documents([archive], max_archive_members=100))) == 30
    [error] = list(iter_documents([archive], max_archive_members=10))
    assert isinstance(error, DocumentError) and "30 entries" in error.problem


def test_member_over_file_limit_reported_alone(tmp_path: Path) -> None:
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", "7 people were killed. " * 20_000)
        zf.writestr("small.txt", make_article(1))
    items = list(iter_documents([archive], options=IngestOptions(max_file_bytes=100_000)))
    assert isinstance(items[0], DocumentError) and items[0].source.endswith(":big.txt")
    assert items[1].id == "small.txt"


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-08-01T16:23:25Z", dt.date(2022, 8, 1)),
        ("20220302", dt.date(2022, 3, 2)),
        ("November 24, 2023 Friday", dt.date(2023, 11, 24)),
        ("4 March 2022", dt.date(2022, 3, 4)),
        ("Tue, 01 Mar 2022 10:00:00 +0000", dt.date(2022, 3, 1)),
        ("sometime", None),
        ("", None),
    ],
)
def test_parse_any_date(value: str, expected: dt.date | None) -> None:
    assert parse_any_date(value) == expected


def test_guess_outlet() -> None:
    assert guess_outlet("https://www.aljazeera.com/news/x") == "Al Jazeera English"
    assert guess_outlet(None, "012_reuters_story.txt") == "Reuters"
    assert guess_outlet("https://unknown.example/x", "notes.txt") is None
