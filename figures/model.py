"""The two types every layer passes around: a Document and the Claims found in it.

Nothing here imports anything else of ours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

# Taxonomy metrics (claims-spec.md). `other` is allowed but ignored by evaluation.
METRICS = (
    "deaths",
    "injuries",
    "casualties",
    "prisoners",
    "missing",
    "refugees",
    "displaced",
    "evacuated",
    "mobilised",
    "troops",
    "equipment",
    "strikes",
    "detained",
)
QUALIFIERS = ("exact", "approx", "at_least", "at_most", "range", "vague")
DATE_BASES = ("stated", "relative", "published", "unknown")
PERIODS = ("day", "week", "month")


@dataclass
class Document:
    """An article: its text and what is known about it (each may be unknown).

    `text` is the body. Extraction runs on `full_text`, which puts the title in
    front of the body (the title counts as text, per the spec), so claim offsets
    are offsets into `full_text`.
    """

    id: str
    text: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: dt.date | None = None
    source: str | None = None  # where it was read from: a path, "upload", "paste", ...
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def full_text(self) -> str:
        if self.title and not self.text.lstrip().startswith(self.title.strip()):
            return f"{self.title.strip()}\n\n{self.text}"
        return self.text

    @property
    def title_offset(self) -> int:
        """Offset in `full_text` where the body starts."""
        return len(self.full_text) - len(self.text)

    @property
    def content_hash(self) -> str:
        """Identity of the article's content: the same article ingested twice hashes the same."""
        normalised = " ".join(self.full_text.split())
        return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass
class Claim:
    """One figure claim, with every field of claims-spec.md."""

    doc: str
    quote: str
    start: int
    end: int
    value: float
    low: float | None = None
    high: float | None = None
    qualifier: str = "exact"
    metric: str = "other"
    item: str | None = None
    subject: str = "people"
    claimant: str | None = None
    side: str = "media"
    date: dt.date | None = None
    date_basis: str = "unknown"
    period: str | None = None
    location: str | None = None
    stated: str = ""  # the figure as written in the text, qualifier included ("at least 7,000")
    claimant_entity: str | None = None  # who the claimant is, one name however the text names them
    conditional: bool = False  # hypothetical, a plan or target, or a historical analogy (claims-spec.md)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: dates as ISO strings."""
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        return data
