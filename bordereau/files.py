"""Files that hold nominative data: written owner-only and atomically, checked before work.

The home, the base, the scan store and every export are readable by their owner only
(0700 / 0600). One place decides the modes and refuses an output that cannot be written.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from bordereau.errors import OutputError

DIR_MODE = 0o700
FILE_MODE = 0o600

_REASONS = {
    errno.ENOENT: "dossier introuvable",
    errno.ENOTDIR: "dossier introuvable",
    errno.EACCES: "droits insuffisants",
    errno.EPERM: "droits insuffisants",
    errno.EISDIR: "c’est un dossier",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "support en lecture seule",
}


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, atomically (temp file + rename).

    The temporary file gets a fresh unpredictable name, created exclusively (``mkstemp``:
    O_EXCL, mode 0600), so a link planted in the folder is never followed; the rename
    replaces a link at ``path`` itself, never its target.
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) owner-only, or make it owner-only again."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(DIR_MODE)


def check_output(path: Path, suffix: str = "") -> None:
    """Refuse, before anything is reserved or written, an output file that cannot be
    written (OutputError, exit 4). ``suffix`` names the expected kind of file (``.pdf``)."""
    parent = path.parent if str(path.parent) else Path()
    if path.is_dir():
        name = f"un nom de fichier {suffix}" if suffix else "un nom de fichier"
        raise OutputError(f"{path} : c’est un dossier ; donner {name}.")
    if not parent.is_dir():
        raise OutputError(f"{path} : le dossier {parent} n’existe pas.")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{path} : écriture impossible (droits insuffisants).")


def write_file(path: Path, data: bytes) -> None:
    """Write an export owner-only and atomically; OutputError (exit 4) in French."""
    check_output(path)
    try:
        write_private(path, data)
    except OSError as exc:
        reason = _REASONS.get(exc.errno or 0, exc.strerror or "erreur du système")
        raise OutputError(f"{path} : écriture impossible ({reason}).") from exc
