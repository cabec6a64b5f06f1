"""What the simulator writes on the annex sheets (``forms generate --annexe``): a mixin of
the sheet planner (``simulate/values.py``), whose helpers write combs, boxes and dates."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Protocol

from bordereau.forms.centre import luhn_ok
from bordereau.simulate import names
from bordereau.simulate.answers import Precision
from bordereau.templates.hpo_terms import hpo_table
from bordereau.templates.orpha_groups import orpha_table


class _Person(Protocol):
    """What the annexes need of the planner's patient (``patients.Patient``)."""

    prenom: str
    sexe: str
    ipp: str
    naissance: date

YES, NO = "Y", "N"
SITES = (("S001", "HU ROBERT DEBRE PARIS"), ("S123", "CHU DE LILLE"), ("S045", "HCL LYON"))
BIOBANKS = ("CRB LYON", "BIOBANQUE HCL", "CRB CABANNE", "BIOBANQUE 2024")
BIRTH = "236973005"  # JDV_IssueGrossesse « Accouchement »; the others end a pregnancy early
# Issues other than a birth by weeks of amenorrhoea: before 14, 14 to 21, from 22.
EARLY_ENDS = (("O00", "O01", "O03", "O04.-0"), ("O03", "O04", "P95"), ("O04", "P95"))

# Orphan and other specific drugs of rare diseases (name, ATC code, EMA procedure number
# after EMEA/H/C/), for the annexe traitements; Dacogen is the ANS example's.
DRUGS = (("NUSINERSEN", "M09AX07", "004312"), ("ELOSULFASE ALFA", "A16AB12", "002779"),
         ("CERLIPONASE ALFA", "A16AB17", "004065"), ("IVACAFTOR", "R07AX02", "002494"),
         ("ELIGLUSTAT", "A16AX10", "003724"), ("MIGLUSTAT", "A16AX06", "000435"),
         ("NITISINONE", "A16AX04", "000555"), ("SAPROPTERINE", "A16AX07", "000943"),
         ("ICATIBANT", "B06AC02", "000899"), ("TAFAMIDIS", "N07XX08", "002294"),
         ("AGALSIDASE BETA", "A16AB04", "000370"), ("BUROSUMAB", "M05BX05", "004275"),
         ("VOSORITIDE", "M05BX07", "005475"), ("HYDROXYCARBAMIDE", "L01XX05", "000689"),
         ("DECITABINE", "L01BC08", "002221"))


def rpps(rng: random.Random) -> str:
    """A random 11-digit RPPS number with a valid Luhn key."""
    while True:
        number = "10" + "".join(rng.choice("0123456789") for _ in range(9))
        if luhn_ok(number):
            return number


