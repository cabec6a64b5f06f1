"""Open the establishment's base: SQLite in the home by default, PostgreSQL for several
workstations; migrate it; check it belongs to this establishment.

The base is chosen by ``--base URL``, else ``$BORDEREAU_BASE``, else ``base.sqlite`` in the
home. SQLite mode is for one workstation: a second process that tries to write while
another writes is told so, in French, instead of waiting on a locked file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import ClassVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from bordereau.base import seal
from bordereau.base.schema import Establishment
from bordereau.errors import BordereauError, ExitCode, os_reason
from bordereau.files import FILE_MODE
from bordereau.home import Home

ENV_VAR = "BORDEREAU_BASE"
PROOF_LABEL = b"bordereau-base-binding"
OPEN_WAIT = 30.0  # seconds an opening process waits for another one migrating the base
NEW_FILE_GRACE = 10.0  # seconds an empty base file may be another process's new base
SCHEMA_LOCK = 0x62647831  # PostgreSQL advisory lock: migrating and binding a base
LOCK_WAIT = 20.0  # seconds a SQLite writer waits for another one's write to end


class BaseError(BordereauError):
    """The base cannot be opened, is busy, or belongs to another establishment."""

    exit_code = ExitCode.BASE


def resolve_url(url: str | None, home: Home) -> str:
    """The base URL: the option, else $BORDEREAU_BASE, else SQLite in the home."""
    return url or os.environ.get(ENV_VAR) or f"sqlite:///{home.root / 'base.sqlite'}"


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(adresse illisible)"


def _alembic_config(connection: object) -> Config:
    config = Config()
    folder = resources.files("bordereau.base").joinpath("migrations")
    config.set_main_option("script_location", str(folder))
    config.attributes["connection"] = connection
    return config


class Database:
    """An opened, migrated base bound to one establishment."""

    _opened: ClassVar[set[Database]] = set()  # until closed, so none is left to the GC
    lock_wait: float = LOCK_WAIT

    def __init__(self, engine: Engine, home: Home, url: str) -> None:
        Database._opened.add(self)
        self.engine = engine
        self.home = home
        self.url = url
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        seal.install(self.sessions, seal.seal_key(home.secret))
        self._lock_fd: int | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, home: Home, url: str | None = None) -> Database:
        """Open (creating and migrating if needed) the base of this establishment."""
        url = resolve_url(url, home)
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise BaseError(f"Adresse de base invalide : {url!r}.") from exc
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            _check_sqlite_file(Path(parsed.database))
        try:
            engine = create_engine(url, future=True)
        except (ArgumentError, ImportError) as exc:
            raise BaseError(f"Base {describe(url)} : pilote indisponible.") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        database = cls(engine, home, url)
        try:
            if database.revision() != database.head():
                database.migrate()
            database.bind()
            database.seal_existing()
        except DBAPIError as exc:
            raise unreadable_base(database.url, exc) from exc
        return database

    def head(self) -> str | None:
        """The newest schema version this program knows."""
        return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()

    def migrate(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision`` (each in its own transaction), one
        process at a time: a process opening a base that another one migrates waits."""
        with self.writing(wait=OPEN_WAIT), self.engine.begin() as connection:
            self._serialise(connection, SCHEMA_LOCK)
            command.upgrade(_alembic_config(connection), revision)

    def _serialise(self, connection: Connection, key: int) -> None:
        """On PostgreSQL, wait for the transaction-scoped advisory lock ``key`` (SQLite
        callers already hold the single-writer file lock)."""
        if not self.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def revision(self) -> str | None:
        """The schema version the base is at."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def bind(self) -> None:
        """Tie a new base to this establishment's secret; refuse another establishment's."""
        proof = hmac.new(self.home.secret, PROOF_LABEL, hashlib.sha256).hexdigest()
        with self.session() as session:
            row = session.scalars(select(Establishment)).first()
        if row is None:
            with self.writing(wait=OPEN_WAIT), self.session() as session:
                self._serialise(session.connection(), SCHEMA_LOCK)
                row = session.scalars(select(Establishment)).first()
                if row is None:
                    row = Establishment(fingerprint=self.home.establishment, proof=proof)
                    session.add(row)
                session.commit()
        if not hmac.compare_digest(row.proof, proof):
            raise BaseError(
                f"La base {describe(self.url)} appartient à un autre établissement "
                f"(empreinte {row.fingerprint}, la nôtre est {self.home.establishment}) : "
                "vérifier --home et --base."
            )

    def seal_existing(self) -> None:
        """Seal, once, the rows of a base from before tamper evidence (base/seal.py)."""
        with self.session() as session:
            if not seal.needs_first_seal(session):
                return
        with self.writing(wait=OPEN_WAIT), self.session() as session:
            self._serialise(session.connection(), SCHEMA_LOCK)
            if seal.needs_first_seal(session):
                seal.seal_existing(session, seal.seal_key(self.home.secret))
            session.commit()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session; the caller commits."""
        with self.sessions() as session:
            try:
                yield session
            except SQLAlchemyError:
                session.rollback()
                raise

    @contextlib.contextmanager
    def writing(self, wait: float | None = None) -> Iterator[None]:
        """Hold the single-writer lock of a SQLite base for the duration of a write.

        Writes are short (one scan file, one decision), so a writer waits up to ``wait``
        seconds (default ``lock_wait``) for another one to finish before saying the base
        is busy."""
        if not self.is_sqlite or self._lock_fd is not None:
            yield
            return
        database = make_url(self.url).database
        if not database:
            yield
            return
        lock = Path(database).with_suffix(".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            _flock_in_turn(fd, Path(database).with_suffix(".lockgate"),
                           self.lock_wait if wait is None else wait)
        except BlockingIOError as exc:
            other = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise BaseError(
                f"La base SQLite {database} est déjà en cours de modification par un autre "
                f"processus (PID {other}). Le mode SQLite est prévu pour un seul poste : "
                "attendre la fin de l’autre commande, ou passer à PostgreSQL (--base "
                "postgresql+psycopg://…) pour travailler à plusieurs."
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd
        _HELD_LOCKS.add(fd)
        try:
            yield
        finally:
            self._lock_fd = None
            _HELD_LOCKS.discard(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        Database._opened.discard(self)

    @classmethod
    def opened(cls) -> list[Database]:
        """The bases this process has open."""
        return list(cls._opened)

    @classmethod
    def close_all(cls) -> None:
        """Close every base opened by this process (tests, long-running callers)."""
        for database in list(cls._opened):
            database.close()


_HELD_LOCKS: set[int] = set()  # descriptors of the write locks this process holds


def _drop_inherited_locks() -> None:
    """In a forked child (reading workers), close the parent's lock descriptors.

    An flock belongs to the open file, shared by every process that inherited it: a worker
    that outlived a killed parent would keep the base locked. Closing (never unlocking,
    which would release the parent's lock too) leaves the lock to the parent alone.
    """
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


def _flock_in_turn(fd: int, gate_path: Path, wait: float) -> None:
    """Take the write lock ``fd`` in turn: a waiter first takes the gate, then waits for
    the lock holding it, and lets the gate go once it has the lock.

    Without the gate, a writer that had just released the lock took it again at once (a
    reviewer's claim, then its decision) while the others slept between tries: under load,
    three of four reviewers on one SQLite base waited their whole ``wait`` and gave up. With
    it, every writer, even one finding the lock free, passes the gate, which a waiter holds
    until it has the lock: the lock goes to the waiter first. Both waits share the one
    deadline."""
    deadline = time.monotonic() + wait
    gate = os.open(gate_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        _flock(gate, wait)
        _flock(fd, max(0.0, deadline - time.monotonic()))
    finally:
        os.close(gate)  # closing lets the gate go (or never took it)


def _flock(fd: int, wait: float) -> None:
    """Take an exclusive lock on ``fd``, waiting up to ``wait`` seconds
    (BlockingIOError if still held by another process then)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def _mode(path: Path) -> str:
    return f"{path.stat().st_mode & 0o777:04o}"


def _made_by_another(path: Path) -> bool:
    """Whether an empty base file is a new base another process is creating: it was created
    less than ``NEW_FILE_GRACE`` seconds ago and gets its first page within that time (two
    commands started together on a new establishment). An older empty file is no base."""
    while (info := path.stat()).st_size == 0:
        if time.time() - info.st_mtime > NEW_FILE_GRACE:
            return False
        time.sleep(0.05)
    return True


def _check_sqlite_file(path: Path) -> None:
    """Refuse, with what is wrong, a SQLite base that cannot be one (an empty file, a
    folder, a read-only file or folder); create a new one readable by its owner only.
    Modes the user chose are never changed."""
    folder = path.parent
    try:
        if path.exists():
            if not path.is_file():
                raise BaseError(f"{path} : ce n’est pas un fichier de base SQLite.")
            if path.stat().st_size == 0 and not _made_by_another(path):
                raise BaseError(
                    f"{path} : fichier de base vide (0 octet), ce n’est pas une base bordereau. "
                    "Si elle n’a jamais servi, supprimer ce fichier pour en créer une "
                    "nouvelle ; sinon restaurer la dernière sauvegarde.")
            if not path.stat().st_mode & 0o400 or not path.stat().st_mode & 0o200:
                raise BaseError(
                    f"{path} : base en lecture seule (mode {_mode(path)}) ; rendre le fichier "
                    f"lisible et modifiable par son propriétaire : chmod 600 {path}")
        elif folder.exists() and not folder.is_dir():
            raise BaseError(f"{folder} : ce n’est pas un dossier, la base ne peut pas y être.")
        if folder.exists() and (folder.stat().st_mode & 0o700) != 0o700:
            raise BaseError(
                f"{folder} : dossier en lecture seule (mode {_mode(folder)}) ; la base SQLite "
                "a besoin d’y écrire son journal. Le rendre modifiable par son propriétaire : "
                f"chmod 700 {folder}")
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
            os.close(fd)
    except FileExistsError:
        return  # another process created it at the same moment
    except PermissionError as exc:
        raise BaseError(f"{path} : accès refusé à la base ou à son dossier (droits du "
                        "fichier ou du dossier).") from exc
    except OSError as exc:
        raise BaseError(f"{path} : création de la base impossible "
                        f"({os_reason(exc)}).") from exc


def unreadable_base(url: str, exc: BaseException) -> BaseError:
    """A French error for a failure of the base itself, with no SQL, no parameters and no
    driver text (they may carry patient values)."""
    where = describe(url)
    if where.startswith("sqlite:///"):
        where = f"SQLite {where.removeprefix('sqlite:///')}"
    text_ = str(getattr(exc, "orig", exc)).lower()
    if "disk is full" in text_ or "no space left" in text_ or "diskfull" in text_:
        reason = "disque plein : libérer de la place puis relancer (rien n’a été enregistré)"
    elif "disk i/o error" in text_:
        reason = ("écriture ou lecture refusée par le système (disque plein, quota ou disque "
                  "défaillant ?) : libérer de la place ou vérifier le disque, puis relancer "
                  "(rien n’a été enregistré)")
    elif "not a database" in text_ or "malformed" in text_ or "corrupt" in text_:
        reason = ("base endommagée ou fichier qui n’est pas une base : restaurer la dernière "
                  "sauvegarde")
    elif "readonly" in text_ or "read-only" in text_ or "read only" in text_:
        reason = "base en lecture seule : vérifier les droits du fichier et de son dossier"
    elif "locked" in text_ or "deadlock" in text_ or "could not serialize" in text_:
        reason = "base occupée par un autre poste : relancer dans un instant"
    elif isinstance(exc, OperationalError) and not url.startswith("sqlite"):
        reason = ("serveur injoignable, base absente ou accès refusé : vérifier l’adresse "
                  "--base, le serveur PostgreSQL et les droits")
    elif isinstance(exc, IntegrityError):
        reason = "opération refusée par la base (données en conflit) ; rien n’a été enregistré"
    else:
        reason = "base inaccessible ou endommagée"
    return BaseError(f"Base {where} : {reason}.")


def _sqlite_pragmas(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
