"""Workers on several machines: scan files queued in a PostgreSQL base, read by any worker.

``submit`` puts each new file's bytes into the ``scan_job`` table (every workstation that
reaches the base can read it). A :class:`ScanWorker` claims the oldest claimable job with
``SELECT … FOR UPDATE SKIP LOCKED`` (no two workers get the same file), holds it under a
lease that a heartbeat thread renews while it reads, and stores the file's pages and marks
the job done in one transaction — only if it still holds the job. A worker killed
mid-file stops renewing; once its lease has run out, another worker takes the file over.
If the first worker was only slow and comes back after that, its transaction finds the job
taken (or the file stored: SHA-256 is unique) and stores nothing: every page is stored
exactly once. A file that failed ``MAX_ATTEMPTS`` times is marked failed with its reason.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bordereau.base.engine import BaseError, Database
from bordereau.base.ingest import Ingestor, IngestReport, sha256_of
from bordereau.base.schema import ScanFile, ScanJob, utcnow
from bordereau.base.states import JobState
from bordereau.ocr.pages import collect_inputs
from bordereau.ocr.stream import PageReaders
from bordereau.ocr.types import PageLoadError

LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 3
RECHECK = 0.5  # seconds between looks at the queue of a worker waiting to stop (``once``)


class SubmittedFile(BaseModel):
    """One line of ``scan submit --json``."""

    path: str
    sha256: str | None
    job: int | None = None
    already: bool = False  # already stored or queued: nothing new
    reason: str | None = None  # French, for a file left out


class JobDone(BaseModel):
    """One line of ``scan worker --json``: what the worker did with one file."""

    job: int
    name: str
    sha256: str
    stored: bool  # False: another worker (or an ingest) had stored it
    pages: dict[str, int] = {}
    refused: list[dict[str, object]] = []
    sheets: dict[str, list[str]] = {}
    error: str | None = None


def require_postgresql(db: Database) -> None:
    if db.is_sqlite:
        raise BaseError("Les lecteurs sur plusieurs postes demandent une base PostgreSQL "
                        "partagée (--base postgresql+psycopg://… ou $BORDEREAU_BASE) ; avec "
                        "la base SQLite d’un seul poste, utiliser « bordereau scan ingest ».")


def submit(db: Database, paths: Sequence[Path], user: str) -> list[SubmittedFile]:
    """Queue every new file (its bytes go into the base); report every file given."""
    require_postgresql(db)
    skipped: list[PageLoadError] = []
    files = collect_inputs(paths, on_skip=skipped.append)
    done = [SubmittedFile(path=str(e.source), sha256=None, reason=e.reason) for e in skipped]
    for path in files:
        sha = sha256_of(path)
        with db.session() as session:
            known = session.scalars(select(ScanFile.id).where(ScanFile.sha256 == sha)).first()
            queued = session.scalars(select(ScanJob.id).where(ScanJob.sha256 == sha)).first()
            if known is not None or queued is not None:
                done.append(SubmittedFile(path=str(path), sha256=sha, job=queued,
                                          already=True))
                continue
            job = ScanJob(sha256=sha, name=str(path)[-255:], size=path.stat().st_size,
                          data=path.read_bytes(), state=JobState.QUEUED, attempts=0,
                          submitted_by=user)
            session.add(job)
            session.commit()
            done.append(SubmittedFile(path=str(path), sha256=sha, job=job.id))
    return done


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


class ScanWorker:
    """Read queued files until the queue is empty (``once``) or until asked to stop."""

    def __init__(self, ingestor: Ingestor, workers: int | None = None,
                 lease: dt.timedelta = LEASE, interval: float = 2.0) -> None:
        require_postgresql(ingestor.db)
        self.ingestor = ingestor
        self.db = ingestor.db
        self.workers = workers
        self.lease = lease
        self.interval = interval
        self.name = worker_name()
        self.stopping = False

    def request_stop(self) -> None:
        """Finish the current file, then stop (a second request abandons it)."""
        if self.stopping:
            raise KeyboardInterrupt
        self.stopping = True

    def run(self, on_done: Callable[[JobDone], None], once: bool = False) -> None:
        with PageReaders(self.db.home, self.workers, keep_crops=True) as readers:
            while not self.stopping:
                job = self.claim()
                if job is not None:
                    on_done(self.process(job, readers))
                    continue
                lease_ends = self._held_elsewhere()
                if once and lease_ends is None:
                    return
                end = time.monotonic() + self._idle_wait(lease_ends, once)
                while not self.stopping and time.monotonic() < end:
                    time.sleep(0.1)

    def _idle_wait(self, lease_ends: dt.datetime | None, once: bool) -> float:
        """Seconds to wait before looking at the queue again: the polling interval, but
        no later than just after the first lease held elsewhere runs out (its file may be
        a dead worker's, to take over at once); with ``once``, at most ``RECHECK`` seconds
        (the other workers' files being done is what this worker waits for)."""
        wait = self.interval if not once else min(self.interval, RECHECK)
        if lease_ends is not None:
            wait = min(wait, max((lease_ends - utcnow()).total_seconds(), 0.0) + 0.05)
        return wait

    def claim(self) -> tuple[int, str, str] | None:
        """Take the oldest queued job, or one whose worker's lease ran out."""
        now = utcnow()
        with self.db.session() as session:
            job = session.scalars(
                select(ScanJob)
                .where(ScanJob.attempts < MAX_ATTEMPTS,
                       or_(ScanJob.state == JobState.QUEUED,
                           (ScanJob.state == JobState.RUNNING) & (ScanJob.lease_until < now)))
                .order_by(ScanJob.id).limit(1).with_for_update(skip_locked=True)).first()
            if job is None:
                return None
            job.state, job.worker = JobState.RUNNING, self.name
            job.lease_until, job.attempts = now + self.lease, job.attempts + 1
            session.commit()
            return job.id, job.name, job.sha256

    def _held_elsewhere(self) -> dt.datetime | None:
        """When the first lease of a job other workers still hold runs out (one may die
        and leave its file to us); None when no job is held."""
        with self.db.session() as session:
            return session.scalars(select(func.min(ScanJob.lease_until)).where(
                ScanJob.state == JobState.RUNNING,
                ScanJob.attempts < MAX_ATTEMPTS)).first()

    def _renew(self, job_id: int, stop: threading.Event) -> None:
        while not stop.wait(self.lease.total_seconds() / 4):
            with self.db.session() as session:
                session.execute(update(ScanJob)
                                .where(ScanJob.id == job_id, ScanJob.worker == self.name,
                                       ScanJob.state == JobState.RUNNING)
                                .values(lease_until=utcnow() + self.lease))
                session.commit()

    def _still_mine(self, job_id: int, session: Session) -> bool:
        job = session.scalars(select(ScanJob).where(ScanJob.id == job_id)
                              .with_for_update()).one()
        if job.worker != self.name or job.state != JobState.RUNNING:
            return False
        job.state, job.finished_at, job.lease_until = JobState.DONE, utcnow(), None
        return True

    def process(self, claimed: tuple[int, str, str], readers: PageReaders) -> JobDone:
        """Read one claimed file and store it, renewing the lease meanwhile."""
        job_id, name, sha = claimed
        stop = threading.Event()
        heartbeat = threading.Thread(target=self._renew, args=(job_id, stop), daemon=True)
        heartbeat.start()
        report = IngestReport(files=[], pages={}, refused=[], sheets={})
        statuses: dict[str, str] = {}
        stored = False
        try:
            with tempfile.TemporaryDirectory(prefix="bordereau-job-") as tmp:
                path = Path(tmp) / Path(name).name
                with self.db.session() as session:
                    data = session.scalars(select(ScanJob.data)
                                           .where(ScanJob.id == job_id)).one()
                path.write_bytes(data)
                del data
                for _, results in readers.stream([path]):
                    stored = self.ingestor.store_file(
                        path, sha, results, report, statuses,
                        also=lambda session: self._still_mine(job_id, session), name=name)
        except Exception as exc:
            self._failed(job_id, f"{type(exc).__name__} : {exc}")
            raise
        finally:
            stop.set()
            heartbeat.join()
        sheets: dict[str, list[str]] = {}
        for serial, status in statuses.items():
            sheets.setdefault(status, []).append(serial)
        refused = [{"page": r["page"], "reason": r["reason"]} for r in report.refused]
        return JobDone(job=job_id, name=name, sha256=sha, stored=stored,
                       pages=dict(report.pages), refused=refused, sheets=sheets)

    def _failed(self, job_id: int, error: str) -> None:
        with self.db.session() as session:
            job = session.get(ScanJob, job_id)
            if job is not None and job.worker == self.name and job.state == JobState.RUNNING:
                job.error = error[:500]
                job.state = JobState.FAILED if job.attempts >= MAX_ATTEMPTS else JobState.QUEUED
                job.lease_until = None
                session.commit()


def queue_counts(db: Database) -> dict[str, int]:
    """Jobs by state."""
    with db.session() as session:
        rows = session.execute(select(ScanJob.state, func.count()).group_by(ScanJob.state))
        return {state: count for state, count in rows}
