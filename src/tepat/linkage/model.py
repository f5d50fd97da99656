"""The person-linkage model for Indonesian registry records, as Splink settings.

Pure: builds a settings dictionary; nothing here touches a database. The comparisons are written
as SQL conditions over the standardised columns of ``tepat.linkage.standardise`` (``_l``/``_r``
suffixes are Splink's), so they run on DuckDB and on Spark alike.

Blocking keeps the number of compared pairs per record flat as the registry grows: every rule
either uses an identifier (NIK, KK) or pairs a name key with a birth date or a region.

Two variants (:func:`settings`'s ``identity``):

- ``"nik"`` (the default): our sources, identified by the 16-digit NIK and the KK.
- ``"generic"``: a person file that is not one of our sources (``tepat link``), identified by
  any identity number (a passport or social-security number...). It reads ``id_clean`` (the
  number with separators removed, at least 5 characters), ``postcode_std`` and
  ``last_phonetic`` on top of the standardised columns; :mod:`tepat.linkage.anyfile` adds them.
  It compares the identity number (exact, one typo or transposition), the name (as above, plus
  given and family names swapped), the birth date and sex as above, and where the person lives
  as one comparison (address line, region code, postcode: a move changes them together).
  Comparisons and rules whose columns a file does not have are left out (``available``). The
  default ``settings()`` is the ``"nik"`` model, unchanged.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final, Literal

Identity = Literal["nik", "generic"]
IDENTITIES: Final[tuple[Identity, ...]] = ("nik", "generic")
UNIQUE_ID: Final = "uid"
# How often a NIK's serial (its last four digits) is mistyped in a source.
SERIAL_TYPO_RATE: Final = 5e-3
# How often a file that keeps given and family names apart swaps them.
SWAP_RATE: Final = 5e-3

# Blocking rules (SQL over l. and r.). Each pairs a strong key with something local.
BLOCKING_RULES: Final = (
    "l.nik_clean = r.nik_clean",
    "l.name_std = r.name_std and l.birth_year = r.birth_year",
    "l.given_phonetic = r.given_phonetic and l.birth_date = r.birth_date",
    "l.kk_clean = r.kk_clean and l.given_phonetic = r.given_phonetic",
    "l.district_code = r.district_code and l.birth_date = r.birth_date",
    "l.name_phonetic = r.name_phonetic and l.district_code = r.district_code",
    # A NIK mistyped in its last digits: same district and birth date digits, same first name.
    "substr(l.nik_clean, 1, 12) = substr(r.nik_clean, 1, 12) "
    "and l.given_phonetic = r.given_phonetic",
)
# Used to estimate m probabilities by EM (each leaves the other comparisons free to vary).
TRAINING_RULES: Final = (
    "l.nik_clean = r.nik_clean",
    "l.name_std = r.name_std and l.birth_year = r.birth_year",
    "l.kk_clean = r.kk_clean and l.given_phonetic = r.given_phonetic",
)


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(column: str) -> dict[str, Any]:
    return _level(f"{column}_l IS NULL OR {column}_r IS NULL", "null", is_null_level=True)


def _name_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "name",
        "comparison_levels": [
            _null("name_std"),
            _level(
                "name_std_l = name_std_r",
                "exact",
                tf_adjustment_column="name_std",
                tf_adjustment_weight=1.0,
            ),
            _level("name_phonetic_l = name_phonetic_r", "same sound"),
            _level("jaro_winkler_similarity(name_std_l, name_std_r) >= 0.94", "jw 0.94"),
            _level("jaro_winkler_similarity(name_std_l, name_std_r) >= 0.85", "jw 0.85"),
            _level(
                "given_std_l = given_std_r OR (last_std_l = last_std_r AND "
                "substr(given_std_l, 1, 1) = substr(given_std_r, 1, 1))",
                "first name or last name with initial",
            ),
            _level("ELSE", "different"),
        ],
    }


def _dob_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "birth_date",
        "comparison_levels": [
            _null("birth_date"),
            _level("birth_date_l = birth_date_r", "exact"),
            _level(
                "birth_year_l = birth_year_r AND birth_month_l = birth_day_r "
                "AND birth_day_l = birth_month_r",
                "day and month swapped",
            ),
            _level(
                "birth_year_l = birth_year_r AND ((birth_month_l = 7 AND birth_day_l = 1) "
                "OR (birth_month_r = 7 AND birth_day_r = 1) OR birth_month_l = birth_month_r)",
                "same year, unknown day or same month",
            ),
            _level(
                "abs(birth_year_l - birth_year_r) = 1 AND birth_month_l = birth_month_r "
                "AND birth_day_l = birth_day_r",
                "year off by one",
            ),
            _level("abs(birth_year_l - birth_year_r) <= 2", "within two years"),
            _level("ELSE", "different"),
        ],
    }


def _sex_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "sex",
        "comparison_levels": [
            _null("sex"),
            _level("sex_l = sex_r", "same"),
            _level("ELSE", "different"),
        ],
    }


def comparisons() -> list[dict[str, Any]]:
    """Comparison definitions (Splink dicts), most specific level first."""
    # Two different people born on the same day in the same district have NIKs that differ only
    # in the serial (0001, 0002...), so "one edit apart" is not evidence by itself: birth date and
    # place are compared on their own, and counting them again through the NIK would make
    # namesakes-by-date look like one person. Only a slip inside the birth-date digits of an
    # otherwise identical NIK counts as near.
    nik = {
        "output_column_name": "nik",
        "comparison_levels": [
            _null("nik_clean"),
            _level("nik_clean_l = nik_clean_r", "exact"),
            _level(
                "substr(nik_clean_l, 1, 6) = substr(nik_clean_r, 1, 6) AND "
                "substr(nik_clean_l, 13, 4) = substr(nik_clean_r, 13, 4) AND "
                "damerau_levenshtein(substr(nik_clean_l, 7, 6), substr(nik_clean_r, 7, 6)) = 1",
                "birth-date digits one typo or transposition apart",
            ),
            # The same first twelve digits with another serial: two people born the same day in
            # the same district. Birth date and place already agree, so this level carries a
            # fixed, strongly negative weight instead of one learned from random pairs (which
            # would count the shared date and district a second time).
            _level(
                "substr(nik_clean_l, 1, 12) = substr(nik_clean_r, 1, 12)",
                "same district and birth date, other serial",
                m_probability=SERIAL_TYPO_RATE,
                u_probability=0.5,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            _level("ELSE", "different"),
        ],
    }
    name = _name_comparison()
    dob = _dob_comparison()
    nik_facts = {
        # When only one record has a NIK and the recorded birth dates disagree, what the NIK
        # encodes says which recorded date is a slip. Otherwise the other comparisons cover it.
        "output_column_name": "nik_dob_cross",
        "comparison_levels": [
            _level(
                "(nik_clean_l IS NULL) = (nik_clean_r IS NULL) OR "
                "coalesce(nik_birth_date_l, nik_birth_date_r) IS NULL OR "
                "(nik_clean_l IS NULL AND birth_date_l IS NULL) OR "
                "(nik_clean_r IS NULL AND birth_date_r IS NULL) OR birth_date_l = birth_date_r",
                "not applicable",
                is_null_level=True,
            ),
            _level(
                "nik_birth_date_l = birth_date_r OR nik_birth_date_r = birth_date_l",
                "NIK date agrees",
            ),
            _level("ELSE", "disagrees"),
        ],
    }
    sex = _sex_comparison()
    place = {
        "output_column_name": "place",
        "comparison_levels": [
            _null("district_code"),
            _level("village_code_l = village_code_r", "same village"),
            _level("district_code_l = district_code_r", "same district"),
            _level("regency_code_l = regency_code_r", "same regency"),
            _level("ELSE", "elsewhere"),
        ],
    }
    # A shared KK is evidence of one family, not one person: family members, the commonest
    # non-matches among blocked pairs, share it. So KK is used to block, not to compare.
    return [nik, name, dob, nik_facts, sex, place]


# ----------------------------------------------------------------- generic: any person file

# Which standardised columns each generic comparison needs (all of them on at least one record).
_NEEDS: Final[dict[str, tuple[str, ...]]] = {
    "id": ("id_clean",),
    "name": ("name_std",),
    "birth_date": ("birth_date",),
    "sex": ("sex",),
    "place": ("address_std", "postcode_std", "district_code"),  # any of them
}
# (rule, the columns it needs). Each pairs a strong key with something local, as above.
GENERIC_BLOCKING_RULES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("l.id_clean = r.id_clean", ("id_clean",)),
    (
        "l.given_phonetic = r.given_phonetic and l.birth_date = r.birth_date",
        ("name_std", "birth_date"),
    ),
    (
        "l.last_phonetic = r.last_phonetic and l.birth_date = r.birth_date",
        ("name_std", "birth_date"),
    ),
    (
        # Given and family names swapped (files that keep them apart do that).
        "l.given_phonetic = r.last_phonetic and l.birth_date = r.birth_date",
        ("name_std", "birth_date"),
    ),
    (
        # Same name by sound and birth year: catches a day/month swap or a day typo.
        "l.name_phonetic = r.name_phonetic and l.birth_year = r.birth_year",
        ("name_std", "birth_date"),
    ),
    (
        "l.postcode_std = r.postcode_std and l.birth_year = r.birth_year",
        ("postcode_std", "birth_date"),
    ),
    # A first or family name by sound in the same postcode: a birth date that is wrong or missing.
    (
        "l.given_phonetic = r.given_phonetic and l.postcode_std = r.postcode_std",
        ("name_std", "postcode_std"),
    ),
    (
        "l.last_phonetic = r.last_phonetic and l.postcode_std = r.postcode_std",
        ("name_std", "postcode_std"),
    ),
    (
        "l.district_code = r.district_code and l.birth_date = r.birth_date",
        ("district_code", "birth_date"),
    ),
)
# EM sessions, in order of preference: (rule, columns it needs, comparisons it fixes). A session
# learns the m probabilities of the comparisons its rule does not fix; the sessions used are the
# fewest, in this order, that leave every comparison of the model free in one of them.
GENERIC_TRAINING_RULES: Final[tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]] = (
    ("l.id_clean = r.id_clean", ("id_clean",), frozenset({"id"})),
    (
        "l.name_std = r.name_std and l.birth_date = r.birth_date",
        ("name_std", "birth_date"),
        frozenset({"name", "birth_date"}),
    ),
    (
        "l.name_std = r.name_std and l.postcode_std = r.postcode_std",
        ("name_std", "postcode_std"),
        frozenset({"name", "place"}),
    ),
    (
        "l.name_std = r.name_std and l.district_code = r.district_code",
        ("name_std", "district_code"),
        frozenset({"name", "place"}),
    ),
    # Without an identity number, the name is learned where birth date and place agree.
    (
        "l.birth_date = r.birth_date and l.postcode_std = r.postcode_std",
        ("birth_date", "postcode_std"),
        frozenset({"birth_date", "place"}),
    ),
    (
        "l.birth_date = r.birth_date and l.district_code = r.district_code",
        ("birth_date", "district_code"),
        frozenset({"birth_date", "place"}),
    ),
    ("l.address_std = r.address_std", ("address_std",), frozenset({"place"})),
    # Last resorts for files with little else (EM samples at most max_pairs of these).
    ("l.birth_date = r.birth_date", ("birth_date",), frozenset({"birth_date"})),
    ("l.name_std = r.name_std", ("name_std",), frozenset({"name"})),
)
# Rules that pick out almost only true matches, for the prior probability that two random
# records match: (rule, assumed share of true matches it catches, columns it needs, the
# comparison levels it amounts to). The first usable one is used: with the assumed recall before
# training, then again with the recall the trained m probabilities of its levels give (their
# product), which does not depend on a guess about the file's error rates. Rules without levels
# keep the assumed recall.
GENERIC_DETERMINISTIC_RULES: Final[
    tuple[tuple[str, float, tuple[str, ...], tuple[tuple[str, str], ...]], ...]
] = (
    ("l.id_clean = r.id_clean", 0.8, ("id_clean",), (("id", "exact"),)),
    (
        "l.name_std = r.name_std and l.birth_date = r.birth_date",
        0.6,
        ("name_std", "birth_date"),
        (("name", "exact"), ("birth_date", "exact")),
    ),
    (
        "l.name_std = r.name_std and l.address_std = r.address_std",
        0.5,
        ("name_std", "address_std"),
        (),
    ),
    (
        "l.name_std = r.name_std and l.postcode_std = r.postcode_std",
        0.5,
        ("name_std", "postcode_std"),
        (),
    ),
    (
        "l.name_std = r.name_std and l.district_code = r.district_code",
        0.5,
        ("name_std", "district_code"),
        (),
    ),
)


def _usable(needs: tuple[str, ...], available: Collection[str] | None) -> bool:
    return available is None or all(n in available for n in needs)


def generic_comparisons(available: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Comparisons for any person file; those whose columns are not ``available`` are left out.

    ``available`` names the standardised columns that hold a value on some record (None: all).
    """
    identity = {
        # Any identity number: one typo or a transposition of two digits is the commonest slip.
        "output_column_name": "id",
        "comparison_levels": [
            _null("id_clean"),
            # No term-frequency adjustment: a number is on one person's records only, so its
            # frequency counts that person's duplicates, and would weigh them down. (Placeholder
            # numbers, one character repeated, are removed before linkage.)
            _level("id_clean_l = id_clean_r", "exact"),
            _level(
                "damerau_levenshtein(id_clean_l, id_clean_r) = 1",
                "one typo or transposition apart",
            ),
            _level("ELSE", "different"),
        ],
    }
    name = _name_comparison()
    # Files that keep given and family names apart also swap them.
    name["comparison_levels"].insert(
        -2,
        # Too rare to learn from a file (EM and random sampling rarely see one): fixed at about
        # 1 match in 200 and 1 random pair in 10,000, a conservative +5.6 bits.
        _level(
            "given_phonetic_l = last_phonetic_r AND last_phonetic_l = given_phonetic_r",
            "given and family names swapped",
            m_probability=SWAP_RATE,
            u_probability=1e-4,
            fix_m_probability=True,
            fix_u_probability=True,
        ),
    )
    place = _generic_place(available)
    chosen = {
        "id": identity,
        "name": name,
        "birth_date": _dob_comparison(),
        "sex": _sex_comparison(),
        "place": place,
    }
    out = []
    for key, comparison in chosen.items():
        needs = _NEEDS[key]
        if available is None or any(n in available for n in needs):
            out.append(comparison)
    return out


