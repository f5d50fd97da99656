"""One DCI search request as plain data: parse and validate it, or reject it with its code.

Pure (no database): :func:`parse_item` turns the raw JSON of one ``search_request`` item into a
:class:`Search` (what to find, sorted and paged how) or raises :class:`Rejected` carrying one of
the spec's ``SearchStatusReasonCode`` values. The three query types end in the same shapes: an
:class:`IdLookup` (``idtype-value``) or a tree of :class:`Compare`, :class:`AllOf`,
:class:`AnyOf` and :class:`Negate` over the fields of :data:`FIELDS` (``predicate``,
``expression``), which ``service`` turns into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from tepat.errors import InvalidInput
from tepat.interop.fields import FIELDS, SORT_FIELDS, Entity, Op, valid_timestamp
from tepat.interop.schemas import DCI_VERSION, DEFAULT_PAGE_SIZE, REG_TYPE, SearchRequestItem

REFERENCE_ID_INVALID = "rjct.reference_id.invalid"
REFERENCE_ID_DUPLICATE = "rjct.reference_id.duplicate"
TIMESTAMP_INVALID = "rjct.timestamp.invalid"
CRITERIA_INVALID = "rjct.search_criteria.invalid"
FILTER_INVALID = "rjct.filter.invalid"
SORT_INVALID = "rjct.sort.invalid"
PAGINATION_INVALID = "rjct.pagination.invalid"

MAX_TERMS = 20  # comparisons in one query
MAX_IN_VALUES = 100
MAX_DEPTH = 5

IdType = Literal["NIK", "KK"]

# DCI leaves identifier types to the implementation (its examples: UIN, NationalID).
ID_TYPES: dict[str, IdType] = {"nik": "NIK", "uin": "NIK", "nationalid": "NIK", "kk": "KK"}
QUERY_TYPES = ("idtype-value", "predicate", "expression")
_MONGO_OPS: dict[str, Op] = {
    "$eq": "eq",
    "$gt": "gt",
    "$lt": "lt",
    "$gte": "ge",
    "$lte": "le",
    "$in": "in",
}
_SEPARATORS = re.compile(r"[\s.\-]")


class Rejected(InvalidInput):
    """One search request is rejected; ``code`` is its DCI status reason code."""

    code = CRITERIA_INVALID


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``; for ``in``, ``value`` is a tuple."""

    field: str
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one part holds."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Negate:
    """The part does not hold."""

    part: Condition


Condition = Compare | AllOf | AnyOf | Negate


@dataclass(frozen=True, slots=True)
class IdLookup:
    """An exact identifier: a NIK (people) or a KK number (families), 16 digits."""

    id_type: IdType
    value: str


@dataclass(frozen=True, slots=True)
class Search:
    """A valid search request."""

    reference_id: str
    entity: Entity
    query_type: str
    where: IdLookup | Condition
    sort: tuple[tuple[str, bool], ...]  # (field, descending)
    page_size: int
    page_number: int
    purpose: str | None


# -- parsing ---------------------------------------------------------------------------------


def compare(entity: Entity, name: Any, op: Any, value: Any) -> Compare:
    """A comparison on a searchable field of ``entity`` (else :class:`Rejected`)."""
    spec = FIELDS[entity].get(name) if isinstance(name, str) else None
    if spec is None:
        known = ", ".join(FIELDS[entity])
        raise Rejected(
            f"attribute {str(name)[:40]!r} is not searchable in {entity} records; use {known}",
            code=FILTER_INVALID,
        )
    if op not in spec.ops:
        ops = ", ".join(sorted(spec.ops))
        raise Rejected(f"{name}: operator must be one of {ops}", code=FILTER_INVALID)
    try:
        if op != "in":
            return Compare(name, op, spec.parse(value))
        if not isinstance(value, list) or not 0 < len(value) <= MAX_IN_VALUES:
            raise ValueError(f"needs a list of 1 to {MAX_IN_VALUES} values for operator in")
        return Compare(name, op, tuple(spec.parse(v) for v in value))
    except ValueError as exc:
        raise Rejected(f"{name}: {exc}", code=FILTER_INVALID) from None


