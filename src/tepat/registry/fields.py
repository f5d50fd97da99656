"""The household items of Regsosek blocks III and V: our column name -> questionnaire item.

One list for the registry model, the synthetic generator, the Regsosek export and the PMT, so a
new item is added in one place.
"""

from __future__ import annotations

from typing import Final

HOUSING: Final = {
    "building_ownership": "r301a",
    "land_title": "r301b",
    "floor_area_m2": "r302",
    "floor_material": "r303",
    "wall_material": "r304",
    "roof_material": "r305",
    "drinking_water": "r306a",
    "sewage_distance_ok": "r306b",
    "lighting": "r307a",
    "power_va": "r307b1",
    "cooking_fuel": "r308",
    "toilet_facility": "r309a",
    "toilet_type": "r309b",
    "excreta_disposal": "r310",
}
ASSETS: Final = {
    "has_lpg_tank": "r502a",
    "has_fridge": "r502b",
    "has_ac": "r502c",
    "has_water_heater": "r502d",
    "has_landline": "r502e",
    "has_flat_tv": "r502f",
    "has_gold": "r502g",
    "has_computer": "r502h",
    "has_motorbike": "r502i",
    "has_bicycle": "r502j",
    "has_car": "r502k",
    "has_boat": "r502l",
    "has_motorboat": "r502m",
    "has_smartphone": "r502n",
    "land_elsewhere": "r503a",
    "house_elsewhere": "r503b",
    "internet_access": "r505",
    "bank_account": "r506",
}
LIVESTOCK: Final = {
    "cattle": "r504a",
    "buffalo": "r504b",
    "horses": "r504c",
    "pigs": "r504d",
    "goats": "r504e",
}
HOUSEHOLD_ITEMS: Final = {**HOUSING, **ASSETS, **LIVESTOCK}
# Yes/no items (written 1 = ya, 2 = tidak in Regsosek); the rest are codes or counts.
YES_NO_ITEMS: Final = frozenset({*ASSETS, "sewage_distance_ok"})
# Block IV member items that the registry's Person stores as they are.
PERSON_ITEMS: Final = (
    "pregnant",
    "id_documents",
    "school_participation",
    "education_level",
    "grade",
    "diploma",
    "worked_last_week",
    "work_hours",
    "industry",
    "employment_status",
    "occupation_group",
    "has_npwp",
    "has_business",
    "business_turnover",
    "disability",
    "disability_domains",
    "chronic_disease",
    "health_insurance",
    "prakerja",
    "kur",
    "umi",
    "pip",
)
