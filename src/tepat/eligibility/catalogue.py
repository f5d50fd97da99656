"""The field catalogue: every field a rule may test, defined once for SQL and for Python.

A field is read from the ranking step's tables (``rank_households``, ``rank_members``) or derived
from them. Each entry carries its SQL expression (used by the batch engine) next to its Python
function (used by the explanations), so the two implementations read the same definition.

SQL expressions use the alias ``h`` for ``rank_households`` and ``m`` for ``rank_members``;
``{ref}`` stands for the reference date. A *family* field is an aggregate over the family's
living members (``m`` rows with ``status = 'alive'``), with the value it takes when the family
has none.

NULL: a field is NULL (``None``) when its input is; a condition on a NULL value fails and is
reported as *unknown*. Fields marked ``never_null`` always have a value (see their meaning).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

Level = Literal["household", "person"]
Kind = Literal["int", "float", "bool", "text", "date"]
Source = Literal["household", "person", "family"]
Row = Mapping[str, Any]

LIVING_STATUS: Final = "alive"
STATE_EMPLOYEE_CODE: Final = 5  # r418: PNS/TNI/Polri/BUMN/BUMD/anggota legislatif
# r413 education level codes -> school level (only for people still in school, r412 = 1)
SCHOOL_LEVELS: Final[Mapping[int, str]] = {
    **dict.fromkeys(range(1, 6), "sd"),
    **dict.fromkeys(range(6, 11), "smp"),
    **dict.fromkeys(range(11, 18), "sma"),
    **dict.fromkeys(range(18, 24), "pt"),
}
IN_SCHOOL: Final = 1  # r412: still in school


@dataclass(frozen=True)
class Field:
    """One field rules may test."""

    name: str
    source: Source  # household: a rank_households column; person: per member; family: aggregate
    kind: Kind
    meaning: str
    sql: str  # see the module docstring
    py: Callable[[Any, date], Any]  # (row or list of living member rows, reference date)
    derived: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None  # for text values
    never_null: bool = False
    empty: Any = None  # family fields: the value for a family without living members

    @property
    def level(self) -> Level:
        """``person`` for per-member fields; ``household`` for household and family fields."""
        return "person" if self.source == "person" else "household"

    def domain_text(self) -> str:
        """The allowed values, in words (for error messages and the docs)."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"between {_num(self.minimum)} and {_num(self.maximum)}"
        if self.minimum is not None:
            return f"at least {_num(self.minimum)}"
        if self.pattern is not None:
            return f"text like {self.pattern}"
        return f"any {self.kind}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -- Python functions -------------------------------------------------------------------------


def _column(name: str) -> Callable[[Row, date], Any]:
    def get(row: Row, ref: date) -> Any:
        return row.get(name)

    get.__name__ = f"column_{name}"
    return get


def _bit(bit: int) -> Callable[[Row, date], bool | None]:
    def get(row: Row, ref: date) -> bool | None:
        value = row.get("programs_received")
        return None if value is None else bool(int(value) >> bit & 1)

    return get


def living(row: Row, ref: date | None = None) -> bool:
    """A member counts only when their status is ``alive`` (deceased, unknown, NULL do not)."""
    return row.get("status") == LIVING_STATUS


def _age(row: Row, ref: date) -> int | None:
    born = row.get("birth_date")
    if born is None:
        return None
    years: int = ref.year - born.year - int((ref.month, ref.day) < (born.month, born.day))
    return years


def _school_level(row: Row, ref: date) -> str | None:
    if row.get("school_participation") != IN_SCHOOL:
        return None
    level = row.get("education_level")
    return None if level is None else SCHOOL_LEVELS.get(int(level))


def _state_employee(row: Row, ref: date) -> bool:
    return row.get("employment_status") == STATE_EMPLOYEE_CODE


def _members(rows: Sequence[Row], ref: date) -> int:
    return len(rows)


def _excluded_family(rows: Sequence[Row], ref: date) -> bool:
    return any(_state_employee(r, ref) for r in rows)


# -- SQL for the derived fields ---------------------------------------------------------------

_AGE_SQL: Final = (
    "(year({ref}) - year(m.birth_date) - CASE WHEN month(m.birth_date) > month({ref}) "
    "OR (month(m.birth_date) = month({ref}) AND day(m.birth_date) > day({ref})) "
    "THEN 1 ELSE 0 END)"
)
_SCHOOL_SQL: Final = (
    f"CASE WHEN m.school_participation = {IN_SCHOOL} THEN CASE "
    + " ".join(
        f"WHEN m.education_level BETWEEN {lo} AND {hi} THEN '{level}'"
        for level, lo, hi in (("sd", 1, 5), ("smp", 6, 10), ("sma", 11, 17), ("pt", 18, 23))
    )
    + " END END"
)
_STATE_EMPLOYEE_SQL: Final = f"coalesce(m.employment_status = {STATE_EMPLOYEE_CODE}, false)"