def _id_lookup(query: Any) -> IdLookup:
    if not isinstance(query, dict) or not {"type", "value"} <= query.keys():
        raise Rejected('an idtype-value query is {"type": "NIK" or "KK", "value": "16 digits"}')
    id_type = ID_TYPES.get(query["type"].lower()) if isinstance(query["type"], str) else None
    if id_type is None:
        raise Rejected(
            f"identifier type {str(query['type'])[:40]!r} is not supported; use NIK (a person; "
            "also UIN or NationalID) or KK (a family card)"
        )
    value = query["value"]
    value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    digits = _SEPARATORS.sub("", value) if isinstance(value, str) else ""
    if len(digits) != 16 or not digits.isdigit():  # the value itself is never quoted
        raise Rejected(f"a {id_type} has exactly 16 digits; the value given does not")
    return IdLookup(id_type, digits)


def _expression1(raw: Any, entity: Entity) -> Compare:
    if not isinstance(raw, dict) or not {"attribute_name", "operator", "attribute_value"} <= set(
        raw
    ):
        raise Rejected("an expression is {attribute_name, operator, attribute_value}")
    return compare(entity, raw["attribute_name"], raw["operator"], raw["attribute_value"])


def _predicate(query: Any, entity: Entity) -> Condition:
    if not isinstance(query, list) or not 0 < len(query) <= MAX_TERMS:
        raise Rejected(
            f"a predicate query is a list of 1 to {MAX_TERMS} "
            "{seq_num, expression1, condition, expression2}"
        )
    ordered: list[tuple[float, int, Condition]] = []
    for i, raw in enumerate(query):
        if not isinstance(raw, dict):
            raise Rejected(f"predicate {i + 1} is not an object")
        seq = raw.get("seq_num", i)
        if isinstance(seq, bool) or not isinstance(seq, int | float):
            raise Rejected(f"predicate {i + 1}: seq_num must be a number")
        first, condition, second = (
            raw.get("expression1"),
            raw.get("condition"),
            raw.get("expression2"),
        )
        node: Condition = _expression1(first, entity)
        if condition is None and second is None:
            pass
        elif condition in ("and", "or") and second is not None:
            pair = (node, _expression1(second, entity))
            node = AllOf(pair) if condition == "and" else AnyOf(pair)
        elif condition == "not":
            node = (
                Negate(node)
                if second is None
                else AllOf((node, Negate(_expression1(second, entity))))
            )
        else:
            raise Rejected(f"predicate {i + 1}: condition and, or or not joins expression2")
        ordered.append((float(seq), i, node))
    parts = tuple(node for _seq, _i, node in sorted(ordered, key=lambda t: (t[0], t[1])))
    return parts[0] if len(parts) == 1 else AllOf(parts)


def _mongo(obj: Any, entity: Entity, depth: int) -> Condition:
    if depth > MAX_DEPTH or not isinstance(obj, dict) or not obj:
        raise Rejected(f"an expression query is a non-empty object nested at most {MAX_DEPTH} deep")
    parts: list[Condition] = []
    for key, value in obj.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise Rejected(f"{key} takes a non-empty list")
            subs = tuple(_mongo(v, entity, depth + 1) for v in value)
            parts.append(AllOf(subs) if key == "$and" else AnyOf(subs))
        elif key == "$not":
            parts.append(Negate(_mongo(value, entity, depth + 1)))
        elif key.startswith("$"):
            raise Rejected(
                f"unknown operator {key[:20]!r}; use $and, $or, $not", code=FILTER_INVALID
            )
        elif isinstance(value, dict) and value:
            for op, operand in value.items():
                if op not in _MONGO_OPS:
                    known = ", ".join(_MONGO_OPS)
                    raise Rejected(f"{key}: operator must be one of {known}", code=FILTER_INVALID)
                parts.append(compare(entity, key, _MONGO_OPS[op], operand))
        else:
            parts.append(compare(entity, key, "eq", value))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _expression(query: Any, entity: Entity | None) -> tuple[Entity, Condition]:
    expression = query.get("value", {}) if isinstance(query, dict) else None
    expression = expression.get("expression") if isinstance(expression, dict) else None
    if not isinstance(expression, dict) or "query" not in expression:
        raise Rejected(
            'an expression query is {"type", "value": {"expression": {"collection", "query"}}}'
        )
    collection = expression.get("collection", entity or "Member")
    if collection not in FIELDS or (entity is not None and collection != entity):
        raise Rejected("collection must be Member or Group (and match response_entity)")
    return collection, _mongo(expression["query"], collection, 0)


