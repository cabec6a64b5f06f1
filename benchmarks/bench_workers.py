"""Measure queue workers on a PostgreSQL base: pages per second for 1 and 2 workers.

    .venv/bin/python benchmarks/bench_workers.py [--pages 100] [--workers 1,2]
        [--admin postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

For each count, a fresh database is created on the server, the cached simulated 300-dpi
scans (``scan_cache``) are queued with ``bordereau scan submit``, then that many
``bordereau scan worker --once --workers 1`` processes (one reading process each) share
the queue until it is empty. Reports the wall time from the workers' start to the last
one's end, pages per second, and the peak PSS of all worker processes together.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_cache import count_pages, ensure_pages, tree_pss_kb

BORDEREAU = str(Path(sys.executable).with_name("bordereau"))
ADMIN = os.environ.get("BORDEREAU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def run(pages: int, count: int, admin_url: str) -> dict[str, float]:
    home, files = ensure_pages(pages)
    name = f"bordereau_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
            work_home = Path(tmp) / "home"
            shutil.copytree(home, work_home)
            common = ["--home", str(work_home), "--base", url]
            subprocess.run([BORDEREAU, "scan", "submit", *map(str, files), *common],
                           check=True, capture_output=True)
            start = time.perf_counter()
            workers = [subprocess.Popen([BORDEREAU, "scan", "worker", "--once", "--workers",
                                         "1", *common], stdout=subprocess.DEVNULL)
                       for _ in range(count)]
            peak = 0
            while any(w.poll() is None for w in workers):
                peak = max(peak, sum(tree_pss_kb(w.pid) for w in workers))
                time.sleep(0.2)
            elapsed = time.perf_counter() - start
            if any(w.returncode for w in workers):
                raise SystemExit("a worker failed")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    total = count_pages(files)
    return {"pages": total, "seconds": round(elapsed, 1),
            "pages_per_second": round(total / elapsed, 2), "peak_pss_mb": round(peak / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--admin", default=ADMIN)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    for count in (int(n) for n in args.workers.split(",")):
        figures = run(args.pages, count, args.admin)
        print(f"{count} worker(s): {figures['pages']} pages in {figures['seconds']} s, "
              f"{figures['pages_per_second']} pages/s, peak PSS {figures['peak_pss_mb']} MB")
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
