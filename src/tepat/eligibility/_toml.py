"""Reading a TOML rules file and pointing at the line a value came from.

``tomllib`` gives no positions, so, like :mod:`tepat.sources.mapping`, we find lines by scanning
the text for table headers and ``key =`` lines. The scan understands what our rule files use:
plain tables (``[program]``, ``[amount.cases]``), arrays of tables (the n-th ``[[conditions]]``)
and, inside a key, the n-th inline table of a list (``when = [{...}, {...}]``). It is a pointer
for people, not a parser: when it cannot tell, it returns the nearest enclosing line.

(The same approach lives in ``tepat.sources.mapping._Validator.line_of``; this module is its
general form and could serve the mapping files too.)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NoReturn

Path = tuple[str | int, ...]

_HEADER: Final = re.compile(r"\[(\[)?\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?")
_SYNTAX_AT: Final = re.compile(r"\s*\(at line (\d+), column \d+\)")


def parse_toml(text: str, fail: Callable[[int | None, str], NoReturn]) -> dict[str, Any]:
    """Parse ``text``; on a syntax error call ``fail(line, reason)`` (which raises)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's tomllib puts the position only in the message: "(at line 3, column 5)".
        found = _SYNTAX_AT.search(str(exc))
        reason = _SYNTAX_AT.sub("", str(exc))
        fail(int(found[1]) if found else None, f"TOML syntax: {reason}")


@dataclass(frozen=True)
class _Header:
    line: int  # 1-based
    name: str  # dotted, quotes removed
    array: bool


class Locator:
    """Finds the line of a value given its path in the parsed data."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[_Header] = []
        in_multiline = False
        for number, raw in enumerate(self.lines, start=1):
            stripped = raw.strip()
            # Skip the inside of multi-line strings (notes = """ ... """).
            quotes = stripped.count('"""') + stripped.count("'''")
            if in_multiline:
                if quotes % 2 == 1:
                    in_multiline = False
                continue
            if quotes % 2 == 1:
                in_multiline = True
                continue
            match = _HEADER.fullmatch(stripped)
            if match and not stripped.startswith("[{"):
                name = re.sub(r"\s*\.\s*", ".", match[2].replace('"', "").replace("'", ""))
                self.headers.append(_Header(number, name, match[1] is not None))

    def line_of(self, *path: str | int) -> int | None:
        """Line of the value at ``path`` (e.g. ``("conditions", 2, "op")``), or the nearest one."""
        if not path:
            return None
        start, rest = self._section(path)
        if not rest:
            return start
        key = rest[0]
        if not isinstance(key, str):
            return start
        found = self._key_line(start, key)
        if found is None:
            return start
        if len(rest) > 1 and isinstance(rest[1], int):
            return self._nth_inline(found, rest[1])
        return found

    # -- helpers ------------------------------------------------------------------------------

    def _section(self, path: Path) -> tuple[int | None, Path]:
        """The header line that holds ``path`` and the rest of the path below it."""
        first = path[0]
        if not isinstance(first, str):
            return None, path
        if len(path) > 1 and isinstance(path[1], int):
            arrays = [h for h in self.headers if h.array and h.name == first]
            if path[1] < len(arrays):
                return arrays[path[1]].line, path[2:]
            plain = self._table(first)
            if plain is not None:  # an inline array under a plain table is unusual: point at it
                return plain, path[2:]
            return None, path  # `key = [...]` at the top level
        if len(path) > 1 and isinstance(path[1], str):
            sub = self._table(f"{first}.{path[1]}")
            if sub is not None:
                return sub, path[2:]
        table = self._table(first)
        if table is not None:
            return table, path[1:]
        return None, path

    def _table(self, name: str) -> int | None:
        for header in self.headers:
            if header.name == name:
                return header.line
        return None

    def _key_line(self, start: int | None, key: str) -> int | None:
        """First ``key =`` line after header line ``start`` (None: the top of the file)."""
        begin = 0 if start is None else start
        pattern = re.compile(rf"""\s*["']?{re.escape(key)}["']?\s*=""")
        ends = [h.line for h in self.headers if h.line > begin]
        end = min(ends) - 1 if ends else len(self.lines)
        for number in range(begin + 1, end + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return None

    def _nth_inline(self, key_line: int, index: int) -> int:
        """Line of the ``index``-th inline table ``{`` starting at the line of its key."""
        seen = -1
        for number in range(key_line, len(self.lines) + 1):
            raw = self.lines[number - 1]
            if number == key_line:
                raw = raw.split("=", 1)[1] if "=" in raw else raw
            if number > key_line and _HEADER.fullmatch(raw.strip()):
                break
            seen += raw.count("{")
            if seen >= index:
                return number
        return key_line

    def comment(self, line: int | None) -> str:
        """The comment at the end of ``line`` and on the comment lines right above it."""
        if line is None:
            return ""
        parts: list[str] = []
        above = line - 1
        while above >= 1 and self.lines[above - 1].strip().startswith("#"):
            parts.insert(0, self.lines[above - 1].strip().lstrip("#").strip())
            above -= 1
        own = self.lines[line - 1]
        hash_at = _comment_start(own)
        if hash_at is not None:
            parts.append(own[hash_at + 1 :].strip())
        return " ".join(p for p in parts if p)


def _comment_start(line: str) -> int | None:
    """Index of a ``#`` that starts a comment (not inside a string) on ``line``."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return index
    return None
