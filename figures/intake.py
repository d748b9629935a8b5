"""Articles into the store from the dashboard: uploaded files, pasted text and the demo on a
first start. Each gives an IntakeResult whose message names the file and what happened;
nothing here raises into the page."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    from figures.store_writes import FileReport

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "data" / "demo"


@dataclass
class IntakeResult:
    name: str
    documents: int = 0
    duplicates: int = 0
    claims: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # rows or archive members left out, one line each
    columns: list[str] = field(default_factory=list)  # a table's columns when no text column was found

    @property
    def ok(self) -> bool:
        return self.error is None

    def message(self) -> str:
        notes = "".join(f" {note}." for note in self.notes[:10])
        if len(self.notes) > 10:
            notes += f" ... and {len(self.notes) - 10} more."
        if self.error:
            return f"{self.name}: not added. {self.error}{notes}"
        extra = f", {self.duplicates} already stored" if self.duplicates else ""
        return f"{self.name}: {self.documents} article(s), {self.claims} claim(s) added{extra}.{notes}"


def _report_to_result(name: str, report: FileReport, notes: Sequence[str] = ()) -> IntakeResult:
    return IntakeResult(name=name, documents=report.documents, duplicates=report.duplicates, claims=report.claims,
                        error=report.error or None, notes=[*notes, *report.notes])


def _stored(store: Any, documents: list, source: str, name: str, notes: Sequence[str] = ()) -> IntakeResult:
    """Store documents; a failure gives a short message, the detail goes to the server log."""
    from figures.store import failure_message

    try:
        report = store.ingest_documents(documents, source=source)
    except Exception as exc:  # noqa: BLE001 - never the SQL or the article text in the page
        log.exception("storing %s failed", name)
        return IntakeResult(name, error=f"could not be stored: {failure_message(exc)}.", notes=list(notes))
    return _report_to_result(name, report, notes)


def ingest_upload(store: Any, name: str, data: bytes, max_inflated_bytes: int | None = None,
                  text_column: str | None = None) -> IntakeResult:
    """Read one uploaded file (txt, html, csv, jsonl, zip) and store its articles.

    Never raises: a file that cannot be read or stored gives a result with a
    message naming the file and the problem. An archive may inflate to at most
    `max_inflated_bytes` in all (the upload cap); a table's text column may be named.
    """
    from figures.documents import DocumentError, printable
    from figures.ingest import MissingTextColumn, documents_from_bytes

    safe_name = printable(Path(name or "upload").name[:200] or "upload")
    limits: dict[str, Any] = {"text_column": text_column or None}
    if max_inflated_bytes:
        limits.update(max_archive_bytes=max_inflated_bytes, archive_setting="FIGURES_MAX_UPLOAD_INFLATED_MB")
    notes: list[str] = []
    try:
        documents = documents_from_bytes(safe_name, data, notes=notes, **limits)
    except MissingTextColumn as exc:
        return IntakeResult(safe_name, columns=exc.columns, notes=notes, error=(
            f"no column was found to hold the article text; its columns are: {', '.join(exc.columns)}. "
            "Choose one under 'Text column' and add the file again."))
    except DocumentError as exc:
        return IntakeResult(safe_name, error=str(getattr(exc, "problem", exc)), notes=notes)
    except Exception as exc:  # a parser failure must not break the page
        log.exception("reading upload %s failed", safe_name)
        return IntakeResult(safe_name, error=f"could not be read ({type(exc).__name__}).", notes=notes)
    if not documents:
        return IntakeResult(safe_name, error="no articles were found in it.", notes=notes)
    for doc in documents:
        doc.source = doc.source or f"upload:{safe_name}"
    return _stored(store, documents, f"upload:{safe_name}", safe_name, notes)


def ingest_uploads(store: Any, files: Iterable[tuple[str, bytes]], max_inflated_bytes: int | None = None,
                   text_column: str | None = None) -> list[IntakeResult]:
    return [ingest_upload(store, name, data, max_inflated_bytes, text_column) for name, data in files]


def pasted_document(text: str, title: str = "", outlet: str = "", url: str = "",
                    published: dt.date | None = None):
    """A Document from pasted text and the fields typed next to it."""
    from figures.model import Document

    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValueError("Paste the article text first.")
    digest = hashlib.sha1("\x1f".join([title or "", text]).encode("utf-8")).hexdigest()[:16]
    url = (url or "").strip()
    return Document(
        id=f"paste-{digest}",
        text=text,
        title=(title or "").strip() or None,
        url=url or None,
        outlet=(outlet or "").strip() or None,
        published=published,
        source="paste",
    )


def ingest_paste(store: Any, text: str, title: str = "", outlet: str = "", url: str = "",
                 published: dt.date | None = None) -> IntakeResult:
    try:
        document = pasted_document(text, title, outlet, url, published)
    except ValueError as exc:
        return IntakeResult("pasted text", error=str(exc))
    return _stored(store, [document], "paste", "pasted text")


def demo_paths(folder: Path = DEMO_DIR) -> list[Path]:
    return sorted(folder.glob("*.txt"))


def ensure_demo(store: Any, folder: Path = DEMO_DIR) -> list[Any] | None:
    """Ingest the demo dispatches through the normal pipeline when the store is empty."""
    if store.count_documents() > 0:
        return None
    paths = demo_paths(folder)
    if not paths:
        return None
    return store.ingest_paths([str(p) for p in paths])
