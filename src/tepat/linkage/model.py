"""The person-linkage model for Indonesian registry records, as Splink settings.

Pure: builds a settings dictionary; nothing here touches a database. The comparisons are written
as SQL conditions over the standardised columns of ``tepat.linkage.standardise`` (``_l``/``_r``
suffixes are Splink's), so they run on DuckDB and on Spark alike.

Blocking keeps the number of compared pairs per record flat as the registry grows: every rule
either uses an identifier (NIK, KK) or pairs a name key with a birth date or a region.
"""

from __future__ import annotations

from typing import Any, Final

UNIQUE_ID: Final = "uid"
# How often a NIK's serial (its last four digits) is mistyped in a source.
SERIAL_TYPO_RATE: Final = 5e-3

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
    name = {
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
    dob = {
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
    sex = {
        "output_column_name": "sex",
        "comparison_levels": [
            _null("sex"),
            _level("sex_l = sex_r", "same"),
            _level("ELSE", "different"),
        ],
    }
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


def settings(*, probability_two_random_records_match: float = 1e-5) -> dict[str, Any]:
    """Splink settings for deduplicating people across and within sources."""
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
