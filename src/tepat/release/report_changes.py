"""Report sections that compare: targeting error against ground truth and baselines, and the
changes since the previous release (program entries and exits, desil transitions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tepat.release.report_format import DASH, esc, integer, number, safe_text
from tepat.release.report_html import (
    Cell,
    Col,
    Ctx,
    code_key,
    heat_style,
    mapping,
    na,
    note,
    records,
    section,
    share_or_none,
    string,
    table,
)
from tepat.release.report_svg import Bar, Heading, hbar_chart
from tepat.release.report_text import TEXT, program_label

METRICS = ("mistargeting", "inclusion_error", "exclusion_error", "right_decile_share")
KNOWN_BASELINES = ("plain_pmt", "housing_score")
DESILS = range(1, 11)
PEOPLE_COUNTS = ("people_selected", "people_who_should_be")
VERIFICATION_COUNTS = (
    "proposals_verified",
    "proposals_accepted",
    "objections_verified",
    "objections_upheld",
)


# Targeting ------------------------------------------------------------------------------------


def _series(ctx: Ctx, targeting: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(css key, label, metrics) for each method present, in a fixed order."""
    baselines = mapping(targeting.get("baselines")) or {}
    names = [key for key in KNOWN_BASELINES if key in baselines]
    names += sorted(str(key) for key in baselines if key not in KNOWN_BASELINES)
    found: list[tuple[str, str, object]] = [
        ("model", ctx.t("series_model"), targeting.get("model"))
    ]
    for name in names:
        label_key = f"series_{name}"
        label = ctx.t(label_key) if label_key in TEXT else name.replace("_", " ")
        found.append((name if name in KNOWN_BASELINES else "other", label, baselines.get(name)))
    found.append(("anchor", ctx.t("series_anchor"), targeting.get("anchor_alatas_2012")))
    after = targeting.get("after_verification")
    found.append(("after_verification", ctx.t("series_after_verification"), after))
    present = [(key, label, mapping(values)) for key, label, values in found]
    return [(key, label, values) for key, label, values in present if values is not None]


def _error_table(
    ctx: Ctx, rows: Sequence[Mapping[str, Any]], first: list[Col], keys: list[str]
) -> str:
    """Inclusion and exclusion error per row, with people counts when the rows have them."""
    counts = [key for key in PEOPLE_COUNTS if any(number(row.get(key)) is not None for row in rows)]
    cols = [
        *first,
        Col(ctx.t("m_inclusion_error"), num=True),
        Col(ctx.t("m_exclusion_error"), num=True),
        *(Col(ctx.t(key), num=True) for key in counts),
    ]
    body: list[list[str | Cell]] = [
        [
            *(esc(safe_text(row.get(key))) for key in keys),
            esc(ctx.fmt.percent(row.get("inclusion_error"))),
            esc(ctx.fmt.percent(row.get("exclusion_error"))),
            *(esc(ctx.fmt.integer(row.get(key))) for key in counts),
        ]
        for row in rows
    ]
    return table(cols, body)


