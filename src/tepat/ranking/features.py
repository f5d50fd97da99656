"""PMT regressors as SQL over ``rank_households`` and ``rank_members``: one definition, used to fit
on the survey households and to apply to every household, so the two can never drift apart.

A feature set is a list of ``Feature(name, sql)``: the SQL is evaluated per household in
``household_features`` (members aggregated first). Category items become one indicator per code
of the fixed Regsosek code list (the first code is the reference), so the columns of a model do not
depend on which codes happen to occur in the data. A missing value counts as the reference code /
zero, with a ``<item>_missing`` indicator where the item is often missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import duckdb
import pyarrow as pa

from tepat.errors import InvalidInput
from tepat.registry.fields import ASSETS, LIVESTOCK
from tepat.synth import codes


@dataclass(frozen=True)
class Feature:
    """One regressor: a name and a SQL expression over the household row ``h`` and ``m``."""

    name: str
    sql: str


# Household categorical items and their code lists (Regsosek block III).
CATEGORICAL: Final = {
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
    "excreta_disposal": codes.EXCRETA,
}
# Education tiers of r413 codes: 1 primary, 2 junior secondary, 3 senior secondary, 4 higher.
EDUCATION_TIER_SQL: Final = (
    "CASE WHEN education_level BETWEEN 1 AND 5 THEN 1 WHEN education_level BETWEEN 6 AND 10 THEN 2 "
    "WHEN education_level BETWEEN 11 AND 17 THEN 3 WHEN education_level >= 18 THEN 4 ELSE 0 END"
)

# Per-household aggregates of the living members (table ``m`` in the feature query): the SELECT
# items over a family's living members (``rank_members``), in this order.
MEMBER_AGGREGATE_ITEMS: Final = (
    "count(*) AS n",
    "count(*) FILTER (WHERE age < 15) AS children",
    "count(*) FILTER (WHERE age < 5) AS under_five",
    "count(*) FILTER (WHERE age >= 60) AS elderly",
    "count(*) FILTER (WHERE worked_last_week) AS working",
    "count(*) FILTER (WHERE employment_status IN (3, 4, 5)) AS formal",
    "count(*) FILTER (WHERE employment_status IN (6, 7, 8)) AS casual",
    "bool_or(coalesce(has_business, false)) AS business",
    "count(*) FILTER (WHERE disability >= 3) AS disabled",
    "count(*) FILTER (WHERE coalesce(chronic_disease, 0) > 0) AS chronic",
    "count(*) FILTER (WHERE school_participation = 1) AS in_school",
    "count(*) FILTER (WHERE age BETWEEN 7 AND 17 AND school_participation <> 1) AS out_school",
    f"max({EDUCATION_TIER_SQL}) AS best_tier",
    f"arg_min({EDUCATION_TIER_SQL}, coalesce(relationship, 9) * 1000 - coalesce(age, 0)) "
    "AS head_tier",
    "arg_min(age, coalesce(relationship, 9) * 1000 - coalesce(age, 0)) AS head_age",
    "arg_min(sex, coalesce(relationship, 9) * 1000 - coalesce(age, 0)) AS head_sex",
    "arg_min(employment_status, coalesce(relationship, 9) * 1000 - coalesce(age, 0)) "
    "AS head_employment",
    "arg_min(coalesce(worked_last_week, false), "
    "coalesce(relationship, 9) * 1000 - coalesce(age, 0)) AS head_worked",
)
MEMBER_AGGREGATE_COLUMNS: Final = tuple(
    item.rsplit(" AS ", 1)[1] for item in MEMBER_AGGREGATE_ITEMS
)


def family_key(name: str) -> str:
    """``name`` if it can name the family key column (``family_id`` or an integer column that
    stands one to one for it); it is written into SQL as is."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise InvalidInput(f"{name!r} is not a column name")
    return name


def member_aggregates(extra: Sequence[str] = (), key: str = "family_id") -> str:
    """The query of the member aggregates (one row per family with a living member), with
    ``extra`` SELECT items over the same rows (``m``, living members, grouped by family), so
    that another step's per-family aggregates ride on the same pass over the members. ``key``
    is the column naming the family in ``rank_members`` (and in the result): ``family_id``, or
    an integer column that stands one to one for it."""
    family_key(key)
    names = [*MEMBER_AGGREGATE_COLUMNS, *(item.rsplit(" AS ", 1)[-1] for item in extra)]
    names = [n.strip('"') for n in [key, *names]]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput(f"member aggregate column(s) named twice: {', '.join(twice)}")
    items = ",\n           ".join([*MEMBER_AGGREGATE_ITEMS, *extra])
    return f"""
    SELECT m.{key},
           {items}
    FROM rank_members m WHERE m.status = 'alive' GROUP BY m.{key}
"""


MEMBER_AGGREGATES: Final = member_aggregates()


def _size() -> str:
    return "greatest(coalesce(m.n, 1), 1)::DOUBLE"


