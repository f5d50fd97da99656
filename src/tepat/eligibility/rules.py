"""Program rules as data: the validated, parameter-resolved form both engines run.

A program file (``programs/<id>.toml``, format in ``docs/ELIGIBILITY.md``) is read by
:mod:`tepat.eligibility.parse` into a :class:`Program` whose conditions, amounts, caps and quotas
already hold concrete values (``"$max_desil"`` replaced by the parameter's value), so the SQL
engine and the Python explanations read the same thing. ``exclusions.toml`` becomes
:class:`Exclusions`: conditions every program applies first unless it opts out.

A :class:`RuleSet` is every program plus the exclusions, with a version string a release records.
:meth:`RuleSet.with_overrides` returns a copy with some parameters changed (for simulation),
validated exactly like the files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from tepat.eligibility.catalogue import CATALOGUE, Field
from tepat.errors import InvalidInput

Unit = Literal["household", "person"]
Op = Literal["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between"]
OPS: Final[tuple[Op, ...]] = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between")
ORDERED_OPS: Final = frozenset({"<", "<=", ">", ">=", "between"})
LIST_OPS: Final = frozenset({"in", "not_in"})
BUILTIN_DIR: Final = Path(__file__).with_name("programs")
EXCLUSIONS_FILE: Final = "exclusions.toml"

# Reasons that are not conditions of the file, as they appear in ``failed``.
NO_COMPONENT: Final = "no_component"  # a household program with components and none counted
NO_AMOUNT: Final = "no_amount"  # an amount by case and the unit's case is not listed
RESERVED_IDS: Final = frozenset({NO_COMPONENT, NO_AMOUNT})
MAX_REASONS: Final = 30  # reasons are bits of an INTEGER in the batch tables


class RulesError(InvalidInput):
    """A rules file is unreadable or impossible; says file, line and why."""

    code = "invalid_rules"

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"rules {where}: {reason}")
        self.file = file
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Parameter:
    """A named value of a file; ``note`` is its TOML comment, ``[U]`` marks it uncertain."""

    name: str
    value: Any
    line: int | None = None
    note: str = ""

    @property
    def uncertain(self) -> bool:
        return "[U]" in self.note


@dataclass(frozen=True)
class Test:
    """One resolved condition: ``field op value`` with its labels (placeholders filled)."""

    id: str
    field: str
    op: Op
    value: Any  # a scalar, or a tuple for in / not_in / between
    label: str
    label_en: str
    line: int | None = None

    @property
    def spec(self) -> Field:
        return CATALOGUE[self.field]


@dataclass(frozen=True)
class Exclusion:
    """A cross-program condition from ``exclusions.toml`` and the programs that opt out."""

    test: Test
    except_programs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Component:
    """A benefit component of a household program (PKH): who fits it and its yearly amount."""

    id: str
    label: str
    label_en: str
    amount_year: int
    when: tuple[Test, ...]
    order: int  # position in the file: breaks ties between equal amounts


@dataclass(frozen=True)
class Cap:
    """At most ``max`` counted components of ``components`` (None: all) per family."""

    id: str
    components: frozenset[str] | None
    max: int
    label: str
    label_en: str

    @property
    def reason(self) -> str:
        return f"capped:{self.id}"


@dataclass(frozen=True)
class OrderKey:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Amount:
    """Rupiah per year: a fixed sum, or a yearly amount per value of ``by``."""

    fixed: int | None = None
    by: str | None = None
    cases: Mapping[Any, int] = field(default_factory=dict)
    parts: Mapping[str, int] = field(default_factory=dict)  # as written: per_month, months, ...


@dataclass(frozen=True)
class FamilyCap:
    """At most ``max`` beneficiaries per family (person programs), first by ``order_by``."""

    id: str
    max: int
    order_by: tuple[OrderKey, ...]
    label: str
    label_en: str


@dataclass(frozen=True)
class Quota:
    """At most ``total`` beneficiaries, shared between regions in proportion to eligible units;
    within a region the first by ``order_by`` (then the unit key) get in."""

    id: str
    total: int
    allocate_by: str | None
    order_by: tuple[OrderKey, ...]
    label: str
    label_en: str


@dataclass(frozen=True)
class Program:
    """One validated program file."""

    id: str
    name: str
    name_en: str
    unit: Unit
    version: str
    source: str
    notes: str
    path: str
    sha256: str
    text: str = field(repr=False)
    parameters: Mapping[str, Parameter]
    conditions: tuple[Test, ...]
    amount: Amount | None = None
    components: tuple[Component, ...] = ()
    caps: tuple[Cap, ...] = ()
    family_cap: FamilyCap | None = None
    quota: Quota | None = None

    @property
    def key(self) -> str:
        """The unit's key column: ``family_id`` or ``person_key``."""
        return "family_id" if self.unit == "household" else "person_key"


@dataclass(frozen=True)
class Exclusions:
    """The validated ``exclusions.toml``."""

    version: str
    source: str
    notes: str
    path: str
    sha256: str
    text: str = field(repr=False)
    parameters: Mapping[str, Parameter]
    rules: tuple[Exclusion, ...]


