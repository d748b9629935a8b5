"""Files, folders and archives -> Documents.

Understood inputs: plain-text articles (``.txt``/``.md``, header layouts in
documents.py), Nexis Uni text exports (many articles in one ``.txt``), HTML pages
(through trafilatura), CSV and JSON/JSONL exports with one article per row, and
folders and ``.zip`` archives of these.

Two APIs:

* :func:`iter_documents` walks paths lazily and yields each ``Document`` as it is
  read, or a :class:`DocumentError` (yielded, not raised) for a file that cannot be
  read: any failure while reading a file, RecursionError and MemoryError included, is
  that file's error. Two kinds are no failure: ``SkippedFile`` (a notes file, a FIFO,
  a link out of the folder, left out on purpose) and ``RowProblems`` (rows left out of
  a file whose other rows were read). Everything one file yields shares the same
  ``source``, and a file's items come together, so a caller can store one file per
  transaction.
* :func:`read_documents` reads one file and returns its documents, or raises
  ``DocumentError`` naming the file and the problem.

Limits are checked before anything is read: the size of a file, the size of an
archive, the declared and actual inflated size of archive members, and their
number. Members are read through a counting stream, so a lying header cannot
inflate more than the limit.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from figures.documents import (
    DocumentError,
    RowProblems,
    SkippedFile,
    decode_text,
    looks_binary,
    max_file_bytes,
    parse_text_document,
    printable,
    read_bytes,
)
from figures.dates import LONG_DATE, MONTH_NAMES, parse_any_date
from figures.model import Document

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
TABLE_SUFFIXES = (".csv", ".jsonl", ".json", ".ndjson")
ARCHIVE_SUFFIXES = (".zip",)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + TABLE_SUFFIXES + ARCHIVE_SUFFIXES

DEFAULT_MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_ARCHIVE_MEMBERS = 10_000
# Notes that sit beside articles in a folder or archive (README.md, LICENSE.txt, sources.md, ...):
# skipped with a line in the report unless the file is named on its own.
NOTES_FILE_STEMS = frozenset(("README", "LICENSE", "LICENCE", "SOURCES", "CHANGELOG", "CHANGES", "COPYING",
                              "AUTHORS", "NOTICE", "CONTRIBUTING"))
_CHUNK = 64 * 1024


def _env_mb(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value:
        try:
            return int(float(value) * 1024 * 1024)
        except ValueError:
            pass
    return default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value:
        try:
            return int(value)
        except ValueError:
            pass
    return default


@dataclass
class IngestOptions:
    """Limits and column names; None means the default (environment, then built-in)."""

    max_file_bytes: int | None = None
    max_archive_bytes: int | None = None
    max_archive_members: int | None = None
    archive_setting: str = "FIGURES_MAX_ARCHIVE_MB"  # named in messages about the archive limit
    text_column: str | None = None
    title_column: str | None = None
    url_column: str | None = None
    date_column: str | None = None
    outlet_column: str | None = None

    def __post_init__(self) -> None:
        if self.max_file_bytes is None:
            self.max_file_bytes = max_file_bytes()
        if self.max_archive_bytes is None:
            self.max_archive_bytes = _env_mb("FIGURES_MAX_ARCHIVE_MB", DEFAULT_MAX_ARCHIVE_BYTES)
        if self.max_archive_members is None:
            self.max_archive_members = _env_int("FIGURES_MAX_ARCHIVE_FILES", DEFAULT_MAX_ARCHIVE_MEMBERS)


def _options(options: IngestOptions | None, overrides: Mapping[str, Any]) -> IngestOptions:
    if options is not None and overrides:
        raise TypeError("pass either options or keyword limits, not both")
    return options if options is not None else IngestOptions(**overrides)


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


# ---------------------------------------------------------------- public API


def iter_documents(
    paths: Iterable[str | Path], options: IngestOptions | None = None, **overrides: Any
) -> Iterator[Document | DocumentError]:
    """Yield documents (and per-file errors) from files, folders and archives, lazily."""
    opts = _options(options, overrides)
    for item in walk_inputs(paths):
        if isinstance(item, DocumentError):
            yield item
        elif os.path.lexists(item):
            yield from _iter_file(item, opts)
        else:
            yield DocumentError(str(item), "no such file or folder")


def read_documents(path: str | Path, options: IngestOptions | None = None, **overrides: Any) -> list[Document]:
    """Every document of one file (or archive); raises DocumentError on the first problem."""
    opts = _options(options, overrides)
    path = Path(path)
    if not path.is_file():
        raise DocumentError(str(path), "no such file")
    documents = []
    for item in _iter_file(path, opts):
        if isinstance(item, RowProblems):
            continue
        if isinstance(item, DocumentError):
            raise item
        documents.append(item)
    return documents


def documents_from_bytes(
    name: str, data: bytes, options: IngestOptions | None = None, notes: list[str] | None = None,
    **overrides: Any,
) -> list[Document]:
    """Documents from an upload's bytes, chosen by its file name; raises DocumentError.

    Rows that could not be read and archive members left out (notes files, paths leaving the
    archive) do not fail the upload: they are appended to `notes`, one line each."""
    opts = _options(options, overrides)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        if len(data) > opts.max_archive_bytes:
            raise DocumentError(name, f"the archive is {_mb(len(data))}, over the {_mb(opts.max_archive_bytes)} limit "
                                      f"(set {opts.archive_setting} to raise it)")
        items = _iter_zip(io.BytesIO(data), name, opts)
    else:
        _check_size(name, len(data), opts.max_file_bytes)
        items = _parse(name, PurePosixPath(name).name, data, opts)
    documents = []
    for item in _guarded(items, name):
        if isinstance(item, (RowProblems, SkippedFile)):
            if notes is not None:
                notes.append(f"{printable(item.source)}: {item.problem}")
            continue
        if isinstance(item, DocumentError):
            raise item
        documents.append(item)
    return documents


# ---------------------------------------------------------------- walking


def is_notes_file(name: str) -> bool:
    """README.md, license.txt, SOURCES, Changelog.md ...: notes beside the articles, not one."""
    return PurePosixPath(name).name.split(".", 1)[0].upper() in NOTES_FILE_STEMS


def _skip_reason(path: Path, folder: Path) -> str | None:
    """Why a file found in a folder walk is not read, or None to read it."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "a broken symbolic link: not read"
        if not target.is_relative_to(folder):
            return "a symbolic link pointing outside the folder: not followed"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device): not read"
    if is_notes_file(path.name):
        return "a notes file (README, LICENSE, SOURCES, CHANGELOG ...), not an article: skipped (name it alone to read it)"
    return None


