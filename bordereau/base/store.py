"""The scan store: an owner-only copy of every ingested file (``scans/`` in the home),
named by its SHA-256, written so that a crash or a full disk never leaves a damaged copy
under a final name, and checked against the base.

A copy is written to a fresh temporary file in the store (unpredictable name, created
exclusively, mode 0600), hashed while it is written, flushed to the disk (fsync), compared
with the hash of the original and only then renamed to its final name (the folder is
synced too). Temporary files left by a killed process are removed at the next ingest.

:func:`check_store` compares every file the base knows with its copy: cheaply by size (a
copy cut short by an older version, a disk error or a hand), or by hash when asked. A
damaged copy is re-copied when the same original is given again to ``scan ingest``, else
reported in French by ``scan ingest`` and ``scan status``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bordereau.base.schema import ScanFile
from bordereau.errors import BordereauError, ExitCode, os_reason
from bordereau.files import private_dir
from bordereau.ocr.entries import open_regular, shown

BLOCK = 1 << 20
ABSENT = "copie absente"


class StoreError(BordereauError):
    """A scan could not be copied into the store (disk full, no right, changed on disk)."""

    exit_code = ExitCode.OUTPUT


class Damage(BaseModel):
    """A stored copy that does not match the base (French ``problem``)."""

    file: str  # the original's name, as ingested
    stored_as: str
    problem: str
    repaired: bool = False

    def message(self) -> str:
        if self.repaired:
            return (f"Copie du scan « {self.file} » réparée dans le dossier des scans "
                    f"({self.problem}).")
        return (f"Copie du scan « {self.file} » endommagée dans le dossier des scans "
                f"({self.problem}) : redonner ce fichier à « bordereau scan ingest » pour "
                "la réparer.")


class ScanStore:
    """The ``scans/`` folder of a home."""

    def __init__(self, home_root: Path) -> None:
        self.root = home_root / "scans"

    def put(self, source: Path, sha: str) -> str:
        """Copy ``source`` (whose SHA-256 is ``sha``) into the store; its stored name.

        A complete copy already there is kept; a damaged one is replaced.
        """
        name = f"{sha}{source.suffix.lower()}"
        target = self.root / name
        if target.is_file() and _hash(target) == sha:
            return name
        try:
            private_dir(self.root)
            fd, temp_name = tempfile.mkstemp(prefix=f".{sha[:16]}.{os.getpid()}.",
                                             suffix=".tmp", dir=self.root)
        except OSError as error:
            raise StoreError(self._why(source, error)) from error
        temp = Path(temp_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open_regular(source) as handle:
                for block in iter(lambda: handle.read(BLOCK), b""):
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha:
                raise StoreError(f"« {shown(source.name)} » a changé pendant sa copie dans "
                                 "le dossier des scans : rien n'a été enregistré pour ce "
                                 "fichier, le redonner une fois la numérisation terminée.")
            temp.replace(target)
            _sync_folder(self.root)
        except OSError as error:
            raise StoreError(self._why(source, error)) from error
        finally:
            temp.unlink(missing_ok=True)
        return name

    def _why(self, source: Path, error: OSError) -> str:
        advice = " : libérer de la place puis relancer" if error.errno == errno.ENOSPC else ""
        return (f"Copie de « {shown(source.name)} » dans le dossier des scans ({self.root}) "
                f"impossible ({os_reason(error)}){advice} ; rien n'a été enregistré pour ce "
                "lot.")

    def clean_temporaries(self) -> None:
        """Remove temporary copies left by processes that no longer run."""
        if not self.root.is_dir():
            return
        for temp in self.root.glob(".*.tmp"):
            parts = temp.name.split(".")
            pid = int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None
            if pid is None or not _running(pid):
                temp.unlink(missing_ok=True)

    def check(self, files: list[ScanFile], deep: bool = False,
              absent_is_damage: bool = True) -> list[Damage]:
        """The stored copies that are missing or do not match the base."""
        damaged = []
        for row in files:
            problem = self._problem(row, deep)
            if problem == ABSENT and not absent_is_damage:
                continue
            if problem is not None:
                damaged.append(Damage(file=Path(row.name).name, stored_as=row.stored_as,
                                      problem=problem))
        return damaged

    def _problem(self, row: ScanFile, deep: bool) -> str | None:
        path = self.root / row.stored_as
        try:
            size = path.stat().st_size
        except OSError as error:
            return ABSENT if error.errno == errno.ENOENT else os_reason(error)
        if size != row.size:
            return f"taille {size} octets au lieu de {row.size}"
        if deep:
            try:
                if _hash(path) != row.sha256:
                    return "contenu différent de l'original (empreinte SHA-256)"
            except OSError as error:
                return f"copie illisible ({os_reason(error)})"
        return None


def check_store(session: Session, home_root: Path, deep: bool = False) -> list[Damage]:
    """Every damaged copy of the files the base knows (by size; by hash with ``deep``).

    A shared PostgreSQL base serves several workstations, each with its own store: there a
    file ingested elsewhere has no copy here, which is not damage.
    """
    rows = list(session.scalars(select(ScanFile).order_by(ScanFile.id)))
    single = session.get_bind().dialect.name == "sqlite"
    return ScanStore(home_root).check(rows, deep, absent_is_damage=single)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
