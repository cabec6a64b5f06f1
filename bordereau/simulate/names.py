"""Small lists of realistic French identity data for simulated sheets (no real patients).

Names are common French birth names and forenames, written as on a form: capitals without
accents, hyphens and apostrophes kept, a space between the words of a particle name.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = _words(
    "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL "
    "LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE "
    "ROUSSEAU VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER "
    "FRANCOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL "
    "MATHIEU MASSON MARCHAND DUVAL DENIS DUMONT LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN "
    "BLANCHARD GIRAUD JOLY RIVIERE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE "
    "RENARD SCHMITT LEROUX COLIN VIDAL CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS "
    "LACROIX OLIVIER BOURGEOIS BENOIT LECLERC PAYET ROLLAND GUILLAUME LECOMTE LOPEZ DUPUY "
    "GUILLOT HUBERT BERGER CARPENTIER SANCHEZ DUPUIS MOULIN DESCHAMPS VASSEUR PEREZ BOUCHER "
    "FLEURY ROYER KLEIN JACQUET POIRIER MARTY AUBRY GUYOT CARRE RENAULT MENARD MAILLARD BARON "
    "BAILLY HERVE SCHNEIDER FERNANDEZ COLLET LEGER BOUVIER PREVOST PERROT GERMAIN BRETON "
    "BESSON LANGLOIS PELLETIER LEVEQUE LEBLANC WEBER HAMON BOULANGER MONNIER GRONDIN TESSIER "
    "CHAUVIN HOARAU PERRET CORDIER LEJEUNE DELAUNAY CARLIER DIALLO NGUYEN TRAN BENHAMOU "
    "HADDAD MEDJAHED OUATTARA"
)

PARTICLE_SURNAMES = (
    "LE GALL",
    "LE GOFF",
    "LE ROUX",
    "LE BIHAN",
    "DA SILVA",
    "DOS SANTOS",
    "DE OLIVEIRA",
    "BEN ALI",
    "D'ALMEIDA",
    "D'AMICO",
    "N'DIAYE",
    "SAINT-MARTIN",
    "DE LA FONTAINE",
)

FEMALE_FORENAMES = _words(
    "MARIE NATHALIE ISABELLE SYLVIE CATHERINE FRANCOISE CHRISTINE MONIQUE VALERIE SANDRINE "
    "CELINE JULIE AURELIE EMILIE CAMILLE LEA MANON CHLOE INES JADE LOUISE EMMA ALICE LINA "
    "ROSE ANNA MIA AMBRE JULIA ZOE CLARA SARAH LAURA PAULINE NOEMIE ELODIE YASMINE FATIMA "
    "AICHA MAELLE LOLA AGATHE CHARLOTTE HELENE JEANNE MATHILDE MARIE-CLAIRE ANNE-SOPHIE "
    "MARIE-LOU ANNE-LAURE"
)

MALE_FORENAMES = _words(
    "JEAN PIERRE MICHEL ANDRE PHILIPPE ALAIN NICOLAS CHRISTOPHE PATRICK DAVID JULIEN THOMAS "
    "ALEXANDRE LUCAS HUGO LOUIS GABRIEL LEO RAPHAEL ARTHUR JULES ADAM MAEL NOAH ETHAN PAUL "
    "NATHAN TOM SACHA MOHAMED KARIM YANIS ANTOINE MAXIME QUENTIN ROMAIN KEVIN MARC OLIVIER "
    "FRANCOIS BAPTISTE TIMOTHEE MATHIS ENZO SAMUEL JEAN-PIERRE JEAN-LUC JEAN-MARC PAUL-HENRI "
    "JEAN-BAPTISTE"
)

# INSEE commune codes (COG): (code, name). Corsica uses 2A/2B; overseas 97x.
COMMUNES = (
    ("69123", "Lyon"),
    ("69266", "Villeurbanne"),
    ("69259", "Vénissieux"),
    ("13055", "Marseille"),
    ("13001", "Aix-en-Provence"),
    ("75056", "Paris"),
    ("31555", "Toulouse"),
    ("06088", "Nice"),
    ("44109", "Nantes"),
    ("67482", "Strasbourg"),
    ("34172", "Montpellier"),
    ("33063", "Bordeaux"),
    ("59350", "Lille"),
    ("35238", "Rennes"),
    ("38185", "Grenoble"),
    ("42218", "Saint-Étienne"),
    ("21231", "Dijon"),
    ("83137", "Toulon"),
    ("84007", "Avignon"),
    ("63113", "Clermont-Ferrand"),
    ("01053", "Bourg-en-Bresse"),
    ("97411", "Saint-Denis (La Réunion)"),
    ("97209", "Fort-de-France"),
)
CORSICA = (
    ("2A004", "Ajaccio"),
    ("2A247", "Porto-Vecchio"),
    ("2B033", "Bastia"),
    ("2B096", "Corte"),
)
# Born abroad: 99 + the INSEE country code.
COUNTRIES = (
    ("99350", "Maroc"),
    ("99352", "Algérie"),
    ("99351", "Tunisie"),
    ("99134", "Espagne"),
    ("99139", "Portugal"),
    ("99127", "Italie"),
    ("99109", "Allemagne"),
    ("99131", "Belgique"),
)

# Real ORPHA codes, used for the "autre code ORPHA" cells when the disease is not in the
# centre's thesaurus.
OTHER_ORPHA = ("558", "586", "355", "324", "778", "908", "636", "805", "870", "881", "79445")
HGNC_SYMBOLS = ("FBN1", "CFTR", "GBA1", "GLA", "MECP2", "FMR1", "NF1", "TSC2", "PKD1", "SCN1A")
# CIF (ICF) categories written on the annexe statut fonctionnel: body functions (b),
# structures (s), activities and participation (d), environment (e).
CIF_CODES = ("B117", "B1440", "B710", "B730", "B280", "D450", "D550", "D330", "S750", "E120")
CIM10 = ("Q780", "Q774", "E833", "G710", "G120", "Q871", "E752", "E790", "M894", "Q850")
COMMENTS = (
    "Bilan genetique en attente.",
    "Suivi annuel, pas de complication.",
    "Revoir en consultation dans six mois.",
    "Patient adresse pour avis, dossier complet.",
    "Resultats de sequencage a recuperer.",
    "Kinesitherapie deux fois par semaine.",
    "Famille informee du conseil genetique.",
    "Examen clinique stable depuis la derniere visite.",
    "RCP prevue le mois prochain.",
    "Traitement bien tolere.",
)
COMMENTS_ACCENTED = (
    "Bilan génétique en attente.",
    "Revoir en consultation dans six mois.",
    "Patient adressé pour avis, dossier complet.",
    "Résultats de séquençage à récupérer.",
    "Kinésithérapie deux fois par semaine.",
    "Famille informée du conseil génétique.",
    "Examen clinique stable depuis la dernière visite.",
    "RCP prévue le mois prochain.",
    "Traitement bien toléré.",
)
