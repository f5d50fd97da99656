"""Shared pieces of the release report: the language context, safe reading of the input
dictionary, and HTML building blocks (sections, tables, inline bars, shading)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tepat.release.report_format import Formatter, esc, number
from tepat.release.report_text import text


@dataclass(frozen=True)
class Ctx:
    """The language of one rendering and its formatter."""

    lang: str
    fmt: Formatter = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fmt", Formatter(self.lang))

    def t(self, key: str, **values: object) -> str:
        """The entry ``key``, with ``values`` filled in; plain text, not escaped."""
        found = text(key, self.lang)
        return found.format(**values) if values else found

    def e(self, key: str, **values: object) -> str:
        """The entry ``key`` escaped for HTML, with ``values`` filled in (escaped too)."""
        found = esc(text(key, self.lang))
        if not values:
            return found
        return found.format(**{name: esc(value) for name, value in values.items()})


# Reading the input ----------------------------------------------------------------------------


def mapping(value: object) -> Mapping[str, Any] | None:
    """``value`` if it is a non-empty mapping, else ``None``."""
    return value if isinstance(value, Mapping) and value else None


def records(value: object) -> list[Mapping[str, Any]]:
    """The mappings in a list (other items are skipped); ``[]`` for anything else."""
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def string(value: object) -> str:
    """``value`` as text; ``""`` for ``None``."""
    return "" if value is None else str(value)


def code_key(code: object) -> tuple[tuple[int, int, str], ...]:
    """Sort key for dotted region codes: numeric parts by number, then text."""
    parts = string(code).split(".")
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts)


def share_or_none(value: object) -> float | None:
    """A share as a float, or ``None`` if it is not a number."""
    found = number(value)
    return None if found is None else float(found)


# Building HTML --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell with pre-escaped ``html`` and optional class, inline style and tooltip."""

    html: str
    css_class: str = ""
    style: str = ""
    title: str = ""


@dataclass(frozen=True)
class Col:
    """A table column: its escaped-on-output ``title`` and whether it holds numbers."""

    title: str
    num: bool = False


def _cell(tag: str, cell: str | Cell, num: bool, extra: str = "") -> str:
    if isinstance(cell, str):
        cell = Cell(cell)
    classes = " ".join(part for part in ("num" if num else "", cell.css_class) if part)
    attrs = extra
    if classes:
        attrs += f' class="{esc(classes)}"'
    if cell.style:
        attrs += f' style="{esc(cell.style)}"'
    if cell.title:
        attrs += f' title="{esc(cell.title)}"'
    return f"<{tag}{attrs}>{cell.html}</{tag}>"


def table(
    cols: Sequence[Col],
    rows: Sequence[Sequence[str | Cell]],
    *,
    caption: str = "",
    foot: Sequence[str | Cell] | None = None,
    css_class: str = "",
    row_header: bool = True,
) -> str:
    """A table in a horizontally scrolling wrapper. Cells are HTML; titles and caption are text.

    With ``row_header`` the first cell of each row is a ``<th scope="row">``.
    """
    klass = f' class="{esc(css_class)}"' if css_class else ""
    parts = ['<div class="table-wrap">', f"<table{klass}>"]
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append("<thead><tr>")
    parts.extend(_cell("th", esc(col.title), col.num, ' scope="col"') for col in cols)
    parts.append("</tr></thead><tbody>")
    for row in rows:
        parts.append("<tr>")
        for index, (col, cell) in enumerate(zip(cols, row, strict=True)):
            if index == 0 and row_header:
                parts.append(_cell("th", cell, col.num, ' scope="row"'))
            else:
                parts.append(_cell("td", cell, col.num))
        parts.append("</tr>")
    parts.append("</tbody>")
    if foot is not None:
        parts.append("<tfoot><tr>")
        parts.extend(
            _cell("th" if index == 0 else "td", cell, col.num, ' scope="row"' if index == 0 else "")
            for index, (col, cell) in enumerate(zip(cols, foot, strict=True))
        )
        parts.append("</tr></tfoot>")
    parts.append("</table></div>")
    return "".join(parts)


def section(section_id: str, title: str, body: str) -> str:
    """A report section with an anchor ``section_id`` and a heading (``title`` is text)."""
    return (
        f'<section id="{esc(section_id)}" aria-labelledby="{esc(section_id)}-h">'
        f'<h2 id="{esc(section_id)}-h">{esc(title)}</h2>{body}</section>'
    )


def na(ctx: Ctx, key: str = "na") -> str:
    """The "not available" paragraph (or another entry given by ``key``)."""
    return f'<p class="na">{ctx.e(key)}</p>'


def note(html: str) -> str:
    """A muted paragraph of pre-escaped ``html``."""
    return f'<p class="note">{html}</p>'


def inline_bar(value: float | None, top: float) -> str:
    """A thin bar under a number, ``value`` relative to ``top``."""
    if value is None or top <= 0:
        return ""
    width = max(0.0, min(1.0, value / top)) * 100
    return f'<span class="ibar" aria-hidden="true"><span style="width:{width:.1f}%"></span></span>'


# White to dark red (ColorBrewer OrRd), the same stops as the CSS legend ramp.
_RAMP = ((255, 247, 236), (253, 212, 158), (252, 141, 89), (215, 48, 31), (127, 0, 0))


def heat_style(t: float) -> str:
    """Inline style shading a cell by ``t`` in [0, 1]: background colour and readable text."""
    t = max(0.0, min(1.0, t))
    position = t * (len(_RAMP) - 1)
    low = min(int(position), len(_RAMP) - 2)
    frac = position - low
    rgb = [round(a + (b - a) * frac) for a, b in zip(_RAMP[low], _RAMP[low + 1], strict=True)]
    colour = "#{:02x}{:02x}{:02x}".format(*rgb)
    ink = "#ffffff" if t > 0.55 else "#1b1f24"
    return f"background:{colour};color:{ink}"