def walk_folder(folder: Path) -> Iterator[Path | SkippedFile]:
    """Supported files under a folder, sorted, and a SkippedFile for each one left out (notes
    files, non-regular files, links out of the folder). Hidden entries are ignored; symlinked
    folders are not entered."""
    real = folder.resolve()
    for root, dirs, files in os.walk(folder):
        for name in sorted(d for d in dirs if not d.startswith(".") and os.path.islink(os.path.join(root, d))):
            yield SkippedFile(os.path.join(root, name), "a symbolic link to a folder: not followed")
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(SUPPORTED_SUFFIXES):
                path = Path(root) / name
                reason = _skip_reason(path, real)
                yield path if reason is None else SkippedFile(str(path), reason)


def walk_inputs(paths: Iterable[str | Path]) -> Iterator[Path | SkippedFile]:
    """Every input file in reading order: files named alone as given (a notes file named alone
    is read), folders walked by walk_folder."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from walk_folder(path)
        else:
            yield path


def _failure(exc: BaseException) -> str:
    """A parser's unexpected failure as one file's problem (the run goes on)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to read (RecursionError)"
    if isinstance(exc, MemoryError):
        return "too large to read in memory (MemoryError)"
    return f"cannot be read ({type(exc).__name__})"


def _guarded(items: Iterable[Document | DocumentError], source: str) -> Iterator[Document | DocumentError]:
    """Items of one file; any failure while reading it becomes that file's error, whatever it is."""
    try:
        yield from items
    except DocumentError as exc:
        yield exc
    except (OSError, zipfile.BadZipFile) as exc:
        yield DocumentError(source, f"cannot be read ({exc})")
    except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError, a parser's bug: one file's error
        log.warning("reading %s failed", printable(source), exc_info=not isinstance(exc, RecursionError))
        yield DocumentError(source, _failure(exc))


