"""Measure whole ingestion (read + store + commit): peak memory and pages per second.

    .venv/bin/python benchmarks/bench_ingest.py [--pages 50,1000] [--workers 2] [--runs 1]

Each size ingests that many simulated 300-dpi pages (``scan_cache``: real scan files,
generated once into ``out/bench-cache`` or ``$BORDEREAU_BENCH_CACHE``) with the real
command, ``bordereau scan ingest FILES --json``, into a fresh SQLite base. While it runs,
the proportional set size (``Pss`` of ``/proc/PID/smaps_rollup``) of the command and all
its reading processes is summed every 0.1 s; the peak is reported (and each process's own
peak), with the wall time, the pages per second and the CPU seconds per page (all
processes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_cache import PeakSampler, count_pages, ensure_pages

BORDEREAU = Path(sys.executable).with_name("bordereau")


def _progress(process: subprocess.Popen[str], sampler: PeakSampler, home: Path,
              start: float) -> None:
    """Every 30 s on stderr: pages stored so far and the peak PSS so far (flat or not)."""
    while process.poll() is None:
        time.sleep(30)
        try:
            with sqlite3.connect(f"file:{home / 'base.sqlite'}?mode=ro", uri=True) as base:
                stored = base.execute("SELECT count(*) FROM page").fetchone()[0]
        except sqlite3.Error:
            stored = "?"
        print(f"  {time.perf_counter() - start:7.0f} s: {stored} pages stored, peak PSS so "
              f"far {sampler.peak_kb / 1024:.0f} MB", file=sys.stderr, flush=True)


def ingest_once(pages: int, workers: int | None, base: str | None = None
                ) -> dict[str, object]:
    home, files = ensure_pages(pages)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work_home = Path(tmp) / "home"
        shutil.copytree(home, work_home)
        (work_home / "base.sqlite").unlink(missing_ok=True)
        command = [str(BORDEREAU), "scan", "ingest", *map(str, files), "--home",
                   str(work_home), "--json"]
        if workers:
            command += ["--workers", str(workers)]
        if base:
            command += ["--base", base]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        sampler = PeakSampler(process.pid)
        watcher = threading.Thread(target=_progress, args=(process, sampler, work_home, start),
                                   daemon=True)
        watcher.start()
        out, err = process.communicate()
        elapsed = time.perf_counter() - start
        peak = sampler.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if process.returncode not in (0, 6):
            raise SystemExit(f"ingest failed ({process.returncode}): {err}")
        report = json.loads(out)
    total = count_pages(files)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "pages": total, "files": len(files), "states": report["pages"],
        "seconds": round(elapsed, 1), "pages_per_second": round(total / elapsed, 2),
        "cpu_seconds_per_page": round(cpu / total, 3),
        "peak_pss_mb": round(peak / 1024, 1), "samples": sampler.samples,
        "main_peak_mb": round(sampler.peaks_kb.get(process.pid, 0) / 1024, 1),
        "reader_peaks_mb": sorted((round(kb / 1024, 1) for pid, kb in sampler.peaks_kb.items()
                                   if pid != process.pid), reverse=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="50,1000", help="batch sizes, comma-separated")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--runs", type=int, default=1, help="runs per size (best kept)")
    parser.add_argument("--base", help="a PostgreSQL URL instead of SQLite in the home")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    figures = []
    print(f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    for size in (int(n) for n in args.pages.split(",")):
        runs = [ingest_once(size, args.workers, args.base) for _ in range(args.runs)]
        for run in runs:
            print(f"{run['pages']:>5} pages ({run['files']} files): {run['seconds']:>7} s, "
                  f"{run['pages_per_second']:>5} pages/s, "
                  f"{run['cpu_seconds_per_page']} CPU-s/page, "
                  f"peak PSS {run['peak_pss_mb']} MB (own peaks: command "
                  f"{run['main_peak_mb']} MB, readers {run['reader_peaks_mb']} MB)  "
                  f"{run['states']}")
        figures.append({"size": size, "runs": runs})
    print(f"load after {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
