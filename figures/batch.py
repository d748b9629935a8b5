"""Corpus-scale extraction: stream the inputs in fixed partitions, extract them on all cores
(or on a Dask cluster) and write one claims file and one documents file per partition.

The input stream is cut into partitions of ``partition_size`` entries: a file holding
one article (read by the worker that extracts it), or one document or read error of an
export or archive (split out by the reader, since one such file holds many articles).
The same inputs and size always give the same partitions and ids. A partition is
finished when its marker ``part-NNNNNN.done.json`` exists, names this run's fingerprint
and the files it lists have the recorded sizes; the marker is written last, and every
file is written to a temporary name and renamed, so a killed run leaves whole partitions
or none. A rerun walks the inputs again but only extracts unfinished partitions;
``manifest.json`` is rebuilt from the markers at the end.

Memory stays bounded: the reader holds at most ``in_flight`` partitions waiting for a
worker, and nothing else grows with the corpus except the manifest's partition list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow.parquet as pq

from figures.documents import DocumentError
from figures.extract import EXTRACTOR_VERSION, extract_claims
from figures.model import Claim, Document
from figures.records import (
    CLAIM_SCHEMA,
    DOCUMENT_SCHEMA,
    RECORD_FORMATS,
    claim_record,
    document_record,
    encode_records,
    read_claims_parquet,
    read_documents_parquet,
)

FORMATS = RECORD_FORMATS
ENGINES = ("local", "dask")
DEFAULT_PARTITION_SIZE = 500
MANIFEST = "manifest.json"

@dataclass
class BatchOptions:
    """How a batch run writes and where it computes; workers 0 means all cores."""

    out: Path
    format: str = "parquet"
    partition_size: int = DEFAULT_PARTITION_SIZE
    engine: str = "local"
    workers: int = 0
    scheduler: str | None = None
    in_flight: int = 0
    progress: bool | None = None

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.partition_size < 1:
            raise ValueError("partition_size must be at least 1")
        self.workers = self.workers or os.cpu_count() or 1


Entry = Document | str | dict  # a document read here, a file for the worker to read, or a read error


@dataclass
class Partition:
    """A slice of the input stream, in order. Single-article files travel as paths and are read
    by the worker (so the reader stays light and no text crosses a scheduler); exports and
    archives hold many articles per file, so the reader splits them into documents here."""

    index: int
    entries: list[Entry] = field(default_factory=list)
    bytes_read: int = 0  # input bytes of the files fully read when this partition closed
    inputs: str = ""  # what the entries hold now (sizes and mtimes, or contents): see entries_signature

    @property
    def items(self) -> int:
        return len(self.entries)


# ---------------------------------------------------------------- partitioning

_READ_HERE = (".csv", ".jsonl", ".json", ".ndjson", ".zip")  # many articles per file


def fingerprint(paths: Sequence[str | Path], fmt: str, partition_size: int) -> str:
    """What makes a finished partition reusable: same inputs, format, size and extractor."""
    spec = {"paths": [str(Path(p).resolve()) for p in paths], "format": fmt,
            "partition_size": partition_size, "extractor_version": EXTRACTOR_VERSION}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def input_files(paths: Iterable[str | Path]) -> Iterator[Path | DocumentError]:
    """The files iter_documents reads, in its order (folders walked the same way), and the
    files it leaves out (as SkippedFile, each with its reason)."""
    from figures.ingest import walk_inputs

    yield from walk_inputs(paths)


def _entry_signature(entry: Entry) -> str:
    """A file by path, size and modification time (a resume must not reuse claims of a file edited
    since); a document read here by its content; an error as itself."""
    if isinstance(entry, str):
        try:
            status = os.stat(entry)
        except OSError:
            return f"{entry}:missing"
        return f"{entry}:{status.st_size}:{status.st_mtime_ns}"
    if isinstance(entry, Document):
        return f"{entry.id}:{entry.content_hash}"
    return json.dumps(entry, sort_keys=True)


def entries_signature(entries: Iterable[Entry]) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(_entry_signature(entry).encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()[:16]


def _size(path: Path | DocumentError) -> int:
    try:
        return path.stat().st_size if isinstance(path, Path) and path.is_file() else 0
    except OSError:
        return 0


def total_input_bytes(paths: Iterable[str | Path]) -> int:
    """Size of every input file, for the progress estimate (one cheap walk, nothing kept)."""
    return sum(_size(path) for path in input_files(paths))


def _error(error: DocumentError) -> dict[str, Any]:
    from figures.documents import SkippedFile

    record: dict[str, Any] = {"file": error.source, "message": error.problem}
    if isinstance(error, SkippedFile):
        record["skipped"] = True
    return record


def iter_partitions(paths: Sequence[str | Path], size: int) -> Iterator[Partition]:
    """The input cut into partitions of `size` entries, lazily and always the same way for the
    same inputs: a file to read, or one document (or error) of an export or archive."""
    from figures.ingest import iter_documents

    current = Partition(0)
    done_bytes = 0
    for path in input_files(paths):
        if isinstance(path, DocumentError):
            items: Iterable[Entry] = (_error(path),)
        elif path.suffix.lower() in _READ_HERE or not path.is_file():
            items = (_error(i) if isinstance(i, DocumentError) else i for i in iter_documents([path]))
        else:
            items = (str(path),)
        for entry in items:
            current.entries.append(entry)
            if current.items >= size:
                current.bytes_read = done_bytes
                current.inputs = entries_signature(current.entries)
                yield current
                current = Partition(current.index + 1)
        done_bytes += _size(path)
    if current.items:
        current.bytes_read = done_bytes
        current.inputs = entries_signature(current.entries)
        yield current


# ---------------------------------------------------------------- one partition


def partition_name(index: int) -> str:
    return f"part-{index:06d}"


def read_partition(partition: Partition) -> tuple[list[Document], list[dict[str, str]]]:
    """The partition's documents in input order, reading the files it names, and its read errors."""
    from figures.ingest import iter_documents

    documents: list[Document] = []
    errors: list[dict[str, str]] = []
    for entry in partition.entries:
        items: Iterable[Any] = iter_documents([entry]) if isinstance(entry, str) else (entry,)
        for item in items:
            if isinstance(item, DocumentError):
                errors.append(_error(item))
            elif isinstance(item, dict):
                errors.append(item)
            else:
                documents.append(item)
    return documents, errors


