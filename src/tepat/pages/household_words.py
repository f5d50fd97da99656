"""Household data in words: the Regsosek codes as labels, and the rules' results as sentences.

The Indonesian code labels are the registry's own (:mod:`tepat.synth.codes`, REGSOSEK22-K);
the English ones are translations for the ``en`` pages. Field names and sentence frames come
from the message catalogue (``households.attr.*``, ``households.field.*``). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from tepat.eligibility.pyeval import COUNTED, SUPERSEDED, CheckResult, ComponentLine, RankNote
from tepat.pages.i18n import Lang, Translate
from tepat.pages.render import number, rupiah
from tepat.registry.fields import ASSETS, HOUSING, LIVESTOCK
from tepat.synth import codes

_EN: Final[dict[str, dict[int, str]]] = {
    "building_ownership": {
        1: "Own",
        2: "Contract/rent",
        3: "Rent-free",
        4: "Official housing",
        5: "Other",
    },
    "land_title": {
        1: "Ownership certificate (SHM) in a member's name",
        2: "Ownership certificate (SHM) in another name",
        3: "Certificate other than SHM",
        4: "Other proof (girik, letter C)",
        5: "None",
        6: "Does not know",
    },
    "floor_material": {
        1: "Marble/granite",
        2: "Ceramic tiles",
        3: "Parquet/vinyl/carpet",
        4: "Tiles/terrazzo",
        5: "Wood/boards",
        6: "Cement/red brick",
        7: "Bamboo",
        8: "Earth",
        9: "Other",
    },
    "wall_material": {
        1: "Masonry",
        2: "Plastered woven bamboo/wire",
        3: "Wood/boards/gypsum",
        4: "Woven bamboo",
        5: "Logs",
        6: "Bamboo",
        7: "Other",
    },
    "roof_material": {
        1: "Concrete",
        2: "Clay tiles",
        3: "Zinc sheets",
        4: "Asbestos",
        5: "Bamboo",
        6: "Wood/shingles",
        7: "Straw/palm leaves",
        8: "Other",
    },
    "drinking_water": {
        1: "Bottled water",
        2: "Refill water",
        3: "Piped water",
        4: "Borehole/pump",
        5: "Protected well",
        6: "Unprotected well",
        7: "Protected spring",
        8: "Unprotected spring",
        9: "Surface water (river/lake)",
        10: "Rainwater",
        11: "Other",
    },
    "lighting": {
        1: "PLN electricity with a meter",
        2: "PLN electricity without a meter",
        3: "Non-PLN electricity",
        4: "Not electric",
    },
    "power_va": {1: "450 watt", 2: "900 watt", 3: "1,300 watt", 4: "2,200 watt", 5: "> 2,200 watt"},
    "cooking_fuel": {
        0: "Does not cook at home",
        1: "Electricity",
        2: "LPG 5.5 kg/blue gaz",
        3: "LPG 12 kg",
        4: "LPG 3 kg",
        5: "Biogas",
        6: "Kerosene",
        7: "Briquettes",
        8: "Charcoal",
        9: "Firewood",
        10: "Other",
    },
    "toilet_facility": {
        1: "Yes, used by this family only",
        2: "Yes, shared with other families",
        3: "Yes, communal facility",
        4: "Yes, public facility",
        5: "Yes, but the family does not use it",
        6: "No toilet",
    },
    "toilet_type": {
        1: "Gooseneck",
        2: "Squat with lid",
        3: "Squat without lid",
        4: "Pit latrine",
    },
    "excreta_disposal": {
        1: "Septic tank",
        2: "Sewage treatment (IPAL)",
        3: "Pond/field/river/lake/sea",
        4: "Hole in the ground",
        5: "Beach/open ground/garden",
        6: "Other",
    },
}
_ID: Final[dict[str, Mapping[int, str]]] = {
    "building_ownership": codes.OWNERSHIP,
    "land_title": codes.LAND_TITLE,
    "floor_material": codes.FLOOR,
    "wall_material": codes.WALL,
    "roof_material": codes.ROOF,
    "drinking_water": codes.WATER,
    "lighting": codes.LIGHTING,
    "power_va": codes.POWER,
    "cooking_fuel": codes.COOKING_FUEL,
    "toilet_facility": codes.TOILET,
    "toilet_type": codes.TOILET_TYPE,
    "excreta_disposal": codes.EXCRETA,
}
_RELATIONSHIP_EN: Final = {
    1: "Head of family",
    2: "Wife/husband",
    3: "Child",
    4: "Child-in-law",
    5: "Grandchild",
    6: "Parent/parent-in-law",
    7: "Domestic worker/driver",
    8: "Other",
}
_PROGRAMS_RECEIVED_EN: Final = (
    "Sembako/BPNT",
    "PKH",
    "BLT Desa",
    "Electricity subsidy",
    "Local government aid",
    "Fertiliser subsidy",
    "LPG subsidy",
)

GROUPS: Final = (("housing", HOUSING), ("assets", ASSETS), ("livestock", LIVESTOCK))


def code_label(field: str, value: Any, lang: Lang) -> str | None:
    """The label of a coded value (None when the field is not coded or the code unknown)."""
    table: Mapping[int, str] | None = (_EN if lang == "en" else _ID).get(field)
    if table is None or not isinstance(value, int):
        return None
    return table.get(value)


def relationship(code: int | None, lang: Lang) -> str:
    """r409 as words (Kepala keluarga, Anak ...)."""
    table = _RELATIONSHIP_EN if lang == "en" else codes.RELATIONSHIP
    return table.get(code or 0, "-")


def attribute_value(field: str, value: Any, lang: Lang, t: Translate) -> str:
    """One household attribute as a person would say it."""
    if value is None:
        return t("households.unknown")
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if field == "programs_received" and isinstance(value, int):
        names = _PROGRAMS_RECEIVED_EN if lang == "en" else codes.PROGRAMS_RECEIVED
        got = [n for i, n in enumerate(names) if value & (1 << i)]
        return ", ".join(got) if got else t("common.none")
    label = code_label(field, value, lang)
    if label is not None:
        return label
    if field == "floor_area_m2":
        return f"{number(value, lang)} m²"
    if field in LIVESTOCK:
        return t("households.heads", n=number(value, lang))
    if isinstance(value, int | float):
        return number(value, lang)
    return str(value)


# -- the rules' results ------------------------------------------------------------------------


def _value(field: str, value: Any, lang: Lang, t: Translate) -> str:
    if value is None:
        return t("households.unknown")
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if field == "school_level":
        return str(value).upper()
    if field in ("excluded_family", "state_employee") and isinstance(value, int | float):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return number(value, lang, 0 if float(value).is_integer() else 1)
    if isinstance(value, list | tuple):
        return ", ".join(_value(field, v, lang, t) for v in value)
    return str(value)


def field_name(field: str, t: Translate) -> str:
    """A rules field in words (umur, desil ...), or the field's own name."""
    key = f"households.field.{field}"
    text = t(key)
    return field.replace("_", " ") if text == key else text


