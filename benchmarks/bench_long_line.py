"""Extraction time of one paragraph with no line break, as it grows: the cost must grow
linearly with its length (issue 13, item 7).

    python benchmarks/bench_long_line.py [--mb 0.25 1 5]

The paragraph repeats a sentence pair of our own (three figures, a named governor, a
pronoun referring back, a ministry named by its role), so every figure needs attribution
and back-references reach across the whole paragraph. Prints seconds and seconds per MB
for each size; linear cost keeps the second column flat.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures.extract import extract_claims  # noqa: E402
from figures.model import Document  # noqa: E402

UNIT = ("Officials said 12 people were killed in Kharkiv on Monday, and the governor, Oleh Synehubov, "
        "said 30 were wounded; Russia's defence ministry said it destroyed 5 tanks. ")


def paragraph(megabytes: float) -> str:
    size = int(megabytes * 1_048_576)
    return (UNIT * (size // len(UNIT) + 1))[:size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[0.25, 1.0, 5.0])
    args = parser.parse_args()
    print("MB      claims   seconds   s/MB")
    for megabytes in args.mb:
        document = Document(id="long", text=paragraph(megabytes), published=dt.date(2022, 3, 1))
        started = time.perf_counter()
        found = extract_claims(document)
        seconds = time.perf_counter() - started
        print(f"{megabytes:<7} {len(found):>7} {seconds:>9.1f} {seconds / megabytes:>6.1f}", flush=True)


if __name__ == "__main__":
    main()
