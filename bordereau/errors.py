"""One base exception and the documented exit codes.

Every error a user can meet is a :class:`BordereauError` subclass carrying a French
message that says what went wrong and how to fix it, and a class-level exit code.
The CLI maps them in one place (``cli.run``); library callers catch the classes.
The table of exit codes is a contract documented in the README.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Process exit codes of the ``bordereau`` command (stable contract)."""

    OK = 0
    USAGE = 2
    INPUT = 3
    OUTPUT = 4
    HOME = 5
    PARTIAL = 6
    BASE = 7
    NOT_FOUND = 8
    CONFLICT = 9
    EXPORT_INCOMPLETE = 10
    MISSING_TOOL = 11
    TAMPERED = 12
    NOT_ADAPTED = 13  # models adapt: the adapted digit model was not installed
    INTERNAL = 70


class BordereauError(Exception):
    """Base of every error raised on purpose by the library.

    ``message`` is French and meant for the user; ``exit_code`` is what the CLI
    returns for it.
    """

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(BordereauError):
    """A command was called with options that do not make sense together."""

    exit_code = ExitCode.USAGE


class InputError(BordereauError):
    """An input file (centre file, scan, form definition) is unreadable or invalid."""

    exit_code = ExitCode.INPUT


def missing_input(paths: Sequence[Path], kind: type[InputError] = InputError) -> InputError:
    """The one error, in every command, for input paths that do not exist (exit code 3)."""
    return kind(f"Fichier ou dossier introuvable : {', '.join(map(str, paths))}.")


class CentreFileError(InputError):
    """The centre configuration file is invalid; the message names file, line and key."""


class OutputError(BordereauError):
    """An output file or folder cannot be written."""

    exit_code = ExitCode.OUTPUT


class HomeError(BordereauError):
    """The establishment's data directory is missing, unreadable or inconsistent."""

    exit_code = ExitCode.HOME


class NotFoundError(BordereauError):
    """A requested object (layout, review item, record) does not exist."""

    exit_code = ExitCode.NOT_FOUND


class MissingToolError(BordereauError):
    """An external program or model the command needs is not installed."""

    exit_code = ExitCode.MISSING_TOOL


def os_reason(exc: OSError) -> str:
    """A French reason for a system error (never the English strerror)."""
    return {
        errno.ENOSPC: "disque plein", errno.EDQUOT: "quota disque dépassé",
        errno.EACCES: "accès refusé", errno.EPERM: "opération non permise",
        errno.EROFS: "système de fichiers en lecture seule", errno.ENOENT: "introuvable",
        errno.EIO: "erreur d’entrée-sortie du disque", errno.ENOTDIR: "pas un dossier",
        errno.EISDIR: "c’est un dossier", errno.ENAMETOOLONG: "nom trop long",
        errno.ELOOP: "boucle de liens symboliques", errno.ENXIO: "périphérique absent",
        errno.EFBIG: "fichier trop grand pour le support",
    }.get(exc.errno or 0, f"erreur système {exc.errno}")