_CODE = r"\d{2}"

FIELDS: Final[tuple[Field, ...]] = (
    # -- the household (one row of rank_households) ---------------------------------------
    Field("province_code", "household", "text", "Province code, e.g. '11'.", "h.province_code",
          _column("province_code"), pattern=_CODE),
    Field("regency_code", "household", "text", "Regency/city code, e.g. '11.12'.",
          "h.regency_code", _column("regency_code"), pattern=rf"{_CODE}\.{_CODE}"),
    Field("district_code", "household", "text", "District (kecamatan) code, e.g. '11.12.01'.",
          "h.district_code", _column("district_code"), pattern=rf"{_CODE}\.{_CODE}\.{_CODE}"),
    Field("village_code", "household", "text",
          "Village (desa/kelurahan) code, e.g. '11.12.01.2006'.", "h.village_code",
          _column("village_code"), pattern=rf"{_CODE}\.{_CODE}\.{_CODE}\.\d{{4}}"),
    Field("urban", "household", "bool", "The household lives in an urban area.", "h.urban",
          _column("urban")),
    Field("desil", "household", "int",
          "National welfare decile, 1 = poorest 10%.", "h.desil", _column("desil"),
          minimum=1, maximum=10),
    Field("percentile", "household", "float",
          "National welfare percentile, 0-100, lower = poorer.", "h.percentile",
          _column("percentile"), minimum=0, maximum=100),
    Field("predicted_pce", "household", "float",
          "Predicted expenditure, Rupiah per person per month.", "h.predicted_pce",
          _column("predicted_pce"), minimum=0, maximum=1e9),
    Field("programs_received", "household", "int",
          "Regsosek r501 bitmask of programs received (bit 0 BPNT, bit 1 PKH, ...).",
          "h.programs_received", _column("programs_received"), minimum=0, maximum=2**31 - 1),
    Field("received_bpnt", "household", "bool",
          "Bit 0 of programs_received: the family said it received Sembako/BPNT.",
          "((h.programs_received & 1) <> 0)", _bit(0), derived=True),
    Field("received_pkh", "household", "bool",
          "Bit 1 of programs_received: the family said it received PKH.",
          "((h.programs_received & 2) <> 0)", _bit(1), derived=True),
    # -- the family, from its living members ----------------------------------------------
    Field("members", "family", "int",
          "Number of living members (status 'alive'); never NULL (0 without living members). "
          "Recounted from rank_members: the members column of rank_households is not used.",
          "count(*)", _members, derived=True, minimum=0, maximum=100, never_null=True, empty=0),
    Field("excluded_family", "family", "bool",
          "A living member is PNS/TNI/Polri/BUMN/BUMD/legislator (employment_status 5); "
          "DTSEN's 'exclude ASN/TNI/Polri family' flag. Never NULL: a NULL employment_status "
          "means not working.",
          f"bool_or({_STATE_EMPLOYEE_SQL})", _excluded_family, derived=True, never_null=True,
          empty=False),
    # -- the person (one row of rank_members) ---------------------------------------------
    Field("sex", "person", "text", "'M' or 'F'.", "m.sex", _column("sex"), choices=("M", "F")),
    Field("birth_date", "person", "date", "Date of birth.", "m.birth_date",
          _column("birth_date")),
    Field("age", "person", "int",
          "Age in completed years at the reference date (NULL without birth_date).",
          _AGE_SQL, _age, derived=True, minimum=0, maximum=130),
    Field("relationship", "person", "int",
          "r409 relationship to the head: 1 head, 2 spouse, 3 child, 4 child-in-law, "
          "5 grandchild, 6 parent, 7 maid/driver, 8 other.", "m.relationship",
          _column("relationship"), minimum=1, maximum=8),
    Field("marital_status", "person", "int",
          "r408: 1 single, 2 married, 3 divorced, 4 widowed.", "m.marital_status",
          _column("marital_status"), minimum=1, maximum=4),
    Field("pregnant", "person", "bool", "Currently pregnant (or postpartum).", "m.pregnant",
          _column("pregnant")),
    Field("school_participation", "person", "int",
          "r412: 0 never attended, 1 still in school, 2 no longer in school.",
          "m.school_participation", _column("school_participation"), minimum=0, maximum=2),
    Field("education_level", "person", "int",
          "r413 level attended (1-23): 1-5 SD, 6-10 SMP, 11-17 SMA, 18-23 higher education.",
          "m.education_level", _column("education_level"), minimum=1, maximum=23),
    Field("school_level", "person", "text",
          "Level of a person still in school (school_participation = 1): 'sd', 'smp', 'sma' "
          "or 'pt' from education_level; NULL for everyone else and when the level is missing.",
          _SCHOOL_SQL, _school_level, derived=True, choices=("sd", "smp", "sma", "pt")),
    Field("employment_status", "person", "int",
          "r418 status in employment, 1-8 (5 = PNS/TNI/Polri/BUMN/BUMD/legislator); "
          "0 or NULL = not working.", "m.employment_status", _column("employment_status"),
          minimum=0, maximum=8),
    Field("state_employee", "person", "bool",
          "employment_status = 5 (PNS/TNI/Polri/BUMN/BUMD/legislator). Never NULL: a NULL "
          "employment_status means not working, so false.", _STATE_EMPLOYEE_SQL,
          _state_employee, derived=True, never_null=True),
    Field("worked_last_week", "person", "bool", "Worked in the past week.",
          "m.worked_last_week", _column("worked_last_week")),
    Field("has_business", "person", "bool", "Runs a business.", "m.has_business",
          _column("has_business")),
    Field("disability", "person", "int",
          "r428 worst functional difficulty: 1 none, 2 some, 3 a lot, 4 cannot at all.",
          "m.disability", _column("disability"), minimum=1, maximum=4),
    Field("chronic_disease", "person", "int", "Chronic disease code, 0 = none.",
          "m.chronic_disease", _column("chronic_disease"), minimum=0, maximum=99),
    Field("status", "person", "text",
          "'alive', 'deceased' or 'unknown'. Only living members are ever counted.",
          "m.status", _column("status"), choices=("alive", "deceased", "unknown")),
    Field("living", "person", "bool",
          "status = 'alive'. Never NULL (a NULL status is not alive). Every rule sees only "
          "living members; the field is here for completeness.",
          f"coalesce(m.status = '{LIVING_STATUS}', false)", living, derived=True,
          never_null=True),
)  # fmt: skip

