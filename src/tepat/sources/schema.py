"""The canonical staging schema: one row per person record, whatever the source.

Every adapter maps its source's columns onto these names; the standardisation step adds the
``*_std`` and derived columns listed in ``STANDARD_COLUMNS``. Household values are repeated on
each member's row (as SIKS-NG exports do), keyed by ``household_key`` within a batch.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from tepat.registry.fields import HOUSEHOLD_ITEMS, YES_NO_ITEMS

# Lineage: where the row came from. Never null.
LINEAGE: Final = [
    pa.field("batch_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),  # dtks, regsosek, p3ke, or a mapping name
    pa.field("file", pa.string(), nullable=False),
    pa.field("line", pa.int64(), nullable=False),  # 1-based line/row number in the file
    pa.field("record_id", pa.string(), nullable=False),  # the source's own id, else file:line
    pa.field("household_key", pa.string()),  # the source's family id (IDJTG, id_keluarga, ...)
    pa.field("observed_on", pa.date32()),  # when the source saw this value
]
# Person identity and demography as written by the source (cleaned of formatting only).
PERSON: Final = [
    pa.field("nik", pa.string()),  # digits only when it had 16 digits after stripping, else raw
    pa.field("kk", pa.string()),
    pa.field("id_number", pa.string()),  # another identity number (passport, social security)
    pa.field("full_name", pa.string()),
    pa.field("sex", pa.string()),  # M / F
    pa.field("birth_date", pa.date32()),
    pa.field("birth_place", pa.string()),
    pa.field("relationship", pa.int8()),  # r409 code
    pa.field("marital_status", pa.int8()),  # r408 code
    pa.field("mother_name", pa.string()),
    pa.field("education_level", pa.int8()),
    pa.field("employment_status", pa.int8()),
    pa.field("disability", pa.int8()),
    pa.field("chronic_disease", pa.int8()),
    # Block IV items the ranking and the program rules read (Regsosek has them; the lists do not).
    pa.field("pregnant", pa.bool_()),  # r410
    pa.field("school_participation", pa.int8()),  # r412: 0 never, 1 still in school, 2 left
    pa.field("worked_last_week", pa.bool_()),  # r416a
    pa.field("has_business", pa.bool_()),  # r420
]
# Where the family lives.
ADDRESS: Final = [
    pa.field("village_code", pa.string()),  # dotted PP.KK.CC.DDDD when resolved
    pa.field("village_name", pa.string()),
    pa.field("district_name", pa.string()),
    pa.field("regency_name", pa.string()),
    pa.field("address", pa.string()),
    pa.field("rt", pa.string()),
    pa.field("rw", pa.string()),
    pa.field("postcode", pa.string()),
]
# Household items (Regsosek blocks III and V) where the source has them.
HOUSEHOLD: Final = [
    *(
        pa.field(name, pa.bool_() if name in YES_NO_ITEMS else pa.int16())
        for name in HOUSEHOLD_ITEMS
    ),
    pa.field("programs_received", pa.int16()),  # r501a-g as a bitmask, bit 0 = r501a
]
STAGING_SCHEMA: Final = pa.schema(LINEAGE + PERSON + ADDRESS + HOUSEHOLD)

QUARANTINE_SCHEMA: Final = pa.schema(
    [
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("file", pa.string(), nullable=False),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),  # the row as read, JSON, NIK/KK masked
    ]
)
