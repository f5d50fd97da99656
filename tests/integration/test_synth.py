"""The synthetic population and its exports: reproducible, consistent, realistically noisy."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from tepat.errors import InvalidInput
from tepat.reference import parse_kk, parse_nik
from tepat.synth import run as synth_run
from tepat.synth.run import synthesize

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synth") / "abdya"
    summary = synthesize(scope="11.12", seed=7, people=6000, as_of=AS_OF, out=out)
    return out, summary


def _truth(folder: Path, name: str) -> dict:
    return pq.read_table(folder / "truth" / f"{name}.parquet").to_pydict()


def test_same_seed_gives_byte_identical_files(tmp_path: Path, small: tuple[Path, dict]) -> None:
    again = tmp_path / "again"
    summary = synthesize(scope="11.12", seed=7, people=6000, as_of=AS_OF, out=again)
    first_files = sorted(p.relative_to(small[0]) for p in small[0].rglob("*") if p.is_file())
    second_files = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first_files == second_files
    for rel in first_files:
        assert (small[0] / rel).read_bytes() == (again / rel).read_bytes(), rel
    assert summary["files"] == small[1]["files"]


def test_another_seed_gives_another_population(tmp_path: Path, small: tuple[Path, dict]) -> None:
    other = synthesize(scope="11.12", seed=8, people=6000, as_of=AS_OF, out=tmp_path / "o")
    assert other["files"]["sources/dtks_siksng.csv"] != small[1]["files"]["sources/dtks_siksng.csv"]


def test_every_nik_encodes_its_persons_region_birth_date_and_sex(small: tuple[Path, dict]) -> None:
    people = _truth(small[0], "people")
    checked = 0
    for nik, district, born, sex in zip(
        people["nik"], people["nik_district"], people["born_on"], people["sex"], strict=True
    ):
        if nik is None:
            continue
        # The recorded birth date settles the century of centenarians (a NIK has YY only).
        info = parse_nik(nik, reference_date=AS_OF, recorded_birth_date=born, recorded_sex=sex)
        assert (info.district_code, info.birth_date, info.sex) == (district, born, sex)
        assert not info.warnings, info.warnings
        checked += 1
    assert checked > 5000
    assert len(set(n for n in people["nik"] if n)) == checked, "NIKs must be unique"


def test_kk_numbers_are_valid_and_issued_where_the_family_lived(small: tuple[Path, dict]) -> None:
    hh = _truth(small[0], "households")
    moved = 0
    for kk, village, moved_district in zip(
        hh["kk_now"], hh["village_now"], hh["moved_district"], strict=True
    ):
        info = parse_kk(kk, reference_date=AS_OF)
        assert not info.warnings, info.warnings
        if village is not None and moved_district:
            # A move across districts gets a new KK from the new district.
            assert info.district_code == village[:8]
            moved += 1
    assert moved > 0
    assert len(set(hh["kk_now"])) == len(hh["kk_now"])


def test_history_keeps_one_head_and_one_open_household(small: tuple[Path, dict]) -> None:
    m = _truth(small[0], "memberships")
    people = _truth(small[0], "people")
    open_rows = [i for i, end in enumerate(m["end_date"]) if end is None]
    persons = [m["person_id"][i] for i in open_rows]
    assert len(persons) == len(set(persons)), "a person is in two households at once"
    heads = [m["household_id"][i] for i in open_rows if m["relationship"][i] == 1]
    assert len(heads) == len(set(heads)), "a household has two heads"
    alive = {
        pid
        for pid, died in zip(people["person_id"], people["died_on"], strict=True)
        if died is None
    }
    assert alive == set(persons), "every living person belongs to exactly one household"


def test_life_events_and_staleness_are_present(small: tuple[Path, dict]) -> None:
    events = small[1]["events"]
    for kind in ("birth", "death", "move", "household_split", "marriage", "job_lost"):
        assert events.get(kind, 0) > 0, kind
    dtks = small[1]["sources"]["dtks"]
    assert dtks["listed_deceased"] > 0
    assert dtks["noise"]["row:duplicate"] > 0


def test_sources_are_selected_by_welfare(small: tuple[Path, dict]) -> None:
    folder = small[0]
    hh = _truth(folder, "households")
    pce = np.array(hh["pce_now"])
    recs = pq.read_table(folder / "truth" / "source_records.parquet").to_pydict()

    def mean_pce(source: str) -> float:
        ids = {h for s, h in zip(recs["source"], recs["household_id"], strict=True) if s == source}
        return float(pce[sorted(ids)].mean())

    assert mean_pce("p3ke") < mean_pce("dtks") < mean_pce("regsosek")


def test_row_counts_reconcile_with_the_ground_truth(small: tuple[Path, dict]) -> None:
    folder, summary = small
    src = folder / "sources"
    recs = pq.read_table(folder / "truth" / "source_records.parquet").to_pydict()
    count = {s: recs["source"].count(s) for s in set(recs["source"])}
    dtks = pacsv.read_csv(
        src / "dtks_siksng.csv",
        convert_options=pacsv.ConvertOptions(column_types={"NIK": "string"}),
    )
    members = pq.read_table(src / "regsosek2022_art.parquet")
    families = pq.read_table(src / "regsosek2022_keluarga.parquet")
    sheet = (
        CalamineWorkbook.from_path(str(src / "p3ke_2021.xlsx"))
        .get_sheet_by_name("Data P3KE")
        .to_python()
    )
    assert dtks.num_rows == count["dtks"] == summary["sources"]["dtks"]["rows"]
    assert members.num_rows == count["regsosek"]
    assert families.num_rows == count["regsosek_keluarga"]
    assert len(sheet) - 1 == count["p3ke"] == summary["sources"]["p3ke"]["rows"]
    # r112 (number of members) agrees with the member file.
    per_family = dict(
        zip(
            *np.unique(
                members.column("id_keluarga").to_numpy(zero_copy_only=False), return_counts=True
            ),
            strict=True,
        )
    )
    fam = families.to_pydict()
    assert all(per_family[f] == n for f, n in zip(fam["id_keluarga"], fam["r112"], strict=True))


def test_injected_noise_is_what_the_labels_say(small: tuple[Path, dict]) -> None:
    folder = small[0]
    recs = pq.read_table(folder / "truth" / "source_records.parquet").to_pydict()
    people = _truth(folder, "people")
    dtks = pacsv.read_csv(
        folder / "sources" / "dtks_siksng.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"NIK": "string", "NOKK": "string"}, strings_can_be_null=True
        ),
    ).to_pydict()
    dtks_truth = [i for i, s in enumerate(recs["source"]) if s == "dtks"]
    assert len(dtks_truth) == len(dtks["NIK"])
    for row, i in enumerate(dtks_truth):
        labels = recs["noise"][i].split(",") if recs["noise"][i] else []
        true_nik = people["nik"][recs["person_id"][i]]
        nik_labels = [x for x in labels if x.startswith("nik:")]
        if not nik_labels and true_nik is not None:
            assert dtks["NIK"][row] == true_nik
        if "nik:missing" in labels:
            assert dtks["NIK"][row] is None
        name_labels = [x for x in labels if x.startswith("name:")]
        if not name_labels:
            assert dtks["NAMA"][row] == people["full_name"][recs["person_id"][i]]


def test_targeting_is_as_hard_as_in_reality(tmp_path: Path) -> None:
    summary = synthesize(scope="11.12", seed=3, people=120_000, as_of=AS_OF, out=tmp_path / "k")
    check = summary["targeting_check"]
    assert 0.40 <= check["r_squared"] <= 0.60
    assert 0.25 <= check["mistargeting"] <= 0.35
    assert 0.15 <= check["inclusion_error"] <= 0.25
    assert 0.42 <= check["exclusion_error"] <= 0.58


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scope": "99.99"}, "99.99"),
        ({"scope": "11.12.01"}, "kecamatan"),
        ({"scope": "abc"}, "abc"),
        ({"seed": -1}, "--seed"),
        ({"people": 3}, "--people"),
        ({"as_of": date(2020, 1, 1)}, "--as-of"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_written(
    tmp_path: Path, kwargs: dict, message: str
) -> None:
    args = {"scope": "11.12", "seed": 1, "people": 500, "as_of": AS_OF, "out": tmp_path / "x"}
    args.update(kwargs)
    with pytest.raises(InvalidInput, match=message.replace(".", r"\.")):
        synthesize(**args)
    assert not (tmp_path / "x").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_failure_halfway_leaves_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pop"
    first = synthesize(scope="11.12", seed=1, people=500, as_of=AS_OF, out=out)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(synth_run.p3ke, "export", boom)
    with pytest.raises(RuntimeError):
        synthesize(scope="11.12", seed=2, people=500, as_of=AS_OF, out=out, overwrite=True)
    assert json.loads((out / "summary.json").read_text())["files"] == first["files"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pop"]


def test_a_non_empty_folder_is_not_overwritten_by_accident(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="--overwrite"):
        synthesize(scope="11.12", seed=1, people=500, as_of=AS_OF, out=tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"
