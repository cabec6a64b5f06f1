"""A base that cannot be used says why, in French, with no SQL, no Python exception text
and no patient value: an empty or damaged base file, a read-only home, a name too long for
the audit, two ingestions at once; read-only commands work while an ingestion writes."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bordereau.base.engine import NEW_FILE_GRACE, Database
from bordereau.base.verify import verify
from bordereau.home import Home
from bordereau.review.queue import Queue
from tests.conftest import LYON, ROOT, SAMPLES, run_cli
from tests.factories import INITIALE, Factory

BORDEREAU = Path(sys.executable).with_name("bordereau")
# Recorded Tesseract output in every process these tests start (BORDEREAU_OCR_REPLAY is
# inherited): they test processes and bases, not Tesseract (docs/testing.md)
pytestmark = pytest.mark.usefixtures("replay_samples")
LYON_SCANS = SAMPLES / "scans" / "lyon-os"
DOUBTS = {"patient.nom_naissance": "lecture incertaine"}
LEAKS = ("SELECT", "INSERT", "UPDATE", "sqlite3", "psycopg", "Error", "error", "Traceback",
         "[SQL", "MARTIN", "4100200300", "2012-04-17", "parameters")


def no_leak(text: str) -> None:
    for word in LEAKS:
        assert word not in text, (word, text)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", target)
    return target


def test_a_zero_byte_base_file_is_refused_not_replaced(home: Path) -> None:
    base = home / "base.sqlite"
    base.touch(mode=0o600)
    an_hour_ago = time.time() - 3600  # left there, not a base another command is making
    os.utime(base, (an_hour_ago, an_hour_ago))
    result = run_cli(["scan", "status", "--home", str(home)])
    assert result.exit_code == 7
    assert result.stderr.startswith(f"Erreur : {base} : fichier de base vide (0 octet), ce "
                                    "n’est pas une base bordereau.")
    assert base.stat().st_size == 0


def test_a_new_empty_base_file_nobody_fills_is_refused_when_its_grace_is_over(
        home: Path) -> None:
    """A just-created empty file may be another command's new base (it is waited for,
    tests/test_base.py); one that stays empty past NEW_FILE_GRACE is refused as above."""
    base = home / "base.sqlite"
    base.touch(mode=0o600)
    almost = time.time() - (NEW_FILE_GRACE - 0.5)
    os.utime(base, (almost, almost))
    result = run_cli(["scan", "status", "--home", str(home)])
    assert result.exit_code == 7
    assert "fichier de base vide (0 octet)" in result.stderr
    assert base.stat().st_size == 0


def test_a_damaged_base_is_named_without_sql_or_values(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE, DOUBTS)
    factory.db.close()
    base = factory.home.root / "base.sqlite"
    data = bytearray(base.read_bytes())
    data[4096:] = bytes(len(data) - 4096)  # every page after the first wiped
    base.write_bytes(bytes(data))
    for args in (["review", "list"], ["scan", "status"], ["records", "list"]):
        result = run_cli([*args, "--home", str(factory.home.root)])
        assert result.exit_code == 7, (args, result)
        assert result.stderr.startswith(f"Erreur : Base SQLite {base} : "), result.stderr
        no_leak(result.stderr + result.stdout)
    base.write_bytes(b"ceci n'est pas une base" * 300)
    result = run_cli(["review", "list", "--home", str(factory.home.root)])
    assert result.exit_code == 7
    assert result.stderr == (f"Erreur : Base SQLite {base} : base endommagée ou fichier "
                             "qui n’est pas une base : restaurer la dernière sauvegarde.\n")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_reviewer_name_too_long_or_with_control_characters_is_refused(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest,
) -> None:
    url = None if backend == "sqlite" else str(request.getfixturevalue("pg_url"))
    factory = Factory(tmp_path, LYON, url)
    factory.sheet("initiale", INITIALE, DOUBTS)
    (item,) = Queue(factory.db, "x").items()
    base = ["--base", url] if url else []
    for name, message in (
        ("R" * 65, "Erreur : Nom du vérificateur trop long (65 caractères, 64 au plus) : le "
                   "raccourcir (--reviewer NOM).\n"),
        ("Mme\nRoux", "Erreur : Nom du vérificateur invalide : caractères de contrôle (retour "
                      "à la ligne, tabulation…) refusés.\n"),
    ):
        result = run_cli(["review", "accept", str(item.id), "--home", str(factory.home.root),
                          *base, "--reviewer", name])
        assert (result.exit_code, result.stderr) == (2, message)
    ok = run_cli(["review", "accept", str(item.id), "--home", str(factory.home.root), *base,
                  "--reviewer", "R" * 64])
    assert ok.exit_code == 0, ok.stderr


def test_read_only_commands_work_while_an_ingestion_writes(home: Path) -> None:
    first = run_cli(["scan", "ingest", str(LYON_SCANS / "bureau-jpeg"), "--home", str(home),
                     "--workers", "1"])
    # one page of that folder is another establishment's form: read, with a refused page
    assert first.exit_code == 6, first.stderr
    assert "autre établissement" in first.stdout
    ingest = subprocess.Popen(  # the rest of lyon-os: the 30-page duplex file comes third
        [str(BORDEREAU), "scan", "ingest", str(LYON_SCANS), "--home", str(home),
         "--workers", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:  # streaming: wait until the ingestion has stored its first files
            status = run_cli(["scan", "status", "--home", str(home), "--json"])
            if status.exit_code == 0 and json.loads(status.stdout)["files"] > 1:
                break
            assert ingest.poll() is None and time.monotonic() < deadline, status.stderr
            time.sleep(0.1)
        listed = run_cli(["review", "list", "--home", str(home)])
        records = run_cli(["records", "list", "--home", str(home)])
        still_ingesting = ingest.poll() is None
    finally:
        _, err = ingest.communicate(timeout=600)
    assert still_ingesting  # the reads really happened during the ingestion
    assert status.exit_code == 0, status.stderr
    assert listed.exit_code == 0, listed.stderr
    assert records.exit_code == 0, records.stderr
    assert ingest.returncode in (0, 6), err.decode()


def test_a_read_only_home_is_named_and_its_mode_kept(home: Path, tmp_path: Path) -> None:
    assert run_cli(["scan", "status", "--home", str(home)]).exit_code == 0
    home.chmod(0o500)
    try:
        result = run_cli(["scan", "status", "--home", str(home)])
        assert result.exit_code == 7
        assert result.stderr == (
            f"Erreur : {home} : dossier en lecture seule (mode 0500) ; la base SQLite a besoin "
            "d’y écrire son journal. Le rendre modifiable par son propriétaire : "
            f"chmod 700 {home}\n")
        assert (home.stat().st_mode & 0o777) == 0o500
        made = run_cli(["forms", "generate", "--centre", str(LYON), "--kind", "initiale",
                        "--copies", "1", "--output", str(tmp_path / "f.pdf"),
                        "--home", str(home)])
        assert made.exit_code == 5
        assert made.stderr == (f"Erreur : {home} : dossier de l’établissement en lecture "
                               f"seule (mode 0500) ; le rendre accessible à son "
                               f"propriétaire : chmod 700 {home}\n")
        assert (home.stat().st_mode & 0o777) == 0o500
    finally:
        home.chmod(0o700)


def test_a_read_only_base_file_is_named(home: Path) -> None:
    Database.open(Home.open(home, create=False)).close()
    base = home / "base.sqlite"
    base.chmod(0o400)
    result = run_cli(["review", "list", "--home", str(home)])
    assert result.exit_code == 7
    assert result.stderr == (f"Erreur : {base} : base en lecture seule (mode 0400) ; rendre "
                             "le fichier lisible et modifiable par son propriétaire : "
                             f"chmod 600 {base}\n")
    assert (base.stat().st_mode & 0o777) == 0o400


@pytest.fixture(scope="module")
def short_lyon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five files of ``lyon-os``, its 30-page duplex scan cut to its first four pages
    (two fronts, their blank backs; the pages copied as they are, so the same pixels and the
    same recorded Tesseract output): the same files to race on, a third of the reading."""
    import pypdf

    folder = tmp_path_factory.mktemp("lyon-os")
    shutil.copytree(LYON_SCANS, folder, dirs_exist_ok=True)
    duplex = folder / "recto-verso" / "recto-verso-01.pdf"
    reader, writer = pypdf.PdfReader(LYON_SCANS / "recto-verso" / duplex.name), pypdf.PdfWriter()
    for page in reader.pages[:4]:
        writer.add_page(page)
    with duplex.open("wb") as out:
        writer.write(out)
    return folder