def _size(node: IdLookup | Condition) -> int:
    if isinstance(node, AllOf | AnyOf):
        return sum(_size(p) for p in node.parts)
    return _size(node.part) if isinstance(node, Negate) else 1


def _requested_entity(response_entity: str | None, record_type: str | None) -> Entity | None:
    from_type = None if record_type is None else record_type.rsplit(":", 1)[-1]
    if from_type is not None and from_type not in FIELDS:
        raise Rejected("reg_record_type must name Member or Group records (e.g. spdci:Member)")
    if response_entity and from_type and response_entity != from_type:
        raise Rejected("response_entity and reg_record_type disagree")
    entity = response_entity or from_type
    return None if entity is None else ("Group" if entity == "Group" else "Member")


def _purpose(item: SearchRequestItem) -> str | None:
    for source in (item.search_criteria.consent, item.search_criteria.authorize):
        purpose = None if source is None else source.purpose
        text = purpose if isinstance(purpose, str) else purpose and (purpose.text or purpose.code)
        if text:
            return text
    return None


def _rejection(exc: ValidationError) -> Rejected:
    error = exc.errors()[0]
    loc = [str(p) for p in error.get("loc", ())]
    where = ".".join(loc) or "search_request"
    codes = {"reference_id": REFERENCE_ID_INVALID, "timestamp": TIMESTAMP_INVALID}
    code = codes.get(loc[0] if loc else "", CRITERIA_INVALID)
    if loc[:2] == ["search_criteria", "sort"]:
        code = SORT_INVALID
    elif loc[:2] == ["search_criteria", "pagination"]:
        code = PAGINATION_INVALID
    return Rejected(f"{where}: {error.get('msg', 'invalid value')}", code=code, field=where)


def reference_id_of(raw: Any) -> str:
    """The item's reference_id to echo in its answer ("" when there is no usable one)."""
    ref = raw.get("reference_id") if isinstance(raw, dict) else None
    return ref[:99] if isinstance(ref, str) else ""


def parse_item(raw: Any) -> Search:
    """A valid search from one raw ``search_request`` item; :class:`Rejected` otherwise."""
    try:
        item = SearchRequestItem.model_validate(raw)
    except ValidationError as exc:
        raise _rejection(exc) from None
    if not valid_timestamp(item.timestamp):
        raise Rejected("timestamp must be ISO 8601 with a time zone", code=TIMESTAMP_INVALID)
    criteria = item.search_criteria
    if criteria.version != DCI_VERSION:
        raise Rejected(f"search_criteria.version must be {DCI_VERSION}")
    if criteria.reg_type not in (None, REG_TYPE):
        raise Rejected(f"this is a social registry: reg_type is {REG_TYPE} or absent")
    entity = _requested_entity(criteria.response_entity, criteria.reg_record_type)
    where: IdLookup | Condition
    if criteria.query_type == "idtype-value":
        where = _id_lookup(criteria.query)
        entity = entity or ("Member" if where.id_type == "NIK" else "Group")
    elif criteria.query_type == "predicate":
        entity = entity or "Member"
        where = _predicate(criteria.query, entity)
    elif criteria.query_type == "expression":
        entity, where = _expression(criteria.query, entity)
    else:
        raise Rejected(f"query_type must be one of {', '.join(QUERY_TYPES)}")
    if _size(where) > MAX_TERMS:
        raise Rejected(f"a query has at most {MAX_TERMS} comparisons", code=FILTER_INVALID)
    sort = []
    for key in criteria.sort or ():
        if key.attribute_name not in SORT_FIELDS[entity]:
            known = ", ".join(SORT_FIELDS[entity])
            raise Rejected(f"{entity} records sort by {known}", code=SORT_INVALID)
        sort.append((key.attribute_name, key.sort_order == "desc"))
    paging = criteria.pagination
    return Search(
        reference_id=item.reference_id,
        entity=entity,
        query_type=criteria.query_type,
        where=where,
        sort=tuple(sort),
        page_size=paging.page_size if paging else DEFAULT_PAGE_SIZE,
        page_number=paging.page_number if paging else 1,
        purpose=_purpose(item),
    )
