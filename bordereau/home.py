"""The establishment's own directory ("home"): secret, serial counter, snapshots.

Layout::

    secret.key               32 random bytes (hex), created once; owner-only
    serial.json              {"next": N}: serials never repeat, across runs and processes
    centres/<digest>.yaml    every centre file forms were generated from, byte for byte
    layouts/<layout id>.json every layout manifest forms were printed with
    issued.jsonl             one line per generation run (date, kind, layout, serials)

The home is chosen by ``--home DIR``, else ``$BORDEREAU_HOME``, else the user's data
directory. Everything in it is readable by its owner only (0700 / 0600).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import ValidationError

from bordereau import logs
from bordereau.errors import HomeError, NotFoundError, os_reason
from bordereau.files import DIR_MODE, FILE_MODE, write_private
from bordereau.forms.centre import Centre, LoadedCentre, parse_centre
from bordereau.forms.codes import establishment_fingerprint
from bordereau.forms.manifest import Layout

ENV_VAR = "BORDEREAU_HOME"


def resolve_home(path: Path | None) -> Path:
    """The home directory to use: the option, else $BORDEREAU_HOME, else the user's data dir."""
    if path is not None:
        return path
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return Path(user_data_dir("bordereau", appauthor=False))


def _check_modes(root: Path, create: bool) -> None:
    """Say what is wrong with the home's own modes instead of changing them: the owner
    must be able to enter and read it (and write, to create anything in it). Access
    for others is taken away (the home holds the secret and nominative data)."""
    mode = root.stat().st_mode & 0o777
    if (mode & 0o500) != 0o500 or (create and not mode & 0o200):
        state = "illisible" if (mode & 0o500) != 0o500 else "en lecture seule"
        raise HomeError(
            f"{root} : dossier de l’établissement {state} (mode {mode:04o}) ; le rendre "
            f"accessible à son propriétaire : chmod 700 {root}")
    if mode & 0o077:
        root.chmod(mode & 0o700)


