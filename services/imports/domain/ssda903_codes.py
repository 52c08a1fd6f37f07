"""The SSDA903 return's code lists, and what each code becomes in Acorn.

The DfE's codes stop here: Acorn receives descriptive provider names, intervention titles and
categories, and reasons in words. Sources: DfE, *Children looked after return (SSDA903) guide*
and the column rules in `SSDA903_schema_2024.yml` (Data to Insight).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderKind:
    name: str  # the provider's name in Acorn
    kind: str  # in_house, independent or voluntary
    in_house: bool  # the council's own: its foster placements are in-house fostering


# PLACE_PROVIDER; a blank one (the return allows it) is a provider "not recorded"
PROVIDERS: dict[str, ProviderKind] = {
    # placed with parents is arranged and supervised by the council itself
    "PR0": ProviderKind("Parents or others with parental responsibility", "in_house", False),
    "PR1": ProviderKind("The council's own provision", "in_house", True),
    "PR2": ProviderKind("Another council's provision", "independent", False),
    "PR3": ProviderKind("Other public provision (e.g. the NHS)", "independent", False),
    "PR4": ProviderKind("Private provision", "independent", False),
    "PR5": ProviderKind("Voluntary or third sector provision", "voluntary", False),
    "": ProviderKind("Placement provider not recorded", "independent", False),
}

FOSTERING = "fostering"  # in-house or independent fostering, by provider
RESIDENTIAL = "residential_care"
SUPPORTED = "supported_accommodation"
WITH_PARENTS = "placed_with_parents"
OTHER = "other"

# PLACE -> (the placement in words, its category)
PLACEMENTS: dict[str, tuple[str, str]] = {
    "A3": ("Placed for adoption with consent, with current foster carers", OTHER),
    "A4": ("Placed for adoption with consent, not with current foster carers", OTHER),
    "A5": ("Placed for adoption with a placement order, with current foster carers", OTHER),
    "A6": ("Placed for adoption with a placement order, not with current foster carers", OTHER),
    "H5": ("Semi-independent living accommodation", SUPPORTED),
    "K1": ("Secure children's home", RESIDENTIAL),
    "K2": ("Children's home", RESIDENTIAL),
    "P1": ("Placed with own parents or others with parental responsibility", WITH_PARENTS),
    "P2": ("Independent living (flat, lodgings, bedsit or with friends)", SUPPORTED),
    "P3": ("Residential employment", OTHER),
    "R1": ("Residential care home", RESIDENTIAL),
    "R2": ("NHS or health trust establishment providing medical or nursing care", OTHER),
    "R3": ("Family centre or mother and baby unit", OTHER),
    "R5": ("Young offender institution or prison", OTHER),
    "S1": ("Residential school", OTHER),
    "T0": ("Temporary move", OTHER),
    "T1": ("Temporary period in hospital", OTHER),
    "T2": ("Temporary absence from the placement (e.g. a holiday)", OTHER),
    "T3": ("Temporary accommodation while the usual foster placement is unavailable", OTHER),
    "T4": ("Temporary period in another placement", OTHER),
    "U1": ("Foster placement with a relative or friend: long term", FOSTERING),
    "U2": ("Foster placement with a relative or friend: fostering for adoption", FOSTERING),
    "U3": ("Foster placement with a relative or friend: short term", FOSTERING),
    "U4": ("Foster placement with another foster carer: long term", FOSTERING),
    "U5": ("Foster placement with another foster carer: fostering for adoption", FOSTERING),
    "U6": ("Foster placement with another foster carer: short term", FOSTERING),
    "Z1": ("Other placement", OTHER),
}

# REC: why an episode ended, as the reason an enrolment ends
ENDINGS: dict[str, str] = {
    "X1": "the placement changed",
    "E11": "adopted (application unopposed)",
    "E12": "adopted (consent dispensed with by the court)",
    "E13": "left care to live with former foster carers",
    "E14": "accommodation on remand ended",
    "E15": "age assessment found the young person 18 or over",
    "E16": "moved abroad",
    "E17": "18 or over and stayed with current carers",
    "E2": "died",
    "E3": "care taken over by another council",
    "E41": "residence or child arrangements order granted",
    "E45": "special guardianship order to former foster carers",
    "E46": "special guardianship order to others",
    "E47": "special guardianship order to former foster carers who are relatives or friends",
    "E48": "special guardianship order to other relatives or friends",
    "E4A": "returned home as part of the care plan",
    "E4B": "returned home, not as part of the care plan",
    "E5": "moved to independent living with formal support",
    "E6": "moved to independent living without formal support",
    "E7": "moved to residential care funded by adult social services",
    "E8": "stopped being looked after for another reason",
    "E9": "sentenced to custody",
}
UNRECORDED_ENDING = "episode of care ended"

REASONS_FOR_NEW_EPISODE = frozenset({"S", "L", "P", "T", "B", "U"})  # RNE
LEGAL_STATUSES = frozenset(  # LS
    {"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"}
)
NEEDS = frozenset({"N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"})  # CIN

# OC2 column -> the indicator of Acorn's outcome framework it is a reading of
OC2_INDICATORS: dict[str, str] = {
    "SDQ_SCORE": "sdq_total_difficulties",
    "HEALTH_CHECK": "health_assessment_up_to_date",
    "IMMUNISATIONS": "immunisations_up_to_date",
    "TEETH_CHECK": "dental_check_up_to_date",
    "SUBSTANCE_MISUSE": "substance_misuse",
    "CONVICTED": "offended_12m",
}
SDQ_RANGE = (0, 40)
