"""Message catalogues (``locale/id/*.toml``, ``locale/en/*.toml``) and the language of a request.

Each group of pages keeps its messages in its own file (``locale/id/registry.toml`` ...); the
files of a language are merged, and a key defined twice is an error.

Bahasa Indonesia is the default; English is chosen with ``/bahasa/en`` (kept in a cookie).
Keys are dotted (``nav.search``); a missing key falls back to Bahasa Indonesia, then to the key
itself, so a forgotten translation shows up on the page instead of failing it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

Lang = Literal["id", "en"]
LANGS: Final[tuple[Lang, ...]] = ("id", "en")
DEFAULT_LANG: Final[Lang] = "id"
LANG_COOKIE: Final = "tepat_bahasa"

Translate = Callable[..., str]


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@cache
def catalogue(lang: Lang) -> dict[str, str]:
    """Every message of ``lang``, by dotted key, from all of its files."""
    folder = resources.files("tepat.pages").joinpath("locale", lang)
    merged: dict[str, str] = {}
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if not item.name.endswith(".toml"):
            continue
        for key, text in _flatten(tomllib.loads(item.read_text("utf-8"))).items():
            if key in merged:
                raise ValueError(f"locale/{lang}/{item.name}: message {key!r} is defined twice")
            merged[key] = text
    return merged


def language(value: str | None) -> Lang:
    """A supported language from a cookie or query value (the default otherwise)."""
    return "en" if value == "en" else DEFAULT_LANG


def translator(lang: Lang) -> Translate:
    """``t(key, **values)``: the message in ``lang`` with ``{name}`` placeholders filled."""
    own, fallback = catalogue(lang), catalogue(DEFAULT_LANG)

    def t(key: str, **values: Any) -> str:
        text = own.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t
