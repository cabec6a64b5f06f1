"""The main job on the bundled samples (``./dev.sh demo``, which runs
``python -m bordereau.demo --samples samples --out out`` from the repository).

The samples are not part of the installed package: the folder is given explicitly.

1. A fresh establishment home in ``out/home``, made from ``samples/home`` (the fictitious
   establishment whose secret signed the bundled scans), with an empty local base.
2. Blank forms printed for both sample centres into ``out/forms/``.
3. The bundled scans (``samples/scans``) ingested: committed records, fields waiting for
   review, sheets waiting for pages, refused pages with their reasons.
4. The command that opens the review application.

Everything goes through the ``bordereau`` command itself, exactly as a user would run it.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from pathlib import Path

from bordereau.cli import app
from bordereau.errors import ExitCode


def run(*args: str, partial_ok: bool = False) -> None:
    """Run one ``bordereau`` command in process, as typed; stop on failure (a partial
    batch, exit 6, is expected where ``partial_ok``: the samples hold refused pages)."""
    print(f"\n$ bordereau {shlex.join(args)}", flush=True)
    code = app(args=list(args), prog_name="bordereau", standalone_mode=False)
    if code and not (partial_ok and code == ExitCode.PARTIAL):
        sys.exit(code)


def main(samples: Path, out: Path) -> None:
    """Generate forms, ingest the sample scans, say what to do next."""
    home = out / "home"
    forms = out / "forms"
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(samples / "home", home)
    forms.mkdir(parents=True, exist_ok=True)
    for centre in sorted((samples / "centres").glob("*.yaml")):
        for kind in ("initiale", "suivi"):
            target = forms / f"{centre.stem}-{kind}.pdf"
            run("forms", "generate", "--centre", str(centre), "--kind", kind,
                "--copies", "3", "--output", str(target), "--home", str(home))
    run("scan", "ingest", str(samples / "scans"), "--home", str(home), partial_ok=True)
    run("scan", "status", "--home", str(home))
    run("records", "list", "--home", str(home))
    print(f"\nBordereaux vierges prêts à imprimer : {forms}/")
    print(f"Dossier de l’établissement (clé, base, scans) : {home}/")
    print("Pour vérifier les champs douteux :\n"
          f"  .venv/bin/bordereau review --home {shlex.quote(str(home))}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The main job on the bundled samples.")
    parser.add_argument("--samples", type=Path, required=True,
                        help="the repository's samples/ folder (home, centres, scans)")
    parser.add_argument("--out", type=Path, required=True, help="where to write (out/)")
    arguments = parser.parse_args()
    main(arguments.samples, arguments.out)