def targeting_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    """Grouped bar chart and table of targeting error per method, a plain-language explanation,
    and error per program and per region; or "no ground truth" when there is nothing to show."""
    targeting = mapping(data.get("targeting"))
    series = _series(ctx, targeting) if targeting else []
    metrics = [
        m for m in METRICS if any(number(values.get(m)) is not None for _, _, values in series)
    ]
    programs = records(targeting.get("programs")) if targeting else []
    regions = records(targeting.get("by_region")) if targeting else []
    if targeting is None or not (metrics or programs or regions):
        return section("targeting", ctx.t("s_targeting"), na(ctx, "no_truth"))
    fmt = ctx.fmt
    cut = integer(targeting.get("cut"))
    group = ctx.t("target_group", cut=cut) if cut else ctx.t("target_group_unknown")
    explain = text_html(ctx, "targeting_explain_html", group=esc(group))
    body = ""
    if metrics:
        rows: list[Bar | Heading] = []
        for metric in metrics:
            rows.append(Heading(ctx.t(f"m_{metric}")))
            for key, label, values in series:
                value = share_or_none(values.get(metric))
                if value is not None:
                    tip = f"{ctx.t(f'm_{metric}')} · {label}: {fmt.percent(value)}"
                    rows.append(Bar(label, value, fmt.percent(value), tip, key))
        chart = hbar_chart(
            rows,
            chart_id="chart-targeting",
            css_class="targeting",
            title=ctx.t("targeting_chart"),
        )
        cols = [Col(ctx.t("series")), *(Col(ctx.t(f"m_{m}"), num=True) for m in metrics)]
        table_rows: list[list[str | Cell]] = [
            [
                f'<span class="swatch s-{esc(key)}" style="background:var(--s-{esc(key)})" '
                f'aria-hidden="true"></span>{esc(label)}',
                *(esc(fmt.percent(values.get(m))) for m in metrics),
            ]
            for key, label, values in series
        ]
        body += (
            f'<div class="pair"><figure><figcaption>{esc(ctx.t("targeting_chart"))}'
            f"</figcaption>{chart}</figure><div>{explain}</div></div>{table(cols, table_rows)}"
        )
    else:
        body += explain
    after = mapping(targeting.get("after_verification")) or {}
    counts = [
        ctx.t(f"v_{key}", n=fmt.integer(after.get(key)))
        for key in VERIFICATION_COUNTS
        if number(after.get(key)) is not None
    ]
    if counts:
        body += note(esc(ctx.t("verification_intro") + ", ".join(counts) + "."))
    if programs:
        labelled = [{**row, "label": program_label(string(row.get("program")))} for row in programs]
        body += f"<h3>{ctx.e('targeting_programs')}</h3>"
        body += _error_table(ctx, labelled, [Col(ctx.t("program"))], ["label"])
        body += note(ctx.e("targeting_programs_note"))
    if regions:
        regions = sorted(regions, key=lambda r: (code_key(r.get("code")), string(r.get("name"))))
        body += f"<h3>{ctx.e('targeting_regions')}</h3>"
        body += _error_table(
            ctx, regions, [Col(ctx.t("code")), Col(ctx.t("region"))], ["code", "name"]
        )
    return section("targeting", ctx.t("s_targeting"), body)


def text_html(ctx: Ctx, key: str, **values: str) -> str:
    """A trusted ``_html`` entry with pre-escaped ``values`` filled in."""
    return ctx.t(key).format(**values)


# Changes --------------------------------------------------------------------------------------


def _reasons(ctx: Ctx, value: object) -> str:
    reasons = mapping(value)
    if not reasons:
        return DASH
    items = sorted(
        ((safe_text(name), number(count)) for name, count in reasons.items()),
        key=lambda item: (-(item[1] or 0), item[0]),
    )
    listed = "".join(
        f"<li>{esc(name)}: {esc(ctx.fmt.integer(count))}</li>" for name, count in items
    )
    return f'<ul class="reasons">{listed}</ul>'