def _check_size(source: str, size: int, limit: int) -> None:
    if size > limit:
        raise DocumentError(
            source,
            f"the file is {_mb(size)}, over the {_mb(limit)} limit (set FIGURES_MAX_FILE_MB to raise it)",
        )


def _iter_file(path: Path, opts: IngestOptions) -> Iterator[Document | DocumentError]:
    yield from _guarded(_read_file(path, opts), str(path))


def _read_file(path: Path, opts: IngestOptions) -> Iterator[Document | DocumentError]:
    source = str(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise SkippedFile(source, "not a regular file (a FIFO, socket or device): not read")
    if suffix in ARCHIVE_SUFFIXES:
        size = path.stat().st_size
        if size > opts.max_archive_bytes:
            raise DocumentError(
                source,
                f"the archive is {_mb(size)}, over the {_mb(opts.max_archive_bytes)} limit "
                f"(set {opts.archive_setting} to raise it)",
            )
        with path.open("rb") as handle:
            yield from _iter_zip(handle, source, opts)
        return
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(source, f"unsupported file type {suffix or '(none)'}; expected one of "
                            + ", ".join(SUPPORTED_SUFFIXES))
    data = read_bytes(path, opts.max_file_bytes)
    yield from _parse(source, path.name, data, opts)


# ---------------------------------------------------------------- archives


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, source: str) -> bytes:
    """Inflate one member through a counter: never more than `limit` bytes, whatever the header says."""
    buffer = bytearray()
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            buffer.extend(chunk)
            if len(buffer) > limit:
                raise DocumentError(source, f"inflates past the {_mb(limit)} limit (declared {_mb(info.file_size)})")
    return bytes(buffer)


def _iter_zip(handle: IO[bytes], source: str, opts: IngestOptions) -> Iterator[Document | DocumentError]:
    try:
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile as exc:
        raise DocumentError(source, f"not a valid zip archive ({exc})") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > opts.max_archive_members:
            raise DocumentError(
                source,
                f"the archive holds {len(infos)} entries, over the limit of {opts.max_archive_members} "
                "(set FIGURES_MAX_ARCHIVE_FILES to raise it)",
            )
        candidates = [info for info in infos
                      if not info.is_dir() and info.filename.lower().endswith(SUPPORTED_SUFFIXES)]
        members, left_out = [], []
        for info in candidates:
            reason = _member_skip_reason(info.filename)
            if reason is None:
                members.append(info)
            elif reason:
                left_out.append(SkippedFile(f"{source}:{info.filename}", reason))
        declared = sum(info.file_size for info in members)
        if declared > opts.max_archive_bytes:
            raise DocumentError(
                source,
                f"the archive would inflate to {_mb(declared)}, over the {_mb(opts.max_archive_bytes)} limit "
                f"(a zip bomb, or set {opts.archive_setting} to raise it)",
            )
        yield from left_out
        budget = opts.max_archive_bytes
        for info in sorted(members, key=lambda item: item.filename):
            member_source = f"{source}:{info.filename}"
            name = PurePosixPath(info.filename).name
            try:
                if info.filename.lower().endswith(ARCHIVE_SUFFIXES):
                    raise DocumentError(member_source, "archives inside archives are not read")
                if info.flag_bits & 0x1:
                    raise DocumentError(member_source, "the member is encrypted")
                _check_size(member_source, info.file_size, opts.max_file_bytes)
                data = _read_member(archive, info, min(opts.max_file_bytes, budget), member_source)
                budget -= len(data)
            except DocumentError as exc:
                yield exc
                data = None
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
                yield DocumentError(member_source, f"cannot be inflated ({exc})")
                data = None
            if data is not None:
                yield from _guarded(_parse(member_source, name, data, opts), member_source)
            if budget <= 0:
                yield DocumentError(source, f"the archive inflated past the {_mb(opts.max_archive_bytes)} limit "
                                            f"(set {opts.archive_setting} to raise it)")
                return


