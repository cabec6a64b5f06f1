"""Logging: stages on screen with -v, a full log with --log-file, internal errors always
leave a traceback (without their message) in an owner-only log, and a French message."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Annotated

import pytest
import typer

from bordereau import logs
from bordereau.cli_support import new_app
from bordereau.home import Home
from bordereau.ocr.engine import REPLAY_VAR
from tests.conftest import RECORDINGS, SAMPLES, run_cli

BUREAU = SAMPLES / "scans" / "lyon-os" / "bureau-jpeg"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES / "home", tmp_path / "home")
    return tmp_path / "home"


def broken_recording(tmp_path: Path) -> Path:
    """The samples' recording with every line answer malformed: reading a comb of capitals
    then fails inside the worker, as an internal error would."""
    text = (RECORDINGS / "samples.json").read_text()
    data = json.loads(text.replace('"call": "line", "result": [',
                                   '"call": "line", "result": [[1], '))
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    return path


def test_verbose_shows_each_page_stages_on_stderr_and_changes_nothing_else(home: Path) -> None:
    args = ["scan", "read", str(BUREAU), "--home", str(home), "--workers", "1"]
    env = {REPLAY_VAR: str(RECORDINGS / "samples.json")}
    quiet, verbose = run_cli(args, env), run_cli(["-v", *args], env)
    assert quiet.stdout == verbose.stdout and quiet.stderr == ""
    lines = verbose.stderr.splitlines()
    assert lines[0].startswith("bureau-jpeg-01.pdf, page 1 : lue (bordereau 000005, page 1) — "
                               "décodage ")
    for stage in ("test de page blanche", "identification", "redressement",
                  "lecture des champs"):
        assert stage in lines[0]
    assert lines[1].startswith("bureau-jpeg-01.pdf, page 2 : refusée (bordereau 000001, page 1)")
    assert lines[2].startswith("bordereau (suivi) : règles ")
    assert len(lines) == 3  # -vv adds the details
    assert len(run_cli(["-vv", *args], env).stderr.splitlines()) == 4


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_page_failing_inside_a_worker_leaves_its_traceback_in_the_home_log(
    home: Path, tmp_path: Path, workers: str,
) -> None:
    result = run_cli(["scan", "read", str(BUREAU), "--home", str(home), "--workers", workers],
                     env={REPLAY_VAR: str(broken_recording(tmp_path))})
    assert result.exit_code == 6  # lot partiel: refused pages
    assert result.stdout.splitlines()[0] == "2 page(s) : 2 refusée(s)."
    assert "page illisible (erreur interne : ValueError)" in result.stdout
    log = home / "logs" / "bordereau.log"
    assert result.stderr == (f"Attention : 1 page(s) refusée(s) sur une erreur interne. Détail "
                             f"dans {log} ; merci de signaler le problème.\n")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    text = log.read_text()
    assert "bureau-jpeg-01.pdf, page 1 : erreur interne ValueError" in text
    assert "Traceback (most recent call last):" in text and 'replay.py", line ' in text
    assert "ValueError (message omis : il peut citer une valeur lue)" in text
    assert "unpack" not in text  # the exception's message stays out


def test_an_internal_error_of_a_command_says_where_its_traceback_is(tmp_path: Path) -> None:
    app = new_app("essai")
    home = Home.open(tmp_path / "home")

    @app.callback()
    def options(log_file: Annotated[Path | None, typer.Option("--log-file")] = None) -> None:
        logs.configure(0, log_file)

    @app.command()
    def fail() -> None:
        Home.open(home.root, create=False)
        quoted = " ".join(["DUPONT", "1985-03-02"])  # a message may quote what was read
        raise IndexError(quoted)

    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["fail"])
    log = home.root / "logs" / "bordereau.log"
    assert result.exit_code == 70
    assert result.stderr == ("Erreur interne inattendue (programme, IndexError). "
                             f"Détail dans {log} ; merci de signaler le problème.\n")
    text = log.read_text()
    assert "commande : erreur interne IndexError\nTraceback (most recent call last):" in text
    assert "DUPONT" not in text and "1985" not in text
    chosen = tmp_path / "chosen.log"
    result = CliRunner().invoke(app, ["--log-file", str(chosen), "fail"])
    assert f"Détail dans {chosen} ;" in result.stderr
    assert "IndexError (message omis" in chosen.read_text()
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o600


def test_the_library_logs_nowhere_unless_asked(home: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from bordereau.ocr.engine import EngineSpec
    from bordereau.ocr.pipeline import ReadOptions, read_batch

    spec = EngineSpec.replay(broken_recording(tmp_path), record=False)
    result = read_batch([BUREAU], Home.open(home, create=False),
                        ReadOptions(workers=1, engine=spec))
    assert result.pages[0].reason == "page illisible (erreur interne : ValueError)"
    assert capsys.readouterr().err == ""
    assert not (home / "logs").exists()