CATALOGUE: Final[Mapping[str, Field]] = {f.name: f for f in FIELDS}
REGION_FIELDS: Final = ("province_code", "regency_code", "district_code", "village_code")
HOUSEHOLD_COLUMNS: Final = (
    "family_id",
    "province_code",
    "regency_code",
    "district_code",
    "village_code",
    "urban",
    "members",
    "desil",
    "percentile",
    "predicted_pce",
    "programs_received",
)
MEMBER_COLUMNS: Final = (
    "person_key",
    "family_id",
    "sex",
    "birth_date",
    "relationship",
    "marital_status",
    "pregnant",
    "school_participation",
    "education_level",
    "employment_status",
    "worked_last_week",
    "has_business",
    "disability",
    "chronic_disease",
    "status",
)


def field_sql(field: Field, reference_date: date) -> str:
    """The field's SQL with the reference date filled in."""
    return field.sql.replace("{ref}", f"DATE '{reference_date.isoformat()}'")


def person_value(name: str, member: Row, reference_date: date) -> Any:
    """A person field of one member (a household field is read from ``member``'s family)."""
    return CATALOGUE[name].py(member, reference_date)


def household_values(
    household: Row, living_members: Sequence[Row], reference_date: date
) -> dict[str, Any]:
    """Every household and family field of one family."""
    out: dict[str, Any] = {}
    for field in FIELDS:
        if field.source == "household":
            out[field.name] = field.py(household, reference_date)
        elif field.source == "family":
            out[field.name] = field.py(living_members, reference_date)
    return out


def check_value(field: Field, value: object) -> str | None:
    """Why ``value`` cannot be a value of ``field`` (wrong type or out of range), or None."""
    if field.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{field.name} takes a whole number, not {value!r}"
    elif field.kind == "float":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"{field.name} takes a number, not {value!r}"
    elif field.kind == "bool":
        if not isinstance(value, bool):
            return f"{field.name} takes true or false, not {value!r}"
    elif field.kind == "text":
        if not isinstance(value, str):
            return f"{field.name} takes text, not {value!r}"
    elif field.kind == "date" and not isinstance(value, date):
        return f"{field.name} takes a date (1990-01-31, no quotes), not {value!r}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = field.minimum, field.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{field.name} is {field.domain_text()}, not {value!r}"
    if isinstance(value, str):
        if field.choices and value not in field.choices:
            return f"{field.name} is {field.domain_text()}, not {value!r}"
        if field.pattern and not re.fullmatch(field.pattern, value):
            return f"{field.name} is {field.domain_text()}, not {value!r}"
    return None
