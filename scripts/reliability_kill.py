"""Reliability: ``kill -9`` of ``scan ingest`` at random points, then a rerun; counts lost
and duplicated pages, hangs, surviving workers and damaged stored copies.

    nice -n 10 .venv/bin/python scripts/reliability_kill.py --trials 100 --copy-trials 20

A reference run (no kill) gives the expected end state of the pile (sample scans: a phone
photo and an office JPEG PDF with a foreign page; three pages in two files, kept small so
that 100 trials fit in an hour on a loaded 2-core machine). Each trial starts from a fresh
copy of the sample home, kills the command with SIGKILL after a random delay (uniform over
the reference run's duration), checks that its reading workers die, reruns the ingest to
the end (300 s bound: a hang is a failure) and compares ``scan status --verify --json``
with the reference: same files, same pages in the same states (nothing lost, nothing
twice), same sheets, no damaged copy in the scan store. "Copy" trials kill the command the
moment a temporary copy appears in the scan store, i.e. during the copy into the store.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BORDEREAU = Path(sys.executable).parent / "bordereau"
LYON = ROOT / "samples" / "scans" / "lyon-os"
PILE = [LYON / "photo" / "photo-01-001.png", LYON / "bureau-jpeg" / "bureau-jpeg-01.pdf"]


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def ingest_args(pile: Path, home: Path) -> list[str]:
    return [str(BORDEREAU), "scan", "ingest", str(pile), "--home", str(home), "--workers", "2"]


def end_state(home: Path) -> dict[str, object]:
    done = subprocess.run(
        [str(BORDEREAU), "scan", "status", "--home", str(home), "--verify", "--json"],
        capture_output=True, text=True, check=False)
    if done.returncode:
        return {"status_exit": done.returncode, "status_error": done.stderr.strip()[-300:],
                "pages_total": 0, "store": []}
    status = json.loads(done.stdout)
    return {key: status[key] for key in ("files", "pages", "pages_total", "sheets", "store",
                                          "waiting_pages")}


def setup(work: Path) -> tuple[Path, Path]:
    home, pile = work / "home", work / "pile"
    shutil.copytree(ROOT / "samples" / "home", home)
    pile.mkdir()
    for path in PILE:
        shutil.copy(path, pile / path.name)
    return home, pile


def trial(work: Path, delay: float | None, reference: dict[str, object]) -> dict[str, object]:
    home, pile = setup(work)
    process = subprocess.Popen(ingest_args(pile, home), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    start, workers, store = time.monotonic(), set(), home / "scans"
    killed = False
    while process.poll() is None:
        workers.update(children(process.pid))
        elapsed = time.monotonic() - start
        copying = delay is None and store.is_dir() and any(store.glob(".*.tmp"))
        if (delay is not None and elapsed >= delay) or copying:
            os.kill(process.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.001 if delay is None else 0.02)
    process.wait()
    moment = round(time.monotonic() - start, 2)
    deadline = time.monotonic() + 60
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = [w for w in workers if alive(w)]
    for worker in survivors:
        os.kill(worker, signal.SIGKILL)
    try:
        rerun = subprocess.run(ingest_args(pile, home), capture_output=True, text=True,
                               timeout=300)
        hang, code = False, rerun.returncode
    except subprocess.TimeoutExpired:
        hang, code = True, None
    state = end_state(home)
    pages, expected = state["pages_total"], reference["pages_total"]
    assert isinstance(pages, int) and isinstance(expected, int)
    return {
        "killed_at_s": moment if killed else None, "killed": killed,
        "survivors": len(survivors), "hang": hang, "rerun_exit": code,
        "lost": max(0, expected - pages), "duplicated": max(0, pages - expected),
        "same_end_state": state == reference, "store_damage": len(state["store"]),  # type: ignore[arg-type]
        "status_error": state.get("status_error"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--copy-trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path("reliability-kill.json"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as work:
        home, pile = setup(Path(work))
        start = time.monotonic()
        subprocess.run(ingest_args(pile, home), capture_output=True, check=False)
        duration = time.monotonic() - start
        reference = end_state(home)
    print(f"reference run: {duration:.1f} s, {reference['pages_total']} pages, "
          f"{reference['pages']}, sheets {reference['sheets']}", flush=True)
    results = []
    plan = [rng.uniform(0.0, duration) for _ in range(args.trials)] + [None] * args.copy_trials
    for number, delay in enumerate(plan, 1):
        with tempfile.TemporaryDirectory() as work:
            result = trial(Path(work), delay, reference)
        result["mode"] = "random" if delay is not None else "copy"
        results.append(result)
        print(number, json.dumps(result, ensure_ascii=False), flush=True)
    args.out.write_text(json.dumps({"reference_s": round(duration, 1), "reference": reference,
                                    "trials": results}, indent=1) + "\n")
    for mode in ("random", "copy"):
        rows = [r for r in results if r["mode"] == mode]
        bad = [r for r in rows if r["lost"] or r["duplicated"] or r["hang"] or r["survivors"]
               or not r["same_end_state"] or r["store_damage"]]
        print(f"{mode}: {len(rows)} trials, {sum(1 for r in rows if r['killed'])} killed, "
              f"lost {sum(r['lost'] for r in rows)}, duplicated "  # type: ignore[misc]
              f"{sum(r['duplicated'] for r in rows)}, hangs {sum(r['hang'] for r in rows)}, "  # type: ignore[misc]
              f"surviving workers {sum(r['survivors'] for r in rows)}, "  # type: ignore[misc]
              f"store damage {sum(r['store_damage'] for r in rows)}, failures {len(bad)}")  # type: ignore[misc]


if __name__ == "__main__":
    main()