class Home:
    """An opened establishment directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._centres: dict[str, Centre] = {}
        self._layouts: dict[str, Layout] = {}

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | None = None, *, create: bool = True) -> Home:
        """Open (and, with ``create``, initialise) the home directory."""
        root = resolve_home(path).expanduser()
        try:
            if not root.exists():
                if not create:
                    raise HomeError(
                        f"{root} : dossier de l’établissement introuvable. Générer d’abord des "
                        "bordereaux (bordereau forms generate) ou vérifier --home."
                    )
                root.mkdir(parents=True, mode=DIR_MODE)
            if not root.is_dir():
                raise HomeError(f"{root} : ce n’est pas un dossier.")
            _check_modes(root, create)
            for sub in ("centres", "layouts"):
                if create or not (root / sub).is_dir():
                    (root / sub).mkdir(mode=DIR_MODE, exist_ok=True)
        except PermissionError as exc:
            raise HomeError(f"{root} : accès refusé au dossier de l’établissement.") from exc
        except OSError as exc:
            raise HomeError(
                f"{root} : impossible de préparer le dossier de l’établissement "
                f"({os_reason(exc)})."
            ) from exc
        home = cls(root)
        home._ensure_secret(create)
        home._tighten()
        logs.use_home(root)
        return home

    def _tighten(self) -> None:
        """Make the secret and snapshots owner-only again (a copied or cloned home may
        have lost its modes; git, for one, keeps only the executable bit)."""
        for sub in ("centres", "layouts", "scans"):
            if (self.root / sub).is_dir() and (self.root / sub).stat().st_mode & 0o077:
                (self.root / sub).chmod(DIR_MODE)
        for path in [self.root / "secret.key", self.root / "serial.json",
                     *(self.root / "layouts").iterdir(), *(self.root / "centres").iterdir()]:
            if path.is_file() and path.stat().st_mode & 0o077:
                path.chmod(FILE_MODE)

    def _ensure_secret(self, create: bool) -> None:
        path = self.root / "secret.key"
        if path.exists():
            return
        if not create:
            raise HomeError(f"{path} : clé secrète de l’établissement absente.")
        with self._locked():
            if not path.exists():
                write_private(path, secrets.token_hex(32).encode())

    # -- secret ----------------------------------------------------------------------
    @property
    def secret(self) -> bytes:
        """The establishment's secret, which signs every page code."""
        path = self.root / "secret.key"
        try:
            text = path.read_text().strip()
        except OSError as exc:
            raise HomeError(f"{path} : lecture de la clé secrète impossible.") from exc
        try:
            return bytes.fromhex(text)
        except ValueError as exc:
            raise HomeError(f"{path} : clé secrète corrompue.") from exc

    @property
    def establishment(self) -> str:
        """Short public fingerprint of the secret, printed inside every page code."""
        return establishment_fingerprint(self.secret)

    # -- serials ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.root / ".lock"
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def reserve_serials(self, count: int) -> range:
        """Reserve ``count`` fresh serials; they are never handed out again."""
        path = self.root / "serial.json"
        with self._locked():
            try:
                start = int(json.loads(path.read_text())["next"]) if path.exists() else 1
            except (ValueError, KeyError, TypeError) as exc:
                raise HomeError(f"{path} : compteur de numéros de bordereau corrompu.") from exc
            write_private(path, json.dumps({"next": start + count}).encode())
        return range(start, start + count)

    # -- snapshots -------------------------------------------------------------------
    def save_snapshot(self, loaded: LoadedCentre, layout: Layout) -> None:
        """Keep the centre file (its bytes) and the manifest, so the forms can be read
        years later."""
        centre_path = self.root / "centres" / f"{loaded.digest}.yaml"
        if not centre_path.exists():
            write_private(centre_path, loaded.content)
        layout_path = self.root / "layouts" / f"{layout.form.layout_id}.json"
        if not layout_path.exists():
            write_private(layout_path, layout.to_json().encode())

    def layout(self, layout_id: str) -> Layout:
        """The manifest a form was printed with, read once per process (NotFoundError when
        unknown here)."""
        if layout_id not in self._layouts:
            self._layouts[layout_id] = self._read_layout(layout_id)
        return self._layouts[layout_id]

    def _read_layout(self, layout_id: str) -> Layout:
        if not layout_id.isalnum():
            raise NotFoundError(f"Identifiant de mise en page invalide : {layout_id!r}.")
        path = self.root / "layouts" / f"{layout_id}.json"
        try:
            return Layout.model_validate_json(path.read_bytes())
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"Mise en page {layout_id} inconnue de cet établissement ({self.root})."
            ) from exc
        except ValidationError as exc:
            raise HomeError(f"{path} : manifeste de mise en page corrompu.") from exc

    def load_centre(self, snapshot: str) -> Centre:
        """The centre file forms were printed with (by its snapshot digest), read once."""
        if snapshot not in self._centres:
            path = self.root / "centres" / f"{snapshot}.yaml"
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise HomeError(f"{path} : copie du fichier de centre introuvable dans le "
                                "dossier de l’établissement.") from exc
            self._centres[snapshot] = parse_centre(content, path)
        return self._centres[snapshot]

    def centre_snapshots(self) -> list[str]:
        """Digests of every centre file kept, newest first."""
        files = sorted((self.root / "centres").glob("*.yaml"), key=lambda p: p.stat().st_mtime)
        return [p.stem for p in reversed(files)]

    def record_issue(self, layout: Layout, serials: range, output: Path) -> None:
        """Append one line to issued.jsonl for a generation run."""
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "kind": layout.form.kind,
            "version": layout.form.version,
            "layout_id": layout.form.layout_id,
            "site": layout.form.centre.site_code,
            "first_serial": serials.start,
            "last_serial": serials.stop - 1,
            "output": str(output),
        }
        path = self.root / "issued.jsonl"
        with self._locked():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