def _generic_place(available: Collection[str] | None) -> dict[str, Any]:
    """Where a person lives: the address line, the region code, else the postcode.

    One comparison, not three: they move together (a person who moved changes all of them), so
    comparing them apart would count one move two or three times.
    """
    have = {
        c: available is None or c in available
        for c in ("address_std", "district_code", "postcode_std")
    }
    present = [c for c, ok in have.items() if ok]
    levels: list[dict[str, Any]] = [
        _level(
            " AND ".join(f"({c}_l IS NULL OR {c}_r IS NULL)" for c in present),
            "null",
            is_null_level=True,
        )
    ]
    if have["address_std"]:
        levels += [
            _level("address_std_l = address_std_r", "same address"),
            _level(
                "jaro_winkler_similarity(address_std_l, address_std_r) >= 0.9",
                "address one or two slips apart",
            ),
        ]
    if have["district_code"]:
        levels.append(_level("village_code_l = village_code_r", "same village"))
    if have["postcode_std"]:
        levels.append(_level("postcode_std_l = postcode_std_r", "same postcode"))
    if have["district_code"]:
        levels.append(_level("district_code_l = district_code_r", "same district"))
    if have["postcode_std"]:
        # A postcode one character off at its end is usually the next area (or a slip).
        levels.append(
            _level(
                "length(postcode_std_l) >= 4 AND length(postcode_std_r) >= 4 AND "
                "left(postcode_std_l, length(postcode_std_l) - 1) = "
                "left(postcode_std_r, length(postcode_std_r) - 1)",
                "postcode differs in its last character",
            )
        )
    if have["district_code"]:
        levels.append(_level("regency_code_l = regency_code_r", "same regency"))
    levels.append(_level("ELSE", "elsewhere"))
    return {"output_column_name": "place", "comparison_levels": levels}