def condition_sentence(check: CheckResult, lang: Lang, t: Translate) -> str:
    """One condition as a sentence: what the rule asks, and what the data says."""
    label = check.label if lang == "id" else check.label_en
    value = _value(check.field, check.actual, lang, t)
    if check.held is None:
        return t("households.cond_unknown", rule=label, field=field_name(check.field, t))
    key = "households.cond_met" if check.held else "households.cond_not_met"
    return t(key, rule=label, field=field_name(check.field, t), value=value)


def component_sentence(line: ComponentLine, who: str, lang: Lang, t: Translate) -> str:
    """A PKH component line: who, which component, how much, and whether it counted."""
    label = line.label if lang == "id" else line.label_en
    amount = rupiah(line.amount_year, lang)
    if line.reason == COUNTED:
        return t("households.comp_counted", who=who, component=label, amount=amount)
    if line.reason == SUPERSEDED:
        return t("households.comp_superseded", who=who, component=label, amount=amount)
    cap = line.cap_label if lang == "id" else line.cap_label_en
    return t("households.comp_capped", who=who, component=label, amount=amount, cap=cap)


def rank_sentence(note: RankNote, lang: Lang, t: Translate) -> str:
    """A family cap or a regional quota, and whether this unit was within it."""
    label = note.label if lang == "id" else note.label_en
    if note.position is not None:
        key = "households.rank_in" if note.admitted else "households.rank_out"
        return t(key, rule=label, n=note.position)
    if note.quota is None:
        return t("households.quota_unknown", rule=label)
    key = "households.quota_in" if note.admitted else "households.quota_out"
    return t(
        key,
        rule=label,
        quota=number(note.quota, lang),
        eligible=number(note.eligible_units or 0, lang),
    )