class AnnexPlans:
    """Annex sections of the planner; the planner provides the attributes and helpers."""

    rng: random.Random
    patient: _Person
    inclusion: date
    today: date
    young: bool

    def has(self, field_id: str) -> bool:
        raise NotImplementedError

    def comb(self, field_id: str, text: str) -> None:
        raise NotImplementedError

    def choice(self, field_id: str, code: str | None = None) -> None:
        raise NotImplementedError

    def put_date(self, field_id: str, when: date, precision: Precision = "day") -> None:
        raise NotImplementedError

    def boolean(self, field_id: str, value: bool) -> None:
        raise NotImplementedError

    def side_rng(self, what: str) -> random.Random:
        """A generator of its own for items added to a form later (issue 12: the mother,
        the fœtus subject boxes), seeded by the patient: the main stream, and so every
        other value of a simulated batch, stays as it was before them."""
        return random.Random(f"{what}:{self.patient.ipp}:{self.patient.naissance}")

    def functional(self, prefix: str) -> None:
        """One CIF evaluation of the annexe statut fonctionnel."""
        rng = self.rng
        self.comb(f"{prefix}.code", rng.choice(names.CIF_CODES))
        self.choice(f"{prefix}.qualificatif")
        if rng.random() < 0.8:
            days = max((self.today - self.inclusion).days, 0)
            self.put_date(f"{prefix}.date", self.inclusion + timedelta(rng.randint(0, days)))

    def complement(self, filled: set[str]) -> None:
        """The annexe identité et famille: forenames, multiple birth, representative, GP,
        the mother when her optional section is among the ``filled`` ones."""
        if not self.has("identite.prenoms_acte"):
            return
        rng, p = self.rng, self.patient
        pool = names.FEMALE_FORENAMES if p.sexe == "F" else names.MALE_FORENAMES
        forenames = [p.prenom, *rng.sample(pool, k=rng.choice([0, 1, 1, 2]))]
        self.comb("identite.prenoms_acte", " ".join(forenames)[:22].strip())
        if len(forenames) > 1 and rng.random() < 0.2:
            self.comb("identite.prenom_utilise", forenames[1])
        multiple = rng.random() < 0.1
        self.choice("identite.naissance_multiple", YES if multiple else NO)
        if multiple:
            self.comb("identite.rang", str(rng.randint(1, 2)))
        if self.young or rng.random() < 0.1:
            self.comb("representant.nom_naissance", rng.choice(names.SURNAMES))
            self.comb("representant.premier_prenom", rng.choice(pool))
        if "mere" in filled:  # optional section of v2, drawn like the others
            side = self.side_rng("mere")
            self.comb("mere.nom_naissance", side.choice(names.SURNAMES))
            self.comb("mere.premier_prenom", side.choice(names.FEMALE_FORENAMES))
        if rng.random() < 0.3:
            self.choice("premier_cas.lien")
            self.choice("premier_cas.sexe", rng.choice(["F", "M"]))
            self.comb("premier_cas.code_orpha", rng.choice(names.OTHER_ORPHA))
        if rng.random() < 0.2:
            self.comb("biobanque.nom", rng.choice(BIOBANKS))
        if rng.random() < 0.7:
            self.comb("medecin_traitant.rpps", rpps(rng))
            self.comb("medecin_traitant.nom", rng.choice(names.SURNAMES))
            if rng.random() < 0.6:
                self.comb("medecin_traitant.prenom", rng.choice(names.MALE_FORENAMES))

    def genetics(self) -> None:
        """The annexe génétique et clinique: another diagnosing site, HPO terms (current
        terms of the shipped HPO list), ORPHA groups (codes of the shipped list)."""
        if not self.has("genetique.hpo1"):
            return
        rng = self.rng
        if rng.random() < 0.4:
            code, name = rng.choice(SITES)
            self.comb("genetique.site_diagnostic", code)
            self.comb("genetique.site_nom", name)
        terms = sorted(hpo_table().terms)
        for n in range(1, rng.randint(1, 4) + 1):
            self.comb(f"genetique.hpo{n}", rng.choice(terms))
        if rng.random() < 0.4:
            self.comb("genetique.gene3", rng.choice(names.HGNC_SYMBOLS))
        if rng.random() < 0.2:
            self.comb("genetique.precision_technique", "PCR DIGITALE")
        if self.has("genetique.groupe_orpha1") and rng.random() < 0.5:
            groups = sorted(orpha_table().groups, key=int)  # codes of Orphanet's groups
            for n in range(1, (2 if rng.random() < 0.3 else 1) + 1):
                self.comb(f"genetique.groupe_orpha{n}", rng.choice(groups))

    def pregnancy(self, twins: bool) -> None:
        """The annexe grossesse et fœtus: one pregnancy, in progress or ended, with one
        fœtus, or two when the planner fills the optional second block (``twins``)."""
        if not self.has("grossesse.date_debut"):
            return
        rng = self.rng
        ended = rng.random() < 0.6
        weeks = rng.randint(6, 41) if ended else rng.randint(4, 36)  # weeks of amenorrhoea
        end = self.today - timedelta(days=rng.randint(0, 700)) if ended else self.today
        start = end - timedelta(weeks=weeks - 2)  # conception, two weeks after the period
        self.put_date("grossesse.date_debut", start)
        if ended:
            self.put_date("grossesse.date_fin", end)
        self.comb("grossesse.nombre_foetus", "2" if twins else "1")
        if rng.random() < 0.9:
            self.choice("grossesse.amp", YES if rng.random() < 0.15 else NO)
        for n in (1, 2) if twins else (1,):
            prefix = f"foetus{n}"
            ipp = "".join(rng.choice("0123456789") for _ in self.patient.ipp)
            self.comb(f"{prefix}.ipp", ipp)
            sex = rng.choice(["F", "M"])
            if rng.random() < 0.8:
                self.choice(f"{prefix}.sexe", sex)
            pool = names.FEMALE_FORENAMES if sex == "F" else names.MALE_FORENAMES
            if not ended:
                if rng.random() < 0.2:
                    self.comb(f"{prefix}.prenom", rng.choice(pool))
                continue
            early = EARLY_ENDS[(weeks >= 14) + (weeks >= 22)]
            outcome = BIRTH if weeks >= 24 and rng.random() < 0.7 else rng.choice(early)
            self.choice(f"{prefix}.issue", outcome)
            if outcome == BIRTH:
                self.comb(f"{prefix}.prenom", rng.choice(pool))
                self.comb(f"{prefix}.nom_enfant", rng.choice(names.SURNAMES))
                continue
            if rng.random() < 0.8:
                self.comb(f"{prefix}.age_gestationnel", str(max(weeks, 4)))
            if outcome in ("O04", "P95", "O03"):
                self.choice(f"{prefix}.foetopathologie", YES if rng.random() < 0.6 else NO)
        side, count = self.side_rng("sujet"), 2 if twins else 1
        if self.has("foetus1.sujet_activite"):  # annexe grossesse v2: one fœtus per box
            if side.random() < 0.35:
                self.boolean(f"foetus{side.randint(1, count)}.sujet_activite", True)
            if side.random() < 0.25:
                self.boolean(f"foetus{side.randint(1, count)}.sujet_pec", True)

    def treatments(self, blocks: list[str]) -> None:
        """The annexe traitements: one drug per filled block (``traitement1``…), in progress
        or stopped, with its ATC code and, for some, its EMA number."""
        if not self.has("traitement1.medicament"):
            return
        rng = self.rng
        for prefix, (name, atc, ema) in zip(blocks, rng.sample(DRUGS, len(blocks)),
                                            strict=True):
            if rng.random() < 0.95:
                self.comb(f"{prefix}.medicament", name)
            if rng.random() < 0.85:
                self.comb(f"{prefix}.atc", atc)
            if rng.random() < 0.4:
                self.comb(f"{prefix}.ema", ema)
            days = max((self.today - self.inclusion).days, 0) + 700
            start = max(self.today - timedelta(days=rng.randint(30, days)),
                        self.patient.naissance)
            if rng.random() < 0.9:
                self.put_date(f"{prefix}.date_debut", start)
            if rng.random() < 0.3:  # stopped
                self.boolean(f"{prefix}.arrete", True)
                self.put_date(f"{prefix}.date_fin",
                              start + timedelta(days=rng.randint(0, (self.today - start).days)))
