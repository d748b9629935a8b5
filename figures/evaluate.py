"""Score the extractor against gold claims, exactly as claims-spec.md defines it.

A prediction matches a gold claim when `doc` and `metric` are equal and the value
agrees within 0.5% (gold ranges: both bounds; gold with only `low` or only
`high`: that bound). Each gold claim matches at most once; a gold claim whose quote
overlaps the prediction's is taken first, and such predictions are paired first.
Predictions matched to an optional gold claim are neither rewarded nor punished. Strict F1 counts a
matched pair only when side, claimant, date (±1 day, where gold has one) and
qualifier are right too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from figures.model import METRICS

STOP_WORDS = frozenset(
    "the a an of in on at for to and or by from with 's s his her its their this that these those".split()
)
TOLERANCE = 0.005


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return False
    if b == 0:
        return a == 0
    return abs(a - b) <= TOLERANCE * abs(b)


def value_matches(pred: dict, gold: dict) -> bool:
    low, high = gold.get("low"), gold.get("high")
    pred_low = pred.get("low") if pred.get("low") is not None else pred.get("value")
    pred_high = pred.get("high") if pred.get("high") is not None else pred.get("value")
    if low is not None and high is not None:
        return _close(pred_low, low) and _close(pred_high, high)
    if low is not None:
        return _close(pred_low, low)
    if high is not None:
        return _close(pred_high, high)
    return _close(pred.get("value"), gold.get("value"))


def claimant_words(name: str | None) -> set[str]:
    if not name:
        return set()
    words = re.findall(r"[\w-]+", name.lower().replace("’", "'"))
    return {w for w in words if w not in STOP_WORDS}


def claimant_matches(pred: dict, gold: dict) -> bool:
    if not gold.get("claimant"):
        return not pred.get("claimant")
    if not pred.get("claimant"):
        return False
    predicted = claimant_words(pred["claimant"])
    for name in [gold["claimant"], *gold.get("claimant_aliases", [])]:
        if predicted & claimant_words(name):
            return True
    return False


def side_matches(pred: dict, gold: dict) -> bool:
    sides = gold["side"] if isinstance(gold["side"], list) else [gold["side"]]
    return pred.get("side") in sides


def date_matches(pred: dict, gold: dict) -> bool | None:
    if not gold.get("date"):
        return None
    if not pred.get("date"):
        return False
    gold_date = dt.date.fromisoformat(gold["date"])
    pred_date = dt.date.fromisoformat(str(pred["date"])[:10])
    return abs((gold_date - pred_date).days) <= 1


def location_matches(pred: dict, gold: dict) -> bool | None:
    """Not part of the spec's score: the same place, or one name inside the other ('Donetsk' and
    'Donetsk region'); no place matches no place. None when the gold row has no location field."""
    if "location" not in gold:
        return None
    predicted, expected = (pred.get("location") or "").lower(), (gold.get("location") or "").lower()
    if not predicted or not expected:
        return predicted == expected
    return predicted in expected or expected in predicted


@dataclass
class Pair:
    pred: dict
    gold: dict
    side: bool
    claimant: bool
    date: bool | None
    qualifier: bool
    location: bool | None = None

    @property
    def strict(self) -> bool:
        return self.side and self.claimant and self.date is not False and self.qualifier


@dataclass
class Report:
    predicted: int = 0
    gold: int = 0
    pairs: list[Pair] = field(default_factory=list)
    missed: list[dict] = field(default_factory=list)
    false: list[dict] = field(default_factory=list)

    @staticmethod
    def _f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def precision(self) -> float:
        return len(self.pairs) / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return len(self.pairs) / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        return self._f1(self.precision, self.recall)

    @property
    def strict_f1(self) -> float:
        strict = sum(pair.strict for pair in self.pairs)
        p = strict / self.predicted if self.predicted else 0.0
        r = strict / self.gold if self.gold else 0.0
        return self._f1(p, r)

    def accuracy(self, attribute: str) -> float:
        values = [getattr(pair, attribute) for pair in self.pairs]
        values = [v for v in values if v is not None]
        return sum(values) / len(values) if values else 0.0


def _overlap(pred: dict, gold: dict) -> int:
    a, b = pred.get("quote") or "", gold.get("quote") or ""
    return int(bool(a and b and (b in a or a in b)))


def score(predictions: Iterable[dict], gold: Iterable[dict]) -> Report:
    """Match predictions to gold per claims-spec.md and count."""
    gold_rows = list(gold)
    report = Report(gold=sum(1 for g in gold_rows if not g.get("optional")))
    used: set[int] = set()
    scored = [pred for pred in predictions if pred.get("metric") in METRICS]

    def candidates_of(pred: dict) -> list[tuple[int, dict]]:
        return [(i, g) for i, g in enumerate(gold_rows)
                if i not in used and g["doc"] == pred["doc"] and g["metric"] == pred["metric"] and value_matches(pred, g)]

    # a prediction whose quote overlaps a gold quote it matches is paired first, so that another
    # sentence's figure of the same value cannot take that gold claim from it
    quoted_first = sorted(scored, key=lambda pred: not any(_overlap(pred, g) for _, g in candidates_of(pred)))
    for pred in quoted_first:
        candidates = candidates_of(pred)
        if not candidates:
            report.predicted += 1
            report.false.append(pred)
            continue
        candidates.sort(key=lambda c: (-_overlap(pred, c[1]), bool(c[1].get("optional"))))
        index, match = candidates[0]
        used.add(index)
        if match.get("optional"):
            continue
        report.predicted += 1
        report.pairs.append(
            Pair(pred, match, side_matches(pred, match), claimant_matches(pred, match),
                 date_matches(pred, match), pred.get("qualifier") == match.get("qualifier"),
                 location_matches(pred, match))
        )
    order = {id(pred): position for position, pred in enumerate(scored)}
    report.pairs.sort(key=lambda pair: order[id(pair.pred)])
    report.false.sort(key=lambda pred: order[id(pred)])
    report.missed = [g for i, g in enumerate(gold_rows) if i not in used and not g.get("optional")]
    return report


def predict_corpus(corpus: Path, docs: Iterable[str]) -> list[dict]:
    from figures.documents import read_text_file
    from figures.extract import extract_claims

    predictions: list[dict] = []
    for name in sorted(set(docs)):
        path = corpus / name
        if not path.exists():
            continue
        predictions.extend(c.to_dict() for c in extract_claims(read_text_file(path)))
    return predictions


def evaluate_files(gold_path: str | Path, corpus: str | Path) -> Report:
    gold = [json.loads(line) for line in Path(gold_path).read_text(encoding="utf-8").splitlines() if line.strip()]
    predictions = predict_corpus(Path(corpus), (g["doc"] for g in gold))
    return score(predictions, gold)


def _line(claim: dict) -> str:
    value = claim.get("value")
    return (f"{claim['doc'][:40]:40}  {claim.get('metric', ''):10} {value!s:>10} {claim.get('qualifier', '')!s:9} "
            f"{claim.get('claimant')!s:30.30} {str(claim.get('side')):15.15} {claim.get('date')!s:10}  "
            f"{(claim.get('quote') or '')[:90]!r}")


def format_report(report: Report, show_errors: bool = True) -> str:
    lines = [
        f"predicted {report.predicted}  gold {report.gold}  matched {len(report.pairs)}",
        f"precision {report.precision:.3f}  recall {report.recall:.3f}  F1 {report.f1:.3f}",
        f"strict F1 {report.strict_f1:.3f}",
        "accuracy on matched pairs: "
        + "  ".join(f"{a} {report.accuracy(a):.3f}" for a in ("side", "claimant", "date", "qualifier")),
    ]
    if any(pair.location is not None for pair in report.pairs):
        lines.append(f"location agreement on matched pairs (not part of the spec's score): "
                     f"{report.accuracy('location'):.3f}")
    if show_errors:
        wrong = [p for p in report.pairs if not p.strict]
        lines.append(f"\nmatched but not strictly right ({len(wrong)}):")
        for pair in wrong:
            bad = [a for a in ("side", "claimant", "date", "qualifier") if getattr(pair, a) is False]
            lines.append(f"  [{','.join(bad)}] predicted: {_line(pair.pred)}")
            lines.append(f"  {' ' * (len(','.join(bad)) + 2)} gold:      {_line(pair.gold)}")
        lines.append(f"\nmissed ({len(report.missed)}):")
        lines.extend("  " + _line(g) for g in report.missed)
        lines.append(f"\nfalse ({len(report.false)}):")
        lines.extend("  " + _line(p) for p in report.false)
    return "\n".join(lines)
