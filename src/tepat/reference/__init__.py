"""Reference data and identifiers: Kemendagri region codes, NIK and KK numbers.

Nothing is loaded at import time; :func:`regions` reads the 2025 region list on first use.
"""

from tepat.reference._codes import Issue, Sex
from tepat.reference.kk import (
    KK_ERRORS,
    KK_WARNINGS,
    InvalidKk,
    KkCheck,
    KkInfo,
    check_kk,
    encode_kk,
    kk_validity_codes,
    mask_kk,
    parse_kk,
)
from tepat.reference.nik import (
    NIK_ERRORS,
    NIK_WARNINGS,
    InvalidNik,
    NikCheck,
    NikInfo,
    check_nik,
    encode_nik,
    mask_nik,
    nik_validity_codes,
    parse_nik,
)
from tepat.reference.regions import (
    DATA_SOURCE,
    Region,
    RegionDataError,
    RegionKind,
    RegionLevel,
    RegionRepository,
    UnknownRegion,
    district_digits,
    load_repository,
    normalise_region_code,
    regions,
)

__all__ = [
    "DATA_SOURCE",
    "KK_ERRORS",
    "KK_WARNINGS",
    "NIK_ERRORS",
    "NIK_WARNINGS",
    "InvalidKk",
    "InvalidNik",
    "Issue",
    "KkCheck",
    "KkInfo",
    "NikCheck",
    "NikInfo",
    "Region",
    "RegionDataError",
    "RegionKind",
    "RegionLevel",
    "RegionRepository",
    "Sex",
    "UnknownRegion",
    "check_kk",
    "check_nik",
    "district_digits",
    "encode_kk",
    "encode_nik",
    "kk_validity_codes",
    "load_repository",
    "mask_kk",
    "mask_nik",
    "nik_validity_codes",
    "normalise_region_code",
    "parse_kk",
    "parse_nik",
    "regions",
]