def extract_documents(documents: list[Document], errors: list[dict[str, str]]) -> list[Claim]:
    """Claims of every document; an extractor failure on one document is an error, not a crash."""
    claims: list[Claim] = []
    for document in documents:
        try:
            claims.extend(extract_claims(document))
        except Exception as exc:  # noqa: BLE001 - one bad document must not kill the run
            errors.append({"file": document.source or document.id,
                           "message": f"extraction failed on {document.id}: {type(exc).__name__}: {exc}"})
    return claims


def extract_partition(partition: Partition, fmt: str) -> dict[str, Any]:
    """Read, extract and encode one partition where it runs: its marker fields plus the files' bytes.

    Only bytes come back, so a Dask worker returns a few hundred KB and the client just writes them.
    """
    documents, errors = read_partition(partition)
    claims = extract_documents(documents, errors)
    files = {"claims": f"{partition_name(partition.index)}.{fmt}",
             "documents": f"documents-{partition.index:06d}.{fmt}"}
    data = {files["claims"]: encode_records([claim_record(c) for c in claims], CLAIM_SCHEMA, fmt),
            files["documents"]: encode_records([document_record(d) for d in documents], DOCUMENT_SCHEMA, fmt)}
    return {
        "partition": partition.index, "inputs": partition.inputs, "extractor_version": EXTRACTOR_VERSION,
        "documents": len(documents),
        "claims": len(claims), "errors": errors, "files": files,
        "first": documents[0].id if documents else None, "last": documents[-1].id if documents else None,
        "data": data,
    }


@dataclass
class Extracted:
    """One document read, with its claims, or with the failure the extractor raised on it."""

    document: Document
    claims: list[Claim]
    failure: Exception | None = None


