"""Report sections about this release's content: desil distribution, programs, regions,
biggest movements, and the input and output files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tepat.release.report_format import DASH, esc, integer, number, safe_text
from tepat.release.report_html import (
    Cell,
    Col,
    Ctx,
    code_key,
    heat_style,
    inline_bar,
    mapping,
    na,
    note,
    records,
    section,
    share_or_none,
    string,
    table,
)
from tepat.release.report_svg import Bar, RefLine, hbar_chart
from tepat.release.report_text import program_label

MAX_MOVEMENTS = 50
HEAT_FULL = 0.8  # a desil 1-4 share at or above this gets the darkest shade
SHA_SHOWN = 12


def _sum(values: list[object]) -> float | None:
    found = [value for value in (number(v) for v in values) if value is not None]
    return sum(found) if found else None


def _figure(caption: str, chart: str) -> str:
    return f"<figure><figcaption>{esc(caption)}</figcaption>{chart}</figure>"


def _sentence(html: str) -> str:
    return html[:1].upper() + html[1:] + "."


def _change(ctx: Ctx, before: int | None, after: int | None) -> str:
    if before is None or after is None:
        return DASH
    change = after - before
    shown = esc(ctx.fmt.signed(change))
    if change == 0:
        return shown
    css, arrow = ("up", "▲") if change > 0 else ("down", "▼")
    return f'<span class="{css}"><span aria-hidden="true">{arrow} </span>{shown}</span>'


def _name(ctx: Ctx, program: Mapping[str, Any]) -> object:
    if ctx.lang == "en" and program.get("name_en"):
        return program.get("name_en")
    return program.get("name")


def _unit(ctx: Ctx, unit: object) -> str:
    if unit in ("household", "person"):
        return ctx.t(f"unit_{unit}")
    return string(unit)


def program_order(data: Mapping[str, Any]) -> list[str]:
    """Program codes that appear in some region, in the order of ``programs``, then the rest
    sorted."""
    present: set[str] = set()
    for region in records(data.get("regions")):
        present.update(str(code) for code in (mapping(region.get("programs")) or {}))
    listed: list[str] = []
    for row in records(data.get("programs")):
        code = string(row.get("program"))
        if code in present and code not in listed:
            listed.append(code)
    return listed + sorted(present - set(listed))


# Desil ----------------------------------------------------------------------------------------


def desil_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    """Bar chart of the share of people per desil with the 10% line, and a table."""
    rows = [row for row in records(data.get("desil")) if integer(row.get("desil")) is not None]
    rows.sort(key=lambda row: integer(row.get("desil")) or 0)
    counts = mapping(data.get("counts")) or {}
    unranked = integer(counts.get("people_unranked"))
    extra = note(ctx.e("unranked_note", n=ctx.fmt.integer(unranked))) if unranked else ""
    if not rows:
        return section("desil", ctx.t("s_desil"), na(ctx) + extra)
    fmt = ctx.fmt
    total_people = _sum([row.get("people") for row in rows])
    bars: list[Bar] = []
    table_rows: list[list[str | Cell]] = []
    for row in rows:
        desil = integer(row.get("desil"))
        people = number(row.get("people"))
        share = share_or_none(row.get("share_people"))
        if share is None and people is not None and total_people:
            share = people / total_people
        label = f"{ctx.t('desil')} {desil}"
        bars.append(
            Bar(
                label=label,
                value=share,
                text=fmt.percent(share),
                tooltip=f"{label}: {fmt.percent(share)} · {fmt.integer(people)} "
                f"{ctx.t('unit_person')}",
            )
        )
        table_rows.append(
            [
                esc(desil),
                esc(fmt.integer(people)),
                esc(fmt.integer(row.get("households"))),
                esc(fmt.percent(share)),
            ]
        )
    chart = hbar_chart(
        bars,
        chart_id="chart-desil",
        css_class="desil",
        title=ctx.t("desil_chart"),
        ref=RefLine(0.1, fmt.percent(0.1, 0)),
    )
    cols = [
        Col(ctx.t("desil")),
        Col(ctx.t("people"), num=True),
        Col(ctx.t("households"), num=True),
        Col(ctx.t("share_people"), num=True),
    ]
    foot = [
        esc(ctx.t("total")),
        esc(fmt.integer(total_people)),
        esc(fmt.integer(_sum([row.get("households") for row in rows]))),
        "",
    ]
    body = (
        f'<div class="pair">{_figure(ctx.t("desil_chart"), chart)}'
        f"<div>{table(cols, table_rows, foot=foot)}</div></div>"
        f"{note(ctx.e('desil_note'))}{extra}"
    )
    return section("desil", ctx.t("s_desil"), body)


# Programs -------------------------------------------------------------------------------------


def programs_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    """People covered (or beneficiaries) and yearly cost per program: two charts and a table."""
    programs = [row for row in records(data.get("programs")) if string(row.get("program"))]
    if not programs:
        return section("programs", ctx.t("s_programs"), na(ctx))
    fmt = ctx.fmt
    covered = all(number(row.get("people_covered")) is not None for row in programs)
    reach: list[Bar] = []
    cost: list[Bar] = []
    rows: list[list[str | Cell]] = []
    for row in programs:
        label = program_label(string(row.get("program")))
        unit = _unit(ctx, row.get("unit"))
        beneficiaries = number(row.get("beneficiaries"))
        people = number(row.get("people_covered"))
        cost_year = number(row.get("cost_year"))
        if covered:
            value, shown = people, f"{fmt.integer(people)}"
        else:
            value, shown = beneficiaries, f"{fmt.integer(beneficiaries)} {unit}".strip()
        reach.append(
            Bar(label, None if value is None else float(value), shown, f"{label}: {shown}")
        )
        cost.append(
            Bar(
                label,
                None if cost_year is None else float(cost_year),
                fmt.money(cost_year),
                f"{label}: {fmt.money_full(cost_year)}",
            )
        )
        per = (
            cost_year / beneficiaries
            if cost_year is not None and beneficiaries  # beneficiaries > 0
            else None
        )
        rows.append(
            [
                esc(label),
                esc(safe_text(_name(ctx, row))),
                esc(unit),
                esc(fmt.integer(beneficiaries)),
                esc(fmt.integer(people)),
                Cell(esc(fmt.money(cost_year)), title=fmt.money_full(cost_year)),
                Cell(esc(fmt.money(per)), title=fmt.money_full(per)),
            ]
        )
    reach_title = ctx.t("chart_covered" if covered else "chart_beneficiaries")
    charts = (
        '<div class="pair">'
        + _figure(
            reach_title,
            hbar_chart(reach, chart_id="chart-reach", css_class="reach", title=reach_title),
        )
        + _figure(
            ctx.t("chart_cost"),
            hbar_chart(cost, chart_id="chart-cost", css_class="cost", title=ctx.t("chart_cost")),
        )
        + "</div>"
    )
    cols = [
        Col(ctx.t("program")),
        Col(ctx.t("name")),
        Col(ctx.t("unit")),
        Col(ctx.t("beneficiaries"), num=True),
        Col(ctx.t("people_covered"), num=True),
        Col(ctx.t("cost_year"), num=True),
        Col(ctx.t("cost_per"), num=True),
    ]
    total_cost = _sum([row.get("cost_year") for row in programs])
    foot: list[str | Cell] = [esc(ctx.t("total")), "", "", "", ""]
    foot += [Cell(esc(fmt.money(total_cost)), title=fmt.money_full(total_cost)), ""]
    body = charts + table(cols, rows, foot=foot) + note(_sentence(ctx.e("beneficiaries_note")))
    return section("programs", ctx.t("s_programs"), body)


# Regions --------------------------------------------------------------------------------------


def _top(values: list[float | None]) -> float:
    return max([value for value in values if value is not None], default=0.0)


def _program_values(region: Mapping[str, Any], codes: list[str], key: str) -> list[float | None]:
    programs = mapping(region.get("programs")) or {}
    found = [number((mapping(programs.get(code)) or {}).get(key)) for code in codes]
    return [None if value is None else float(value) for value in found]


def regions_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    """One row per region, sorted by code: people, families, shaded desil 1-4 share, beneficiaries
    per program and yearly cost, each with a thin bar relative to the largest region."""
    regions = records(data.get("regions"))
    if not regions:
        return section("regions", ctx.t("s_regions"), na(ctx))
    regions = sorted(regions, key=lambda r: (code_key(r.get("code")), string(r.get("name"))))
    fmt = ctx.fmt
    codes = program_order(data)
    people = [share_or_none(region.get("people")) for region in regions]
    shares = [share_or_none(region.get("desil_1_4_share")) for region in regions]
    counts = [_program_values(region, codes, "beneficiaries") for region in regions]
    costs = [_program_values(region, codes, "cost_year") for region in regions]
    region_costs = [_sum(list(row)) for row in costs]
    count_tops = [_top([row[j] for row in counts]) for j in range(len(codes))]
    rows: list[list[str | Cell]] = []
    for i, region in enumerate(regions):
        share = shares[i]
        cells: list[str | Cell] = [
            Cell(esc(safe_text(region.get("code"))), "nowrap"),
            esc(safe_text(region.get("name"))),
            esc(fmt.integer(people[i])) + inline_bar(people[i], _top(people)),
            esc(fmt.integer(region.get("households"))),
            Cell(DASH, "heat")
            if share is None
            else Cell(esc(fmt.percent(share)), "heat", heat_style(share / HEAT_FULL)),
        ]
        for j, code in enumerate(codes):
            count, cost = counts[i][j], costs[i][j]
            tip = f"{program_label(code)}: {fmt.integer(count)} · {fmt.money(cost)}"
            bar = inline_bar(count, count_tops[j])
            cells.append(Cell(esc(fmt.integer(count)) + bar, title=tip))
        cost_bar = inline_bar(region_costs[i], _top(region_costs))
        cells.append(
            Cell(esc(fmt.money(region_costs[i])) + cost_bar, title=fmt.money_full(region_costs[i]))
        )
        rows.append(cells)
    cols = [
        Col(ctx.t("code")),
        Col(ctx.t("region")),
        Col(ctx.t("people"), num=True),
        Col(ctx.t("households"), num=True),
        Col(ctx.t("d14_share"), num=True),
        *(Col(program_label(code), num=True) for code in codes),
        Col(ctx.t("cost_year"), num=True),
    ]
    pairs = [(s, p) for s, p in zip(shares, people, strict=True) if s is not None and p]
    weight = sum(p for _, p in pairs)
    overall = sum(s * p for s, p in pairs) / weight if weight else None
    total_cost = _sum(list(region_costs))
    foot: list[str | Cell] = [
        esc(ctx.t("total")),
        "",
        esc(fmt.integer(_sum(list(people)))),
        esc(fmt.integer(_sum([region.get("households") for region in regions]))),
        esc(fmt.percent(overall)),
        *(esc(fmt.integer(_sum([row[j] for row in counts]))) for j in range(len(codes))),
        Cell(esc(fmt.money(total_cost)), title=fmt.money_full(total_cost)),
    ]
    legend = (
        f'<p class="legend"><span>{esc(ctx.t("d14_share"))}:</span> '
        f"<span>{esc(fmt.percent(0, 0))}</span>"
        '<span class="ramp" aria-hidden="true"></span>'
        f"<span>{esc(fmt.percent(HEAT_FULL, 0))}+</span></p>"
    )
    body = legend + table(cols, rows, foot=foot) + note(ctx.e("regions_note"))
    return section("regions", ctx.t("s_regions"), body)


# Movements ------------------------------------------------------------------------------------


def movements_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    """The biggest desil movements, as given by the caller (opaque family ids only)."""
    moves = records(data.get("movements"))
    if not moves:
        return section("movements", ctx.t("s_movements"), na(ctx))
    fmt = ctx.fmt
    rows: list[list[str | Cell]] = []
    for move in moves[:MAX_MOVEMENTS]:
        before, after = integer(move.get("from_desil")), integer(move.get("to_desil"))
        rows.append(
            [
                Cell(f"<code>{esc(safe_text(move.get('family')))}</code>"),
                esc(safe_text(move.get("village") or move.get("village_code"))),
                esc(fmt.integer(before)),
                esc(fmt.integer(after)),
                _change(ctx, before, after),
                esc(safe_text(move.get("reason"))),
            ]
        )
    cols = [
        Col(ctx.t("family")),
        Col(ctx.t("village")),
        Col(ctx.t("from_desil"), num=True),
        Col(ctx.t("to_desil"), num=True),
        Col(ctx.t("change"), num=True),
        Col(ctx.t("reason")),
    ]
    more = len(moves) - MAX_MOVEMENTS
    body = table(cols, rows) + note(ctx.e("movements_note"))
    if more > 0:
        body += note(ctx.e("movements_more", n=fmt.integer(more)))
    return section("movements", ctx.t("s_movements"), body)


# Files ----------------------------------------------------------------------------------------


def inputs_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    """Input files with their row counts and shortened SHA-256 (full value in the tooltip)."""
    files = records(data.get("inputs"))
    if not files:
        return section("inputs", ctx.t("s_inputs"), na(ctx))
    rows: list[list[str | Cell]] = []
    for item in files:
        digest = string(item.get("sha256"))
        short = digest if len(digest) <= SHA_SHOWN else digest[:SHA_SHOWN] + "…"
        rows.append(
            [
                Cell(f"<code>{esc(safe_text(item.get('file')))}</code>"),
                esc(ctx.fmt.integer(item.get("rows"))),
                Cell(f"<code>{esc(short or DASH)}</code>", title=digest),
            ]
        )
    cols = [Col(ctx.t("file")), Col(ctx.t("rows"), num=True), Col("SHA-256")]
    foot = [esc(ctx.t("total")), esc(ctx.fmt.integer(_sum([f.get("rows") for f in files]))), ""]
    body = table(cols, rows, foot=foot) + note(ctx.e("sha256_note"))
    return section("inputs", ctx.t("s_inputs"), body)


def outputs_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    """Files this release wrote, with their row counts."""
    files = records(data.get("outputs"))
    if not files:
        return section("outputs", ctx.t("s_outputs"), na(ctx))
    rows: list[list[str | Cell]] = [
        [
            Cell(f"<code>{esc(safe_text(item.get('path')))}</code>"),
            esc(ctx.fmt.integer(item.get("rows"))),
        ]
        for item in files
    ]
    cols = [Col(ctx.t("file")), Col(ctx.t("rows"), num=True)]
    foot = [esc(ctx.t("total")), esc(ctx.fmt.integer(_sum([f.get("rows") for f in files])))]
    return section("outputs", ctx.t("s_outputs"), table(cols, rows, foot=foot))
