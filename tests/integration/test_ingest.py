"""Ingesting the three synthetic source exports, and broken files: nothing is ever lost."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook
from rustpy_xlsxwriter import FastExcel
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tepat.cli import app
from tepat.errors import InvalidInput
from tepat.sources import ingest as ingest_module
from tepat.sources.ingest import IngestResult, ingest
from tepat.sources.mapping import UnknownSource
from tepat.sources.models import IngestBatch, QuarantineRow
from tepat.sources.schema import STAGING_SCHEMA
from tepat.synth.run import synthesize

TODAY = date(2026, 11, 28)
FILES = {
    "dtks": ["dtks_siksng.csv"],
    "regsosek": ["regsosek2022_keluarga.parquet", "regsosek2022_art.parquet"],
    "p3ke": ["p3ke_2021.xlsx"],
}
# Sixteen digits, whatever separates them: a NIK or KK in the clear.
FULL_NUMBER = re.compile(r"(?<![0-9])[0-9](?:[\s.\-]?[0-9]){15}(?![0-9])")
runner = CliRunner()


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ingest") / "pop"
    synthesize(scope="11.12", seed=1, people=800, as_of=date(2025, 6, 30), out=out)
    return out


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


# -- helpers ----------------------------------------------------------------------------------


def _sources(population: Path, source: str) -> list[Path]:
    return [population / "sources" / name for name in FILES[source]]


def _ingest(session: Session, source: str, files: list[Path], data_dir: Path) -> IngestResult:
    return ingest(source=source, files=files, data_dir=data_dir, db=session, today=TODAY)


def _truth_ids(population: Path, source: str) -> set[str]:
    table = pq.read_table(population / "truth" / "source_records.parquet")
    return {
        r
        for s, r in zip(table["source"].to_pylist(), table["record_id"].to_pylist(), strict=True)
        if s == source
    }


def _staged(result: IngestResult) -> pa.Table:
    table = pq.read_table(result.staged_path)
    assert table.schema == STAGING_SCHEMA
    return table


def _quarantine(session: Session, batch_id: str) -> list[QuarantineRow]:
    return list(
        session.scalars(
            select(QuarantineRow)
            .where(QuarantineRow.batch_id == batch_id)
            .order_by(QuarantineRow.line)
        )
    )


def _assert_nothing_lost(session: Session, result: IngestResult) -> list[QuarantineRow]:
    """Rows in = staged + quarantined, per file and in the database; every refusal has a reason."""
    assert result.reconciled
    assert _staged(result).num_rows == result.rows_staged
    rows = _quarantine(session, result.batch_id)
    assert len(rows) == sum(f.quarantined for f in result.files)
    assert all(r.reason and r.line >= 1 for r in rows)
    for row in rows:
        assert row.raw is not None and not FULL_NUMBER.search(row.raw), row.raw
    batch = session.get_one(IngestBatch, result.batch_id)
    assert (batch.rows_in, batch.rows_staged, batch.rows_quarantined) == (
        result.rows_in,
        result.rows_staged,
        result.rows_quarantined,
    )
    return rows


def _csv(path: Path) -> tuple[bytes, list[bytes]]:
    header, *rows = path.read_bytes().rstrip(b"\n").split(b"\n")
    return header, rows


def _write(path: Path, header: bytes, rows: list[bytes], *, end: bytes = b"\n") -> Path:
    path.write_bytes(header + b"\n" + b"\n".join(rows) + end)
    return path


def _ids(result: IngestResult) -> list[str]:
    return _staged(result)["record_id"].to_pylist()


# -- the three sources ------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["dtks", "regsosek", "p3ke"])
def test_each_source_stages_every_row_true_to_the_truth(
    session: Session, population: Path, data_dir: Path, source: str
) -> None:
    result = _ingest(session, source, _sources(population, source), data_dir)
    _assert_nothing_lost(session, result)
    assert result.rows_quarantined == 0 and result.unresolved_addresses == 0
    assert result.staged_path == data_dir / "staging" / source / f"{result.batch_id}.parquet"
    assert re.fullmatch(rf"{source}-20261128-[0-9a-f]{{8}}", result.batch_id)
    staged = _staged(result)
    assert set(staged["record_id"].to_pylist()) == _truth_ids(population, source)
    assert staged.num_rows == len(_truth_ids(population, source))

    # Every staged value that carries no injected noise equals the truth.
    truth = population / "truth"
    records = pq.read_table(truth / "source_records.parquet").to_pylist()
    by_id = {r["record_id"]: r for r in records if r["source"] == source}
    people = pq.read_table(truth / "people.parquet", columns=["sex", "born_on", "nik"])
    villages = pq.read_table(truth / "households.parquet", columns=["village_snapshot"])
    for row in staged.to_pylist():
        record = by_id[row["record_id"]]
        person, noise = record["person_id"], record["noise"]
        assert row["sex"] == people["sex"][person].as_py()
        assert row["village_code"] == villages["village_snapshot"][record["household_id"]].as_py()
        if "dob:" not in noise:
            assert row["birth_date"] == people["born_on"][person].as_py()
        if "nik:" not in noise:
            assert row["nik"] == people["nik"][person].as_py()
        assert row["full_name"] and row["household_key"] and row["observed_on"]


def test_regsosek_rows_carry_their_family_and_the_member_file_line(
    session: Session, population: Path, data_dir: Path
) -> None:
    families, members = _sources(population, "regsosek")
    result = _ingest(session, "regsosek", [families, members], data_dir)
    assert [(f.role, f.rows_in == f.staged) for f in result.files] == [
        ("families", True),
        ("members", True),
    ]
    staged = _staged(result).to_pylist()
    art = pq.read_table(members, columns=["id_keluarga", "r401"]).to_pylist()
    keluarga = {r["id_keluarga"]: r for r in pq.read_table(families).to_pylist()}
    for row in staged[:50]:
        member = art[row["line"] - 1]
        assert row["record_id"] == f"{member['id_keluarga']}-{member['r401']}"
        family = keluarga[member["id_keluarga"]]
        assert row["kk"] == family["r114"]
        assert row["floor_area_m2"] == family["r302"]
        assert row["has_car"] == (family["r502k"] == 1)
        assert row["observed_on"] == family["tanggal_pencacahan"]
        assert row["file"] == members.name


def test_regsosek_member_without_its_family_is_quarantined(
    session: Session, population: Path, data_dir: Path, tmp_path: Path
) -> None:
    families, members = _sources(population, "regsosek")
    table = pq.read_table(families)
    orphaned = table["id_keluarga"][0].as_py()
    fewer = tmp_path / "keluarga.parquet"
    pq.write_table(table.slice(1), fewer)
    result = _ingest(session, "regsosek", [fewer, members], data_dir)
    rows = _assert_nothing_lost(session, result)
    expected = pq.read_table(members, columns=["id_keluarga"])["id_keluarga"].to_pylist()
    assert result.rows_quarantined == expected.count(orphaned) > 0
    assert {r.reason for r in rows} == {"id_keluarga has no row in the families file"}


def test_reingesting_the_same_files_reports_the_batch_and_writes_nothing(
    session: Session, population: Path, data_dir: Path
) -> None:
    files = _sources(population, "dtks")
    first = _ingest(session, "dtks", files, data_dir)
    written = first.staged_path.stat().st_mtime_ns
    again = ingest(
        source="dtks", files=files, data_dir=data_dir, db=session, today=date(2027, 1, 5)
    )
    assert again.already_ingested and not first.already_ingested
    assert (again.batch_id, again.files, again.rows_staged) == (
        first.batch_id,
        first.files,
        first.rows_staged,
    )
    assert session.scalar(select(func.count()).select_from(IngestBatch)) == 1
    assert first.staged_path.stat().st_mtime_ns == written
    assert list(first.staged_path.parent.iterdir()) == [first.staged_path]


# -- broken files -----------------------------------------------------------------------------


def _garbage_line(rng: random.Random) -> bytes:
    # Random bytes on one line; \xff makes it invalid UTF-8 whatever follows.
    return b"\xff" + bytes(
        rng.choice([b for b in range(256) if b not in (10, 13)]) for _ in range(60)
    )


def test_a_csv_with_garbage_rows_loses_nothing(
    session: Session, population: Path, data_dir: Path, tmp_path: Path
) -> None:
    header, rows = _csv(_sources(population, "dtks")[0])
    rng = random.Random(5)
    mixed = list(rows)
    inserted = [
        (3, _garbage_line(rng)),
        (10, b'"only","two"'),
        (20, b",".join([b'"x"'] * 25)),
        (30, b""),  # a blank line: not a row, counted
        (40, _garbage_line(rng)),
        (41, b'"D999","1"' + b",1" * 18 + b',"unclosed'),
    ]
    for offset, (position, line) in enumerate(inserted):
        mixed.insert(position + offset, line)
    path = _write(tmp_path / "dtks.csv", header, mixed)

    result = _ingest(session, "dtks", [path], data_dir)
    quarantined = _assert_nothing_lost(session, result)
    assert sorted(_ids(result)) == sorted(_truth_ids(population, "dtks"))
    assert result.files[0].blank == 1
    assert result.rows_in == len(rows) + 5
    lines = path.read_bytes().split(b"\n")
    for row in quarantined:
        # The line number points at the line in the file.
        assert lines[row.line - 1] in {line for _, line in inserted}
    reasons = [r.reason for r in quarantined]
    assert reasons.count("not UTF-8 text") == 2
    assert sum("wrong number of fields" in r and "delimiter ','" in r for r in reasons) == 3


def test_a_csv_written_with_semicolons_is_detected_and_parsed(
    session: Session, population: Path, data_dir: Path, tmp_path: Path
) -> None:
    source = _sources(population, "dtks")[0]
    names = pacsv.read_csv(source).column_names
    table = pacsv.read_csv(
        source, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    )
    path = tmp_path / "dtks_semicolon.csv"
    pacsv.write_csv(table, path, pacsv.WriteOptions(delimiter=";", quoting_style="needed"))
    assert b";" in path.read_bytes().split(b"\n")[0]

    result = _ingest(session, "dtks", [path], data_dir)
    _assert_nothing_lost(session, result)
    assert result.rows_quarantined == 0
    assert set(_ids(result)) == _truth_ids(population, "dtks")


def test_a_csv_whose_header_does_not_split_is_refused_naming_the_delimiter(
    session: Session, population: Path, data_dir: Path, tmp_path: Path
) -> None:
    header, rows = _csv(_sources(population, "dtks")[0])
    path = _write(tmp_path / "odd.csv", header.replace(b",", b"#"), rows[:5])
    with pytest.raises(InvalidInput, match="split on ','"):
        _ingest(session, "dtks", [path], data_dir)
    assert session.scalar(select(func.count()).select_from(IngestBatch)) == 0


def test_a_truncated_last_line_is_quarantined_and_the_rest_staged(
    session: Session, population: Path, data_dir: Path, tmp_path: Path
) -> None:
    header, rows = _csv(_sources(population, "dtks")[0])
    cut = rows[-1][: len(rows[-1]) // 2]
    path = _write(tmp_path / "cut.csv", header, [*rows[:-1], cut], end=b"")

    result = _ingest(session, "dtks", [path], data_dir)
    [row] = _assert_nothing_lost(session, result)
    assert row.line == len(rows) + 1
    assert row.reason.startswith("truncated last line")
    assert json.loads(row.raw)["text"].startswith('"D')
    assert len(_ids(result)) == len(rows) - 1


def test_an_xlsx_with_an_extra_blank_row_loses_nothing(
    session: Session, population: Path, data_dir: Path, tmp_path: Path
) -> None:
    book = CalamineWorkbook.from_path(str(_sources(population, "p3ke")[0]))
    header, *rows = book.get_sheet_by_index(0).to_python()
    records = [dict(zip(header, row, strict=True)) for row in rows]
    records.insert(10, dict.fromkeys(header, ""))
    path = tmp_path / "p3ke.xlsx"
    FastExcel(str(path)).sheet("Data P3KE", records).save()

    result = _ingest(session, "p3ke", [path], data_dir)
    _assert_nothing_lost(session, result)
    assert (result.rows_in, result.rows_staged, result.files[0].blank) == (len(rows), len(rows), 1)
    staged = _staged(result)
    # The record id is the worksheet row: rows below the blank one moved down by one.
    lines = staged["line"].to_pylist()
    assert 12 not in lines and lines[:10] == list(range(2, 12)) and lines[10] == 13
    assert staged["record_id"].to_pylist() == [str(n) for n in lines]


def test_refused_rows_keep_their_reasons_and_never_a_full_nik(
    session: Session, population: Path, data_dir: Path, tmp_path: Path
) -> None:
    source = _sources(population, "dtks")[0]
    names = pacsv.read_csv(source).column_names
    table = pacsv.read_csv(
        source, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    )
    rows = table.to_pylist()
    with_nik = [i for i, r in enumerate(rows) if r["NIK"] and len(r["NIK"]) == 16][:30]
    for n, i in enumerate(with_nik):
        row = rows[i]
        if n % 3 == 0:
            row["NAMA"] = ""  # missing mandatory field
        elif n % 3 == 1:
            row["TGL_LHR"] = f"01/01/{TODAY.year + 1}"  # born in the future
            nik = row["NIK"]
            row["NIK"] = f"{nik[:6]}.{nik[6:12]}.{nik[12:]}"
        else:
            row["JNS_KEL"] = "9"  # not a sex
            row["HUB_KRT"] = "42"  # outside RELATIONSHIP
    path = tmp_path / "bad_rows.csv"
    pacsv.write_csv(pa.Table.from_pylist(rows, table.schema), path)

    result = _ingest(session, "dtks", [path], data_dir)
    quarantined = _assert_nothing_lost(session, result)
    assert result.rows_quarantined == len(with_nik)
    assert dict(result.reasons) == {
        "full_name: missing (NAMA empty)": 10,
        "birth_date: in the future": 10,
        "sex: JNS_KEL is not a sex (1 (laki-laki) or 2 (perempuan)); "
        "relationship: HUB_KRT is not a code of RELATIONSHIP": 10,
    }
    for row in quarantined:
        raw = json.loads(row.raw)
        assert re.fullmatch(r"[0-9]{4}\*{8}[0-9]{4}", raw["NIK"]), raw["NIK"]
        assert raw["ID_DTKS"] == rows[row.line - 2]["ID_DTKS"]


def test_a_failure_midway_leaves_no_half_batch(
    session: Session,
    population: Path,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    header, rows = _csv(_sources(population, "dtks")[0])
    path = _write(tmp_path / "some_bad.csv", header, [b'"a","b"', *rows])
    monkeypatch.setattr(ingest_module, "QUARANTINE_CHUNK", 1)  # quarantine rows hit the db early

    def broken(*_args: Any, **_kw: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        _ingest(session, "dtks", [path], data_dir)
    assert session.scalar(select(func.count()).select_from(IngestBatch)) == 0
    assert session.scalar(select(func.count()).select_from(QuarantineRow)) == 0
    assert list((data_dir / "staging" / "dtks").iterdir()) == []

    monkeypatch.undo()
    result = _ingest(session, "dtks", [path], data_dir)  # the session is still usable
    assert result.rows_quarantined == 1 and not result.already_ingested


def test_unknown_source_and_wrong_files_are_refused(
    session: Session, population: Path, data_dir: Path
) -> None:
    with pytest.raises(UnknownSource, match="known sources: dtks, p3ke, regsosek"):
        _ingest(session, "siks", _sources(population, "dtks"), data_dir)
    with pytest.raises(InvalidInput, match="takes 2 file"):
        _ingest(session, "regsosek", _sources(population, "regsosek")[1:], data_dir)
    with pytest.raises(InvalidInput, match="does not exist"):
        _ingest(session, "dtks", [data_dir / "missing.csv"], data_dir)
    with pytest.raises(InvalidInput, match="expects xlsx"):
        _ingest(session, "p3ke", _sources(population, "dtks"), data_dir)
    assert not data_dir.exists()


# -- command line -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "cli"
    monkeypatch.setenv("TEPAT_DATA_DIR", str(data))
    monkeypatch.setenv("TEPAT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COLUMNS", "300")  # rich wraps at the terminal width; keep lines whole
    yield data


def test_cli_ingest_prints_the_reconciliation(cli_env: Path, population: Path) -> None:
    args = ["ingest", "regsosek", *map(str, _sources(population, "regsosek"))]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "(new)" in first.output and "reconciled" in first.output
    assert re.search(r"[0-9,]+ rows in = [0-9,]+ staged \+ 0 quarantined", first.output)
    assert "unresolved addresses" in first.output and str(cli_env / "staging") in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "already ingested" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "siks", "x.csv"], "known sources: dtks, p3ke, regsosek"),
        (["ingest", "dtks", "nowhere.csv"], "does not exist"),
    ],
)
def test_cli_ingest_errors_exit_2(cli_env: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


FOREIGN_MAPPING = """\
# A district's own list of elderly residents.
[source]
name = "lansia_kab"
mandatory = ["full_name"]

