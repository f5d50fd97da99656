"""Where synthetic households live: villages of a scope, weighted by population where known."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from tepat.errors import InvalidInput

# Approximate population by province (Dukcapil, end of 2024, millions). Used only to weight a
# national or multi-province population; within a province villages are weighted by their count.
PROVINCE_POPULATION_M: Final = {
    "11": 5.62,
    "12": 15.59,
    "13": 5.84,
    "14": 6.73,
    "15": 3.72,
    "16": 8.83,
    "17": 2.10,
    "18": 9.42,
    "19": 1.53,
    "21": 2.20,
    "31": 11.0,
    "32": 50.3,
    "33": 38.0,
    "34": 3.77,
    "35": 41.8,
    "36": 12.4,
    "51": 4.43,
    "52": 5.70,
    "53": 5.70,
    "61": 5.60,
    "62": 2.80,
    "63": 4.20,
    "64": 4.00,
    "65": 0.74,
    "71": 2.70,
    "72": 3.10,
    "73": 9.40,
    "74": 2.80,
    "75": 1.20,
    "76": 1.50,
    "81": 1.90,
    "82": 1.35,
    "91": 1.06,
    "92": 0.57,
    "93": 0.53,
    "94": 1.45,
    "95": 1.45,
    "96": 0.62,
}
# Province welfare level (log-points relative to the national mean), shaped on BPS poverty rates.
PROVINCE_WELFARE: Final = {
    "11": -0.12,
    "12": 0.0,
    "13": 0.05,
    "14": 0.08,
    "15": 0.02,
    "16": -0.05,
    "17": -0.08,
    "18": -0.08,
    "19": 0.15,
    "21": 0.2,
    "31": 0.45,
    "32": 0.02,
    "33": -0.08,
    "34": -0.03,
    "35": -0.05,
    "36": 0.1,
    "51": 0.18,
    "52": -0.15,
    "53": -0.35,
    "61": -0.02,
    "62": 0.06,
    "63": 0.1,
    "64": 0.25,
    "65": 0.15,
    "71": 0.05,
    "72": -0.08,
    "73": 0.0,
    "74": -0.05,
    "75": -0.2,
    "76": -0.08,
    "81": -0.22,
    "82": -0.08,
    "91": -0.25,
    "92": -0.3,
    "93": -0.3,
    "94": -0.5,
    "95": -0.6,
    "96": -0.25,
}


@dataclass(frozen=True)
class Villages:
    """The villages of a scope with their sampling weights (aligned arrays)."""

    codes: np.ndarray  # dotted village codes, object dtype
    names: np.ndarray
    district_names: np.ndarray
    regency_names: np.ndarray
    urban: np.ndarray  # bool: kelurahan
    weights: np.ndarray  # float, sums to 1
    scope_code: str
    scope_name: str

    @property
    def province_codes(self) -> np.ndarray:
        """Two-digit province code of each village."""
        return np.array([c[:2] for c in self.codes], dtype=object)


def default_population(villages: Villages, province_village_counts: dict[str, int]) -> int:
    """Estimate the population of a scope: province population times its share of villages."""
    counts: dict[str, int] = {}
    for code in villages.codes:
        counts[code[:2]] = counts.get(code[:2], 0) + 1
    total = 0.0
    for prov, n in counts.items():
        total += PROVINCE_POPULATION_M[prov] * 1e6 * n / province_village_counts[prov]
    return round(total)


def load_villages(scope: str, rng: np.random.Generator) -> Villages:
    """Villages under ``scope`` (a province or regency code, or ``ID`` for the whole country)."""
    from tepat.reference import RegionLevel, regions

    repo = regions()
    if scope.upper() in ("ID", "INDONESIA", "NATIONAL"):
        scope_code, scope_name = "ID", "Indonesia"
        provinces = [r.code for r in repo.all(RegionLevel.PROVINCE)]
    else:
        region = repo.get(scope)
        if region.level not in (RegionLevel.PROVINCE, RegionLevel.REGENCY):
            raise InvalidInput(
                f"--region {scope!r} is a {region.kind}; give a province (e.g. 11), a "
                "kabupaten/kota (e.g. 11.12) or ID for the whole country"
            )
        scope_code, scope_name = region.code, region.name
        provinces = [region.code[:2]]
    roots = provinces if scope_code == "ID" or len(scope_code) == 2 else [scope_code]
    rows = [v for root in roots for v in repo.descendants(root, RegionLevel.VILLAGE)]
    if not rows:
        raise InvalidInput(f"region {scope_code} has no villages in the 2025 list")
    codes = np.array([v.code for v in rows], dtype=object)
    urban = np.array([v.kind == "kelurahan" for v in rows], dtype=bool)
    prov = np.array([c[:2] for c in codes], dtype=object)
    # Village sizes vary: lognormal, and urban kelurahan are about three times a rural desa.
    size = rng.lognormal(0.0, 0.5, len(rows)) * np.where(urban, 3.0, 1.0)
    weights = np.empty(len(rows))
    for p in sorted(set(prov)):
        mask = prov == p
        weights[mask] = size[mask] / size[mask].sum() * PROVINCE_POPULATION_M[p]
    weights /= weights.sum()
    district_names = np.array([repo.get(c[:8]).name for c in codes], dtype=object)
    regency_names = np.array([repo.get(c[:5]).name for c in codes], dtype=object)
    return Villages(
        codes=codes,
        names=np.array([v.name for v in rows], dtype=object),
        district_names=district_names,
        regency_names=regency_names,
        urban=urban,
        weights=weights,
        scope_code=scope_code,
        scope_name=scope_name,
    )
