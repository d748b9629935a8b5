"""Turn the bytes of a text file into a Document: decoding, checks and header layouts.

Three layouts of plain-text articles are understood:

* a header block of ``key: value`` lines (``title:``, ``url:``, ``outlet:``,
  ``published:``) ended by a blank line;
* a scraped dump: a title line, a ``YYYYMMDD`` (or ISO) date line, a URL line;
* no header at all (the whole file is the body).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from figures.dates import UNKNOWN_VALUES, parse_date_value
from figures.model import Document

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024


class DocumentError(ValueError):
    """A file that cannot be read as an article; the message names the file and the problem."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class SkippedFile(DocumentError):
    """A file left out on purpose (notes beside the articles, not a regular file, a link out of
    the folder): reported on its own line, not counted as a failure."""


class RowProblems(DocumentError):
    """Some rows of a file could not be read; the file's other rows were."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(name: str) -> str:
    """A file name (or any text from outside) for one report line: control characters, such as a
    newline that would fake a line of its own, written as escapes."""
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), str(name))


def max_file_bytes() -> int:
    """Per-file size limit, from FIGURES_MAX_FILE_MB when set."""
    value = os.environ.get("FIGURES_MAX_FILE_MB")
    if value:
        try:
            return int(float(value) * 1024 * 1024)
        except ValueError:
            pass
    return DEFAULT_MAX_FILE_BYTES


_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13))


def looks_binary(data: bytes) -> bool:
    """More than a stray NUL byte or many control characters in the first 8 KB mean this is not
    text (a NUL in a cell is stripped when the row is stored, not a reason to refuse the file)."""
    sample = data[:8192]
    if sample.count(b"\x00") > max(2, len(sample) // 200):
        return True
    controls = len(sample.translate(None, _NOT_CONTROL))
    return len(sample) > 0 and controls / len(sample) > 0.05


_UNICODE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                 (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _decode_by_bom(data: bytes, source: str) -> str | None:
    """UTF-16 or UTF-32 text announced by its byte order mark (full of NUL bytes, yet text)."""
    for bom, encoding in _UNICODE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError as exc:
                raise DocumentError(source, f"the file starts with a {encoding} mark but is not {encoding} "
                                            f"(byte {exc.start})") from exc
    return None


def _decode_lines(data: bytes) -> str | None:
    """A file mixing UTF-8 lines with cp1252 ones (text pasted together from two sources): each
    line decoded on its own, so neither half turns into mojibake. None when no line holds UTF-8
    beyond ASCII (then the file is in one single-byte encoding)."""
    lines = data.split(b"\n")
    decoded, utf8_lines = [], 0
    for line in lines:
        try:
            text = line.decode("utf-8")
            utf8_lines += not line.isascii()
        except UnicodeDecodeError:
            text = line.decode("cp1252", errors="replace")
        decoded.append(text)
    return "\n".join(decoded).lstrip("\ufeff") if utf8_lines else None


def decode_text(data: bytes, source: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16/32 with a BOM, UTF-8 and cp1252 mixed line by
    line, else cp1252/latin-1, else the detected encoding."""
    if not data.strip():
        raise DocumentError(source, "the file is empty")
    announced = _decode_by_bom(data, source)
    if announced is not None:
        return announced
    if looks_binary(data):
        raise DocumentError(source, "this is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    mixed = _decode_lines(data)
    if mixed is not None:
        return mixed
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None:
        return data.decode(best.encoding, errors="replace")
    return data.decode("latin-1")


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """Read a file, checking its size against the limit first, so huge files are never loaded
    (and reading stops at the limit should the file grow meanwhile). Plain os calls: the io
    objects of open() cost more than reading a news article."""
    limit = max_file_bytes() if limit is None else limit
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DocumentError(str(path), f"cannot be read ({exc.strerror or exc})") from exc
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise SkippedFile(str(path), "not a regular file (a FIFO, socket or device): not read")
        size = status.st_size
        chunks: list[bytes] = []
        total = 0
        while size <= limit and total <= limit:
            # the whole file in one call; a second one finds the end (or a file that grew)
            chunk = os.read(descriptor, max(size + 1 - total, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise DocumentError(str(path), f"cannot be read ({exc.strerror or exc})") from exc
    finally:
        os.close(descriptor)
    if size > limit or total > limit:
        raise DocumentError(
            str(path),
            f"the file is {max(size, total) / 1_048_576:.1f} MB, over the {limit / 1_048_576:.1f} MB limit "
            "(set FIGURES_MAX_FILE_MB to raise it)",
        )
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_HEADER_KEYS = frozenset(("title", "url", "outlet", "published", "date", "source", "author", "byline"))
_URL_LINE = re.compile(r"^\s*(https?://\S+)\s*$")


def _known(value: str | None) -> str | None:
    if value is None or value.strip().lower() in UNKNOWN_VALUES:
        return None
    return value.strip()


def parse_text_document(text: str, doc_id: str, source: str | None = None) -> Document:
    """Split a plain-text article into metadata and body, whichever layout it uses."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # only the first lines can hold a header: the rest stays in one piece
    lines = text.split("\n", 13)

    header: dict[str, str] = {}
    index = 0
    while index < len(lines) and index < 12:
        key, colon, value = lines[index].partition(":")
        key = key.strip().lower()
        if not colon or key not in _HEADER_KEYS:
            break
        header[key] = value.strip()
        index += 1
    if header and (index == len(lines) or not lines[index].strip()):
        body = "\n".join(lines[index:]).strip("\n")
        return Document(
            id=doc_id,
            text=body,
            title=_known(header.get("title")),
            url=_known(header.get("url")),
            outlet=_known(header.get("outlet") or header.get("source")),
            published=parse_date_value(header.get("published") or header.get("date")),
            source=source,
        )

    nonblank = [i for i, line in enumerate(lines[:6]) if line.strip()]
    if len(nonblank) >= 3:
        first, second, third = nonblank[:3]
        published = parse_date_value(lines[second])
        url_match = _URL_LINE.match(lines[third])
        if published and url_match:
            return Document(
                id=doc_id,
                text="\n".join(lines[third + 1 :]).strip("\n"),
                title=lines[first].strip(),
                url=url_match[1],
                published=published,
                source=source,
            )
        if published:
            return Document(
                id=doc_id,
                text="\n".join(lines[second + 1 :]).strip("\n"),
                title=lines[first].strip(),
                published=published,
                source=source,
            )
    return Document(id=doc_id, text=text.strip("\n"), source=source)


def read_text_file(path: Path, doc_id: str | None = None, limit: int | None = None) -> Document:
    """Read one .txt/.md article; raises DocumentError naming the file when it cannot."""
    data = read_bytes(path, limit)
    text = decode_text(data, str(path))
    document = parse_text_document(text, doc_id or path.name, source=str(path))
    if not document.full_text.strip():
        raise DocumentError(str(path), "the file holds no article text")
    return document
