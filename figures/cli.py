"""The command line: ``python -m figures COMMAND ...``.

Each command parses its arguments, calls one library function and prints what it returns:
what a command prints is written here, the library returns data.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from figures.store import FileReport


def cmd_extract(args: argparse.Namespace) -> int:
    if args.out:
        from figures.batch import BatchOptions, run_batch

        options = BatchOptions(out=args.out, format=args.format, partition_size=args.partition_size,
                               engine=args.engine, workers=args.workers, scheduler=args.scheduler)
        return report_batch(run_batch(args.paths, options), options.out, sys.stdout, sys.stderr)
    from figures.dates import dateparser_counts

    status = extract_to_stream(args.paths, args.format, sys.stdout, sys.stderr)
    if args.date_stats:
        print(format_counts("date phrases on the dateparser path", dateparser_counts()), file=sys.stderr)
    return status


def extract_to_stream(paths: Sequence[str | Path], fmt: str, out: IO[str], err: IO[str]) -> int:
    """The `extract` command: claims of every readable document to `out` (``jsonl`` or ``csv``),
    one message per unreadable file to `err`. Exit status 0 when at least one document was read, 1 when none."""
    from figures.batch import extract_stream
    from figures.documents import DocumentError, SkippedFile, printable
    from figures.records import CLAIM_COLUMNS, claim_record, record_writer

    writer = record_writer(out, fmt, CLAIM_COLUMNS)
    read = 0
    for item in extract_stream(paths):
        if isinstance(item, DocumentError):
            label = "skipped" if isinstance(item, SkippedFile) else "error"
            print(f"{label}: {printable(item.source)}: {item.problem}", file=err)
            continue
        read += 1
        document = item.document
        if item.failure is not None:
            print(f"error: {printable(document.source or document.id)}: extraction failed on "
                  f"{printable(document.id)} ({type(item.failure).__name__})", file=err)
            continue
        writer.writerows(claim_record(claim) for claim in item.claims)
    if read == 0:
        print("error: no document could be read", file=err)
        return 1
    return 0


def report_batch(manifest: dict[str, Any], folder: Path, out: IO[str], err: IO[str],
                 max_errors_shown: int = 20) -> int:
    """What `extract --out DIR` prints: the first errors on `err`, a summary line on `out`.
    Exit status 0 when at least one document was read, 1 when none."""
    from figures.batch import MANIFEST
    from figures.documents import printable

    for error in manifest["errors"][:max_errors_shown]:
        label = "skipped" if error.get("skipped") else "error"
        print(f"{label}: {printable(error['file'])}: {printable(error['message'])}", file=err)
    hidden = len(manifest["errors"]) - max_errors_shown
    if hidden > 0:
        print(f"error: ... and {hidden} more, listed in {folder / MANIFEST}", file=err)
    skipped = sum(1 for error in manifest["errors"] if error.get("skipped"))
    print(f"{manifest['documents']} documents, {manifest['claims']} claims, {len(manifest['errors']) - skipped} errors, "
          f"{skipped} skipped, "
          f"{len(manifest['partitions'])} partitions ({manifest['reused_partitions']} already done) "
          f"in {folder} ({manifest['seconds']:.1f} s)", file=out)
    if manifest["documents"] == 0:
        print("error: no document could be read", file=err)
        return 1
    return 0


def format_counts(title: str, counts: dict[str, int]) -> str:
    """'title: total' and one indented 'name: count' line per count."""
    lines = [f"  {name}: {count}" for name, count in counts.items()]
    return "\n".join([f"{title}:", *lines])


def cmd_evaluate(args: argparse.Namespace) -> int:
    from figures.evaluate import evaluate_files, format_report

    report = evaluate_files(args.gold, args.corpus)
    print(format_report(report, show_errors=not args.summary))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from figures.bench import run_benchmark

    run_benchmark(size_mb=args.size_mb, workers=args.workers, out=sys.stdout, real=args.real, dense=args.dense,
                  repeats=args.repeats)
    return 0


def format_file_report(report: FileReport) -> str:
    """One line per file for the command line (control characters in names escaped, so a file
    name cannot fake a line), then one indented line per note."""
    from figures.documents import printable

    source = printable(report.source)
    if report.skipped:
        line = f"{source}: skipped: {report.skipped}"
    elif report.error:
        line = f"{source}: FAILED: {printable(report.error)}"
    else:
        line = (f"{source}: {report.documents} new documents, {report.duplicates} already stored, "
                f"{report.claims} claims")
    return "\n".join([line, *(f"  {printable(note)}" for note in report.notes)])


def cmd_ingest(args: argparse.Namespace) -> int:
    from figures.store import Store

    if bool(args.claims) == bool(args.paths):
        print("error: name files or folders to ingest, or --claims DIR (not both)", file=sys.stderr)
        return 2
    if args.claims:
        return _ingest_claims(args)
    limits = {
        f"{role}_column": getattr(args, f"{role}_column")
        for role in ("text", "title", "url", "date", "outlet")
        if getattr(args, f"{role}_column")
    }
    if args.max_file_mb:
        limits["max_file_bytes"] = int(args.max_file_mb * 1024 * 1024)
    with Store(args.db) as store:
        reports = store.ingest_paths(args.paths, **limits)
    for report in reports:
        print(format_file_report(report), file=sys.stdout if report.ok else sys.stderr)
    stored = sum(r.documents for r in reports)
    skipped = sum(bool(r.skipped) for r in reports)
    print(f"{len(reports)} files, {stored} new documents, {sum(r.duplicates for r in reports)} already stored, "
          f"{sum(r.claims for r in reports)} claims, {sum(not r.ok for r in reports)} failed, {skipped} skipped")
    return 0 if any(r.ok and not r.skipped for r in reports) else 1


def _ingest_claims(args: argparse.Namespace) -> int:
    from figures.batch import load_claims_folder
    from figures.store import Store

    with Store(args.db) as store:
        try:
            report = load_claims_folder(store, args.claims)
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: cannot load {args.claims}: {exc}", file=sys.stderr)
            return 1
    print(f"{report.partitions} partitions, {report.documents} documents, {report.claims_read} claims read, "
          f"{report.claims_inserted} new claims stored")
    return 0 if report.partitions else 1


def cmd_export(args: argparse.Namespace) -> int:
    from figures.export import export_claims
    from figures.store import ClaimFilter, Store

    filters = ClaimFilter(
        metrics=args.metric, subjects=args.subject, claimants=args.claimant, sides=args.side,
        outlets=args.outlet, date_from=args.since, date_to=args.until, text=args.text,
    )
    with Store(args.db) as store:
        data = export_claims(store.claims_frame(filters, include_rejected=args.include_rejected), args.format)
    if args.out:
        with open(args.out, "wb") as handle:
            handle.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def cmd_reextract(args: argparse.Namespace) -> int:
    from figures.store import Store

    with Store(args.db) as store:
        report = store.reextract(only_outdated=args.outdated)
    print(f"{report.documents} documents re-extracted: {report.added} claims added, {report.updated} kept, "
          f"{report.removed} removed, {report.corrections_kept} corrections re-attached, "
          f"{len(report.unattached)} could not be re-attached (kept, listed below)")
    for line in report.unattached:
        print(f"unattached: {line}", file=sys.stderr)
    for error in report.errors:
        print(error, file=sys.stderr)
    return 1 if report.errors and not report.documents else 0


def cmd_review_edits(args: argparse.Namespace) -> int:
    from figures.export import safe_csv_bytes
    from figures.repair import review_edits
    from figures.store import Store

    with Store(args.db) as store:
        found = review_edits(store, window=args.window)
    if args.csv:
        sys.stdout.buffer.write(safe_csv_bytes(found))
        sys.stdout.flush()
        return 0
    if found.empty:
        print("No edited field differs from what the extractor found.")
        return 0
    print(found.to_string(index=False))
    carried = int(found["carried_from"].notna().sum())
    print(f"{found['save'].nunique()} saves, {len(found)} fields differ from the extractor's values; "
          f"{carried} hold the value of the claim the same person saved just before (carried_from)")
    return 0


def cmd_compare_facts(args: argparse.Namespace) -> int:
    import json

    import pandas as pd

    from figures import compare

    if not (args.claims or args.db or args.corpus):
        print("error: give claims files, --db URL or --corpus PATH (any mix)", file=sys.stderr)
        return 2
    frames = []
    try:
        facts = compare.read_facts(args.facts)
        frames.extend(compare.read_claims_file(path) for path in args.claims)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.db:
        from figures.store import Store

        with Store(args.db) as store:
            frames.append(store.claims_frame())
    if args.corpus:
        extracted, errors = compare.extract_corpus(args.corpus)
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        frames.append(extracted)
    claims = compare.normalise_claims(pd.concat(frames, ignore_index=True))
    options = compare.Options(window_days=args.window, tolerance=args.tolerance,
                              strict_tolerance=args.strict_tolerance, since=args.since, until=args.until)
    result = compare.compare(facts, claims, options)
    if args.csv:
        sys.stdout.buffer.write(compare.csv_bytes(result))
        sys.stdout.flush()
    elif args.json:
        print(json.dumps(compare.to_json(result), ensure_ascii=False, indent=1))
    else:
        print(compare.format_table(result))
    return 0


def _iso_date(value: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {value!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m figures", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    extract = sub.add_parser("extract", help="extract figure claims from files and folders")
    extract.add_argument("paths", nargs="+", help="files or folders (walked recursively)")
    extract.add_argument("--format", choices=["jsonl", "csv", "parquet"], default=None,
                         help="jsonl or csv on stdout; with --out also parquet (the default there)")
    extract.add_argument("--out", help="write partition files and manifest.json into this folder (resumable)")
    extract.add_argument("--engine", choices=["local", "dask"], default="local",
                         help="with --out: local processes, or a Dask cluster")
    extract.add_argument("--scheduler", help="with --engine dask: scheduler address (default: a local cluster)")
    extract.add_argument("--workers", type=int, default=0, help="with --out: processes (0: all cores; 1: this one)")
    extract.add_argument("--partition-size", type=int, default=500,
                         help="with --out: files (or rows of an export) per partition")
    extract.add_argument("--date-stats", action="store_true",
                         help="without --out: print to stderr how many date phrases took the dateparser path")
    extract.set_defaults(func=cmd_extract)

    evaluate = sub.add_parser("evaluate", help="score the extractor on a gold file (claims-spec.md)")
    evaluate.add_argument("gold", help="gold claims, JSONL")
    evaluate.add_argument("--corpus", required=True, help="folder holding the gold's documents")
    evaluate.add_argument("--summary", action="store_true", help="scores only, no list of errors")
    evaluate.set_defaults(func=cmd_evaluate)

    bench = sub.add_parser("bench", help="measure extraction speed and memory")
    bench.add_argument("--size-mb", type=float, default=20.0, help="size of the generated corpus")
    bench.add_argument("--workers", type=int, default=0, help="processes for the parallel run (0: all cores)")
    bench.add_argument("--real", type=Path, default=None,
                       help="also time real articles from this file or folder (default: the Guardian export "
                            "in ../shared, when present)")
    bench.add_argument("--repeats", type=int, default=3,
                       help="runs of each measurement; the median and the range are reported")
    bench.add_argument("--dense", action="store_true",
                       help="the earlier corpus mix: three times the claims per KB of real news")
    bench.set_defaults(func=cmd_bench)

    db_help = "database URL (default: FIGURES_DATABASE_URL, else data/figures.db)"
    ingest = sub.add_parser("ingest", help="read articles (files, folders, zips, CSV/JSONL, HTML, Nexis) into the store")
    ingest.add_argument("paths", nargs="*", help="files, folders (recursive) or .zip archives")
    ingest.add_argument("--db", help=db_help)
    ingest.add_argument("--claims", metavar="DIR", help="bulk-load the Parquet output of extract --out DIR")
    for role in ("text", "title", "url", "date", "outlet"):
        ingest.add_argument(f"--{role}-column", help=f"CSV/JSON column holding the {role} (default: found by name)")
    ingest.add_argument("--max-file-mb", type=float, help="per-file size limit (default: FIGURES_MAX_FILE_MB or 20)")
    ingest.set_defaults(func=cmd_ingest)

    export = sub.add_parser("export", help="write the stored claims (corrections applied) as CSV, JSONL or Parquet")
    export.add_argument("--db", help=db_help)
    export.add_argument("--format", choices=["csv", "jsonl", "parquet"], default="csv")
    export.add_argument("--out", help="output file (default: stdout)")
    export.add_argument("--metric", action="append", help="only this metric (repeatable)")
    export.add_argument("--subject", action="append", help="only this subject (repeatable)")
    export.add_argument("--claimant", action="append", help="only this claimant (repeatable)")
    export.add_argument("--side", action="append", help="only this side (repeatable)")
    export.add_argument("--outlet", action="append", help="only this outlet (repeatable)")
    export.add_argument("--since", type=_iso_date, help="claims dated on or after YYYY-MM-DD")
    export.add_argument("--until", type=_iso_date, help="claims dated on or before YYYY-MM-DD")
    export.add_argument("--text", help="only claims whose quote contains this text")
    export.add_argument("--include-rejected", action="store_true", help="also claims people rejected")
    export.set_defaults(func=cmd_export)

    reextract = sub.add_parser("reextract", help="run the current extractor over stored documents, keeping corrections")
    reextract.add_argument("--db", help=db_help)
    reextract.add_argument("--outdated", action="store_true", help="only documents from an older extractor version")
    reextract.set_defaults(func=cmd_reextract)

    review = sub.add_parser("review-edits", help="list edited fields that now differ from the extractor's values, "
                                                 "per save, for an operator to review (nothing is changed)")
    review.add_argument("--db", help=db_help)
    review.add_argument("--window", type=float, default=5.0, help="seconds between one save's corrections")
    review.add_argument("--csv", action="store_true", help="CSV on stdout instead of a table")
    review.set_defaults(func=cmd_review_edits)
    compare = sub.add_parser("compare-facts", help="compare extracted series with a table of published figures")
    compare.add_argument("facts", help="facts table, CSV (columns of ../shared/facts/ukraine_war_figures.csv)")
    compare.add_argument("claims", nargs="*", help="claims written by extract: .jsonl, .csv, .parquet or an --out DIR")
    compare.add_argument("--db", help="also the claims stored in this database (corrections applied)")
    compare.add_argument("--corpus", action="append", metavar="PATH",
                         help="also extract claims from these articles (anything extract reads; repeatable)")
    compare.add_argument("--window", type=int, default=2, help="days either side of a reference day (default 2)")
    compare.add_argument("--tolerance", type=float, default=0.10, help="relative gap that still agrees (0.10)")
    compare.add_argument("--strict-tolerance", type=float, default=0.005, help="the stricter gap (0.005)")
    compare.add_argument("--since", type=_iso_date, help="reference days on or after YYYY-MM-DD "
                                                           "(default: the claims' first date less the window)")
    compare.add_argument("--until", type=_iso_date, help="reference days on or before YYYY-MM-DD "
                                                           "(default: the claims' last date plus the window)")
    output = compare.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="one CSV row per reference day instead of the table")
    output.add_argument("--json", action="store_true", help="summary and reference days as JSON")
    compare.set_defaults(func=cmd_compare_facts)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "extract":
        if args.format == "parquet" and not args.out:
            parser.error("--format parquet writes files: add --out DIR")
        args.format = args.format or ("parquet" if args.out else "jsonl")
    return args.func(args)
