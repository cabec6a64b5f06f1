"""Logging of the ``bordereau`` command: where log records go, and internal errors.

Every module logs through ``logging.getLogger(__name__)``; the library itself installs no
handler (``bordereau/__init__.py`` adds a ``NullHandler``), so a program using it decides.
The command line calls :func:`configure` once per run:

- ``-v`` shows each page's stages with their timings on stderr, ``-vv`` adds details;
- ``--log-file FILE`` writes everything (debug level) to FILE, owner-only;
- an internal error always leaves a trace: without ``--log-file`` it goes to
  ``logs/bordereau.log`` in the establishment's home (or the user's log directory when no
  home was opened), owner-only.

**Never patient data in a log record**: no names, dates of birth, identifiers or values
read — stages, timings, counts, states, serials, file names and French reasons only.
Tracebacks are written without the exception's message (it may quote a value read):
frames and exception types only (:func:`safe_traceback`).
"""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path

from platformdirs import user_log_dir

ROOT = "bordereau"
FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s : %(message)s"
SCREEN_FORMAT = "%(message)s"
DIR_MODE, FILE_MODE = 0o700, 0o600

log = logging.getLogger(__name__)


class _State:
    home: Path | None = None  # the home the command opened (internal errors go there)
    file: Path | None = None  # --log-file
    errors_at: Path | None = None  # where internal errors were written, once written
    internal: int = 0  # internal errors reported during this run
    handlers: list[logging.Handler] = []  # noqa: RUF012 - one set per run, replaced


def use_home(root: Path) -> None:
    """Remember the opened home: internal errors are logged in it by default."""
    _State.home = root


def private_file(path: Path) -> Path:
    """Create (if needed) a log file readable by its owner only, in an owner-only folder
    when the folder is ours to create."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=DIR_MODE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    path.chmod(FILE_MODE)
    return path


def default_error_log() -> Path:
    """Where internal errors go without ``--log-file``."""
    if _State.home is not None and _State.home.is_dir():
        return _State.home / "logs" / "bordereau.log"
    return Path(user_log_dir("bordereau", appauthor=False)) / "bordereau.log"


class _ErrorFileHandler(logging.Handler):
    """Writes error records to the default error log, opened at the first one."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.setFormatter(logging.Formatter(FORMAT))
        self._file: logging.FileHandler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            path = private_file(default_error_log())
            self._file = logging.FileHandler(path, encoding="utf-8")
            self._file.setFormatter(self.formatter)
            _State.errors_at = path
        self._file.emit(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def configure(verbosity: int = 0, log_file: Path | None = None) -> None:
    """Set up the handlers of one command run (replacing those of a previous run)."""
    shutdown()
    logger = logging.getLogger(ROOT)
    handlers: list[logging.Handler] = []
    if verbosity > 0:
        screen = logging.StreamHandler()
        screen.setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)
        screen.setFormatter(logging.Formatter(SCREEN_FORMAT))
        handlers.append(screen)
    if log_file is not None:
        file = logging.FileHandler(private_file(log_file), encoding="utf-8")
        file.setLevel(logging.DEBUG)
        file.setFormatter(logging.Formatter(FORMAT))
        handlers.append(file)
        _State.file = _State.errors_at = log_file
    else:
        handlers.append(_ErrorFileHandler())
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if log_file is not None or verbosity > 1 else logging.INFO)
    _State.handlers = handlers


def shutdown() -> None:
    """Close and remove the handlers of the current run."""
    logger = logging.getLogger(ROOT)
    for handler in _State.handlers:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.NOTSET)
    _State.handlers = []
    _State.file = _State.errors_at = _State.home = None
    _State.internal = 0


def safe_traceback(error: BaseException) -> str:
    """The traceback of an error and its causes, without their messages."""
    chain: list[traceback.TracebackException] = []
    current: traceback.TracebackException | None = traceback.TracebackException.from_exception(
        error)
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    parts = []
    for item in reversed(chain):
        name = item.exc_type.__qualname__ if item.exc_type else "?"
        module = item.exc_type.__module__ if item.exc_type else ""
        qualified = name if module in {"builtins", ""} else f"{module}.{name}"
        parts.append("Traceback (most recent call last):\n" + "".join(item.stack.format())
                     + f"{qualified} (message omis : il peut citer une valeur lue)\n")
    return "\n".join(parts)


def internal_error(logger: logging.Logger, what: str, name: str, trace: str) -> None:
    """Log an internal error: French ``what`` (no patient data), the exception's type name
    and its :func:`safe_traceback` (made where it happened, maybe in a worker process)."""
    _State.internal += 1
    logger.error("%s : erreur interne %s\n%s", what, name, trace)


def internal_errors() -> int:
    """How many internal errors this run reported."""
    return _State.internal


def error_log() -> Path | None:
    """Where this run's internal errors were written (None: nowhere yet)."""
    return _State.errors_at
