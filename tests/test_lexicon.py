"""Handwritten names against the INSEE lists (ocr.lexicon, templates.names)."""

from __future__ import annotations

from typing import Any

import pytest

from bordereau.forms.manifest import FieldLayout
from bordereau.ocr import lexicon
from bordereau.review.evidence import evidence_for
from bordereau.templates.names import name_list


def cell(*top: tuple[str, float]) -> dict[str, Any]:
    return {"char": top[0][0], "confidence": top[0][1], "top": [list(t) for t in top]}


def clear(word: str, sure: float = 0.995) -> list[dict[str, Any]]:
    """Cells of a word read without doubt (a blank cell for a space), then two empty ones."""
    return [cell((ch, sure), ("E", (1 - sure) / 2)) if ch != " " else {"char": ""}
            for ch in word] + [{"char": ""}, {"char": ""}]


def test_the_lists_hold_names_as_written_on_a_form() -> None:
    prenoms, noms = name_list("prenoms"), name_list("noms")
    assert len(prenoms) > 30_000 and len(noms) > 200_000
    assert "JEAN-PIERRE" in prenoms and "MAELLE" in prenoms and "LEA" in prenoms
    assert "MARTIN" in noms and "LE GALL" in noms and "N'DIAYE" in noms
    assert "DUPONT" not in prenoms and "XQZWK" not in noms and "Léa" not in prenoms
    with pytest.raises(ValueError):
        name_list("villes")


def test_a_name_read_clearly_as_a_word_of_the_list_is_confirmed() -> None:
    found = lexicon.match("patient.nom_naissance", "MARTIN", clear("MARTIN"))
    assert found is not None and found.liste == "noms" and found.in_list
    assert found.best == "MARTIN" and found.share > 0.99
    assert lexicon.confirmed(found, "MARTIN") == found.share


def test_a_particle_name_is_one_birth_name_and_two_first_names() -> None:
    cells = clear("LE GALL")
    noms = lexicon.match("patient.nom_naissance", "LE GALL", cells)
    assert noms is not None and noms.in_list and noms.best == "LE GALL"
    prenoms = lexicon.match("patient.premier_prenom", "JEAN PAUL", clear("JEAN PAUL"))
    assert prenoms is not None and prenoms.liste == "prenoms" and prenoms.in_list
    assert prenoms.best == "JEAN PAUL"


def test_a_doubtful_cell_between_two_names_of_the_list_confirms_neither() -> None:
    cells = clear("MARTIN")
    cells[5] = cell(("N", 0.5), ("E", 0.45))  # MARTIN or MARTIE, both birth names
    found = lexicon.match("patient.nom_naissance", "MARTIN", cells)
    assert found is not None and found.in_list and found.best == "MARTIN"
    assert found.share < 0.6  # MARTIE is nearly as likely: not a confirmation
    assert "MARTIE" in found.others


def test_a_reading_outside_the_list_is_never_confirmed_but_its_nearest_names_are_offered() -> None:
    cells = clear("LEA")
    cells[1] = cell(("F", 0.6), ("E", 0.35))  # read LFA: the pen's E looked like an F
    found = lexicon.match("patient.premier_prenom", "LFA", cells)
    assert found is not None and not found.in_list and found.best == "LEA"
    assert lexicon.confirmed(found, "LFA") is None
    field = FieldLayout.model_validate(
        {"id": "patient.premier_prenom", "label": "Prénom", "kind": "letters", "page": 1,
         "required": True, "section": "patient", "cells_mm": [[0, 0, 5, 5]] * 6})
    raws = {"patient.premier_prenom": {"details": {"liste": found.model_dump()}}}
    evidence = evidence_for(field, {"patient.premier_prenom": "LFA"}, raws, None)
    taken = [(s.key, s.value) for s in evidence.suggestions]
    assert taken[0] == ("f5", "LEA")
    assert evidence.suggestions[0].source.startswith("prénoms INSEE")