def composition() -> list[Feature]:
    """Household size and composition, the head, and what the members do."""
    size = _size()
    out = [
        Feature("log_size", f"ln({size})"),
        Feature("log_size_sq", f"ln({size}) * ln({size})"),
        Feature("share_children", f"coalesce(m.children, 0) / {size}"),
        Feature("share_elderly", f"coalesce(m.elderly, 0) / {size}"),
        Feature("head_female", "coalesce(m.head_sex = 'F', false)::DOUBLE"),
        Feature("head_age", "coalesce(m.head_age, 45) / 10.0"),
        Feature("head_age_sq", "(coalesce(m.head_age, 45) / 10.0) ^ 2"),
        Feature("head_worked", "coalesce(m.head_worked, false)::DOUBLE"),
    ]
    out += [
        Feature(f"head_tier_{t}", f"(coalesce(m.head_tier, 0) = {t})::DOUBLE") for t in (1, 2, 3, 4)
    ]
    out += [
        Feature(f"head_employment_{s}", f"(coalesce(m.head_employment, 0) = {s})::DOUBLE")
        for s in sorted(codes.EMPLOYMENT_STATUS)
    ]
    return out


def member_detail() -> list[Feature]:
    """What the plain PMT leaves out: every member's work, business, schooling and health."""
    size = _size()
    out = [
        Feature("share_under_five", f"coalesce(m.under_five, 0) / {size}"),
        Feature("share_working", f"coalesce(m.working, 0) / {size}"),
        Feature("share_formal", f"coalesce(m.formal, 0) / {size}"),
        Feature("share_casual", f"coalesce(m.casual, 0) / {size}"),
        Feature("any_business", "coalesce(m.business, false)::DOUBLE"),
        Feature("share_disabled", f"coalesce(m.disabled, 0) / {size}"),
        Feature("share_chronic", f"coalesce(m.chronic, 0) / {size}"),
        Feature("share_in_school", f"coalesce(m.in_school, 0) / {size}"),
        Feature("any_out_of_school", "(coalesce(m.out_school, 0) > 0)::DOUBLE"),
    ]
    out += [
        Feature(f"best_tier_{t}", f"(coalesce(m.best_tier, 0) = {t})::DOUBLE") for t in (2, 3, 4)
    ]
    return out


def registry_history() -> list[Feature]:
    """What only an integrated registry knows: whether the older welfare lists (DTKS, P3KE) held
    the family, and which programs it received in 2021-22 (r501a-g). Both are earlier welfare
    assessments with their own errors, so they add information the dwelling does not show."""
    out = [
        Feature("listed_dtks", "coalesce(h.listed_dtks, false)::DOUBLE"),
        Feature("listed_p3ke", "coalesce(h.listed_p3ke, false)::DOUBLE"),
    ]
    out += [
        Feature(f"received_{k}", f"((coalesce(h.programs_received, 0) >> {k}) & 1)::DOUBLE")
        for k in range(len(codes.PROGRAMS_RECEIVED))
    ]
    return out


def housing() -> list[Feature]:
    """Blocks III and V: dwelling, utilities, assets and livestock."""
    size = _size()
    out = [
        Feature(
            "log_floor_per_capita",
            f"ln(greatest(coalesce(h.floor_area_m2, 36), 1)::DOUBLE / {size})",
        ),
        Feature("urban", "coalesce(h.urban, false)::DOUBLE"),
    ]
    for item, code_list in CATEGORICAL.items():
        for code in sorted(code_list)[1:]:
            out.append(Feature(f"{item}_{code}", f"(coalesce(h.{item}, -1) = {code})::DOUBLE"))
    out += [Feature(a, f"coalesce(h.{a}, false)::DOUBLE") for a in (*ASSETS, "sewage_distance_ok")]
    out += [Feature(f"log1p_{a}", f"ln(1 + coalesce(h.{a}, 0))") for a in LIVESTOCK]
    return out


def plain_features() -> list[Feature]:
    """The plain national PMT as BPS-style PMTs are usually specified: household, head, housing."""
    return [*composition(), *housing()]


def full_features() -> list[Feature]:
    """Tepat's default: the plain set plus every member's work, business, schooling and health,
    and the family's history in the older lists and programs."""
    return [*composition(), *member_detail(), *registry_history(), *housing()]


FEATURE_SETS: Final = {"plain": plain_features, "full": full_features}


def household_features(
    con: duckdb.DuckDBPyConnection,
    features: list[Feature],
    *,
    where: str = "TRUE",
    extra_columns: str = "",
) -> pa.Table:
    """One row per household of ``rank_households`` (filtered by ``where`` on ``h``), ordered by
    family_id: ``family_id``, region columns, any ``extra_columns``, then the features."""
    cols = ",\n".join(f'({f.sql})::DOUBLE AS "{f.name}"' for f in features)
    extra = f", {extra_columns}" if extra_columns else ""
    return con.sql(
        f"""
        WITH m AS ({MEMBER_AGGREGATES})
        SELECT h.family_id, h.province_code, h.regency_code, h.district_code, h.village_code,
               coalesce(h.urban, false) AS is_urban
               {extra},
               {cols}
        FROM rank_households h LEFT JOIN m USING (family_id)
        WHERE {where}
        ORDER BY h.family_id
        """
    ).to_arrow_table()


def prediction_sql(features: list[Feature], coefficients: dict[str, float]) -> str:
    """The linear predictor as one SQL expression (the intercept is ``coefficients['const']``)."""
    terms = [repr(float(coefficients.get("const", 0.0)))]
    for f in features:
        c = coefficients.get(f.name, 0.0)
        if c:
            terms.append(f"{float(c)!r} * ({f.sql})")
    return " + ".join(terms)
