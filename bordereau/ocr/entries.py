"""What an input path is, checked before anything opens it; folders walked safely.

Every entry named or found in a folder ends in one state: a scan file to read, or a French
reason naming it (broken link, link loop, named pipe, device, socket, unreadable file or
folder, a name that is not UTF-8, unsupported format). Nothing here ever blocks: a named
pipe is recognised by ``stat`` and files are opened non-blocking, so a FIFO in a scan
folder cannot hang a batch while it holds the base's lock.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, Literal

from bordereau.errors import os_reason
from bordereau.ocr.inputs import InputNames
from bordereau.ocr.types import PageLoadError

log = logging.getLogger(__name__)

Kind = Literal["pdf", "tiff", "png", "jpeg"]
SUFFIXES: dict[str, Kind] = {
    ".pdf": "pdf", ".tif": "tiff", ".tiff": "tiff", ".png": "png",
    ".jpg": "jpeg", ".jpeg": "jpeg", ".jpe": "jpeg", ".jfif": "jpeg",
}
ACCEPTED = "formats acceptés : PDF, TIFF, PNG, JPEG"
_JUNK = {"thumbs.db", "desktop.ini"}
_KINDS = {
    stat.S_IFIFO: "tube nommé (FIFO)", stat.S_IFCHR: "périphérique",
    stat.S_IFBLK: "périphérique", stat.S_IFSOCK: "socket",
}


def shown(path: Path | str) -> str:
    """A path as it can be printed and stored: bytes that are not UTF-8 become « � »."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def _decodable(path: Path) -> bool:
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading without ever blocking (a FIFO is refused)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file") if stat.S_ISDIR(
                mode) else OSError(errno.ENXIO, "not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def entry_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a scan file (French, without the name), or None."""
    if not _decodable(path):
        return "nom de fichier illisible (caractères hors UTF-8) : renommer le fichier"
    try:
        mode = path.stat().st_mode
    except OSError as error:
        if error.errno == errno.ENOENT and path.is_symlink():
            return "lien symbolique cassé (sa cible n'existe pas)"
        return os_reason(error)
    if stat.S_ISDIR(mode):
        return "c'est un dossier, pas un fichier"
    if not stat.S_ISREG(mode):
        return f"{_KINDS.get(stat.S_IFMT(mode), 'fichier spécial')}, pas un fichier de scan"
    try:
        with open_regular(path) as handle:
            handle.read(1)
    except OSError as error:
        if error.errno == errno.ENXIO:
            return "fichier spécial, pas un fichier de scan"
        return f"fichier illisible ({os_reason(error)})"
    return None


def sniff(handle: BinaryIO) -> Kind | None:
    """The scan format from a file's first bytes."""
    head = handle.read(1024)
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if b"%PDF-" in head:
        return "pdf"
    return None


def sniff_path(path: Path) -> Kind | None:
    with open_regular(path) as handle:
        return sniff(handle)


def collect_inputs(
    paths: Sequence[Path], *, on_skip: Callable[[PageLoadError], None] | None = None
) -> list[Path]:
    """The input files named by ``paths``, folders expanded.

    Folders are walked recursively in natural order (``page-2`` before ``page-10``),
    keeping files with a supported extension and skipping hidden files and folders; links
    to folders are followed once (a loop is reported). Every entry left out (unsupported
    format, missing path, broken link, FIFO, unreadable file or folder, non-UTF-8 name) is
    reported to ``on_skip`` as a :class:`PageLoadError` whose French reason names it
    (logged as a warning when ``on_skip`` is None). A file named explicitly is kept when
    its content is a supported format whatever its extension. Each file appears once.
    """

    def skip(path: Path, reason: str, ignored: bool = False) -> None:
        if on_skip is None:
            log.warning("%s", reason)
        else:
            on_skip(PageLoadError(source=path, index=None, reason=reason, ignored=ignored))

    names = InputNames(paths)
    found: list[Path] = []
    for path in paths:
        named = path.is_dir() and _decodable(path)
        for file in _walk(path, skip) if named else [path]:
            problem = entry_problem(file)
            if problem is not None:
                skip(file, f"« {shown(names(file))} » refusé : {problem} ({shown(file)})")
            elif file.suffix.lower() in SUFFIXES or (file is path and sniff_path(file)):
                found.append(file)
            elif file.name.lower() not in _JUNK:
                skip(file, f"« {shown(names(file))} » ignoré : format non pris en charge "
                           f"({ACCEPTED})", ignored=True)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _walk(folder: Path, skip: Callable[[Path, str], None]) -> list[Path]:
    """Every non-hidden entry under ``folder`` (links to folders followed once)."""
    files: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def visit(directory: Path) -> None:
        try:
            info = directory.stat()
        except OSError as error:
            skip(directory, f"dossier « {shown(directory.name)} » ignoré : {os_reason(error)} "
                            f"({shown(directory)})")
            return
        if (info.st_dev, info.st_ino) in seen:
            skip(directory, f"dossier « {shown(directory.name)} » ignoré : boucle de liens "
                            f"symboliques, déjà parcouru ({shown(directory)})")
            return
        seen.add((info.st_dev, info.st_ino))
        try:
            with os.scandir(directory) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except OSError as error:
            skip(directory, f"dossier « {shown(directory.name)} » illisible : "
                            f"{os_reason(error)} ({shown(directory)})")
            return
        for entry in children:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir and _decodable(path):
                visit(path)
            else:
                files.append(path)

    visit(folder)

    def natural(path: Path) -> list[str]:  # "page-2" before "page-10"
        parts = re.split(r"(\d+)", shown(path.relative_to(folder).as_posix()).casefold())
        return [part.zfill(20) if number % 2 else part for number, part in enumerate(parts)]

    return sorted(files, key=natural)
