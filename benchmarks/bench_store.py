"""Store benchmark: ingest + extract + store rate, export time, filtered reads on a large store.

    python benchmarks/bench_store.py [--docs 10000] [--export-claims 100000] [--query-claims 1000000]
                                     [--pg postgresql://user@host:port/db]

Documents are generated from sentence templates written for this script. SQLite runs
in a temp directory; PostgreSQL only when --pg (or FIGURES_BENCH_PG_URL) names an
empty database. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures.export import export_claims  # noqa: E402
from figures.model import Document  # noqa: E402
from figures.store import ClaimFilter, Store  # noqa: E402

CLAIMANTS = ["the regional governor", "the defence ministry", "a UN spokesperson", "local health officials",
             "the mayor", "an aid agency", "the general staff", "police"]
PLACES = ["Northbridge", "Eastvale", "Lowmarsh", "Harrow Point", "Kestrel Bay", "Ironford"]
TEMPLATES = [
    "{who} said on {weekday} that {n} civilians were killed in {place}.",
    "At least {n} people were injured when shells struck {place}, according to {who}.",
    "{who} reported that {n} soldiers had been captured near {place}.",
    "Some {n} residents were evacuated from {place} overnight, {who} said.",
    "{who} estimated that {n} tanks were destroyed in the fighting around {place}.",
    "Crews worked through the night in {place} while {who} appealed for calm.",
    "Schools in {place} stayed closed for a {ordinal} day, {who} told reporters.",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
METRICS = ["deaths", "injuries", "prisoners", "evacuated", "equipment", "displaced"]
SUBJECTS = ["civilians", "people", "Russian military", "Ukrainian military", "children"]


def make_documents(count: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    base = dt.date(2022, 2, 24)
    documents = []
    for number in range(count):
        sentences = []
        for _ in range(rng.randint(4, 9)):
            sentences.append(rng.choice(TEMPLATES).format(
                who=rng.choice(CLAIMANTS), n=f"{rng.randint(2, 9000):,}", place=rng.choice(PLACES),
                weekday=rng.choice(WEEKDAYS), ordinal=rng.choice(["second", "third", "fourth"]),
            ))
        text = " ".join(s[0].upper() + s[1:] for s in sentences)
        documents.append(Document(
            id=f"bench_{number:06}.txt", text=f"{text} (Dispatch {number}.)",
            title=f"Dispatch {number} from {rng.choice(PLACES)}",
            outlet=rng.choice(["Test Gazette", "Valley Herald", "Harbour Times"]),
            published=base + dt.timedelta(days=rng.randint(0, 500)), source="bench",
        ))
    return documents


def make_claims(count: int, seed: int = 11) -> tuple[list[Document], list[dict]]:
    rng = random.Random(seed)
    per_doc = 10
    docs = [Document(id=f"gen_{n:07}.txt", text=f"Generated document {n}.", title=f"Generated {n}",
                     outlet=f"Outlet {n % 40}", published=dt.date(2022, 3, 1) + dt.timedelta(days=n % 600))
            for n in range(count // per_doc + 1)]
    claims = []
    for number in range(count):
        doc = docs[number // per_doc]
        value = float(rng.randint(1, 50_000))
        claims.append({
            "doc": doc.id, "quote": f"Someone said {int(value)} were affected in place {number % 97}.",
            "start": (number % per_doc) * 10, "end": (number % per_doc) * 10 + 5, "value": value,
            "qualifier": "exact", "metric": rng.choice(METRICS), "subject": rng.choice(SUBJECTS),
            "claimant": f"Claimant {rng.randint(0, 4999)}", "side": rng.choice(["Ukraine", "Russia", "media"]),
            "date": doc.published, "date_basis": "published", "stated": str(int(value)),
        })
    return docs, claims


def bench_ingest(url: str, documents: list[Document], batch: int, label: str) -> None:
    store = Store(url)
    start = time.perf_counter()
    claims = 0
    for offset in range(0, len(documents), batch):
        report = store.ingest_documents(documents[offset : offset + batch], source=f"batch{offset}")
        assert report.ok, report.error
        claims += report.claims
    elapsed = time.perf_counter() - start
    print(f"{label}: ingest+extract+store {len(documents)} documents ({claims} claims) in {elapsed:.1f} s "
          f"= {len(documents) / elapsed:.0f} documents/s (one transaction per {batch} documents)")
    store.close()


def bench_export(url: str, count: int, label: str) -> None:
    store = Store(url, extractor_version="bench")
    docs, claims = make_claims(count)
    start = time.perf_counter()
    store.bulk_load_claims(claims, docs)
    print(f"{label}: bulk_load_claims {count} claims in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    frame = store.claims_frame()
    read = time.perf_counter() - start
    for fmt in ("csv", "jsonl", "parquet"):
        start = time.perf_counter()
        data = export_claims(frame, fmt)
        print(f"{label}: export {len(frame)} claims as {fmt}: read {read:.2f} s + write "
              f"{time.perf_counter() - start:.2f} s ({len(data) / 1e6:.1f} MB)")
    store.close()


def bench_query(url: str, count: int, label: str) -> None:
    store = Store(url, extractor_version="bench")
    docs, claims = make_claims(count, seed=13)
    start = time.perf_counter()
    store.bulk_load_claims(claims, docs, batch_size=20_000)
    print(f"{label}: bulk_load_claims {count} claims in {time.perf_counter() - start:.1f} s")
    cases = {
        "one claimant": ClaimFilter(claimants=["Claimant 42"]),
        "claimant+metric+dates": ClaimFilter(claimants=["Claimant 7", "Claimant 8"], metrics=["deaths"],
                                             date_from=dt.date(2022, 6, 1), date_to=dt.date(2023, 1, 1)),
        "one outlet, one month": ClaimFilter(outlets=["Outlet 3"], date_from=dt.date(2022, 4, 1),
                                             date_to=dt.date(2022, 4, 30)),
    }
    for name, filters in cases.items():
        store.claims_frame(filters)
        start = time.perf_counter()
        frame = store.claims_frame(filters)
        print(f"{label}: claims_frame({name}) on {count} claims: {len(frame)} rows in "
              f"{(time.perf_counter() - start) * 1000:.0f} ms")
    start = time.perf_counter()
    facets = store.facet_values("metric")
    print(f"{label}: facet_values(metric) on {count} claims: {len(facets)} values in "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100, help="documents per ingest transaction")
    parser.add_argument("--export-claims", type=int, default=100_000)
    parser.add_argument("--query-claims", type=int, default=1_000_000)
    parser.add_argument("--pg", default=os.environ.get("FIGURES_BENCH_PG_URL"),
                        help="an empty PostgreSQL database to benchmark too")
    args = parser.parse_args()
    documents = make_documents(args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", lambda name: f"sqlite:///{Path(tmp) / name}.db")]
        if args.pg:
            targets.append(("postgresql", lambda name: _pg_database(args.pg, name)))
        for label, url_for in targets:
            if documents:
                bench_ingest(url_for("ingest"), documents, args.batch, label)
            if args.export_claims:
                bench_export(url_for("export"), args.export_claims, label)
            if args.query_claims:
                bench_query(url_for("query"), args.query_claims, label)


def _pg_database(server_url: str, name: str) -> str:
    """A fresh database named after the benchmark step on the given server."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from figures.store import resolve_database_url

    base = make_url(resolve_database_url(server_url))
    database = f"figures_bench_{name}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    engine.dispose()
    return base.set(database=database).render_as_string(hide_password=False)


if __name__ == "__main__":
    main()
