"""The workflow state machines as pure data: proposals (usulan), objections (sanggah), appeals.

A machine is a tuple of :class:`Transition` rows (state, action -> state, and the roles that may
take the action). :func:`next_state` answers the state after an action or raises
:class:`~tepat.errors.Conflict` naming the current state and the actions allowed in it;
:func:`require_role` refuses (403) a role that may never take the action. No I/O: the services
load the row, ask these functions, then write. docs/WORKFLOW.md prints the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tepat.errors import Conflict, Forbidden

SYSTEM: Final = "system"  # the service itself (e.g. applying an approved proposal)


@dataclass(frozen=True, slots=True)
class Transition:
    """In ``source``, ``action`` leads to ``target``; ``roles`` may take it."""

    source: str
    action: str
    target: str
    roles: frozenset[str]
    who: str  # the rule in words, for messages and docs


@dataclass(frozen=True, slots=True)
class Machine:
    """A named state machine: its states, its start and end states, its transitions."""

    name: str
    initial: str
    states: tuple[str, ...]
    final: frozenset[str]
    transitions: tuple[Transition, ...]

    def allowed(self, state: str) -> tuple[Transition, ...]:
        """The transitions that leave ``state``."""
        return tuple(t for t in self.transitions if t.source == state)

    def actions(self) -> tuple[str, ...]:
        """Every action of the machine, in table order, once each."""
        return tuple(dict.fromkeys(t.action for t in self.transitions))

    def roles_for(self, action: str) -> frozenset[str]:
        """The roles that may take ``action`` in some state."""
        return frozenset(r for t in self.transitions if t.action == action for r in t.roles)

    def is_open(self, state: str) -> bool:
        """True while the item still waits for someone (not in a final state)."""
        return state not in self.final


def _t(source: str, action: str, target: str, *roles: str, who: str) -> Transition:
    return Transition(source, action, target, frozenset(roles), who)


_DISTRICT = "district_office"
_FACILITATOR = "facilitator"
_OPERATOR = "village_operator"
_BY_DISTRICT = "the district office (Dinas Sosial) of the regency"
_BY_ASSIGNEE = "the facilitator (pendamping) it is assigned to"
_ASSIGN = "the district office, choosing a facilitator who holds the village or letting the system"

PROPOSAL: Final = Machine(
    name="proposal",
    initial="submitted",
    states=("submitted", "assigned", "verified", "approved", "applied", "rejected", "withdrawn"),
    final=frozenset({"applied", "rejected", "withdrawn"}),
    transitions=(
        _t("submitted", "assign", "assigned", _DISTRICT, who=_ASSIGN),
        _t("submitted", "withdraw", "withdrawn", _OPERATOR, who="the village operator"),
        _t("assigned", "assign", "assigned", _DISTRICT, who=_ASSIGN + " (reassignment)"),
        _t("assigned", "verify", "verified", _FACILITATOR, who=_BY_ASSIGNEE),
        _t("assigned", "withdraw", "withdrawn", _OPERATOR, who="the village operator"),
        _t("verified", "approve", "approved", _DISTRICT, who=_BY_DISTRICT),
        _t("verified", "reject", "rejected", _DISTRICT, who=_BY_DISTRICT),
        _t("approved", "apply", "applied", SYSTEM, who="the system, in the approval's transaction"),
    ),
)

OBJECTION: Final = Machine(
    name="objection",
    initial="filed",
    states=("filed", "assigned", "verified", "upheld", "dismissed"),
    final=frozenset({"upheld", "dismissed"}),
    transitions=(
        _t("filed", "assign", "assigned", _DISTRICT, who=_ASSIGN),
        _t("assigned", "assign", "assigned", _DISTRICT, who=_ASSIGN + " (reassignment)"),
        _t("assigned", "verify", "verified", _FACILITATOR, who=_BY_ASSIGNEE),
        _t("verified", "uphold", "upheld", _DISTRICT, who=_BY_DISTRICT),
        _t("verified", "dismiss", "dismissed", _DISTRICT, who=_BY_DISTRICT),
    ),
)

APPEAL: Final = Machine(
    name="appeal",
    initial="filed",
    states=("filed", "under_review", "upheld", "dismissed"),
    final=frozenset({"upheld", "dismissed"}),
    transitions=(
        _t("filed", "review", "under_review", _DISTRICT, who=_BY_DISTRICT),
        _t("under_review", "uphold", "upheld", _DISTRICT, who=_BY_DISTRICT),
        _t("under_review", "dismiss", "dismissed", _DISTRICT, who=_BY_DISTRICT),
    ),
)

MACHINES: Final = {m.name: m for m in (PROPOSAL, OBJECTION, APPEAL)}


def describe_allowed(machine: Machine, state: str) -> str:
    """``approve (district_office), reject (district_office)``, or ``none`` in a final state."""
    parts = [f"{t.action} ({', '.join(sorted(t.roles))})" for t in machine.allowed(state)]
    return ", ".join(parts) or "none (it is closed)"


def next_state(machine: Machine, state: str, action: str, *, label: str | None = None) -> str:
    """The state after ``action`` in ``state``; else a Conflict naming the allowed actions.

    ``label`` names the item in the message (e.g. its number).
    """
    for t in machine.allowed(state):
        if t.action == action:
            return t.target
    name = label or f"this {machine.name}"
    raise Conflict(
        f"{name} is {state}: {action} is not allowed now; allowed actions: "
        f"{describe_allowed(machine, state)}",
        code="transition_not_allowed",
    )


def require_role(machine: Machine, action: str, role: str) -> None:
    """Raise Forbidden when ``role`` may take ``action`` in no state of ``machine``."""
    roles = machine.roles_for(action)
    if role not in roles:
        raise Forbidden(
            f"only {', '.join(sorted(roles))} accounts may {action} a {machine.name}; "
            f"yours is {role}",
            code="role_not_allowed",
        )


def actions_for(machine: Machine, state: str, role: str) -> list[str]:
    """The actions ``role`` could take in ``state`` (the UI's buttons)."""
    return [t.action for t in machine.allowed(state) if role in t.roles]
