"""``bordereau forms``: print blank forms and show their layout manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bordereau.cli_support import FrenchCommand, HomeOption, JsonOption, new_app, print_json
from bordereau.establishment import Establishment
from bordereau.forms.codes import format_serial
from bordereau.forms.model import ANNEXES

app = new_app("Créer les bordereaux vierges à imprimer et leur description.")

CentreOption = typer.Option(
    "--centre", "-c", help="Fichier de configuration du centre (YAML).", dir_okay=False
)
KindOption = typer.Option(
    "--kind", "-k", help="Type de bordereau : initiale, suivi, ou une annexe seule "
    "(annexe_identite, annexe_genetique, annexe_statut, annexe_grossesse, annexe_traitements : "
    "numéro propre, rattachée par l’IPP)."
)


@app.command("generate", cls=FrenchCommand)
def generate(
    centre: Annotated[Path, CentreOption],
    kind: Annotated[str, KindOption],
    output: Annotated[Path, typer.Option("--output", "-o", help="Fichier PDF à écrire.")],
    copies: Annotated[int, typer.Option("--copies", "-n", help="Nombre d’exemplaires.")] = 1,
    annexe: Annotated[str, typer.Option(
        "--annexe", "-a",
        help="Annexes à imprimer après chaque fiche initiale, même numéro, séparées par des "
             f"virgules : {', '.join(ANNEXES)}.")] = "",
    home: Annotated[Path | None, HomeOption] = None,
    fillable: Annotated[
        bool,
        typer.Option(
            "--fillable",
            help="PDF à remplir à l’écran : mêmes pages, avec des champs de saisie "
            "(le PDF rempli s’intègre par « scan ingest », sans reconnaissance).",
        ),
    ] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Écrire un PDF prêt à imprimer : N exemplaires numérotés et signés."""
    result = Establishment(home).print_forms(centre, kind, copies, output,
                                             annexe.split(","), fillable)
    first, last = format_serial(result.serials.start), format_serial(result.serials.stop - 1)
    if as_json:
        print_json(
            {
                "output": str(result.output),
                "kind": kind,
                "layout_id": result.layout_id,
                "copies": len(result.serials),
                "pages": result.pages,
                "first_serial": first,
                "last_serial": last,
                **({"fillable": True} if fillable else {}),
                "annexes": [{"kind": a.form.kind, "layout_id": a.form.layout_id,
                             "pages": a.form.pages} for a in result.annexes],
            }
        )
        return
    count = len(result.serials)
    if count == 1:
        what = f"1 bordereau ({kind}, n° {first}"
    else:
        what = f"{count} bordereaux ({kind}, n° {first} à {last}"
    pages = "1 page" if result.pages == 1 else f"{result.pages} pages"
    if result.annexes:
        what += ", avec " + ", ".join(a.form.title.lower() for a in result.annexes)
    screen = " (à remplir à l’écran)" if fillable else ""
    typer.echo(f"{what}, {pages}){screen} → {result.output}")


@app.command("layout", cls=FrenchCommand)
def layout(
    centre: Annotated[Path, CentreOption],
    kind: Annotated[str, KindOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Afficher le manifeste de mise en page (géométrie de chaque case, en mm)."""
    manifest = Establishment().layout(centre, kind)
    if as_json:
        typer.echo(manifest.to_json())
        return
    form = manifest.form
    typer.echo(
        f"{form.title} v{form.version} — mise en page {form.layout_id} — "
        f"{form.pages} page(s), {len(manifest.fields)} champs"
    )
    for page in manifest.pages:
        fields = manifest.fields_on(page.number)
        typer.echo(f"  page {page.number} : {len(fields)} champs")
        for field in fields:
            star = " *" if field.required else ""
            typer.echo(f"    {field.id:<42} {field.kind:<14} {field.label}{star}")
