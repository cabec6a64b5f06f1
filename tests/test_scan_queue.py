"""Workers sharing one batch through the PostgreSQL base: every page stored exactly once,
a worker killed mid-file leaves it to another."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bordereau.base.engine import Database
from bordereau.base.schema import Page, ScanFile, ScanJob
from bordereau.home import Home
from tests.conftest import ROOT, SAMPLES, run_cli

BORDEREAU = str(Path(sys.executable).with_name("bordereau"))
# Recorded Tesseract output in every process these tests start (BORDEREAU_OCR_REPLAY is
# inherited): they test processes and bases, not Tesseract (docs/testing.md)
pytestmark = pytest.mark.usefixtures("replay_samples")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", target)
    return target


def _worker(home: Path, url: str, lease: int = 10) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [BORDEREAU, "scan", "worker", "--home", str(home), "--base", url, "--json",
         "--workers", "1", "--once", "--lease", str(lease)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_three_workers_share_a_batch_and_one_killed_leaves_its_file(
        home: Path, pg_url: str) -> None:
    submitted = run_cli(["scan", "submit", str(SAMPLES / "scans"), "--home", str(home),
                         "--base", pg_url, "--json"])  # in process: the workers are what races
    assert submitted.exit_code == 0, submitted.stderr
    files = json.loads(submitted.stdout)["files"]
    queued = [f for f in files if f["job"] is not None]
    assert len(queued) == 10
    assert sorted(Path(f["path"]).name for f in files if f["reason"]) == ["README.md",
                                                                          "truth.json"]
    db = Database.open(Home.open(home, create=False), pg_url)

    # the worker to be killed holds its file under a short lease: the others take it over
    # 3 s after its claim instead of 10 (theirs stay long: under load, a living worker
    # must not lose its file)
    workers = [_worker(home, pg_url, lease=3), _worker(home, pg_url), _worker(home, pg_url)]
    victim = workers[0]
    held: int | None = None
    deadline = time.monotonic() + 300
    while held is None and time.monotonic() < deadline:  # wait until it holds a file
        with db.session() as session:
            held = session.scalars(select(ScanJob.id).where(
                ScanJob.state == "running",
                ScanJob.worker.like(f"%:{victim.pid}"))).first()
        time.sleep(0.05)
    assert held is not None
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    with db.session() as session:
        job = session.get(ScanJob, held)
        assert job is not None and job.state == "running"  # killed mid-file

    lines, sharing = [], 0
    for worker in workers[1:]:
        out, err = worker.communicate(timeout=1200)
        assert worker.returncode == 0, err
        mine = [json.loads(line) for line in out.splitlines()]
        sharing += any(line["stored"] for line in mine)
        lines += mine
    for process in workers:
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    with db.session() as session:
        jobs = session.scalars(select(ScanJob)).all()
        assert {j.state for j in jobs} == {"done"}
        taken_over = session.get(ScanJob, held)
        assert taken_over is not None and taken_over.attempts == 2
        assert not taken_over.worker.endswith(f":{victim.pid}")
        assert session.scalar(select(func.count()).select_from(ScanFile)) == 10
        states = session.execute(select(Page.state, func.count()).group_by(Page.state)).all()
        assert dict(states) == {"read": 44, "blank": 32, "refused": 4}  # each page once
    assert sorted(line["job"] for line in lines if line["stored"]) == sorted(
        f["job"] for f in queued)
    assert held in {line["job"] for line in lines if line["stored"]}
    assert sharing == 2  # both surviving workers read part of the batch


def test_workers_need_a_postgresql_base(home: Path) -> None:
    result = subprocess.run([BORDEREAU, "scan", "worker", "--home", str(home), "--once"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 7
    assert "demandent une base PostgreSQL partagée" in result.stderr
