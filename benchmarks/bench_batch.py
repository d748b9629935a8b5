"""Corpus-scale extraction benchmark: one process vs all cores vs a Dask LocalCluster.

    python benchmarks/bench_batch.py [--articles 10000 100000] [--engines single local dask] [--keep DIR]

Each corpus is written by figures.bench.build_corpus (dispatches made of our own
sentences in the dense mix, ~1.75 KB each, one .txt file per article). Each run is a fresh process
running ``figures.batch.run_batch`` into an empty output folder, and reports articles
per second, the peak RSS of the main process and the largest peak RSS among its worker
processes (getrusage), and the load average before it started. Comparing the 10k and
100k rows shows whether memory stays flat as the corpus grows 10x.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTICLE_BYTES = 1_750  # average size of a generated dispatch (the dense mix)
ENGINES = {"single": ("local", 1), "local": ("local", 0), "dask": ("dask", 0)}


def corpus_for(base: Path, articles: int) -> Path:
    """A folder of about `articles` generated dispatches, built once and reused."""
    sys.path.insert(0, str(ROOT))
    from figures.bench import build_corpus

    folder = base / f"corpus-{articles}"
    done = folder / ".built"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        files, size = build_corpus(folder, articles * ARTICLE_BYTES / 1e6, dense=True)
        done.write_text(json.dumps({"files": files, "bytes": size}))
    return folder


def run_one(engine: str, corpus: Path, out: Path, partition_size: int) -> dict:
    """One run in this process; the figures the parent prints."""
    sys.path.insert(0, str(ROOT))
    from figures.batch import BatchOptions, run_batch

    kind, workers = ENGINES[engine]
    start = time.perf_counter()
    manifest = run_batch([corpus], BatchOptions(out=out, engine=kind, workers=workers,
                                                partition_size=partition_size, progress=False))
    seconds = time.perf_counter() - start
    return {
        "engine": engine, "documents": manifest["documents"], "claims": manifest["claims"],
        "partitions": len(manifest["partitions"]), "seconds": seconds,
        "articles_per_s": manifest["documents"] / seconds,
        "main_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def measure(engine: str, corpus: Path, scratch: Path, partition_size: int) -> dict:
    out = scratch / f"out-{engine}-{corpus.name}"
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()
    result = subprocess.run(
        [sys.executable, __file__, "--run-one", engine, str(corpus), str(out), "--partition-size", str(partition_size)],
        capture_output=True, text=True, check=True,
    )
    shutil.rmtree(out, ignore_errors=True)
    return json.loads(result.stdout.strip().splitlines()[-1]) | {"load_before": load}


def report(rows: list[dict], out=sys.stdout) -> None:
    print(f"{'articles':>9} {'engine':7} {'seconds':>8} {'articles/s':>10} {'speed-up':>8} {'claims':>8} "
          f"{'main MB':>8} {'worker MB':>9}  load before (1/5/15 min)", file=out)
    single = {r["documents"]: r["articles_per_s"] for r in rows if r["engine"] == "single"}
    for r in rows:
        base = single.get(r["documents"])
        speed = f"{r['articles_per_s'] / base:.2f}x" if base else "-"
        workers = f"{r['worker_peak_mb']:.0f}" if r["engine"] != "single" else "-"
        load = "/".join(f"{x:.2f}" for x in r["load_before"])
        print(f"{r['documents']:>9,} {r['engine']:7} {r['seconds']:>8.1f} {r['articles_per_s']:>10,.0f} {speed:>8} "
              f"{r['claims']:>8,} {r['main_peak_mb']:>8.0f} {workers:>9}  {load}", file=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    parser.add_argument("--partition-size", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="keep the corpora here (reused by later runs)")
    parser.add_argument("--run-one", nargs=3, metavar=("ENGINE", "CORPUS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        engine, corpus, out = args.run_one
        print(json.dumps(run_one(engine, Path(corpus), Path(out), args.partition_size)))
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="figures-batch-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for articles in args.articles:
            corpus = corpus_for(base, articles)
            for engine in args.engines:
                rows.append(measure(engine, corpus, base, args.partition_size))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores; partition size {args.partition_size}")
    report(rows)


if __name__ == "__main__":
    main()
