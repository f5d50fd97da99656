"""Row-level noise shared by the source exports; every applied change is labelled.

The labels (``name:typo``, ``nik:transposition``, ``dob:day_month_swap``...) go to the ground
truth so linkage accuracy can be broken down by noise type.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tepat.synth import noise as name_noise

# Haji titles and BIN/BINTI belong to Muslim naming; other groups get neither.
MUSLIM_GROUPS = frozenset(
    {
        "acehnese",
        "malay",
        "minang",
        "bugis_makassar",
        "javanese",
        "sundanese",
        "betawi",
        "madurese",
        "banjar",
        "sasak",
    }
)
NAME_NOISE_TYPES = (
    "spelling_variant",
    "old_spelling",
    "title",
    "patronymic",
    "typo",
    "abbreviation",
    "apostrophe",
)


class Labels:
    """Accumulates noise labels per row."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: dict[int, list[str]] = {}
        self.counts: dict[str, int] = {}

    def add(self, idx: np.ndarray, label: str) -> None:
        """Label rows ``idx`` with ``label``."""
        for i in idx.tolist():
            self.rows.setdefault(i, []).append(label)
        self.counts[label] = self.counts.get(label, 0) + len(idx)

    def column(self) -> np.ndarray:
        """One comma-separated string per row ('' when clean)."""
        out = np.full(self.n, "", dtype=object)
        for i, labels in self.rows.items():
            out[i] = ",".join(labels)
        return out


def names(
    rng: np.random.Generator,
    values: np.ndarray,
    female: np.ndarray,
    fathers: np.ndarray,
    born_year: np.ndarray,
    muslim: np.ndarray,
    rates: Mapping[str, float],
    labels: Labels,
) -> np.ndarray:
    """Apply name noise at ``rates`` (per type).

    Old spelling only for people born before 1965; titles and BIN/BINTI only for adults of
    Muslim-majority groups (``muslim``).
    """
    out = values.copy()
    n = len(out)
    for kind in NAME_NOISE_TYPES:
        rate = rates.get(kind, 0.0)
        if rate <= 0:
            continue
        mask = rng.random(n) < rate
        if kind == "old_spelling":
            mask &= born_year < 1965
        if kind == "title":
            mask &= (born_year < 1985) & muslim
        if kind == "patronymic":
            mask &= (fathers != "") & muslim
        idx = np.flatnonzero(mask)
        changed = []
        for i in idx.tolist():
            before = out[i]
            if kind == "title":
                after = name_noise.add_title(before, "F" if female[i] else "M", rng)
            elif kind == "patronymic":
                after = name_noise.add_patronymic(before, "F" if female[i] else "M", fathers[i])
            else:
                after = name_noise.NAME_NOISES[kind](before, rng)
            if after != before:
                out[i] = after
                changed.append(i)
        labels.add(np.asarray(changed, dtype=np.int64), f"name:{kind}")
    return out


def _swap(s: str, i: int) -> str:
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def niks(
    rng: np.random.Generator,
    values: np.ndarray,
    rates: Mapping[str, float],
    labels: Labels,
    field: str = "nik",
) -> np.ndarray:
    """Missing, mistyped, transposed, invalid and oddly formatted identity numbers."""
    out = values.copy()
    n = len(out)
    present = np.array([v is not None for v in out])
    for kind in ("missing", "typo", "transposition", "invalid", "format"):
        rate = rates.get(kind, 0.0)
        idx = np.flatnonzero(present & (rng.random(n) < rate))
        if not len(idx):
            continue
        before = [out[i] for i in idx.tolist()]
        for i in idx.tolist():
            v: str = out[i]
            if kind == "missing":
                out[i] = None
            elif kind == "typo":
                # Never the province digits: a typo there is an unknown province (an error).
                p = int(rng.integers(6, 16))
                d = str((int(v[p]) + int(rng.integers(1, 10))) % 10)
                out[i] = v[:p] + d + v[p + 1 :]
            elif kind == "transposition":
                # Swap two neighbouring digits after the district part (digits 7-16).
                start = int(rng.integers(6, 15))
                spots = [q for q in (*range(start, 15), *range(6, start)) if v[q] != v[q + 1]]
                if spots:
                    out[i] = _swap(v, spots[0])
            elif kind == "invalid":
                how = int(rng.integers(0, 3))
                out[i] = (
                    v[:-1] if how == 0 else v[:12] + "0000" if how == 1 else v[:6] + "00" + v[8:]
                )
            else:
                out[i] = (
                    f"{v[:6]}.{v[6:12]}.{v[12:]}"
                    if rng.random() < 0.5
                    else " ".join((v[:4], v[4:8], v[8:12], v[12:]))
                )
        changed = np.array(
            [out[i] != b for i, b in zip(idx.tolist(), before, strict=True)], dtype=bool
        )
        present[idx] = [out[i] is not None for i in idx.tolist()]
        labels.add(idx[changed], f"{field}:{kind}")
    return out


def birth_dates(
    rng: np.random.Generator, dates: np.ndarray, rates: Mapping[str, float], labels: Labels
) -> np.ndarray:
    """Day/month swaps, unknown days recorded as 1 July, and year slips."""
    d = dates.astype("datetime64[D]").copy()
    n = len(d)
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    months = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    ok = ~np.isnat(d)
    swap = ok & (days <= 12) & (days != months) & (rng.random(n) < rates.get("day_month_swap", 0))
    unknown = (
        ok & ~swap & ~((days == 1) & (months == 7)) & (rng.random(n) < rates.get("unknown_day", 0))
    )
    slip = ok & ~swap & ~unknown & (rng.random(n) < rates.get("year_slip", 0))
    new_y = np.where(slip, years + rng.choice([-1, 1], n), years)
    new_m = np.where(swap, days, np.where(unknown, 7, months))
    new_d = np.where(swap, months, np.where(unknown, 1, days))
    new_d = np.where(slip & (new_m == 2) & (new_d == 29), 28, new_d)  # no 29 Feb in the new year
    for kind, mask in (("day_month_swap", swap), ("unknown_day", unknown), ("year_slip", slip)):
        labels.add(np.flatnonzero(mask), f"dob:{kind}")
    changed = swap | unknown | slip
    if changed.any():
        rebuilt = np.array(
            [
                f"{y:04d}-{m:02d}-{dd:02d}"
                for y, m, dd in zip(new_y[changed], new_m[changed], new_d[changed], strict=True)
            ],
            dtype="datetime64[D]",
        )
        d[changed] = rebuilt
    return d