def generic_blocking_rules(available: Collection[str] | None = None) -> list[str]:
    """The generic blocking rules whose columns are ``available`` (None: all)."""
    return [rule for rule, needs in GENERIC_BLOCKING_RULES if _usable(needs, available)]


def generic_training_rules(
    available: Collection[str] | None = None, exclude: Collection[str] = ()
) -> list[str]:
    """The EM blocking rules to train the generic model on ``available`` columns (None: all):
    the fewest usable ones, in order, that leave every comparison free in one of them.

    ``exclude`` names rules not to use (a caller's rules that find no pairs in its file).
    """
    untrained = {c["output_column_name"] for c in generic_comparisons(available)}
    present = frozenset(untrained)
    chosen = []
    for rule, needs, fixes in GENERIC_TRAINING_RULES:
        if not untrained:
            break
        learns = present - fixes
        if _usable(needs, available) and rule not in exclude and learns & untrained:
            chosen.append(rule)
            untrained -= learns
    return chosen


def generic_deterministic_rule(
    available: Collection[str] | None = None,
) -> tuple[str, float, tuple[tuple[str, str], ...]] | None:
    """A rule of near-certain matches, its assumed recall and the (comparison, level) pairs it
    amounts to; None if none is usable."""
    for rule, recall, needs, levels in GENERIC_DETERMINISTIC_RULES:
        if _usable(needs, available):
            return rule, recall, levels
    return None


