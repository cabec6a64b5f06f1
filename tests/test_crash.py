"""A real ``kill -9`` of ``scan ingest`` while its workers read: nothing lives on, nothing
keeps the base locked, and a rerun stores every page exactly once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import SAMPLES, run_cli

BORDEREAU = Path(sys.executable).parent / "bordereau"
PILE = SAMPLES / "scans" / "lyon-os" / "recto-verso"  # 32 pages in two files


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def wait_for(condition: object, limit: float) -> bool:
    """Poll ``condition`` until it holds or ``limit`` seconds pass (a liveness bound)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_kill_9_during_reading_leaves_no_worker_and_no_lock(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    process = subprocess.Popen(
        [str(BORDEREAU), "scan", "ingest", str(PILE), "--home", str(home), "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: len(children(process.pid)) >= 2, 300), "the workers never started"
    workers = children(process.pid)
    time.sleep(1.0)  # let the workers get into their pages
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    gone = wait_for(lambda: not any(alive(w) for w in workers), 60)
    survivors = [w for w in workers if alive(w)]
    for worker in survivors:  # never leave them to the rest of the suite
        os.kill(worker, signal.SIGKILL)
    assert gone, f"workers {survivors} outlived their killed parent"
    rerun = run_cli(["scan", "ingest", str(PILE), "--home", str(home), "--workers", "2"])
    assert rerun.exit_code in (0, 6), rerun.stdout + rerun.stderr
    status = json.loads(run_cli(["scan", "status", "--home", str(home), "--json"]).stdout)
    assert status["files"] == 2 and status["pages_total"] == 32
    assert status["pages"] == {"read": 16, "blank": 16, "refused": 0}
