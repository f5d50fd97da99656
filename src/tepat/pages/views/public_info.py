"""Plain-language explanations for the public: ``/cara-kerja`` (how the ranking and the programs
work) and ``/istilah`` (the glossary of official terms, in Bahasa Indonesia and English).

The program list on ``/cara-kerja`` (decile cut, other conditions, amounts, caps, quotas) is
generated from the rules files the cycle uses (:func:`tepat.eligibility.rules.load_rules`), so
the page says what the rules say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tepat.eligibility.rules import Amount, Program, RuleSet, Test, load_rules
from tepat.pages.i18n import Lang, Translate, translator
from tepat.pages.render import render, request_lang, rupiah
from tepat.pages.session import OptionalPageUser
from tepat.web.deps import DbSession
from tepat.workflow.citizen import current_release

router = APIRouter()

DESIL_FIELD: Final = "desil"
# The official short names citizens know (the rules files carry the long names).
SHORT_NAMES: Final = {
    "pkh": "PKH",
    "bpnt": "Sembako/BPNT",
    "pbi_jk": "PBI-JK",
    "pip": "PIP",
    "kip_kuliah": "KIP Kuliah",
    "prakerja": "Kartu Prakerja",
    "blt_kesra": "BLT Kesra",
    "sekolah_rakyat": "Sekolah Rakyat",
    "umkm": "UMKM",
    "beasiswa": "Beasiswa",
}
# The glossary: message key -> the official term (kept as it is in both languages).
GLOSSARY: Final = (
    ("dtsen", "DTSEN (Data Tunggal Sosial dan Ekonomi Nasional)"),
    ("nik", "NIK (Nomor Induk Kependudukan)"),
    ("kk", "KK (Kartu Keluarga)"),
    ("ktp", "KTP (Kartu Tanda Penduduk)"),
    ("desil", "Desil"),
    ("pmt", "PMT (Proxy Means Test)"),
    ("usulan", "Usulan / usul"),
    ("sanggah", "Sanggah / sanggahan"),
    ("banding", "Banding"),
    ("pemberitahuan", "Pemberitahuan"),
    ("pendamping", "Pendamping (PKH)"),
    ("ground_check", "Ground check (pemeriksaan lapangan)"),
    ("musdes", "Musdes / muskel"),
    ("berita_acara", "Berita acara"),
    ("operator", "Operator desa/kelurahan"),
    ("dinsos", "Dinas Sosial"),
    ("dtks", "DTKS (Data Terpadu Kesejahteraan Sosial)"),
    ("regsosek", "Regsosek (Registrasi Sosial Ekonomi)"),
    ("p3ke", "P3KE"),
    ("dukcapil", "Dukcapil"),
    ("kpm", "KPM (Keluarga Penerima Manfaat)"),
    ("rilis", "Rilis"),
    ("cek_bansos", "Cek Bansos"),
)


@dataclass
class ProgramInfo:
    """One program as the page shows it, in one language."""

    id: str
    short: str
    name: str
    unit: str
    desil: str
    conditions: list[str] = field(default_factory=list)
    amounts: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    source: str = ""


@lru_cache(maxsize=1)
def rules() -> RuleSet:
    """The rules the cycle runs (the files shipped with Tepat), read once."""
    return load_rules()


def program_label(program_id: str, lang: Lang) -> str:
    """``PKH (Program Keluarga Harapan)`` for a program id of a release; the id as it is when
    the rules do not know it."""
    program = rules().programs.get(program_id.lower())
    if program is None:
        return program_id
    name = program.name_en if lang == "en" else program.name
    short = SHORT_NAMES.get(program.id)
    return f"{short} ({name})" if short and short.lower() not in name.lower() else name


def program_short(program_id: str) -> str:
    """``PKH``, ``Sembako/BPNT``...: the short name citizens know (the id when unknown)."""
    return SHORT_NAMES.get(program_id.lower(), program_id)


def desil_range(tests: tuple[Test, ...]) -> tuple[int, int]:
    """The deciles (low, high) the conditions on ``desil`` allow (1-10 when none cuts)."""
    low, high = 1, 10
    for test in tests:
        if test.field != DESIL_FIELD:
            continue
        value = test.value
        if test.op == "<=":
            high = min(high, int(value))
        elif test.op == "<":
            high = min(high, int(value) - 1)
        elif test.op == ">=":
            low = max(low, int(value))
        elif test.op == ">":
            low = max(low, int(value) + 1)
        elif test.op == "=":
            low, high = max(low, int(value)), min(high, int(value))
        elif test.op == "between":
            low, high = max(low, int(value[0])), min(high, int(value[1]))
    return low, high


def _amount_lines(amount: Amount, lang: Lang, t: Translate) -> list[str]:
    def money(value: int | None) -> str:
        return rupiah(value, lang)

    if amount.by is not None:
        return [
            t("public.how.amount_case", case=str(case).upper(), amount=money(value))
            for case, value in amount.cases.items()
        ]
    parts = amount.parts
    lines: list[str] = []
    if "per_month" in parts:
        months = parts.get("months", 12)
        lines.append(t("public.how.amount_month", amount=money(parts["per_month"]), months=months))
    if "per_semester" in parts:
        lines.append(
            t(
                "public.how.amount_semester",
                amount=money(parts["per_semester"]),
                semesters=parts.get("semesters", 2),
            )
        )
    if "per_year" in parts:
        lines.append(t("public.how.amount_year", amount=money(parts["per_year"])))
    if "once" in parts:
        lines.append(t("public.how.amount_once", amount=money(parts["once"])))
    if len(lines) > 1 or "per_month" in parts or "per_semester" in parts:
        lines.append(t("public.how.amount_total", amount=money(amount.fixed)))
    return lines


def describe(program: Program, ruleset: RuleSet, lang: Lang) -> ProgramInfo:
    """What the page says about one program, from its rules."""
    t = translator(lang)
    en = lang == "en"
    low, high = desil_range(program.conditions)
    if (low, high) == (1, 10):
        desil = t("public.how.no_desil_cut")
    elif low == high:
        desil = f"desil {low}"
    else:
        desil = f"desil {low}–{high}"
    conditions = [
        (c.label_en if en else c.label) for c in program.conditions if c.field != DESIL_FIELD
    ]
    amounts: list[str] = []
    if program.components:
        for component in program.components:
            label = component.label_en if en else component.label
            amounts.append(
                t(
                    "public.how.amount_component",
                    label=label,
                    amount=rupiah(component.amount_year, lang),
                )
            )
    elif program.amount is not None:
        amounts = _amount_lines(program.amount, lang, t)
    limits = [(c.label_en if en else c.label) for c in program.caps]
    for extra in (program.family_cap, program.quota):
        if extra is not None:
            limits.append(extra.label_en if en else extra.label)
    return ProgramInfo(
        id=program.id,
        short=SHORT_NAMES.get(program.id, program.name),
        name=program.name_en if en else program.name,
        unit=t(f"public.how.unit_{program.unit}"),
        desil=desil,
        conditions=conditions,
        amounts=amounts,
        limits=limits,
        source=program.source,
    )


@lru_cache(maxsize=2)
def programs(lang: Lang) -> tuple[list[ProgramInfo], list[str]]:
    """Every program (those with a decile cut first, by cut) and the shared exclusions."""
    ruleset = rules()
    infos = [describe(p, ruleset, lang) for p in ruleset.programs.values()]
    infos.sort(key=lambda i: (desil_range(ruleset.programs[i.id].conditions)[1], i.short))
    exclusions = [
        (r.test.label_en if lang == "en" else r.test.label) for r in ruleset.exclusions.rules
    ]
    return infos, exclusions


@router.get("/cara-kerja")
def how_it_works(request: Request, db: DbSession, user: OptionalPageUser) -> HTMLResponse:
    """How the ranking and the programs work, how to propose, object and appeal."""
    lang = request_lang(request)
    infos, exclusions = programs(lang)
    release = current_release(db)
    context = {
        "programs": infos,
        "exclusions": exclusions,
        "release": release,
        "rules_version": ", ".join(f"{p.id} {p.version}" for p in rules().programs.values()),
    }
    return render(request, "public/how.html", context)


@router.get("/istilah")
def glossary(request: Request, user: OptionalPageUser) -> HTMLResponse:
    """The official terms, explained in Bahasa Indonesia and in English."""
    in_id, in_en = translator("id"), translator("en")
    entries = [
        (key, term, in_id(f"public.term.{key}"), in_en(f"public.term.{key}"))
        for key, term in GLOSSARY
    ]
    return render(request, "public/glossary.html", {"entries": entries})
