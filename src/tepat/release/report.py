"""The release report: one self-contained HTML page describing a release, readable offline.

:func:`render_report` turns the release summary (a JSON-ready dict, see below) into a single
UTF-8 HTML document with inline CSS and inline SVG charts: no JavaScript, no external URLs, no
web fonts, no images from files. It is written for district social offices and ministry
analysts, in Bahasa Indonesia by default (``lang="en"`` for English), reads on a 360-px phone
and a 1280-px screen, and prints on A4. The same ``data`` always gives byte-identical HTML (no
timestamps or random ids; mappings are shown in a sorted order), because releases are hashed.

Only ``release_id`` is required. Every other section may be missing or empty; the page then
says it is not available. Keys read (all optional unless noted)::

    release_id (required), title, data_cut, previous_release_id, decile_base,
    scope{code, name}, versions{model, rules, code},
    counts{people, households, people_unranked},
    inputs[{file, sha256, rows}],
    desil[{desil, people, households, share_people}],
    programs[{program, name, name_en, unit, beneficiaries, people_covered, cost_year}],
    regions[{code, name, people, households, desil_1_4_share,
             programs{<program>: {beneficiaries, cost_year}}}],
    targeting{cut, model{...}, baselines{<name>: {...}}, anchor_alatas_2012{...},
              after_verification{..., proposals_verified, proposals_accepted,
                                  objections_verified, objections_upheld},
              programs[{program, inclusion_error, exclusion_error}],
              by_region[{code, name, inclusion_error, exclusion_error}]}
        where {...} = {mistargeting, inclusion_error, exclusion_error, right_decile_share};
        null or missing: "no ground truth",
    diff{previous_release_id, new_households, gone_households, households_changed_desil,
         programs[{program, entered, left, reasons_entered{}, reasons_left{}}],
         desil_moves[[from_desil, to_desil, households], ...]},
    movements[{family, village (or village_code), from_desil, to_desil, reason}]
        (the first 50 are shown),
    outputs[{path, rows}]

Free text from the caller is escaped, and any 16-digit number in it (a NIK or KK) is masked.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from tepat.errors import InvalidInput
from tepat.release.report_changes import changes_section, targeting_section
from tepat.release.report_format import DASH, LANGS, esc, integer, number, safe_text
from tepat.release.report_html import Ctx, mapping, records, section, string
from tepat.release.report_sections import (
    desil_section,
    inputs_section,
    movements_section,
    outputs_section,
    programs_section,
    regions_section,
)
from tepat.release.report_style import CSS
from tepat.release.report_text import GLOSSARY

Section = Callable[[Ctx, Mapping[str, Any]], str]

# (anchor, title key, builder); the order of the page.
SECTIONS: tuple[tuple[str, str, Section], ...] = (
    ("figures", "s_figures", lambda ctx, data: _figures_section(ctx, data)),
    ("desil", "s_desil", desil_section),
    ("programs", "s_programs", programs_section),
    ("regions", "s_regions", regions_section),
    ("targeting", "s_targeting", targeting_section),
    ("changes", "s_changes", changes_section),
    ("movements", "s_movements", movements_section),
    ("inputs", "s_inputs", inputs_section),
    ("outputs", "s_outputs", outputs_section),
    ("glossary", "s_glossary", lambda ctx, data: _glossary_section(ctx)),
)


def render_report(data: Mapping[str, Any], lang: str = "id") -> str:
    """The release report for ``data`` as one HTML document, in ``lang`` (``id`` or ``en``).

    Raises :class:`~tepat.errors.InvalidInput` for an unknown language, a ``data`` that is not a
    mapping, or a missing ``release_id``; any other missing or malformed part is reported on the
    page as not available.
    """
    if lang not in LANGS:
        raise InvalidInput(f"report language must be one of {', '.join(LANGS)}, not {lang!r}")
    if not isinstance(data, Mapping):
        raise InvalidInput(f"report data must be a mapping, not {type(data).__name__}")
    release_id = data.get("release_id")
    if not isinstance(release_id, str) or not release_id.strip():
        raise InvalidInput("report data has no release_id")
    ctx = Ctx(lang)
    title = _title(ctx, data)
    body = "\n".join(builder(ctx, data) for _, _, builder in SECTIONS)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{_header(ctx, data, title)}\n{_contents(ctx)}\n{body}\n{_footer(ctx, data)}\n"
        "</main>\n</body>\n</html>\n"
    )


def write_report(data: Mapping[str, Any], path: Path, lang: str = "id") -> Path:
    """Render the report and write it to ``path`` atomically (a temporary file in the same
    folder, then ``os.replace``); returns ``path``. The folder is created if missing."""
    document = render_report(data, lang).encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), 0o644)  # mkstemp makes it 0600; the report is public
            stream.write(document)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


# Header, contents, key figures, glossary, footer ---------------------------------------------


def _title(ctx: Ctx, data: Mapping[str, Any]) -> str:
    given = safe_text(data.get("title")).strip()
    if given:
        return given
    scope_name = safe_text((mapping(data.get("scope")) or {}).get("name")).strip()
    return f"{ctx.t('title')} · {scope_name}" if scope_name else ctx.t("title")


def _code(value: object) -> str:
    shown = safe_text(value).strip()
    return f"<code>{esc(shown)}</code>" if shown else DASH


def _header(ctx: Ctx, data: Mapping[str, Any], title: str) -> str:
    scope = mapping(data.get("scope")) or {}
    versions = mapping(data.get("versions")) or {}
    scope_text = " ".join(
        part for part in (safe_text(scope.get("code")), safe_text(scope.get("name"))) if part
    )
    cut = data.get("data_cut")
    cut_html = esc(ctx.fmt.date(cut))
    if isinstance(cut, str) and _is_iso_date(cut):
        cut_html = f'<time datetime="{esc(cut)}">{cut_html}</time>'
    previous = safe_text(data.get("previous_release_id")).strip()
    items = [
        ("release", _code(data.get("release_id"))),
        ("scope", esc(scope_text) if scope_text else DASH),
        ("data_cut", cut_html),
        ("previous", _code(previous) if previous else esc(ctx.t("first_release"))),
        ("version_model", _code(versions.get("model"))),
        ("version_rules", _code(versions.get("rules"))),
        ("version_code", _code(versions.get("code"))),
    ]
    if data.get("decile_base"):
        items.insert(4, ("decile_base", esc(_base(ctx, data.get("decile_base")))))
    listed = "".join(f"<dt>{ctx.e(key)}</dt><dd>{value}</dd>" for key, value in items)
    return (
        f'<header><p class="eyebrow">DTSEN · Tepat</p><h1>{esc(title)}</h1>'
        f'<dl class="meta">{listed}</dl></header>'
    )


def _base(ctx: Ctx, value: object) -> str:
    if value in ("people", "person", "persons", "individuals"):
        return ctx.t("base_people")
    if value in ("households", "household", "families", "family"):
        return ctx.t("base_households")
    return safe_text(value) or DASH


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _contents(ctx: Ctx) -> str:
    links = "".join(f'<li><a href="#{anchor}">{ctx.e(key)}</a></li>' for anchor, key, _ in SECTIONS)
    label = ctx.e("contents")
    return f'<nav class="toc" aria-label="{label}"><h2>{label}</h2><ol>{links}</ol></nav>'


def _figure(value: str, label: str, sub: str = "", title: str = "") -> str:
    tip = f' title="{esc(title)}"' if title else ""
    small = f'<span class="s">{esc(sub)}</span>' if sub else ""
    return (
        f'<div class="figure"{tip}><span class="v">{esc(value)}</span>'
        f'<span class="k">{esc(label)}</span>{small}</div>'
    )


def _figures_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    fmt = ctx.fmt
    counts = mapping(data.get("counts")) or {}
    programs = records(data.get("programs"))
    cards = []
    if number(counts.get("people")) is not None:
        cards.append(_figure(fmt.integer(counts.get("people")), ctx.t("people")))
    if number(counts.get("households")) is not None:
        cards.append(_figure(fmt.integer(counts.get("households")), ctx.t("households")))
    desil = [row for row in records(data.get("desil")) if integer(row.get("desil")) is not None]
    people = {integer(row.get("desil")): number(row.get("people")) for row in desil}
    total = sum(value for value in people.values() if value is not None)
    poor = sum(value for key, value in people.items() if value is not None and (key or 0) <= 4)
    if total:
        cards.append(
            _figure(
                fmt.percent(poor / total),
                ctx.t("people_d14"),
                f"{fmt.integer(poor)} {ctx.t('unit_person')}",
            )
        )
    unranked = number(counts.get("people_unranked"))
    if unranked:
        cards.append(_figure(fmt.integer(unranked), ctx.t("people_unranked")))
    beneficiaries = [number(row.get("beneficiaries")) for row in programs]
    if any(value is not None for value in beneficiaries):
        cards.append(
            _figure(
                fmt.integer(sum(value for value in beneficiaries if value is not None)),
                ctx.t("beneficiaries_all"),
                ctx.t("beneficiaries_short"),
                title=ctx.t("beneficiaries_note"),
            )
        )
    costs = [number(row.get("cost_year")) for row in programs]
    if any(value is not None for value in costs):
        total_cost = sum(value for value in costs if value is not None)
        cards.append(
            _figure(fmt.money(total_cost), ctx.t("cost_all"), title=fmt.money_full(total_cost))
        )
    if not cards:
        return section("figures", ctx.t("s_figures"), f'<p class="na">{ctx.e("na")}</p>')
    return section("figures", ctx.t("s_figures"), f'<div class="figures">{"".join(cards)}</div>')


def _glossary_section(ctx: Ctx) -> str:
    items = "".join(
        f"<dt>{esc(term)}</dt><dd>{esc(indonesian if ctx.lang == 'id' else english)}</dd>"
        for term, indonesian, english in GLOSSARY
    )
    return section("glossary", ctx.t("s_glossary"), f'<dl class="glossary">{items}</dl>')


def _footer(ctx: Ctx, data: Mapping[str, Any]) -> str:
    code = string((mapping(data.get("versions")) or {}).get("code")).strip()
    made = ctx.e("footer", code=code).replace("  ", " ").replace(" .", ".")
    release = esc(safe_text(data.get("release_id")))
    return f"<footer><p>{made} <code>{release}</code></p></footer>"
