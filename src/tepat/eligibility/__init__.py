"""Program eligibility: rules as data, a batch engine on DuckDB, explanations that agree with it.

- :func:`load_rules` / :func:`parse_program`: the TOML rule files, validated (file, line, why);
  :meth:`RuleSet.with_overrides` for simulations.
- :func:`evaluate`: every program for every household and living member, in DuckDB SQL.
- :func:`explain`: one family's programs evaluated again in plain Python, with reasons;
  :func:`check_agreement` compares the two implementations.
- :func:`summarise`: beneficiaries and cost per program and region.

See ``docs/ELIGIBILITY.md``.
"""

from __future__ import annotations

from tepat.eligibility.engine import build_sql, evaluate
from tepat.eligibility.explain import (
    Explanation,
    ProgramExplanation,
    check_agreement,
    explain,
    explain_family,
)
from tepat.eligibility.parse import parse_exclusions, parse_program
from tepat.eligibility.rules import Program, RulesError, RuleSet, load_rules
from tepat.eligibility.summary import summarise

__all__ = [
    "Explanation",
    "Program",
    "ProgramExplanation",
    "RuleSet",
    "RulesError",
    "build_sql",
    "check_agreement",
    "evaluate",
    "explain",
    "explain_family",
    "load_rules",
    "parse_exclusions",
    "parse_program",
    "summarise",
]
