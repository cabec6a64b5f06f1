"""The simulated patient behind a sheet: a consistent identity (the NIR matches sex, birth
date and birthplace), a diagnosis, and the small date helpers the planner shares."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from bordereau.forms.centre import Centre
from bordereau.simulate import names


@dataclass
class Patient:
    """The identity behind one sheet."""

    nom: str
    prenom: str
    nom_utilise: str | None
    sexe: str
    naissance: date
    lieu: str
    commune: str
    ipp: str
    nir: str


@dataclass
class Diagnosis:
    maladie: str | None
    orpha: str | None
    statut: str
    when: date
    signs: date


def between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def nir_key(body13: str) -> str:
    """The two-digit key of a NIR (97 - n mod 97); Corsica 2A/2B count as 19/18."""
    number = int(body13.replace("2A", "19").replace("2B", "18"))
    return f"{97 - number % 97:02d}"


def make_patient(rng: random.Random, centre: Centre, today: date) -> Patient:
    """A consistent identity: the NIR matches sex, birth date and birthplace."""
    sexe = rng.choices(["F", "M", "U"], weights=[49, 49, 2])[0]
    female = sexe == "F" or (sexe == "U" and rng.random() < 0.5)
    prenom = rng.choice(names.FEMALE_FORENAMES if female else names.MALE_FORENAMES)
    roll = rng.random()
    if roll < 0.08:
        nom = rng.choice(names.PARTICLE_SURNAMES)
    elif roll < 0.13:
        nom = f"{rng.choice(names.SURNAMES)}-{rng.choice(names.SURNAMES)}"
    else:
        nom = rng.choice(names.SURNAMES)
    nom = nom[:22]
    nom_utilise = rng.choice(names.SURNAMES) if female and rng.random() < 0.15 else None
    age_years = rng.choice([rng.uniform(0.1, 18), rng.uniform(0.1, 18), rng.uniform(18, 90)])
    naissance = today - timedelta(days=int(age_years * 365.25) + 30)
    pool = rng.choices([names.COMMUNES, names.CORSICA, names.COUNTRIES], weights=[80, 6, 14])[0]
    lieu = rng.choice(pool)[0]
    commune = rng.choice(names.COMMUNES + names.CORSICA)[0]
    length = centre.options.longueur_ipp
    ipp = "".join(rng.choice("0123456789") for _ in range(length))
    if rng.random() < 0.4:
        ipp = "00" + ipp[2:]
    sex_digit = "1" if sexe == "M" else "2" if sexe == "F" else rng.choice("12")
    order = rng.randint(1, 999)
    body = f"{sex_digit}{naissance.year % 100:02d}{naissance.month:02d}{lieu}{order:03d}"
    body = body.replace("2A", "19").replace("2B", "18")  # as the form's help says
    return Patient(
        nom, prenom, nom_utilise, sexe, naissance, lieu, commune, ipp, body + nir_key(body)
    )


def age_parts(born: date, at: date) -> tuple[str, str]:
    """The age at a date, as (digits, UCUM unit): days, months or years."""
    days = max((at - born).days, 0)
    if days < 31:
        return str(days), "d"
    if days < 730:
        return str(min(days * 12 // 365, 999)), "mo"
    return str(min(days // 365, 999)), "a"
