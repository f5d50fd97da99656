"""The command line as a person uses it: messages, exit codes, nothing half-written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tepat.cli import app

runner = CliRunner()
VALID_NIK = "1112014501900001"  # Aceh Barat Daya district 01, born 5 Jan 1990, female


def test_nik_check_shows_what_a_valid_nik_encodes() -> None:
    result = runner.invoke(app, ["nik", "check", VALID_NIK])
    assert result.exit_code == 0, result.output
    assert (
        "11.12.01" in result.output and "1990-01-05" in result.output and "sex F" in result.output
    )
    assert VALID_NIK not in result.output


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("1112014501900000", "nik_serial_zero"),
        ("111201450190", "nik_length"),
        ("9912014501900001", "nik_unknown_province"),
        ("1112013002900001", "nik_invalid_date"),
    ],
)
def test_nik_check_rejects_with_the_reason_and_never_prints_the_full_nik(
    nik: str, code: str
) -> None:
    result = runner.invoke(app, ["nik", "check", nik])
    assert result.exit_code == 1
    assert code in result.output
    assert nik not in result.output


def test_kk_check_rejects_a_zero_district() -> None:
    result = runner.invoke(app, ["kk", "check", "1112000101200001"])
    assert result.exit_code == 1
    assert "kk_district_zero" in result.output


def test_regions_show_and_unknown_region() -> None:
    ok = runner.invoke(app, ["regions", "show", "11.12"])
    assert ok.exit_code == 0 and "Aceh Barat Daya" in ok.output
    bad = runner.invoke(app, ["regions", "show", "99.99"])
    assert bad.exit_code == 2 and "99.99" in bad.output


def test_synth_prints_what_it_made(tmp_path: Path) -> None:
    out = tmp_path / "pop"
    result = runner.invoke(
        app, ["synth", "--region", "11.12", "--seed", "1", "--people", "800", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = result.output
    for expected in (
        "households:",
        "people:",
        "regsosek",
        "dtks",
        "p3ke",
        "duplicates",
        "targeting check",
        str(out),
    ):
        assert expected in text
    assert re.search(r"dtks\s+│?\s*dtks_siksng\.csv", text)
    assert (out / "summary.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "99.99"], "99.99"),
        (["--region", "11.12", "--seed", "abc"], "seed"),
        (["--region", "11.12", "--seed", "-5"], "--seed"),
        (["--region", "11.12", "--as-of", "30-06-2025"], "--as-of"),
    ],
)
def test_synth_bad_arguments_exit_non_zero_and_write_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "pop"
    result = runner.invoke(app, ["synth", *args, "--people", "500", "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_db_upgrade_creates_then_reports_up_to_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEPAT_DATABASE_URL", f"sqlite:///{tmp_path / 't.db'}")
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0 and "migrated from empty" in first.output
    second = runner.invoke(app, ["db", "upgrade"])
    assert second.exit_code == 0 and "up to date" in second.output