def _member_skip_reason(filename: str) -> str | None:
    """Why an archive member is left out: '' for hidden and macOS metadata (left out silently),
    a reason for paths leaving the archive and notes files, None to read it."""
    parts = PurePosixPath(filename.replace("\\", "/")).parts
    if filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        return "the member's path leaves the archive ('..' or absolute): not read"
    if any(part.startswith((".", "__MACOSX")) for part in parts):
        return ""
    if is_notes_file(filename):
        return "a notes file (README, LICENSE, SOURCES, CHANGELOG ...), not an article: skipped"
    return None


# ---------------------------------------------------------------- by format


def _parse(source: str, name: str, data: bytes, opts: IngestOptions) -> Iterator[Document | RowProblems]:
    for document in _parse_format(source, name, data, opts):
        if isinstance(document, Document) and not document.outlet:
            document.outlet = guess_outlet(document.url, name)
        yield document


def _parse_format(source: str, name: str, data: bytes, opts: IngestOptions) -> Iterator[Document | RowProblems]:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        yield from _parse_text(source, name, data)
    elif suffix in HTML_SUFFIXES:
        yield _parse_html(source, name, data)
    elif suffix == ".csv":
        yield from _parse_csv(source, name, data, opts)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _parse_jsonl(source, name, data, opts)
    elif suffix == ".json":
        yield from _parse_json(source, name, data, opts)
    else:
        raise DocumentError(source, f"unsupported file type {suffix or '(none)'}")


def _parse_text(source: str, name: str, data: bytes) -> Iterator[Document]:
    text = decode_text(data, source)
    if looks_like_nexis(text):
        yield from split_nexis(text, name, source)
        return
    document = parse_text_document(text, name, source=source)
    if not document.full_text.strip():
        raise DocumentError(source, "the file holds no article text")
    yield document


def _parse_html(source: str, name: str, data: bytes) -> Document:
    import trafilatura

    if not data.strip():
        raise DocumentError(source, "the file is empty")
    if looks_binary(data):
        raise DocumentError(source, "this is a binary file, not HTML")
    try:
        result = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False, include_tables=False)
    except Exception as exc:  # trafilatura raises assorted parser errors on broken markup
        raise DocumentError(source, f"the HTML cannot be parsed ({exc})") from exc
    if result is None:
        raise DocumentError(source, "no article text found in the HTML page")
    meta = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    text = (meta.get("text") or "").strip()
    if not text:
        raise DocumentError(source, "no article text found in the HTML page")
    extra = {key: meta[key] for key in ("author", "hostname", "description") if meta.get(key)}
    return Document(
        id=name,
        text=text,
        title=_clean(meta.get("title")),
        url=_clean(meta.get("url")),
        outlet=_clean(meta.get("sitename")) or _clean(meta.get("hostname")),
        published=parse_any_date(meta.get("date")),
        source=source,
        meta=extra,
    )


# ---------------------------------------------------------------- outlets

_OUTLETS_FILE = Path(__file__).parent / "data" / "outlets.csv"
_outlets: dict[str, str] | None = None


def _outlet_table() -> dict[str, str]:
    global _outlets
    if _outlets is None:
        with _OUTLETS_FILE.open(encoding="utf-8", newline="") as handle:
            _outlets = {row["token"].strip().lower(): row["outlet"].strip() for row in csv.DictReader(handle)}
    return _outlets


def guess_outlet(url: str | None, file_name: str | None = None) -> str | None:
    """The outlet named by a URL's host (www.theguardian.com) or a file name's words (002_guardian_...)."""
    table = _outlet_table()
    if url:
        host = re.sub(r"^[a-z]+://", "", url.strip().lower()).split("/", 1)[0].split(":", 1)[0]
        for label in reversed(host.split(".")[:-1]):
            if label in table:
                return table[label]
    if file_name:
        for token in re.split(r"[^a-z0-9]+", PurePosixPath(file_name).stem.lower()):
            if token and not token.isdigit() and token in table:
                return table[token]
    return None


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


# ---------------------------------------------------------------- Nexis Uni