def test_two_ingestions_at_once_on_postgresql_both_succeed(home: Path, pg_url: str,
                                                           short_lyon: Path) -> None:
    args = [str(BORDEREAU), "scan", "ingest", str(short_lyon), "--home", str(home),
            "--base", pg_url, "--workers", "1", "--json"]
    runs = [subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    outs = [run.communicate(timeout=600) for run in runs]
    for run, (_out, err) in zip(runs, outs, strict=True):
        no_leak(err.decode())
        assert run.returncode in (0, 6), err.decode()
    reports = [json.loads(out) for out, _ in outs]
    fresh = [sum(1 for f in r["files"] if not f["already"]) for r in reports]
    assert sorted(fresh) == [0, 5] or sum(fresh) == 5  # every file ingested once
    status = json.loads(run_cli(["scan", "status", "--home", str(home), "--base", pg_url,
                                 "--json"]).stdout)
    assert status["files"] == 5


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_write_the_system_refuses_is_said_in_french_without_values(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE, {**DOUBTS, "activite.date": "chiffre illisible"})
    ids = [str(item.id) for item in Queue(factory.db, "x").items()]
    factory.db.close()
    done = subprocess.run(  # the system refuses any file growing past 40 kB, like a full disk
        [str(BORDEREAU), "review", "accept", *ids, "--home", str(factory.home.root)],
        preexec_fn=lambda: _limit_file_size(40_000), capture_output=True, text=True,
        timeout=300, check=False)
    assert done.returncode == 7, done.stderr
    assert done.stderr.startswith(f"Erreur : Base SQLite {factory.home.root / 'base.sqlite'} "
                                  ": écriture ou lecture refusée par le système")
    no_leak(done.stderr + done.stdout)
    # nothing half-decided: each item pending, or decided with its audit row
    queue = Queue(factory.db, "x")
    decided = queue.items(status="accepted")
    assert len(decided) + queue.counts()[0] == 2 and len(decided) < 2
    verification = verify(factory.db)
    assert verification.audit == len(decided) and verification.findings == []
