"""Reading and checking rule files: TOML in, :class:`~tepat.eligibility.rules.Program` out.

Everything a program manager can get wrong is refused with :class:`RulesError` naming the file,
the line and the reason: TOML syntax, unknown sections and keys, unknown fields and operators,
unknown ``$parameter`` references and ``{placeholders}``, values of the wrong type or outside the
field's range (desil 1-10, age 0-130, ...), negative amounts and caps, unused parameters,
duplicate ids. A parameter value is checked where it is used, and the error points at the
parameter's line. Overrides (:meth:`RuleSet.with_overrides`) go through the same checks.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final, NoReturn

from tepat.eligibility._toml import Locator, parse_toml
from tepat.eligibility.catalogue import CATALOGUE, REGION_FIELDS, Field, check_value
from tepat.eligibility.rules import (
    LIST_OPS,
    OPS,
    ORDERED_OPS,
    RESERVED_IDS,
    Amount,
    Cap,
    Component,
    Exclusion,
    Exclusions,
    FamilyCap,
    OrderKey,
    Parameter,
    Program,
    Quota,
    RulesError,
    Test,
)
from tepat.errors import InvalidInput

_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_PLACEHOLDER: Final = re.compile(r"\{([^{}]*)\}")
_PROGRAM_TOP: Final = (
    "program",
    "parameters",
    "conditions",
    "amount",
    "components",
    "caps",
    "family_cap",
    "quota",
)
_EXCLUSIONS_TOP: Final = ("exclusions", "parameters", "conditions")
_PROGRAM_KEYS: Final = ("id", "name", "name_en", "unit", "version", "source", "notes")
_EXCLUSIONS_KEYS: Final = ("version", "source", "notes")
_CONDITION_KEYS: Final = ("id", "field", "op", "value", "label", "label_en")
_WHEN_KEYS: Final = ("field", "op", "value")
_COMPONENT_KEYS: Final = ("id", "label", "label_en", "amount", "when")
_CAP_KEYS: Final = ("id", "components", "max", "label", "label_en")
_AMOUNT_SUM_KEYS: Final = ("per_year", "per_month", "per_semester", "once")
_AMOUNT_KEYS: Final = (*_AMOUNT_SUM_KEYS, "months", "semesters", "by", "cases")
_FAMILY_CAP_KEYS: Final = ("id", "max", "order_by", "label", "label_en")
_QUOTA_KEYS: Final = ("id", "total", "allocate_by", "order_by", "label", "label_en")
_MAX_RUPIAH: Final = 10**12  # a yearly amount above a trillion Rupiah is a typo

Where = tuple[str | int, ...]


def parse_program(
    text: str, path: str = "<program>", *, overrides: Mapping[str, Any] | None = None
) -> Program:
    """Validate program ``text`` (``path`` names it in errors); ``overrides`` replace parameters."""
    checker = _Checker(text, path, overrides or {}, owner=None)
    return checker.program(checker.data)


def parse_exclusions(
    text: str,
    path: str = "exclusions.toml",
    programs: Mapping[str, Program] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> Exclusions:
    """Validate ``exclusions.toml``; ``programs`` are the ids an ``except`` list may name."""
    checker = _Checker(text, path, overrides or {}, owner="exclusions")
    return checker.exclusions(checker.data, programs)


def format_value(value: Any, lang: str = "id") -> str:
    """A value for a sentence: thousands grouped the Indonesian or English way."""
    if isinstance(value, bool):
        return ("ya" if value else "tidak") if lang == "id" else ("yes" if value else "no")
    if isinstance(value, int):
        text = f"{value:,}" if abs(value) >= 1000 else str(value)
        return text.replace(",", ".") if lang == "id" else text
    if isinstance(value, float):
        shown = f"{value:g}"
        return shown.replace(".", ",") if lang == "id" else shown
    if isinstance(value, tuple | list):
        return ", ".join(format_value(v, lang) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return "tidak diketahui" if lang == "id" else "unknown"
    return str(value)


class _Checker:
    """Validates one file's parsed TOML; knows the text to point at lines."""

    def __init__(self, text: str, path: str, overrides: Mapping[str, Any], owner: str | None):
        self.path = path
        self.text = text
        self.overrides = dict(overrides)
        self.owner = owner
        self.locator = Locator(text)
        self.data = parse_toml(text, self._syntax)
        self.used: set[str] = set()
        self.params: dict[str, Parameter] = {}

    # -- errors ---------------------------------------------------------------------------

    def _syntax(self, line: int | None, reason: str) -> NoReturn:
        raise RulesError(self.path, line, reason)

    def fail(self, where: Where, reason: str) -> NoReturn:
        raise RulesError(self.path, self.locator.line_of(*where), reason)

    def fail_value(self, where: Where, ref: str | None, reason: str) -> NoReturn:
        """A bad value: at the parameter's line when it came from ``$ref``, else at ``where``."""
        if ref is None:
            self.fail(where, reason)
        param = self.params[ref]
        if ref in self.overrides:
            owner = self.owner or self._program_id
            raise InvalidInput(
                f"override {owner}.{ref} = {param.value!r}: {reason}", code="invalid_override"
            )
        raise RulesError(self.path, param.line, f"parameter {ref} = {param.value!r}: {reason}")

    _program_id = "?"

    # -- generic pieces -------------------------------------------------------------------

    def table(self, data: Mapping[str, Any], name: str, *, required: bool = True) -> dict[str, Any]:
        value = data.get(name)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail((name,), f"missing [{name}] table")
        return value

    def keys(self, value: Mapping[str, Any], allowed: tuple[str, ...], where: Where) -> None:
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail((*where, key), f"unknown key {key!r}{hint}; known: {', '.join(allowed)}")

    def text_key(self, value: Mapping[str, Any], key: str, where: Where, *, required: bool) -> str:
        got = value.get(key)
        if got is None:
            if required:
                self.fail(where, f"missing {key} (text)")
            return ""
        if not isinstance(got, str) or (required and not got.strip()):
            self.fail((*where, key), f"{key} must be non-empty text")
        return got

    def ident(self, value: Mapping[str, Any], key: str, where: Where) -> str:
        got = value.get(key)
        if not isinstance(got, str) or not _NAME.fullmatch(got):
            self.fail(
                (*where, key) if key in value else where,
                f"{key} must be a lowercase name (a-z, 0-9, _), not {got!r}",
            )
        return got

    def parameters(self, data: Mapping[str, Any]) -> None:
        table = self.table(data, "parameters", required=False)
        for name, value in table.items():
            where: Where = ("parameters", name)
            if not _NAME.fullmatch(name):
                self.fail(where, f"parameter name {name!r} must be lowercase (a-z, 0-9, _)")
            if not _scalar(value) and not (
                isinstance(value, list) and value and all(_scalar(v) for v in value)
            ):
                self.fail(where, f"parameter {name}: a number, text, true/false, date or list")
            line = self.locator.line_of(*where)
            self.params[name] = Parameter(name, _freeze(value), line, self.locator.comment(line))
        for name, value in self.overrides.items():
            if name not in self.params:
                raise InvalidInput(f"override {name!r}: no such parameter in {self.path}")
            old = self.params[name]
            self.params[name] = Parameter(name, _freeze(value), old.line, old.note)

    def resolve(self, raw: Any, where: Where) -> tuple[Any, str | None]:
        """``raw`` with ``$name`` references replaced; also the parameter it came from."""
        if isinstance(raw, str) and raw.startswith("$"):
            name = raw[1:]
            if name not in self.params:
                known = ", ".join(self.params) or "(none)"
                close = difflib.get_close_matches(name, list(self.params), n=1)
                hint = f" (did you mean ${close[0]}?)" if close else ""
                self.fail(where, f"unknown parameter {raw}{hint}; parameters: {known}")
            self.used.add(name)
            return self.params[name].value, name
        if isinstance(raw, list):
            items: list[Any] = []
            source: str | None = None
            for item in raw:
                if isinstance(item, list):
                    self.fail(where, "a list inside a list is not allowed")
                value, ref = self.resolve(item, where)
                if isinstance(value, tuple):
                    self.fail(where, f"parameter ${ref} is a list; it cannot be a list item")
                items.append(value)
                source = source or ref
            return tuple(items), source
        return raw, None

    def label(self, template: str, where: Where, lang: str, extra: Mapping[str, Any]) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match[1]
            if name in extra:
                return format_value(extra[name], lang)
            if name not in self.params:
                known = ", ".join(["value", *self.params]) if "value" in extra else ""
                self.fail(
                    where,
                    f"unknown placeholder {{{name}}} in a label; use a parameter name"
                    + (f" ({known})" if known else ""),
                )
            self.used.add(name)
            return format_value(self.params[name].value, lang)

        return _PLACEHOLDER.sub(fill, template)

    def labels(
        self, value: Mapping[str, Any], where: Where, *, required: bool, extra: Mapping[str, Any]
    ) -> tuple[str, str]:
        out: list[str] = []
        for key, lang in (("label", "id"), ("label_en", "en")):
            text = self.text_key(value, key, where, required=required)
            out.append(self.label(text, (*where, key), lang, extra))
        return out[0], out[1]

    def amount_value(self, raw: Any, where: Where, what: str) -> int:
        value, ref = self.resolve(raw, where)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail_value(where, ref, f"{what} must be a whole number of Rupiah, not {value!r}")
        if value < 0:
            self.fail_value(where, ref, f"{what} cannot be negative ({value})")
        if value > _MAX_RUPIAH:
            self.fail_value(where, ref, f"{what} of {value} Rupiah is not plausible")
        return value

    def count_value(
        self, raw: Any, where: Where, what: str, low: int = 0, high: int | None = None
    ) -> int:
        value, ref = self.resolve(raw, where)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail_value(where, ref, f"{what} must be a whole number, not {value!r}")
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.fail_value(where, ref, f"{what} must be {bounds}, not {value}")
        return value

    def field_name(
        self, value: Any, where: Where, *, person_ok: bool, purpose: str = "condition"
    ) -> Field:
        if not isinstance(value, str) or value not in CATALOGUE:
            close = difflib.get_close_matches(str(value), list(CATALOGUE), n=2)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            self.fail(
                where,
                f"unknown field {value!r}{hint}; the fields are listed in docs/ELIGIBILITY.md",
            )
        spec = CATALOGUE[value]
        if spec.level == "person" and not person_ok:
            self.fail(
                where,
                f"{purpose} on {value!r}, a person field, in a household rule: only household "
                "fields can be used here (use a component for a member's situation)",
            )
        return spec

    # -- conditions -----------------------------------------------------------------------

    def condition(
        self,
        raw: Any,
        where: Where,
        *,
        person_ok: bool,
        keys: tuple[str, ...],
        auto_id: str | None = None,
    ) -> Test:
        if not isinstance(raw, dict):
            self.fail(where, "a condition is a table: { field = ..., op = ..., value = ... }")
        self.keys(raw, keys, where)
        cond_id = auto_id if auto_id is not None else self.ident(raw, "id", where)
        for key in ("field", "op", "value"):
            if key not in raw:
                self.fail(where, f"condition {cond_id!r}: missing {key}")
        spec = self.field_name(raw["field"], (*where, "field"), person_ok=person_ok)
        op = raw["op"]
        if op not in OPS:
            self.fail(
                (*where, "op"),
                f"unknown operator {op!r}; operators: {', '.join(OPS)}",
            )
        if op in ORDERED_OPS and spec.kind not in ("int", "float", "date"):
            self.fail(
                (*where, "op"),
                f"operator {op!r} compares sizes; {spec.name} is {spec.kind}: use = != in not_in",
            )
        value_where = (*where, "value")
        value, ref = self.resolve(raw["value"], value_where)
        value = self.condition_value(spec, op, value, ref, value_where, cond_id)
        if "label" in keys:
            label, label_en = self.labels(
                raw, where, required=auto_id is None, extra={"value": value}
            )
        else:
            label = label_en = ""
        if not label:
            label = label_en = f"{spec.name} {op} {format_value(value, 'en')}"
        line = self.locator.line_of(*where)
        return Test(cond_id, spec.name, op, value, label, label_en, line)

    def condition_value(
        self, spec: Field, op: str, value: Any, ref: str | None, where: Where, cond_id: str
    ) -> Any:
        used = f" (condition {cond_id!r})"
        # The shape is the condition's business (a parameter may serve other conditions too).
        got = f", got ${ref} = {value!r}" if ref else ""
        if op in LIST_OPS or op == "between":
            if not isinstance(value, tuple) or not value:
                self.fail(where, f"operator {op!r} takes a list of values{got}{used}")
            if op == "between" and len(value) != 2:
                self.fail(where, f"'between' takes [lowest, highest]{got}{used}")
        elif isinstance(value, tuple):
            self.fail(where, f"operator {op!r} takes one value, not a list{got}{used}")
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            problem = check_value(_widened(spec, op), item)
            if problem is not None:
                self.fail_value(where, ref, problem + used)
        if op == "between" and value[0] > value[1]:
            self.fail_value(where, ref, f"'between' lowest {value[0]} > highest {value[1]}{used}")
        if spec.kind == "float" and isinstance(value, tuple):
            value = tuple(float(v) for v in value)
        elif spec.kind == "float":
            value = float(value)
        return value

    def conditions(
        self, data: Mapping[str, Any], *, person_ok: bool, keys: tuple[str, ...]
    ) -> list[tuple[Test, dict[str, Any]]]:
        raw = data.get("conditions", [])
        if not isinstance(raw, list):
            self.fail(("conditions",), "conditions are [[conditions]] tables")
        out: list[tuple[Test, dict[str, Any]]] = []
        for index, item in enumerate(raw):
            test = self.condition(item, ("conditions", index), person_ok=person_ok, keys=keys)
            out.append((test, item))
        return out

    def order_by(self, raw: Any, where: Where, *, person_ok: bool) -> tuple[OrderKey, ...]:
        if raw is None:
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
            self.fail(where, 'order_by is a list like ["percentile asc", "age desc"]')
        keys: list[OrderKey] = []
        for item in raw:
            parts = item.split()
            if len(parts) not in (1, 2) or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
                self.fail(where, f"order_by item {item!r}: write 'field' or 'field asc|desc'")
            spec = self.field_name(parts[0], where, person_ok=person_ok, purpose="order_by")
            if spec.kind == "bool":
                self.fail(where, f"order_by {spec.name}: true/false cannot be ordered")
            if spec.kind == "text" and len(parts) == 2 and parts[1] == "desc":
                self.fail(where, f"order_by {spec.name}: text is ordered ascending only")
            keys.append(OrderKey(spec.name, len(parts) == 2 and parts[1] == "desc"))
        return tuple(keys)

    # -- a program ------------------------------------------------------------------------

    def program(self, data: dict[str, Any]) -> Program:
        self.keys(data, _PROGRAM_TOP, ())
        head = self.table(data, "program")
        self.keys(head, _PROGRAM_KEYS, ("program",))
        pid = self.ident(head, "id", ("program",))
        self._program_id = pid
        name = self.text_key(head, "name", ("program",), required=True)
        name_en = self.text_key(head, "name_en", ("program",), required=True)
        unit = head.get("unit")
        if unit not in ("household", "person"):
            self.fail(("program", "unit"), f"unit must be 'household' or 'person', not {unit!r}")
        version = self.text_key(head, "version", ("program",), required=True)
        source = self.text_key(head, "source", ("program",), required=True)
        notes = self.text_key(head, "notes", ("program",), required=False)
        self.parameters(data)
        person_ok = unit == "person"
        conditions = tuple(
            t for t, _ in self.conditions(data, person_ok=person_ok, keys=_CONDITION_KEYS)
        )
        components = self.components(data, unit)
        caps = self.caps(data, components)
        amount = self.amount(data, unit, components)
        family_cap = self.family_cap(data, unit)
        quota = self.quota(data, unit)
        ids = [c.id for c in conditions] + [c.id for c in caps]
        ids += [x.id for x in (family_cap, quota) if x is not None]
        self.unique_ids(ids)
        self.all_used()
        return Program(
            id=pid,
            name=name,
            name_en=name_en,
            unit=unit,
            version=version,
            source=source,
            notes=notes,
            path=self.path,
            sha256=hashlib.sha256(self.text.encode()).hexdigest(),
            text=self.text,
            parameters=dict(self.params),
            conditions=conditions,
            amount=amount,
            components=components,
            caps=caps,
            family_cap=family_cap,
            quota=quota,
        )

    def unique_ids(self, ids: list[str]) -> None:
        seen: set[str] = set()
        for cid in ids:
            if cid in RESERVED_IDS:
                self.fail((), f"id {cid!r} is reserved for the engine's own reasons")
            if cid in seen:
                self.fail((), f"id {cid!r} is used twice; ids name the reasons in 'failed'")
            seen.add(cid)

    def all_used(self) -> None:
        unused = [name for name in self.params if name not in self.used]
        if unused:
            self.fail(
                ("parameters", unused[0]),
                f"parameter {unused[0]} is not used by any condition, amount, cap, quota or "
                "label (a misspelt reference?)",
            )

    def components(self, data: Mapping[str, Any], unit: str) -> tuple[Component, ...]:
        raw = data.get("components")
        if raw is None:
            return ()
        if unit != "household":
            self.fail(("components",), "components are for household programs (unit = household)")
        if not isinstance(raw, list) or not raw:
            self.fail(("components",), "components are [[components]] tables")
        out: list[Component] = []
        for index, item in enumerate(raw):
            where: Where = ("components", index)
            if not isinstance(item, dict):
                self.fail(where, "a component is a [[components]] table")
            self.keys(item, _COMPONENT_KEYS, where)
            cid = self.ident(item, "id", where)
            label, label_en = self.labels(item, where, required=True, extra={})
            if "amount" not in item:
                self.fail(where, f"component {cid!r}: missing amount (Rupiah per year)")
            amount = self.amount_value(item["amount"], (*where, "amount"), f"component {cid}")
            when = item.get("when")
            if isinstance(when, dict):
                when = [when]
            if not isinstance(when, list) or not when:
                self.fail(
                    (*where, "when"),
                    f"component {cid!r}: 'when' is a condition or a list of conditions",
                )
            tests = tuple(
                self.condition(
                    w,
                    (*where, "when", i),
                    person_ok=True,
                    keys=_WHEN_KEYS,
                    auto_id=f"{cid}.{i + 1}",
                )
                for i, w in enumerate(when)
            )
            out.append(Component(cid, label, label_en, amount, tests, index))
        if len({c.id for c in out}) != len(out):
            self.fail(("components",), "two components have the same id")
        return tuple(out)

    def caps(self, data: Mapping[str, Any], components: tuple[Component, ...]) -> tuple[Cap, ...]:
        raw = data.get("caps")
        if raw is None:
            return ()
        if not components:
            self.fail(("caps",), "caps limit components: this program has no [[components]]")
        if not isinstance(raw, list):
            self.fail(("caps",), "caps are [[caps]] tables")
        known = {c.id for c in components}
        out: list[Cap] = []
        for index, item in enumerate(raw):
            where: Where = ("caps", index)
            if not isinstance(item, dict):
                self.fail(where, "a cap is a [[caps]] table")
            self.keys(item, _CAP_KEYS, where)
            cap_id = self.ident(item, "id", where)
            comps = item.get("components", "all")
            if comps == "all":
                members: frozenset[str] | None = None
            elif isinstance(comps, list) and comps and all(isinstance(c, str) for c in comps):
                for comp in comps:
                    if comp not in known:
                        self.fail(
                            (*where, "components"),
                            f"cap {cap_id!r}: unknown component {comp!r}; components: "
                            f"{', '.join(sorted(known))}",
                        )
                members = frozenset(comps)
            else:
                self.fail(
                    (*where, "components"),
                    f'cap {cap_id!r}: components is "all" or a list of component ids',
                )
            if "max" not in item:
                self.fail(where, f"cap {cap_id!r}: missing max")
            most = self.count_value(item["max"], (*where, "max"), f"cap {cap_id}", 0, 1000)
            label, label_en = self.labels(item, where, required=True, extra={})
            out.append(Cap(cap_id, members, most, label, label_en))
        return tuple(out)

    def amount(
        self, data: Mapping[str, Any], unit: str, components: tuple[Component, ...]
    ) -> Amount | None:
        raw = data.get("amount")
        if components:
            if raw is not None:
                self.fail(("amount",), "a program with components is paid their sum: no [amount]")
            return None
        if not isinstance(raw, dict) or not raw:
            self.fail(("amount",), "missing [amount] table (e.g. per_year = 2400000)")
        self.keys(raw, _AMOUNT_KEYS, ("amount",))
        where: Where = ("amount",)
        if "by" in raw:
            extra = [k for k in raw if k not in ("by", "cases")]
            if extra:
                self.fail(
                    (*where, extra[0]),
                    "an amount by case gives yearly amounts in [amount.cases] only",
                )
            spec = self.field_name(
                raw["by"], (*where, "by"), person_ok=unit == "person", purpose="amount by"
            )
            if spec.kind not in ("text", "int"):
                self.fail((*where, "by"), f"amount by {spec.name}: a text or whole-number field")
            cases = raw.get("cases")
            if not isinstance(cases, dict) or not cases:
                self.fail((*where, "cases"), "missing [amount.cases]: value = yearly amount")
            resolved: dict[Any, int] = {}
            for key, value in cases.items():
                case_where: Where = ("amount", "cases", key)
                case: Any = key
                if spec.kind == "int":
                    if not re.fullmatch(r"-?\d+", key):
                        self.fail(case_where, f"{spec.name} case {key!r} is not a whole number")
                    case = int(key)
                problem = check_value(spec, case)
                if problem is not None:
                    self.fail(case_where, problem)
                resolved[case] = self.amount_value(value, case_where, f"amount for {key}")
            return Amount(by=spec.name, cases=resolved)
        if not any(k in raw for k in _AMOUNT_SUM_KEYS):
            self.fail(where, f"[amount] needs one of {', '.join(_AMOUNT_SUM_KEYS)} or by")
        parts: dict[str, int] = {}
        for key in _AMOUNT_SUM_KEYS:
            if key in raw:
                parts[key] = self.amount_value(raw[key], (*where, key), f"amount.{key}")
        if "months" in raw:
            if "per_month" not in raw:
                self.fail((*where, "months"), "months goes with per_month")
            parts["months"] = self.count_value(raw["months"], (*where, "months"), "months", 1, 12)
        if "semesters" in raw:
            if "per_semester" not in raw:
                self.fail((*where, "semesters"), "semesters goes with per_semester")
            parts["semesters"] = self.count_value(
                raw["semesters"], (*where, "semesters"), "semesters", 1, 2
            )
        total = (
            parts.get("per_year", 0)
            + parts.get("per_month", 0) * parts.get("months", 12)
            + parts.get("per_semester", 0) * parts.get("semesters", 2)
            + parts.get("once", 0)
        )
        return Amount(fixed=total, parts=parts)

    def family_cap(self, data: Mapping[str, Any], unit: str) -> FamilyCap | None:
        raw = data.get("family_cap")
        if raw is None:
            return None
        where: Where = ("family_cap",)
        if unit != "person":
            self.fail(where, "family_cap limits people per family: for person programs only")
        if not isinstance(raw, dict):
            self.fail(where, "[family_cap] is a table")
        self.keys(raw, _FAMILY_CAP_KEYS, where)
        cap_id = self.ident(raw, "id", where) if "id" in raw else "max_per_family"
        if "max" not in raw:
            self.fail(where, "family_cap: missing max")
        most = self.count_value(raw["max"], (*where, "max"), "family_cap.max", 0, 100)
        order = self.order_by(raw.get("order_by"), (*where, "order_by"), person_ok=True)
        label, label_en = self.labels(raw, where, required=True, extra={})
        return FamilyCap(cap_id, most, order, label, label_en)

    def quota(self, data: Mapping[str, Any], unit: str) -> Quota | None:
        raw = data.get("quota")
        if raw is None:
            return None
        where: Where = ("quota",)
        if not isinstance(raw, dict):
            self.fail(where, "[quota] is a table")
        self.keys(raw, _QUOTA_KEYS, where)
        quota_id = self.ident(raw, "id", where) if "id" in raw else "quota"
        if "total" not in raw:
            self.fail(where, "quota: missing total")
        total = self.count_value(raw["total"], (*where, "total"), "quota.total", 0, 10**9)
        region = raw.get("allocate_by")
        if region is not None and region not in REGION_FIELDS:
            self.fail(
                (*where, "allocate_by"),
                f"allocate_by is one of {', '.join(REGION_FIELDS)} (or leave it out for one "
                f"national list), not {region!r}",
            )
        order = self.order_by(raw.get("order_by"), (*where, "order_by"), person_ok=unit == "person")
        label, label_en = self.labels(raw, where, required=True, extra={})
        return Quota(quota_id, total, region, order, label, label_en)

    # -- the exclusions file --------------------------------------------------------------

    def exclusions(
        self, data: dict[str, Any], programs: Mapping[str, Program] | None
    ) -> Exclusions:
        self.keys(data, _EXCLUSIONS_TOP, ())
        head = self.table(data, "exclusions")
        self.keys(head, _EXCLUSIONS_KEYS, ("exclusions",))
        version = self.text_key(head, "version", ("exclusions",), required=True)
        source = self.text_key(head, "source", ("exclusions",), required=True)
        notes = self.text_key(head, "notes", ("exclusions",), required=False)
        self.parameters(data)
        rules: list[Exclusion] = []
        pairs = self.conditions(data, person_ok=False, keys=(*_CONDITION_KEYS, "except"))
        for index, (test, raw) in enumerate(pairs):
            opt_out = raw.get("except", [])
            where: Where = ("conditions", index, "except")
            if not isinstance(opt_out, list) or not all(isinstance(p, str) for p in opt_out):
                self.fail(where, "except is a list of program ids")
            for pid in opt_out:
                if programs is not None and pid not in programs:
                    self.fail(
                        where, f"except names unknown program {pid!r}; known: {', '.join(programs)}"
                    )
            rules.append(Exclusion(test, frozenset(opt_out)))
        ids = [r.test.id for r in rules]
        self.unique_ids(ids)
        if programs is not None:
            for program in programs.values():
                own = {c.id for c in program.conditions} | {c.id for c in program.caps}
                own |= {x.id for x in (program.family_cap, program.quota) if x is not None}
                clash = own.intersection(ids)
                if clash:
                    self.fail(
                        (),
                        f"id {sorted(clash)[0]!r} is used here and in program {program.id}; "
                        "ids must be unique per program",
                    )
        self.all_used()
        return Exclusions(
            version=version,
            source=source,
            notes=notes,
            path=self.path,
            sha256=hashlib.sha256(self.text.encode()).hexdigest(),
            text=self.text,
            parameters=dict(self.params),
            rules=tuple(rules),
        )


def _scalar(value: Any) -> bool:
    return isinstance(value, bool | int | float | str | date)


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _widened(spec: Field, op: str) -> Field:
    """The field with its range widened by one at the end where ``<``/``>`` mean 'no limit'.

    ``desil > 0`` (no lower cut) and ``desil < 11`` are fine; ``desil <= 0`` is not.
    """
    from dataclasses import replace

    if spec.kind not in ("int", "float"):
        return spec
    if op == ">" and spec.minimum is not None:
        return replace(spec, minimum=spec.minimum - 1)
    if op == "<" and spec.maximum is not None:
        return replace(spec, maximum=spec.maximum + 1)
    return spec