_END_OF_DOCUMENT = re.compile(r"^\s*End of Document\s*$", re.M)
_NEXIS_FIELD = re.compile(r"^(Byline|Section|Length|Dateline|Highlight|Copyright)\s*:?\s*(.*)$")
_NEXIS_BODY_END = re.compile(r"^(Notes|Classification|Graphic|Load-Date:.*|Correction-Date:.*)\s*$")


# a long date as Nexis writes it, capitalised ('March 1, 2022')
_CAPITALISED_MONTHS = "|".join(name.capitalize() for name in MONTH_NAMES)


def looks_like_nexis(text: str) -> bool:
    """A Nexis Uni export: 'End of Document' separators and a 'Body' line with a long date above it."""
    if not _END_OF_DOCUMENT.search(text):
        return False
    return bool(re.search(r"^Body\s*$", text, re.M)) and bool(
        re.search(rf"^\s*({_CAPITALISED_MONTHS})\s+\d{{1,2}},\s+\d{{4}}", text, re.M)
    )


def split_nexis(text: str, name: str, source: str | None = None) -> Iterator[Document]:
    """One Document per article of a Nexis Uni export, ids ``name#1``, ``name#2``, ..."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _END_OF_DOCUMENT.split(text)
    number = 0
    for block in blocks:
        document = _nexis_article(block, name, number + 1, source)
        if document is not None:
            number += 1
            yield document
    if number == 0:
        raise DocumentError(source or name, "a Nexis export with no readable article")


def _nexis_article(block: str, name: str, number: int, source: str | None) -> Document | None:
    lines = block.split("\n")
    body_at = next((i for i, line in enumerate(lines) if line.strip() == "Body"), None)
    if body_at is None:
        return None
    date_at = next((i for i in range(body_at - 1, -1, -1) if LONG_DATE.match(lines[i])), None)
    if date_at is None:
        return None
    head = []
    for i in range(date_at - 1, -1, -1):
        if not lines[i].strip():
            if head:
                break
            continue
        head.insert(0, lines[i].strip())
    if not head:
        return None
    title = head[0]
    outlet = head[-1] if len(head) > 1 else None
    meta: dict[str, Any] = {}
    if len(head) > 2:
        meta["publication"] = " / ".join(head[1:-1])
    for line in lines[date_at + 1 : body_at]:
        match = _NEXIS_FIELD.match(line.strip())
        if match and match[2].strip():
            meta[match[1].lower()] = match[2].strip().lstrip(", ")
    body_lines = []
    for line in lines[body_at + 1 :]:
        if _NEXIS_BODY_END.match(line.strip()):
            break
        body_lines.append(line.strip())
    body = "\n".join(body_lines).strip("\n")
    body = re.sub(r"\n{3,}", "\n\n", body)
    if not body.strip():
        return None
    return Document(
        id=f"{name}#{number}",
        text=body,
        title=title,
        outlet=outlet,
        published=parse_any_date(lines[date_at]),
        source=source,
        meta=meta,
    )


# ---------------------------------------------------------------- tables

COLUMN_NAMES = {
    "text": ("text", "body", "content", "articles", "article", "full_text", "fulltext", "bodytext", "story"),
    "title": ("title", "headline", "headlines", "heading", "webtitle"),
    "url": ("url", "link", "weburl", "canonical_url", "href"),
    "date": ("date", "published", "publish_date", "published_at", "publication_date", "pubdate",
             "webpublicationdate", "datetime", "timestamp"),
    "outlet": ("outlet", "source", "publisher", "site", "sitename", "site_name", "newspaper", "publication"),
}


class MissingTextColumn(DocumentError):
    """A table without a column found to hold the article text; `columns` lists its columns."""

    def __init__(self, source: str, problem: str, columns: list[str]):
        super().__init__(source, problem)
        self.columns = columns


def _pick_columns(columns: list[str], opts: IngestOptions, source: str) -> dict[str, str | None]:
    """Map text/title/url/date/outlet to column names: the user's names first, then the common names."""
    lowered = {col.strip().lower(): col for col in columns}
    chosen: dict[str, str | None] = {}
    for role, candidates in COLUMN_NAMES.items():
        named = getattr(opts, f"{role}_column")
        if named:
            match = lowered.get(named.strip().lower())
            if match is None:
                raise DocumentError(source, f"no column named {named!r}; the columns are: {', '.join(columns)}")
            chosen[role] = match
        else:
            chosen[role] = next((lowered[c] for c in candidates if c in lowered), None)
    if chosen["text"] is None:
        raise MissingTextColumn(
            source,
            f"no text column found (looked for {', '.join(COLUMN_NAMES['text'])}); the columns are: "
            f"{', '.join(columns) or '(none)'}; name one with --text-column",
            columns,
        )
    return chosen


