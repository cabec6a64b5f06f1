"""A cache of simulated 300-dpi scan files for the ingestion and worker benchmarks.

Real scan files made by the simulator (both sample centres, the ``clean_300`` office
scanner profile, held-out handwriting, a few sheets per file), generated once into a
cache folder and reused: simulating 1,000 pages takes a quarter of an hour on this
machine. Every page is a real scan page with its own serial (the simulator prints new
forms for every sheet), so every page of a 1,000-page batch is read in full.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bordereau.simulate.batch import Extras, make_batch

ROOT = Path(__file__).resolve().parent.parent
CENTRES = sorted((ROOT / "samples" / "centres").glob("*.yaml"))
DEFAULT_CACHE = ROOT / "out" / "bench-cache"
SHEETS_PER_CHUNK = 8
FILES_PER_CHUNK = 4


def cache_folder() -> Path:
    return Path(os.environ.get("BORDEREAU_BENCH_CACHE", DEFAULT_CACHE))


def ensure_pages(pages: int, cache: Path | None = None) -> tuple[Path, list[Path]]:
    """The cache's home and the first scan files holding at least ``pages`` pages
    (simulating more chunks when the cache holds fewer)."""
    cache = cache or cache_folder()
    cache.mkdir(parents=True, exist_ok=True)
    home = cache / "home"
    chunk = 0
    files: list[Path] = []
    total = 0
    while total < pages:
        folder = cache / f"chunk-{chunk:03d}"
        index = folder / "files.json"
        if not index.exists():
            truth = make_batch(CENTRES[chunk % len(CENTRES)], home, folder,
                               sheets=SHEETS_PER_CHUNK, split="eval", profile="clean_300",
                               seed=9000 + chunk, prefix=f"c{chunk:03d}",
                               extras=Extras(files=FILES_PER_CHUNK))
            index.write_text(json.dumps([[f.file, f.pages] for f in truth.files]))
        for name, count in json.loads(index.read_text()):
            if total >= pages:
                break
            files.append(folder / name)
            total += count
        chunk += 1
    return home, files


def count_pages(files: list[Path]) -> int:
    counts: dict[str, int] = {}
    for folder in {f.parent for f in files}:
        counts.update({str(folder / n): c
                       for n, c in json.loads((folder / "files.json").read_text())})
    return sum(counts[str(f)] for f in files)


def tree_pss_kb(root: int) -> int:
    """Proportional set size (kB) of a process and all its descendants."""
    return sum(process_pss_kb(root).values())


def process_pss_kb(root: int) -> dict[int, int]:
    """Proportional set size (kB) of a process and of each of its descendants, by pid."""
    found: dict[int, int] = {}
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    found[pid] = int(line.split()[1])
                    break
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


class PeakSampler:
    """Samples the process tree's PSS in a thread until stopped; keeps the peak of the
    whole tree and each process's own peak (``peaks_kb``, by pid)."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        import threading

        self.pid, self.every, self.peak_kb, self.samples = pid, every, 0, 0
        self.peaks_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = process_pss_kb(self.pid)
            self.peak_kb = max(self.peak_kb, sum(sizes.values()))
            for pid, size in sizes.items():
                self.peaks_kb[pid] = max(self.peaks_kb.get(pid, 0), size)
            self.samples += 1
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kb


if __name__ == "__main__":
    import sys

    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    home, found = ensure_pages(wanted)
    print(f"{len(found)} files, {count_pages(found)} pages in {cache_folder()}")
