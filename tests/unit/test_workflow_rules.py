"""The workflow's pure rules: state machines, numbers, names, bands, GPS, the ground-check form,
the rate limiter and the reasons of notices. No database."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from tepat.errors import Conflict, Forbidden
from tepat.workflow import ground_check
from tepat.workflow.notices import reason_for
from tepat.workflow.ratelimit import RateLimited, RateLimiter
from tepat.workflow.rules import (
    days_overdue,
    desil_band,
    format_number,
    mask_name,
    parse_number,
    point_problem,
    same_name,
)
from tepat.workflow.states import (
    APPEAL,
    MACHINES,
    OBJECTION,
    PROPOSAL,
    actions_for,
    next_state,
    require_role,
)

PROPOSAL_TABLE = {
    ("submitted", "assign"): "assigned",
    ("submitted", "withdraw"): "withdrawn",
    ("assigned", "assign"): "assigned",
    ("assigned", "verify"): "verified",
    ("assigned", "withdraw"): "withdrawn",
    ("verified", "approve"): "approved",
    ("verified", "reject"): "rejected",
    ("approved", "apply"): "applied",
}


def test_the_proposal_machine_allows_exactly_its_table() -> None:
    for state in PROPOSAL.states:
        for action in PROPOSAL.actions():
            expected = PROPOSAL_TABLE.get((state, action))
            if expected is None:
                with pytest.raises(Conflict) as caught:
                    next_state(PROPOSAL, state, action)
                assert caught.value.code == "transition_not_allowed"
                assert f"is {state}: {action} is not allowed now" in caught.value.message
            else:
                assert next_state(PROPOSAL, state, action) == expected


def test_every_machine_is_consistent() -> None:
    for machine in MACHINES.values():
        assert machine.initial in machine.states and machine.final <= set(machine.states)
        for t in machine.transitions:
            assert t.source in machine.states and t.target in machine.states
            assert t.source not in machine.final and t.roles
        for state in machine.final:
            assert machine.allowed(state) == ()
        reachable = {machine.initial}
        for _ in machine.states:
            reachable |= {t.target for t in machine.transitions if t.source in reachable}
        assert reachable == set(machine.states), machine.name


def test_conflicts_name_the_allowed_actions_and_roles() -> None:
    with pytest.raises(Conflict) as caught:
        next_state(OBJECTION, "filed", "uphold", label="objection SGH-1")
    assert caught.value.message == (
        "objection SGH-1 is filed: uphold is not allowed now; allowed actions: "
        "assign (district_office)"
    )
    with pytest.raises(Conflict, match="allowed actions: none"):
        next_state(APPEAL, "upheld", "dismiss")


def test_roles_that_may_never_act_are_forbidden() -> None:
    require_role(PROPOSAL, "approve", "district_office")
    with pytest.raises(Forbidden, match="only district_office accounts may approve a proposal"):
        require_role(PROPOSAL, "approve", "village_operator")
    assert actions_for(PROPOSAL, "verified", "district_office") == ["approve", "reject"]
    assert actions_for(PROPOSAL, "assigned", "village_operator") == ["withdraw"]


def test_numbers_round_trip_and_reject_other_kinds() -> None:
    number = format_number("proposal", "11.12.01.2006", 2026, 123)
    assert number == "USL-11.12.01.2006-2026-000123"
    assert parse_number("proposal", number) == ("11.12.01.2006", 2026, 123)
    assert parse_number("proposal", number.lower()) == ("11.12.01.2006", 2026, 123)
    assert parse_number("objection", number) is None
    assert parse_number("proposal", "USL-11.12.01.2006-2026-12") is None
    assert parse_number("proposal", "USL-11.12.01.2006-2026-" + "9" * 19) is None
    assert format_number("appeal", "11.12.01.2006", 2026, 1234567).endswith("-1234567")


def test_names_match_loosely_and_are_masked_like_cek_bansos() -> None:
    assert same_name("  siti   aminah ", "SITI AMINAH")
    assert same_name("Siti Aminah.", "siti aminah") and same_name("Séna", "Sena")
    assert (
        not same_name("Siti", "Siti Aminah") and not same_name("", "") and not same_name("x", None)
    )
    assert mask_name("Siti Aminah") == "SI*** AM***"
    assert mask_name("O") == "O***" and mask_name(None) == "***"


def test_bands_hide_the_exact_desil() -> None:
    assert [desil_band(d) for d in (1, 4, 5, 6, 10, None)] == [
        "desil 1-4",
        "desil 1-4",
        "desil 5",
        "desil 6-10",
        "desil 6-10",
        None,
    ]


def test_gps_must_be_in_indonesia_and_late_days_count_for_open_items() -> None:
    assert point_problem(5.55, 95.32) is None and point_problem(-8.65, 115.22) is None
    assert "outside Indonesia" in (point_problem(52.5, 13.4) or "")
    assert days_overdue(date(2026, 1, 1), date(2026, 1, 4), still_open=True) == 3
    assert days_overdue(date(2026, 1, 1), date(2026, 1, 4), still_open=False) == 0
    assert days_overdue(date(2026, 1, 5), date(2026, 1, 4), still_open=True) == 0


def test_the_ground_check_form_has_39_typed_questions() -> None:
    form = ground_check.form()
    assert len(form) == 39 and len({q["id"] for q in form}) == 39
    assert sum(q["per_member"] for q in form) == 5
    required = {"b1_found": True, "b1_lives_here": True, "b1_kk_matches": False, "b1_members": 3}
    assert ground_check.check_answers({**required, "r303": 9, "r502k": None}) == {
        **required,
        "r303": 9,
    }
    for bad, message in (
        ({**required, "r303": 10}, "r303 must be 1-9"),
        ({**required, "r502k": 1}, "r502k takes true or false"),
        ({**required, "r302": True}, "r302 takes a whole number"),
        ({**required, "zz": 1}, "unknown question"),
        ({"b1_found": True}, "b1_lives_here"),
    ):
        with pytest.raises(ValueError, match=message):
            ground_check.check_answers(bad)
    assert ground_check.check_member({"r404": 2, "r428": 4}) == {"r404": 2, "r428": 4}
    assert ground_check.observed_attributes({"r303": 8, "b1_found": True}) == {"floor_material": 8}


def test_the_rate_limiter_uses_a_sliding_window_per_key() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.hit("a") is None and limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(60.0)
    assert limiter.hit("b") is None
    now[0] += 30
    with pytest.raises(RateLimited) as caught:
        limiter.check("a", "public")
    assert caught.value.retry_after == 30 and "at most 2 a minute" in caught.value.message
    now[0] += 30.5
    assert limiter.hit("a") is None


def test_reasons_of_a_lost_program() -> None:
    assert reason_for(3, 7, None) == ("desil_up", "desil naik dari 3 ke 7")
    assert reason_for(3, None, None)[0] == "household_gone"
    assert reason_for(3, 3, None)[0] == "rule_change"
    assert reason_for(3, 3, ["umur"]) == ("rule:umur", "tidak lagi memenuhi syarat: umur")


def test_the_state_tables_in_docs_match_the_code() -> None:
    text = (Path(__file__).parents[2] / "docs" / "WORKFLOW.md").read_text()
    row = re.compile(r"^\| `(\w+)` \| `(\w+)` \| `(\w+)` \| (\w+)", re.M)
    for title, machine in (("Proposal", PROPOSAL), ("Objection", OBJECTION), ("Appeal", APPEAL)):
        section = text.split(f"### {title}", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        documented = {m.groups() for m in row.finditer(section)}
        coded = {(t.source, t.action, t.target, min(t.roles)) for t in machine.transitions}
        assert documented == coded, title