def _row_document(row: Mapping[str, Any], columns: dict[str, str | None], doc_id: str, source: str) -> Document | None:
    def get(role: str) -> Any:
        column = columns[role]
        return row.get(column) if column else None

    text = get("text")
    if text is None or not str(text).strip():
        return None
    return Document(
        id=doc_id,
        text=str(text).replace("\r\n", "\n").strip(),
        title=_clean(get("title")),
        url=_clean(get("url")),
        outlet=_clean(get("outlet")),
        published=parse_any_date(get("date")),
        source=source,
    )


def _parse_csv(source: str, name: str, data: bytes, opts: IngestOptions) -> Iterator[Document]:
    text = decode_text(data, source)
    csv.field_size_limit(max(opts.max_file_bytes, 131072))
    dialect: Any = csv.excel
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    if "," not in header:
        # Sniff the delimiter only: the Sniffer misreads quoting in long multi-line cells.
        delimiter = max(";\t|", key=header.count)
        if header.count(delimiter):
            dialect = type("Sniffed", (csv.excel,), {"delimiter": delimiter})
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        columns = [c for c in (reader.fieldnames or []) if c is not None]
        picked = _pick_columns(columns, opts, source)
        for number, row in enumerate(reader, start=1):
            document = _row_document(row, picked, f"{name}#{number}", source)
            if document is not None:
                yield document
    except csv.Error as exc:
        raise DocumentError(source, f"malformed CSV at line {reader.line_num}: {exc}") from exc


def _row_list(numbers: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def _records_documents(records: Iterable[tuple[int, Any]], name: str, source: str, opts: IngestOptions,
                       unit: str = "record") -> Iterator[Document | RowProblems]:
    """A document per record; records that are no object, or that cannot be read, are listed in
    one RowProblems at the end, and the others are kept."""
    picked: dict[str, str | None] | None = None
    bad: list[int] = []
    for number, record in records:
        if record is None or not isinstance(record, dict):
            bad.append(number)
            continue
        if picked is None:
            picked = _pick_columns([str(key) for key in record], opts, source)
        document = _row_document(record, picked, f"{name}#{number}", source)
        if document is not None:
            yield document
    if bad:
        which = f"{unit} {bad[0]} is not" if len(bad) == 1 else f"{unit}s {_row_list(bad)} are not"
        yield RowProblems(source, f"{which} valid JSON (or not an object): left out, the other rows were read")


def _parse_jsonl(source: str, name: str, data: bytes, opts: IngestOptions) -> Iterator[Document | RowProblems]:
    text = decode_text(data, source)

    def records() -> Iterator[tuple[int, Any]]:
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                yield line_no, None

    yield from _records_documents(records(), name, source, opts, unit="line")


def _parse_json(source: str, name: str, data: bytes, opts: IngestOptions) -> Iterator[Document | RowProblems]:
    text = decode_text(data, source)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        if "\n{" in text:  # JSON Lines saved as .json
            yield from _parse_jsonl(source, name, data, opts)
            return
        raise DocumentError(source, f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if isinstance(payload, dict):
        lists = [value for value in payload.values() if isinstance(value, list) and value
                 and all(isinstance(item, dict) for item in value)]
        if len(lists) == 1:
            payload = lists[0]
        else:
            document = _row_document(payload, _pick_columns([str(k) for k in payload], opts, source), name, source)
            if document is None:
                raise DocumentError(source, "the JSON object holds no article text")
            yield document
            return
    if not isinstance(payload, list):
        raise DocumentError(source, "expected a JSON list of articles or one article object")
    yield from _records_documents(enumerate(payload, start=1), name, source, opts)
