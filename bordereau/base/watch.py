"""A scanner's hot folder: ingest every file that appears, then move it out of the way.

Scanners that "scan to folder" write a file (often under a temporary name, then renamed)
into a shared folder. :class:`HotFolder` polls that folder; a file is taken once its size
and modification time have not changed for ``settle`` seconds (temporary names such as
``.tmp``, ``.part`` or hidden files are never taken). It is ingested like ``scan ingest``
(one transaction), then moved to ``traités/``, or to ``refusés/`` when nothing could be
read from it, with a French ``.txt`` beside it saying why.

Restarts are safe: the base knows every file it stored by its SHA-256, so a file found
again (the watcher stopped after storing it, before moving it) is moved without being
read twice; a file whose reading was interrupted was not stored and is read again. A
stop request (SIGTERM, Ctrl-C) lets the current file finish; a second one abandons it
(nothing of it is stored) and the file stays in the folder for the next start.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from pydantic import BaseModel

from bordereau.base.ingest import Ingestor, IngestReport, sha256_of
from bordereau.files import DIR_MODE
from bordereau.ocr.entries import SUFFIXES
from bordereau.ocr.stream import PageReaders

DONE_DIR, REFUSED_DIR = "traités", "refusés"
TEMPORARY = (".tmp", ".part", ".partial", ".crdownload", ".download", "~")


class WatchedFile(BaseModel):
    """What the hot folder did with one file (one line of ``scan watch --json``)."""

    file: str  # the name relative to the watched folder
    sha256: str | None
    already: bool = False
    pages: dict[str, int] = {}  # state -> count
    refused: list[dict[str, object]] = []  # {"page", "reason"}
    sheets: dict[str, list[str]] = {}
    moved_to: str  # relative to the watched folder
    reason: str | None = None  # why the whole file was refused (French)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float


@dataclass
class HotFolder:
    """Watch one folder and ingest what a scanner drops into it."""

    folder: Path
    ingestor: Ingestor
    workers: int | None = None
    interval: float = 2.0  # seconds between two looks at the folder
    settle: float = 5.0  # seconds a file must stay unchanged before it is taken
    stopping: bool = False
    _seen: dict[Path, _Seen] = field(default_factory=dict)

    def request_stop(self) -> None:
        """Finish the current file, then stop (a second request abandons it)."""
        if self.stopping:
            raise KeyboardInterrupt
        self.stopping = True

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT ask the watcher to stop (see :meth:`request_stop`)."""
        def handler(_signum: int, _frame: FrameType | None) -> None:
            self.request_stop()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def run(self, on_file: Callable[[WatchedFile], None], once: bool = False) -> None:
        """Watch until asked to stop (``once``: until no file is left or waiting)."""
        for name in (DONE_DIR, REFUSED_DIR):
            (self.folder / name).mkdir(mode=DIR_MODE, exist_ok=True)
        with PageReaders(self.ingestor.db.home, self.workers, keep_crops=True) as readers:
            while not self.stopping:
                ready, waiting = self.poll()
                for path in ready:
                    try:
                        done = self.take(path, readers)
                    except FileNotFoundError:  # taken away meanwhile: nothing was stored
                        continue
                    on_file(done)
                    if self.stopping:
                        return
                if once and not ready and not waiting:
                    return
                if not ready:
                    self._sleep(self.interval)

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.1, seconds))

    def poll(self) -> tuple[list[Path], int]:
        """The files ready to take (unchanged for ``settle`` seconds), oldest first, and
        how many are still being written."""
        now = time.monotonic()
        current: dict[Path, _Seen] = {}
        for path in self._candidates():
            try:
                info = path.stat()
            except FileNotFoundError:  # renamed or removed meanwhile
                continue
            before = self._seen.get(path)
            if before and (before.size, before.mtime_ns) == (info.st_size, info.st_mtime_ns):
                current[path] = before
            else:
                current[path] = _Seen(info.st_size, info.st_mtime_ns, now)
        self._seen = current
        ready = [p for p, s in current.items() if s.size > 0 and now - s.since >= self.settle]
        ready.sort(key=lambda p: (current[p].mtime_ns, p.name))
        return ready, len(current) - len(ready)

    def _candidates(self) -> list[Path]:
        found = []
        for path in self.folder.iterdir():
            name = path.name
            if (not path.is_file() or name.startswith((".", "~$"))
                    or name.lower().endswith(TEMPORARY)):
                continue
            found.append(path)
        return found

    def take(self, path: Path, readers: PageReaders) -> WatchedFile:
        """Ingest one settled file and move it to ``traités/`` or ``refusés/``."""
        name = path.relative_to(self.folder).as_posix()
        self._seen.pop(path, None)
        if path.suffix.lower() not in SUFFIXES and not _sniffable(path):
            reason = ("format non pris en charge (formats acceptés : PDF, TIFF, PNG, JPEG)")
            return self._refuse(path, name, None, reason, [])
        sha = sha256_of(path)
        known = self.ingestor.stored_pages(sha)
        sheets: dict[str, list[str]] = {}
        if known is None:
            report = IngestReport(files=[], pages={}, refused=[], sheets={})
            statuses: dict[str, str] = {}
            stored = False
            for _, results in readers.stream([path]):
                stored = self.ingestor.store_file(path, sha, results, report, statuses)
            if stored:
                for serial, status in statuses.items():
                    sheets.setdefault(status, []).append(serial)
            else:  # another process stored the same bytes meanwhile
                known = self.ingestor.stored_pages(sha)
        if known is not None:
            states = [(index + 1, state, reason) for index, state, reason in known]
        else:
            states = [(int(str(r["page"])), "refused", str(r["reason"]))
                      for r in report.refused]
            states += [(0, state, None) for state, n in report.pages.items()
                       if state != "refused" for _ in range(n)]
        pages: dict[str, int] = {}
        for _, state, _ in states:
            pages[state] = pages.get(state, 0) + 1
        refused: list[dict[str, object]] = [{"page": n, "reason": reason}
                                            for n, state, reason in sorted(states)
                                            if state == "refused"]
        result = WatchedFile(file=name, sha256=sha, already=known is not None, pages=pages,
                             refused=refused, sheets=sheets, moved_to="")
        if pages and set(pages) == {"refused"}:
            reasons = {str(r["reason"]) for r in refused}
            reason = next(iter(reasons)) if len(reasons) == 1 else "aucune page n’a pu être lue"
            moved_to = self._move(path, REFUSED_DIR)
            _write_reasons(self.folder / moved_to, name, refused, reason)
            return result.model_copy(update={"moved_to": moved_to, "reason": reason})
        moved_to = self._move(path, DONE_DIR)
        if refused:
            _write_reasons(self.folder / moved_to, name, refused, None)
        return result.model_copy(update={"moved_to": moved_to})

    def _refuse(self, path: Path, name: str, sha: str | None, reason: str,
                refused: list[dict[str, object]]) -> WatchedFile:
        moved_to = self._move(path, REFUSED_DIR)
        _write_reasons(self.folder / moved_to, name, refused, reason)
        return WatchedFile(file=name, sha256=sha, refused=refused, moved_to=moved_to,
                           reason=reason)

    def _move(self, path: Path, where: str) -> str:
        """Move a file into ``where`` without overwriting a same-named one."""
        target = self.folder / where / path.name
        number = 2
        while target.exists():
            target = self.folder / where / f"{path.stem} ({number}){path.suffix}"
            number += 1
        path.replace(target)
        return target.relative_to(self.folder).as_posix()


def _sniffable(path: Path) -> bool:
    from bordereau.ocr.pages import collect_inputs

    return bool(collect_inputs([path], on_skip=lambda _error: None))


def _write_reasons(moved: Path, name: str, refused: list[dict[str, object]],
                   reason: str | None) -> None:
    """The French ``.txt`` beside a moved file: why it (or some of its pages) was refused."""
    lines = []
    if reason:
        lines.append(f"Fichier refusé : {name}")
        lines.append(f"Raison : {reason}")
    else:
        lines.append(f"Fichier intégré : {name}, mais certaines pages ont été refusées.")
    for page in refused:
        lines.append(f"Page {page['page']} : {page['reason']}")
    lines.append("")
    lines.append("Rescanner la page ou le fichier concerné et le déposer de nouveau dans le "
                 "dossier surveillé ; « bordereau scan status » donne l’état de chaque page.")
    moved.with_name(moved.name + ".txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