def extract_stream(paths: Iterable[str | Path]) -> Iterator[Extracted | DocumentError]:
    """Every input in order, in one process: each document read with its claims (or the
    extractor's failure on it, which does not end the run), and each file left out or unreadable."""
    from figures.ingest import iter_documents

    for item in iter_documents(paths):
        if isinstance(item, DocumentError):
            yield item
            continue
        try:
            extracted = Extracted(item, extract_claims(item))
        except Exception as exc:  # noqa: BLE001 - one document's failure must not end the run
            extracted = Extracted(item, [], exc)
        yield extracted


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name, flush to disk, rename: readers see the whole file or none."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def save_partition(out: Path, extracted: dict[str, Any], run_fingerprint: str) -> dict[str, Any]:
    """The partition's files, then its marker (last, so that it means 'done'); returns the marker."""
    data = extracted.pop("data")
    for name, content in data.items():
        _write_atomic(out / name, content)
    marker = {**extracted, "fingerprint": run_fingerprint, "sizes": {name: len(c) for name, c in data.items()}}
    _write_atomic(out / f"{partition_name(marker['partition'])}.done.json",
                  json.dumps(marker, ensure_ascii=False, indent=1).encode("utf-8"))
    return marker


def run_partition(partition: Partition, out: Path, fmt: str, run_fingerprint: str) -> dict[str, Any]:
    """Extract and write one partition where it runs (a local worker process)."""
    return save_partition(out, extract_partition(partition, fmt), run_fingerprint)