[[files]]
role = "people"
format = "csv"

[fields]
record_id = "No"
full_name = "Nama Lengkap"
nik = { column = "NIK", transform = "digits" }
sex = { column = "L/P", transform = "sex:text" }
birth_date = { column = "Tgl Lahir", transform = "date:%d-%m-%Y" }
village_code = { columns = ["Prov", "Kab", "Kec", "Desa"], transform = "join:." }
observed_on = { value = 2025-01-15 }
"""


def test_cli_ingests_a_foreign_file_with_a_user_mapping(cli_env: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "lansia.toml"
    mapping.write_text(FOREIGN_MAPPING, encoding="utf-8")
    data = tmp_path / "lansia.csv"
    data.write_text(
        "No|Nama Lengkap|NIK|L/P|Tgl Lahir|Prov|Kab|Kec|Desa\n"
        "1|SITI AMINAH|1112014501400001|P|05-01-1940|11|12|01|2006\n"
        "2||1112010101400002|L|01-01-1940|11|12|01|2006\n"
        "3|ABDUL MUIS|1112010101400003|L|31-02-1940|11|12|01|9999\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["ingest", str(data), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "lansia_kab batch" in result.output
    assert "3 rows in = 1 staged + 2 quarantined" in result.output
    assert "full_name: missing (Nama Lengkap empty)" in result.output
    assert "birth_date: Tgl Lahir is not a date as DD-MM-YYYY" in result.output
    assert "1112014501400001" not in result.output
    [staged] = list((cli_env / "staging" / "lansia_kab").glob("*.parquet"))
    row = pq.read_table(staged).to_pylist()[0]
    assert (row["source"], row["record_id"], row["sex"], row["village_code"]) == (
        "lansia_kab",
        "1",
        "F",
        "11.12.01.2006",
    )

    # The source name may also be given first, as for the shipped sources.
    again = runner.invoke(app, ["ingest", "lansia_kab", str(data), "--mapping", str(mapping)])
    assert again.exit_code == 0 and "already ingested" in again.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('full_name = "Nama Lengkap"', 'nama = "Nama Lengkap"'),
            ":12: unknown canonical field 'nama'",
        ),
        (('full_name = "Nama Lengkap"', 'full_name = "Nama'), ":12: TOML syntax"),
        (('"sex:text"', '"sex:jk"'), ":14: field 'sex': sex takes"),
    ],
)
def test_cli_refuses_a_bad_mapping_with_file_line_and_reason(
    cli_env: Path, tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text(FOREIGN_MAPPING.replace(*change), encoding="utf-8")
    data = tmp_path / "x.csv"
    data.write_text("No\n1\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(data), "--mapping", str(mapping)])
    assert result.exit_code == 2
    flat = " ".join(result.output.split())  # the console wraps long paths
    assert f"mapping {mapping}{expected}" in flat, result.output