@dataclass(frozen=True)
class RuleSet:
    """Every program and the cross-program exclusions."""

    programs: Mapping[str, Program]
    exclusions: Exclusions
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """Each file's version and one sha256 over every file's content and the overrides."""
        digest = hashlib.sha256()
        for program in self.programs.values():
            digest.update(f"{program.id}:{program.sha256}\n".encode())
        digest.update(f"exclusions:{self.exclusions.sha256}\n".encode())
        if self.overrides:
            digest.update(json.dumps(dict(self.overrides), sort_keys=True, default=str).encode())
        versions = ";".join(f"{p.id}={p.version}" for p in self.programs.values())
        extra = ";overrides" if self.overrides else ""
        return f"{versions};exclusions={self.exclusions.version}{extra};sha256={digest.hexdigest()}"

    @property
    def files(self) -> tuple[Path, ...]:
        """The rule files this set was read from: the programs, then ``exclusions.toml``."""
        return (*(Path(p.path) for p in self.programs.values()), Path(self.exclusions.path))

    def program(self, program_id: str) -> Program:
        try:
            return self.programs[program_id]
        except KeyError:
            raise InvalidInput(
                f"unknown program {program_id!r}; known: {', '.join(self.programs)}"
            ) from None

    def conditions(self, program_id: str) -> tuple[Test, ...]:
        """The exclusions that apply to the program, then its own conditions, in file order."""
        program = self.program(program_id)
        shared = tuple(
            rule.test for rule in self.exclusions.rules if program.id not in rule.except_programs
        )
        return shared + program.conditions

    def reasons(self, program_id: str) -> tuple[str, ...]:
        """Every id that can appear in ``failed``, in order: conditions, then the engine's own
        (no_component or no_amount), the family cap and the quota. Bit i of a mask is reason i.
        """
        program = self.program(program_id)
        ids = [t.id for t in self.conditions(program_id)]
        if program.components:
            ids.append(NO_COMPONENT)
        elif program.amount is not None and program.amount.by is not None:
            ids.append(NO_AMOUNT)
        ids += [x.id for x in (program.family_cap, program.quota) if x is not None]
        return tuple(ids)

    def __post_init__(self) -> None:
        for program in self.programs.values():
            if len(self.reasons(program.id)) > MAX_REASONS:
                raise RulesError(
                    program.path,
                    None,
                    f"more than {MAX_REASONS} conditions, caps and quotas (with the exclusions)",
                )

    def with_overrides(self, overrides: Mapping[str, Any]) -> RuleSet:
        """A copy with parameters changed: ``{"pkh.max_desil": 3, ...}``, validated like files.

        Keys are ``<program>.<parameter>`` (``exclusions.<parameter>`` for the exclusions file).
        Overrides add up: the copy keeps the overrides this set already has.
        """
        from tepat.eligibility.parse import parse_exclusions, parse_program

        by_file: dict[str, dict[str, Any]] = {}
        for key, value in overrides.items():
            owner, _, name = str(key).partition(".")
            if not name:
                raise InvalidInput(f"override {key!r}: write <program>.<parameter>")
            if owner != "exclusions" and owner not in self.programs:
                raise InvalidInput(
                    f"override {key!r}: unknown program {owner!r}; known: "
                    f"{', '.join(self.programs)}, exclusions"
                )
            params = (
                self.exclusions.parameters
                if owner == "exclusions"
                else self.programs[owner].parameters
            )
            if name not in params:
                raise InvalidInput(
                    f"override {key!r}: {owner} has no parameter {name!r}; its parameters: "
                    f"{', '.join(params) or '(none)'}"
                )
            by_file.setdefault(owner, {})[name] = value
        merged = {**self.overrides, **{str(k): v for k, v in overrides.items()}}
        programs: dict[str, Program] = {}
        for pid, program in self.programs.items():
            wanted = {
                k.partition(".")[2]: v for k, v in merged.items() if k.partition(".")[0] == pid
            }
            programs[pid] = (
                parse_program(program.text, program.path, overrides=wanted)
                if wanted or pid in by_file
                else program
            )
        wanted_ex = {
            k.partition(".")[2]: v for k, v in merged.items() if k.partition(".")[0] == "exclusions"
        }
        exclusions = (
            parse_exclusions(
                self.exclusions.text, self.exclusions.path, programs, overrides=wanted_ex
            )
            if wanted_ex
            else self.exclusions
        )
        return RuleSet(programs, exclusions, merged)


def load_rules(directory: Path | str | None = None) -> RuleSet:
    """Read every ``*.toml`` program file and ``exclusions.toml`` of ``directory``.

    Without ``directory``, the rules shipped with Tepat. Raises :class:`RulesError` (file, line,
    reason) for anything a file gets wrong.
    """
    from tepat.eligibility.parse import parse_exclusions, parse_program

    folder = Path(directory) if directory is not None else BUILTIN_DIR
    if not folder.is_dir():
        raise RulesError(str(folder), None, "is not a folder of rule files")
    programs: dict[str, Program] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name == EXCLUSIONS_FILE:
            continue
        program = parse_program(_read(path), str(path))
        if program.id != path.stem:
            raise RulesError(
                str(path), None, f"program.id {program.id!r} must match the file name {path.stem!r}"
            )
        programs[program.id] = program
    if not programs:
        raise RulesError(str(folder), None, "holds no program files (*.toml)")
    ex_path = folder / EXCLUSIONS_FILE
    if not ex_path.is_file():
        raise RulesError(str(ex_path), None, "missing: every rules folder has exclusions.toml")
    exclusions = parse_exclusions(_read(ex_path), str(ex_path), programs)
    return RuleSet(programs, exclusions)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(str(path), None, f"cannot be read: {exc}") from None
