"""The ground-check (GC) form of the two-stage DTSEN check: 39 questions, as data.

Kemensos' SIKSMA-Mobile form has 39 questions whose exact list is not public [U]. This one
follows Regsosek 2022: 4 questions on the family and the place (block I), the 14 housing items
of block III, 16 asset items of block V, and 5 checks asked of every member (block IV). Codes
are the Regsosek codes (docs/DATA-MODEL.md). Block I answers are required; an item the
facilitator could not observe is left out or null. :func:`check_answers` and
:func:`check_member` validate answers (ValueError naming the item); ``GET
/api/v1/workflow/ground-check-form`` serves :data:`QUESTIONS` so an app can render the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

Kind = Literal["yes_no", "code", "count"]


@dataclass(frozen=True, slots=True)
class Question:
    """One question: its id, block, text (Indonesian), answer kind and allowed range."""

    id: str
    block: str
    text: str
    kind: Kind
    low: int = 0
    high: int = 1
    required: bool = False
    field: str | None = None  # the registry column it observes, if any
    per_member: bool = False


def _yn(qid: str, block: str, text: str, field: str | None = None, **kw: Any) -> Question:
    return Question(qid, block, text, "yes_no", field=field, **kw)


def _code(qid: str, text: str, field: str, high: int, low: int = 1) -> Question:
    return Question(qid, "III", text, "code", low, high, field=field)


_BLOCK_I = (
    _yn("b1_found", "I", "Rumah ditemukan di alamat yang tercatat", required=True),
    _yn("b1_lives_here", "I", "Keluarga tinggal di alamat ini", required=True),
    _yn("b1_kk_matches", "I", "Kartu Keluarga diperlihatkan dan nomornya cocok", required=True),
    Question("b1_members", "I", "Jumlah anggota keluarga yang tinggal", "count", 0, 30, True),
)
_BLOCK_III = (
    _code("r301a", "Status kepemilikan bangunan", "building_ownership", 5),
    _code("r301b", "Bukti kepemilikan tanah", "land_title", 6),
    Question("r302", "III", "Luas lantai (m2)", "count", 1, 997, field="floor_area_m2"),
    _code("r303", "Jenis lantai terluas", "floor_material", 9),
    _code("r304", "Jenis dinding terluas", "wall_material", 7),
    _code("r305", "Jenis atap terluas", "roof_material", 8),
    _code("r306a", "Sumber air minum utama", "drinking_water", 11),
    _yn(
        "r306b", "III", "Jarak sumber air ke tempat pembuangan tinja >= 10 m", "sewage_distance_ok"
    ),
    _code("r307a", "Sumber penerangan utama", "lighting", 4),
    _code("r307b", "Daya terpasang meteran utama", "power_va", 5),
    _code("r308", "Bahan bakar utama untuk memasak", "cooking_fuel", 10, low=0),
    _code("r309a", "Fasilitas tempat buang air besar", "toilet_facility", 6),
    _code("r309b", "Jenis kloset", "toilet_type", 4),
    _code("r310", "Tempat pembuangan akhir tinja", "excreta_disposal", 6),
)
_ASSET_TEXT = {
    "r502a": ("Tabung gas 5,5 kg atau lebih", "has_lpg_tank"),
    "r502b": ("Lemari es/kulkas", "has_fridge"),
    "r502c": ("AC", "has_ac"),
    "r502d": ("Pemanas air (water heater)", "has_water_heater"),
    "r502e": ("Telepon rumah (PSTN)", "has_landline"),
    "r502f": ("Televisi layar datar minimal 30 inci", "has_flat_tv"),
    "r502g": ("Emas/perhiasan minimal 10 gram", "has_gold"),
    "r502h": ("Komputer/laptop/tablet", "has_computer"),
    "r502i": ("Sepeda motor", "has_motorbike"),
    "r502j": ("Sepeda", "has_bicycle"),
    "r502k": ("Mobil", "has_car"),
    "r502l": ("Perahu", "has_boat"),
    "r502m": ("Perahu motor", "has_motorboat"),
    "r502n": ("Smartphone", "has_smartphone"),
    "r503a": ("Memiliki lahan di tempat lain", "land_elsewhere"),
    "r503b": ("Memiliki rumah di tempat lain", "house_elsewhere"),
}
_BLOCK_V = tuple(_yn(q, "V", text, field) for q, (text, field) in _ASSET_TEXT.items())
_MEMBER = (
    Question("r404", "IV", "Keberadaan anggota (1 tinggal, 2 meninggal, 3 pindah, 4 anggota baru, "
             "5 tidak ditemukan)", "code", 1, 5, True, per_member=True),
    _yn("m_nik_matches", "IV", "NIK sesuai KTP/KK yang diperlihatkan", per_member=True),
    _yn("r416a", "IV", "Bekerja selama seminggu terakhir", "worked_last_week", per_member=True),
    Question("r418", "IV", "Status dalam pekerjaan utama", "code", 1, 8,
             field="employment_status", per_member=True),
    Question("r428", "IV", "Kesulitan fungsional terberat (1 tidak ada .. 4 parah)", "code", 1, 4,
             field="disability", per_member=True),
)  # fmt: skip

QUESTIONS: Final[tuple[Question, ...]] = (*_BLOCK_I, *_BLOCK_III, *_BLOCK_V, *_MEMBER)
HOUSEHOLD_QUESTIONS: Final = {q.id: q for q in QUESTIONS if not q.per_member}
MEMBER_QUESTIONS: Final = {q.id: q for q in QUESTIONS if q.per_member}
assert len(QUESTIONS) == 39, "the ground-check form has 39 questions"

VERDICTS: Final = ("confirmed", "not_confirmed", "not_found")
VERDICT_TEXT: Final = {
    "confirmed": "the facts claimed were confirmed on the ground",
    "not_confirmed": "the facts claimed were not confirmed",
    "not_found": "the family or house was not found at the address",
}


def _value(question: Question, value: Any) -> Any:
    if value is None:
        if question.required:
            raise ValueError(f"{question.id} ({question.text}) must be answered")
        return None
    if question.kind == "yes_no":
        if not isinstance(value, bool):
            raise ValueError(f"{question.id} takes true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{question.id} takes a whole number {question.low}-{question.high}")
    if not question.low <= value <= question.high:
        raise ValueError(f"{question.id} must be {question.low}-{question.high}, got {value}")
    return value


def _check(questions: Mapping[str, Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise ValueError(
            f"unknown question(s) {', '.join(unknown)}; see GET /api/v1/workflow/ground-check-form"
        )
    out = {}
    for qid, question in questions.items():
        value = _value(question, answers.get(qid))
        if value is not None:
            out[qid] = value
    return out


def check_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The household answers (blocks I, III, V) validated; ValueError names the first bad one."""
    return _check(HOUSEHOLD_QUESTIONS, answers)


def check_member(answers: Mapping[str, Any]) -> dict[str, Any]:
    """One member's answers (block IV checks) validated."""
    return _check(MEMBER_QUESTIONS, answers)


def observed_attributes(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The registry attributes the answers observed (``floor_material`` ...), for comparison."""
    return {
        q.field: answers[qid]
        for qid, q in HOUSEHOLD_QUESTIONS.items()
        if q.field is not None and qid in answers
    }


def form() -> list[dict[str, Any]]:
    """The form as JSON: one object per question."""
    return [
        {
            "id": q.id,
            "block": q.block,
            "text": q.text,
            "kind": q.kind,
            "min": q.low,
            "max": q.high,
            "required": q.required,
            "per_member": q.per_member,
            "registry_field": q.field,
        }
        for q in QUESTIONS
    ]