def _matrix(ctx: Ctx, moves: object) -> str:
    grid = {(a, b): 0.0 for a in DESILS for b in DESILS}
    skipped = 0
    entries = moves if isinstance(moves, list | tuple) else []
    for entry in entries:
        if not (isinstance(entry, list | tuple) and len(entry) == 3):
            skipped += 1
            continue
        before, after, count = integer(entry[0]), integer(entry[1]), number(entry[2])
        if before is None or after is None or count is None or (before, after) not in grid:
            skipped += 1
            continue
        grid[(before, after)] += count
    heading = f"<h3>{ctx.e('matrix')}</h3>"
    if skipped == len(entries):
        return heading + na(ctx)
    fmt = ctx.fmt
    top = max((n for (a, b), n in grid.items() if a != b), default=0.0)
    up = sum(n for (a, b), n in grid.items() if b > a)
    down = sum(n for (a, b), n in grid.items() if b < a)
    same = sum(n for (a, b), n in grid.items() if b == a)
    rows: list[list[str | Cell]] = []
    for a in DESILS:
        cells: list[str | Cell] = [esc(a)]
        for b in DESILS:
            count = grid[(a, b)]
            shown = esc(fmt.integer(count))
            title = f"{a} → {b}: {fmt.integer(count)}"
            if a == b:
                cells.append(Cell(shown, "diag" if count else "diag zero", title=title))
            elif count:
                cells.append(Cell(shown, style=heat_style(count / top), title=title))
            else:
                cells.append(Cell(shown, "zero", title=title))
        cells.append(esc(fmt.integer(sum(grid[(a, b)] for b in DESILS))))
        rows.append(cells)
    cols = [
        Col(ctx.t("matrix_corner"), num=True),
        *(Col(str(b), num=True) for b in DESILS),
        Col(ctx.t("total"), num=True),
    ]
    foot = [
        esc(ctx.t("total")),
        *(esc(fmt.integer(sum(grid[(a, b)] for a in DESILS))) for b in DESILS),
        esc(fmt.integer(sum(grid.values()))),
    ]
    summary = ctx.e(
        "matrix_summary", up=fmt.integer(up), down=fmt.integer(down), same=fmt.integer(same)
    )
    body = heading + f"<p>{summary}</p>" + table(cols, rows, foot=foot, css_class="matrix")
    body += note(ctx.e("matrix_note"))
    if skipped:
        body += note(ctx.e("matrix_skipped", n=fmt.integer(skipped)))
    return body


def changes_section(ctx: Ctx, data: Mapping[str, Any]) -> str:
    """Families entering and leaving each program, with reasons, and the desil transition matrix."""
    diff = mapping(data.get("diff"))
    previous = string(data.get("previous_release_id")) or string(
        (diff or {}).get("previous_release_id")
    )
    title = ctx.t("s_changes")
    if diff is None:
        return section("changes", title, na(ctx, "na" if previous else "first_release_note"))
    fmt = ctx.fmt
    body = note(ctx.e("compared_with", id=safe_text(previous))) if previous else ""
    figures = [
        (ctx.t(key), diff.get(key))
        for key in ("new_households", "gone_households", "households_changed_desil")
        if number(diff.get(key)) is not None
    ]
    if figures:
        body += (
            '<div class="figures">'
            + "".join(
                f'<div class="figure"><span class="v">{esc(fmt.integer(value))}</span>'
                f'<span class="k">{esc(label)}</span></div>'
                for label, value in figures
            )
            + "</div>"
        )
    programs = [row for row in records(diff.get("programs")) if string(row.get("program"))]
    body += f"<h3>{ctx.e('program_changes')}</h3>"
    if programs:
        rows: list[list[str | Cell]] = []
        for row in programs:
            entered, left = number(row.get("entered")), number(row.get("left"))
            net = entered - left if entered is not None and left is not None else None
            rows.append(
                [
                    esc(program_label(string(row.get("program")))),
                    esc(fmt.integer(entered)),
                    esc(fmt.integer(left)),
                    esc(fmt.signed(net)),
                    _reasons(ctx, row.get("reasons_entered")),
                    _reasons(ctx, row.get("reasons_left")),
                ]
            )
        cols = [
            Col(ctx.t("program")),
            Col(ctx.t("entered"), num=True),
            Col(ctx.t("left"), num=True),
            Col(ctx.t("net"), num=True),
            Col(ctx.t("reasons_entered")),
            Col(ctx.t("reasons_left")),
        ]
        body += table(cols, rows)
    else:
        body += na(ctx)
    body += _matrix(ctx, diff.get("desil_moves"))
    return section("changes", title, body)
