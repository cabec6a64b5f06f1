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
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bordereau.base.schema import Establishment
from bordereau.errors import BordereauError, ExitCode
from bordereau.files import FILE_MODE
from bordereau.home import Home

ENV_VAR = "BORDEREAU_BASE"
PROOF_LABEL = b"bordereau-base-binding"
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
            _create_private(Path(parsed.database))
        try:
            engine = create_engine(url, future=True)
        except (ArgumentError, ImportError) as exc:
            raise BaseError(f"Base {describe(url)} : pilote indisponible ({exc}).") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        database = cls(engine, home, url)
        try:
            database.migrate()
            database.bind()
        except OperationalError as exc:
            raise BaseError(f"Base {describe(url)} inaccessible : "
                            f"{str(exc.orig).strip().splitlines()[0]}.") from exc
        return database

    def migrate(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision`` (each in its own transaction)."""
        with self.writing(), self.engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)

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
                session.add(Establishment(fingerprint=self.home.establishment, proof=proof))
                session.commit()
            elif not hmac.compare_digest(row.proof, proof):
                raise BaseError(
                    f"La base {describe(self.url)} appartient à un autre établissement "
                    f"(empreinte {row.fingerprint}, la nôtre est {self.home.establishment}) : "
                    "vérifier --home et --base."
                )

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
    def writing(self) -> Iterator[None]:
        """Hold the single-writer lock of a SQLite base for the duration of a write.

        Writes are short (one scan file, one decision), so a writer waits up to
        ``lock_wait`` seconds for another one to finish before saying the base is busy."""
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
            _flock_within(fd, self.lock_wait)
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
        try:
            yield
        finally:
            self._lock_fd = None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        Database._opened.discard(self)

    @classmethod
    def close_all(cls) -> None:
        """Close every base opened by this process (tests, long-running callers)."""
        for database in list(cls._opened):
            database.close()


def _flock_within(fd: int, seconds: float) -> None:
    """Take an exclusive lock, retrying for ``seconds``; BlockingIOError if still held."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _create_private(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by its owner only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        os.close(fd)
        path.chmod(FILE_MODE)
    except OSError as exc:
        raise BaseError(f"{path} : création de la base impossible ({exc.strerror}).") from exc


def _sqlite_pragmas(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
