"""The scan store: a damaged copy is found (by size, or by hash when asked), repaired when
the same file is given again, reported in French otherwise; a failed copy leaves nothing
under a final name."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bordereau.base.store import ScanStore, StoreError
from tests.conftest import SAMPLES, run_cli

SCAN = SAMPLES / "scans" / "lyon-os" / "bureau-jpeg" / "bureau-jpeg-01.pdf"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", target)
    return target


def stored(home: Path) -> Path:
    (copy,) = (home / "scans").glob("*.pdf")
    return copy


def status(home: Path, *extra: str) -> dict[str, object]:
    result = run_cli(["scan", "status", "--home", str(home), "--json", *extra])
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_a_truncated_copy_is_reported_then_repaired_by_the_same_file(home: Path) -> None:
    run_cli(["scan", "ingest", str(SCAN), "--home", str(home), "--workers", "1"])
    copy = stored(home)
    assert copy.read_bytes() == SCAN.read_bytes()
    assert status(home)["store"] == []
    with copy.open("r+b") as handle:  # what a kill -9 during a plain copy left behind
        handle.truncate(copy.stat().st_size // 3)
    damage = status(home)["store"]
    assert damage == [{"file": "bureau-jpeg-01.pdf", "stored_as": copy.name, "repaired": False,
                       "problem": f"taille {copy.stat().st_size} octets au lieu de "
                                  f"{SCAN.stat().st_size}"}]
    human = run_cli(["scan", "status", "--home", str(home)]).stdout
    assert "Copie du scan « bureau-jpeg-01.pdf » endommagée dans le dossier des scans" in human
    again = run_cli(["scan", "ingest", str(SCAN), "--home", str(home), "--workers", "1"])
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "Copie du scan « bureau-jpeg-01.pdf » réparée" in again.stdout
    assert "Déjà intégré, rien de nouveau : bureau-jpeg-01.pdf" in again.stdout
    assert copy.read_bytes() == SCAN.read_bytes()
    assert status(home, "--verify")["store"] == []


def test_a_changed_byte_is_found_by_the_hash_when_asked(home: Path) -> None:
    run_cli(["scan", "ingest", str(SCAN), "--home", str(home), "--workers", "1"])
    copy = stored(home)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    assert status(home)["store"] == []  # same size: the cheap check cannot see it
    (damage,) = status(home, "--verify")["store"]  # type: ignore[misc]
    assert damage["problem"] == "contenu différent de l'original (empreinte SHA-256)"
    copy.unlink()
    (damage,) = status(home)["store"]  # type: ignore[misc]
    assert damage["problem"] == "copie absente"


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """Writes past ``limit`` bytes fail (EFBIG), as on a full disk."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_copy_that_fails_midway_leaves_nothing_under_a_final_name(tmp_path: Path) -> None:
    store = ScanStore(tmp_path)
    sha = hashlib.sha256(SCAN.read_bytes()).hexdigest()
    with file_size_limit(SCAN.stat().st_size // 2), pytest.raises(StoreError) as caught:
        store.put(SCAN, sha)
    assert "dans le dossier des scans" in str(caught.value)
    assert "rien n'a été enregistré pour ce lot" in str(caught.value)
    assert list(store.root.iterdir()) == []
    name = store.put(SCAN, sha)
    assert (store.root / name).read_bytes() == SCAN.read_bytes()
    assert (store.root / name).stat().st_mode & 0o777 == 0o600


def test_temporary_copies_of_dead_processes_are_cleaned(tmp_path: Path) -> None:
    store = ScanStore(tmp_path)
    store.root.mkdir()
    dead = store.root / ".0123456789abcdef.999999999.x1y2.tmp"
    dead.write_bytes(b"moitie")
    mine = store.root / f".0123456789abcdef.{os.getpid()}.x1y2.tmp"
    mine.write_bytes(b"en cours")
    store.clean_temporaries()
    assert not dead.exists() and mine.exists()