def settings(
    *,
    probability_two_random_records_match: float = 1e-5,
    identity: Identity = "nik",
    available: Collection[str] | None = None,
) -> dict[str, Any]:
    """Splink settings for deduplicating people across and within sources.

    ``identity="nik"`` (the default) is the model of our sources; ``"generic"`` the model of any
    person file (see the module docstring), limited to the ``available`` columns (None: all).
    """
    if identity == "generic":
        return {
            "link_type": "dedupe_only",
            "unique_id_column_name": UNIQUE_ID,
            "comparisons": generic_comparisons(available),
            "blocking_rules_to_generate_predictions": [
                {"blocking_rule": rule} for rule in generic_blocking_rules(available)
            ],
            "probability_two_random_records_match": probability_two_random_records_match,
            "retain_matching_columns": False,
            "retain_intermediate_calculation_columns": False,
            "additional_columns_to_retain": ["source"],
            "max_iterations": 20,
        }
    if identity != "nik":
        raise ValueError(f"identity must be one of {', '.join(IDENTITIES)}, not {identity!r}")
    if available is not None:
        raise ValueError("available applies to the generic model only")
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID,
        "comparisons": comparisons(),
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule} for rule in BLOCKING_RULES
        ],
        "probability_two_random_records_match": probability_two_random_records_match,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": ["source"],
        "max_iterations": 20,
    }