def test_fields_without_a_list_and_empty_readings_are_left_alone() -> None:
    assert lexicon.list_for("patient.nom_naissance") == "noms"
    assert lexicon.list_for("representant.premier_prenom") == "prenoms"
    assert lexicon.list_for("genetique.site_nom") is None
    assert lexicon.match("genetique.site_nom", "NECKER", clear("NECKER")) is None
    assert lexicon.match("patient.nom_naissance", None, clear("MARTIN")) is None
    assert lexicon.match("patient.nom_naissance", "QQQQQQQQQQQQQQQQQQQQQQQQQQ",
                         clear("QQQQQQQQQQQQQQQQQQQQQQQQQQ")) is None  # nothing that long


def test_a_list_never_confirms_a_reading_the_readers_doubt() -> None:
    """LEFEBVRE misread LEFEBURE (another birth name): when the written name is not in the
    list, the list alone would be sure of the misreading; the weak cell stops it."""
    cells = clear("LEFEBURE")
    cells[5] = cell(("U", 0.55), ("V", 0.4))
    left_out = frozenset({"LEFEBVRE"})
    found = lexicon.match("patient.nom_naissance", "LEFEBURE", cells, leave_out=left_out)
    assert found is not None and found.in_list and found.best == "LEFEBURE"
    assert found.share > 0.99 and found.weakest == 0.55
    assert lexicon.confirmed(found, "LEFEBURE") is None
    with_it = lexicon.match("patient.nom_naissance", "LEFEBURE", cells)
    assert with_it is not None and "LEFEBVRE" in [with_it.best, *with_it.others]


def test_gene_symbols_are_matched_against_the_hgnc_approved_symbols() -> None:
    assert lexicon.list_for("diagnostic1.gene1") == "hgnc"
    assert lexicon.list_for("genetique.gene3") == "hgnc"
    found = lexicon.match("diagnostic1.gene1", "FBN1", clear("FBN1"))
    assert found is not None and found.liste == "hgnc" and found.in_list
    assert lexicon.confirmed(found, "FBN1") == found.share
    cells = clear("CFTR")
    cells[3] = cell(("P", 0.6), ("R", 0.35))  # read CFTP: not a symbol
    misread = lexicon.match("diagnostic1.gene1", "CFTP", cells)
    assert misread is not None and not misread.in_list and misread.best == "CFTR"
    assert lexicon.confirmed(misread, "CFTP") is None


def test_insee_commune_codes_are_checked_against_the_official_geographic_code() -> None:
    assert lexicon.list_for("patient.lieu_naissance") == "communes"
    assert "69123" in name_list("communes") and "2A004" in name_list("communes")
    cells = [cell(("6", 0.99)), cell(("9", 0.7), ("8", 0.25)), cell(("1", 0.99)),
             cell(("2", 0.99)), cell(("3", 0.99))]
    found = lexicon.match("patient.lieu_naissance", "69123", cells)
    assert found is not None and found.in_list and found.best == "69123"
    assert "68123" in found.others  # another commune: the doubtful cell keeps it close
    assert lexicon.unknown_code("patient.lieu_naissance", "69123") is None
    # 34772 is no commune (34172 is Montpellier): a misread digit the list catches
    assert lexicon.unknown_code("patient.commune_residence", "34772") == (
        "code INSEE absent du code officiel géographique (2017)")
    assert lexicon.unknown_code("patient.lieu_naissance", "99352") is None  # abroad: not checked
    assert lexicon.unknown_code("diagnostic1.gene1", "34772") is None


def test_cim10_codes_are_checked_against_the_who_icd10() -> None:
    assert lexicon.list_for("diagnostic1.cim10") == "cim10"
    codes = name_list("cim10")
    assert "Q780" in codes and "E84" in codes and "E840" in codes and "E847" not in codes
    cells = clear("Q780")[:5]
    found = lexicon.match("diagnostic1.cim10", "Q780", cells)
    assert found is not None and found.liste == "cim10" and found.in_list
    assert lexicon.unknown_code("diagnostic1.cim10", "Q780", found) is None
    # E84.7 does not exist (cystic fibrosis: E84.0, .1, .8, .9): a misread digit goes to review
    assert lexicon.unknown_code("diagnostic1.cim10", "E847") == (
        "code absent de la CIM-10 de l’OMS (2019)")
    assert lexicon.unknown_code("diagnostic1.gene1", "E847") is None