def finished_marker(out: Path, index: int, run_fingerprint: str, inputs: str | None = None
                    ) -> dict[str, Any] | None:
    """The partition's marker when it is finished for this run: same fingerprint, same inputs (when
    given: the files' sizes and mtimes, the documents' contents), files present and whole."""
    try:
        marker = json.loads((out / f"{partition_name(index)}.done.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if marker.get("fingerprint") != run_fingerprint:
        return None
    if inputs is not None and marker.get("inputs") != inputs:
        return None
    for name, size in marker.get("sizes", {}).items():
        try:
            if (out / name).stat().st_size != size:
                return None
        except OSError:
            return None
    return marker


# ---------------------------------------------------------------- warm-up


_warm = False


def warm_up() -> bool:
    """Build the extractor's cached tables (patterns, gazetteer, date settings) once per process."""
    global _warm
    if not _warm:
        extract_claims(Document(id="warm-up", text="Officials said on Monday that 12 people were killed in Kharkiv.",
                                published=dt.date(2022, 3, 1)))
        _warm = True
    return _warm


def is_warm() -> bool:
    return _warm


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # distributed is optional for the local engine
    WorkerPlugin = object  # type: ignore[assignment,misc]


class WarmUpPlugin(WorkerPlugin):  # type: ignore[misc,valid-type]
    """Warms every Dask worker when it joins, those already running and those added later."""

    name = "figures-warm-up"

    def setup(self, worker: Any) -> None:
        warm_up()


# ---------------------------------------------------------------- engines

Done = Callable[[dict[str, Any], Partition], None]


def _run_in_process(partitions: Iterable[Partition], options: BatchOptions, run_fingerprint: str,
                    done: Done) -> None:
    warm_up()
    for partition in partitions:
        done(run_partition(partition, options.out, options.format, run_fingerprint), partition)


def _run_pool(partitions: Iterable[Partition], options: BatchOptions, run_fingerprint: str, done: Done) -> None:
    """All cores: at most `in_flight` partitions submitted and not yet finished."""
    import multiprocessing

    limit = options.in_flight or 2 * options.workers
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(options.workers, mp_context=context, initializer=warm_up) as pool:
        pending: dict[Future, Partition] = {}
        for partition in partitions:
            pending[pool.submit(run_partition, partition, options.out, options.format, run_fingerprint)] = partition
            while len(pending) >= limit:
                _collect(pending, done)
        while pending:
            _collect(pending, done)


def _collect(pending: dict[Future, Partition], done: Done) -> None:
    """Wait for at least one partition, and report every one that has finished."""
    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    for future in finished:
        done(future.result(), pending.pop(future))


# distributed keeps its last `low-level-log-length` (default 1000) messages under 1 MB per
# connection for debugging; a message can carry a partition of documents, so that log alone
# would grow to ~1 GB: a short one keeps the client and a local scheduler flat. The workers'
# sampling profiler (every 10 ms) costs ~10% CPU on long extraction tasks.
DASK_CONFIG = {"distributed.admin.low-level-log-length": 20, "distributed.worker.profile.enabled": False}


@contextmanager
def dask_client(options: BatchOptions) -> Iterator[Any]:
    """A client on the named scheduler, or on a LocalCluster of one single-threaded process per worker."""
    import logging

    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(DASK_CONFIG):
        if options.scheduler:
            with Client(options.scheduler) as client:
                yield client
            return
        with LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client


def _run_dask(partitions: Iterable[Partition], options: BatchOptions, run_fingerprint: str, done: Done) -> None:
    """Workers read, extract and encode; the client writes the bytes they return, so the output
    folder need not be shared with the workers (the inputs must be readable by them).

    Partitions go out as they are read, at most `in_flight` at a time: mostly lists of
    paths, and for exports and archives the documents the reader split out of them.
    """
    from distributed import as_completed

    with dask_client(options) as client:
        client.register_plugin(WarmUpPlugin())
        limit = options.in_flight or 2 * max(1, sum(client.nthreads().values()))
        running = as_completed()
        owners: dict[str, Partition] = {}

        def finish(future: Any) -> None:
            partition = owners.pop(future.key)
            extracted = future.result()
            future.release()
            done(save_partition(options.out, extracted, run_fingerprint), partition)

        for partition in partitions:
            future = client.submit(extract_partition, partition, options.format, pure=False)
            owners[future.key] = partition
            running.add(future)
            while running.count() >= limit:
                finish(next(running))
        for future in running:
            finish(future)


# ---------------------------------------------------------------- progress


class Progress:
    """tqdm on stderr (documents, rate, ETA) when stderr is a terminal; silent otherwise.

    It counts partition entries (an article file, or an article of an export). The total
    is an estimate, refined as files are read: entries so far scaled by the input bytes.
    """

    def __init__(self, paths: Sequence[str | Path], enabled: bool | None, stream: IO[str] | None = None):
        stream = stream or sys.stderr
        self.enabled = stream.isatty() if enabled is None else enabled
        self.bar = None
        self.total_bytes = 0
        if self.enabled:
            from tqdm import tqdm

            tqdm.monitor_interval = 0  # no monitor thread: local workers are forked from this process
            self.total_bytes = total_input_bytes(paths)
            self.bar = tqdm(total=None, unit="doc", file=stream, smoothing=0.05, dynamic_ncols=True)

    def read(self, partition: Partition, items_read: int) -> None:
        if self.bar is not None and partition.bytes_read and self.total_bytes:
            estimate = int(items_read * self.total_bytes / partition.bytes_read)
            self.bar.total = max(estimate, items_read)

    def advance(self, items: int) -> None:
        if self.bar is not None:
            self.bar.update(items)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.total = self.bar.n
            self.bar.refresh()
            self.bar.close()


# ---------------------------------------------------------------- the run


def build_manifest(out: Path, count: int, run_fingerprint: str, parameters: dict[str, Any],
                   reused: int, seconds: float) -> dict[str, Any]:
    """The run's summary, rebuilt from the partition markers on disk."""
    partitions, errors = [], []
    documents = claims = 0
    for index in range(count):
        marker = finished_marker(out, index, run_fingerprint)
        if marker is None:
            raise RuntimeError(f"partition {index} has no valid output in {out}")
        documents += marker["documents"]
        claims += marker["claims"]
        errors.extend(marker["errors"])
        partitions.append({key: marker[key] for key in ("partition", "documents", "claims", "files", "first", "last")}
                          | {"errors": len(marker["errors"])})
    return {
        "extractor_version": EXTRACTOR_VERSION, "fingerprint": run_fingerprint, "documents": documents,
        "claims": claims, "errors": errors, "partitions": partitions, "parameters": parameters,
        "reused_partitions": reused, "seconds": round(seconds, 3),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def run_batch(paths: Sequence[str | Path], options: BatchOptions) -> dict[str, Any]:
    """Extract every document under `paths` into `options.out`, resuming a killed run; returns the manifest."""
    started = time.perf_counter()
    options.out.mkdir(parents=True, exist_ok=True)
    run_fingerprint = fingerprint(paths, options.format, options.partition_size)
    progress = Progress(paths, options.progress)
    state = {"count": 0, "reused": 0, "read": 0}

    def fresh_partitions() -> Iterator[Partition]:
        for partition in iter_partitions(paths, options.partition_size):
            state["count"] = partition.index + 1
            state["read"] += partition.items
            progress.read(partition, state["read"])
            if finished_marker(options.out, partition.index, run_fingerprint, partition.inputs) is not None:
                state["reused"] += 1
                progress.advance(partition.items)
                continue
            yield partition

    def done(_marker: dict[str, Any], partition: Partition) -> None:
        progress.advance(partition.items)

    engine = _run_dask if options.engine == "dask" else (_run_in_process if options.workers == 1 else _run_pool)
    try:
        engine(fresh_partitions(), options, run_fingerprint, done)
    finally:
        progress.close()
    parameters = {"paths": [str(p) for p in paths], "format": options.format,
                  "partition_size": options.partition_size, "engine": options.engine,
                  "workers": options.workers, "scheduler": options.scheduler}
    manifest = build_manifest(options.out, state["count"], run_fingerprint, parameters, state["reused"],
                              time.perf_counter() - started)
    _write_atomic(options.out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    remove_stale(options.out, manifest)
    return manifest


_OUTPUT_NAME = re.compile(r"^\.?(part|documents)-\d{6}\.(parquet|jsonl|csv|done\.json)(\.\d+\.tmp)?$")


def remove_stale(out: Path, manifest: dict[str, Any]) -> list[str]:
    """Delete partition files an earlier run left (other size, format or inputs) and temporary
    files of killed runs, so that ``DIR/part-*.parquet`` is exactly this run's claims."""
    keep = {f"{partition_name(p['partition'])}.done.json" for p in manifest["partitions"]}
    keep.update(name for p in manifest["partitions"] for name in p["files"].values())
    removed = []
    for path in out.iterdir():
        if _OUTPUT_NAME.match(path.name) and path.name not in keep:
            path.unlink()
            removed.append(path.name)
    return sorted(removed)


# ---------------------------------------------------------------- loading into the store


@dataclass
class LoadReport:
    partitions: int = 0
    documents: int = 0
    claims_read: int = 0
    claims_inserted: int = 0


def _partition_files(folder: Path) -> tuple[list[dict[str, str]], str | None]:
    """Each partition's files (from the manifest, else every marker) and the extractor version."""
    manifest_path = folder / MANIFEST
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        return [p["files"] for p in manifest["partitions"]], manifest.get("extractor_version")
    markers = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("part-*.done.json"))]
    return [m["files"] for m in markers], next((m["extractor_version"] for m in markers), None)


def _groups(folder: Path, files: list[dict[str, str]], max_documents: int) -> Iterator[list[dict[str, str]]]:
    """Partitions in load groups of about `max_documents`, cut so a group never names a document id twice
    (the store matches claims to documents by id within one load)."""
    group: list[dict[str, str]] = []
    ids: set[str] = set()
    for entry in files:
        partition_ids = set(pq.read_table(folder / entry["documents"], columns=["id"]).column("id").to_pylist())
        if group and (len(ids) + len(partition_ids) > max_documents or ids & partition_ids):
            yield group
            group, ids = [], set()
        group.append(entry)
        ids |= partition_ids
    if group:
        yield group


def load_claims_folder(store: Any, folder: str | Path, max_documents: int = 50_000) -> LoadReport:
    """Bulk-load the Parquet output of a batch run into a Store, one transaction per group of partitions."""
    folder = Path(folder)
    files, version = _partition_files(folder)
    if any(not entry["claims"].endswith(".parquet") for entry in files):
        raise ValueError(f"{folder} does not hold Parquet output (run extract with --format parquet)")
    report = LoadReport()
    for group in _groups(folder, files, max_documents):
        counted = {"documents": 0, "claims": 0}

        def documents() -> Iterator[Document]:
            for entry in group:
                for document in read_documents_parquet(folder / entry["documents"]):
                    counted["documents"] += 1
                    yield document

        def claims() -> Iterator[dict[str, Any]]:
            for entry in group:
                for row in read_claims_parquet(folder / entry["claims"]):
                    counted["claims"] += 1
                    yield row

        report.claims_inserted += store.bulk_load_claims(claims(), documents(), extractor_version=version)
        report.partitions += len(group)
        report.documents += counted["documents"]
        report.claims_read += counted["claims"]
    return report
