"""`tepat link` on a person file that is not one of ours: English names, a social-security-style
id, US dates, a mapping written here. The clusters are scored against the file's own truth."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tepat.cli import app
from tepat.commands import link as link_command
from tepat.linkage import anyfile, model

runner = CliRunner()
AS_OF = "2025-06-30"


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MALE = _names(
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel "
    "Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy "
    "Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin "
    "Scott Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry"
)
FEMALE = _names(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty "
    "Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah "
    "Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma "
    "Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather"
)
SURNAMES = _names(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook "
    "Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez "
    "Castillo Sanders Patel Myers Long Ross Foster Jimenez"
)
STREETS = _names(
    "Oak Maple Cedar Pine Elm Washington Lake Hill Park Main Church Spring Sunset Ridge River "
    "Forest Meadow Highland Willow Chestnut"
)
STREET_TYPES = ("Street", "Avenue", "Road", "Drive", "Lane", "Court")
SUBURBS = _names(
    "Riverside Fairview Greenville Franklin Clinton Springfield Madison Georgetown Salem "
    "Arlington Ashland Milton Newport Oakland Burlington Dover Hudson Kingston Marion Oxford "
    "Auburn Bristol Chester Clayton Dayton Florence Jackson Lebanon Lexington Manchester"
)
POSTCODES = {s: f"{2000 + 37 * i:04d}" for i, s in enumerate(SUBURBS)}
MAPPING = """\
# A person file that is not one of our sources: English names, a social-security-style number.
[source]
name = "people"
description = "test person file"
mandatory = ["record_id", "full_name"]

[[files]]
role = "people"
format = "csv"

[fields]
record_id = "rec_id"
full_name = { columns = ["given_name", "surname"], transform = "words" }
id_number = "ssn"
birth_date = { column = "date_of_birth", transform = "date:%m/%d/%Y" }
sex = { column = "sex", transform = "sex:text" }
address = { columns = ["address_1", "address_2", "suburb"], transform = "words:, " }
postcode = "postcode"
"""
COLUMNS = _names(
    "rec_id given_name surname ssn date_of_birth sex address_1 address_2 suburb postcode"
)


@dataclass
class Person:
    given: str
    surname: str
    ssn: str | None
    born: date
    sex: str
    address_1: str
    address_2: str
    suburb: str


def _ssn(rng: random.Random, used: set[str]) -> str:
    while True:
        digits = (
            f"{rng.randrange(1, 900):03d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10_000):04d}"
        )
        if digits not in used:
            used.add(digits)
            return digits


def _typo(rng: random.Random, word: str) -> str:
    """One keyboard slip: a letter replaced, dropped, doubled, or two swapped."""
    i = rng.randrange(1, len(word))  # the first letter is rarely wrong
    kind = rng.choice(("replace", "drop", "double", "swap"))
    if kind == "replace":
        return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]
    if kind == "drop" and len(word) > 3:
        return word[:i] + word[i + 1 :]
    if kind == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def _transpose(rng: random.Random, digits: str) -> str:
    spots = [i for i in range(len(digits) - 1) if digits[i] != digits[i + 1]]
    i = rng.choice(spots)
    return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]


def _people(rng: random.Random, n: int) -> list[Person]:
    used: set[str] = set()
    people: list[Person] = []
    while len(people) < n:
        # Households of one to four share a surname and an address (hard non-matches).
        size = rng.choices((1, 2, 3, 4), weights=(55, 20, 15, 10))[0]
        surname = rng.choice(SURNAMES)
        suburb = rng.choice(SUBURBS)
        street = f"{rng.randrange(1, 400)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        unit = f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.2 else ""
        for _ in range(size):
            sex = rng.choice("MF")
            born = date(1935, 1, 1) + timedelta(days=rng.randrange(0, 365 * 75))
            people.append(
                Person(
                    given=rng.choice(MALE if sex == "M" else FEMALE),
                    surname=surname,
                    ssn=_ssn(rng, used) if rng.random() < 0.97 else None,
                    born=born,
                    sex=sex,
                    address_1=street,
                    address_2=unit,
                    suburb=suburb,
                )
            )
    return people[:n]


def _noisy(rng: random.Random, p: Person) -> tuple[Person, list[str]]:
    """A second record of ``p`` with one or two slips."""
    q = Person(**p.__dict__)
    kinds = ["name_typo", "id_transposed", "id_missing", "day_month_swap"]
    chosen = rng.sample(kinds, rng.choice((1, 1, 2)))
    done = []
    for kind in chosen:
        if kind == "name_typo":
            if rng.random() < 0.5:
                q.given = _typo(rng, q.given)
            else:
                q.surname = _typo(rng, q.surname)
        elif kind == "id_transposed" and q.ssn:
            q.ssn = _transpose(rng, q.ssn)
        elif kind == "id_missing":
            q.ssn = None
        elif kind == "day_month_swap" and q.born.day <= 12 and q.born.day != q.born.month:
            q.born = date(q.born.year, q.born.day, q.born.month)
        else:
            continue
        done.append(kind)
    if not done:  # the slip did not apply: a surname typo instead
        q.surname = _typo(rng, q.surname)
        done.append("name_typo")
    if rng.random() < 0.2:  # the unit left out
        q.address_2 = ""
    if rng.random() < 0.1:  # moved house: another address and postcode
        q.suburb = rng.choice([s for s in SUBURBS if s != p.suburb])
        q.address_1 = f"{rng.randrange(1, 400)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        q.address_2 = ""
        done.append("moved")
    return q, done


def _row(rec_id: str, p: Person) -> dict[str, str]:
    ssn = p.ssn or ""
    return {
        "rec_id": rec_id,
        "given_name": p.given,
        "surname": p.surname,
        "ssn": f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}" if ssn else "",
        "date_of_birth": f"{p.born.month:02d}/{p.born.day:02d}/{p.born.year}",
        "sex": "male" if p.sex == "M" else "female",
        "address_1": p.address_1,
        "address_2": p.address_2,
        "suburb": p.suburb,
        "postcode": POSTCODES[p.suburb],
    }


def make_person_file(folder: Path, *, people: int = 2_500, seed: int = 7) -> tuple[Path, dict]:
    """A CSV of ``people`` people and about 20% more duplicate records with slips, plus four
    broken rows; returns the file and the truth (record id -> person, noise)."""
    rng = random.Random(seed)
    persons = _people(rng, people)
    rows: list[tuple[int, Person, list[str]]] = [(i, p, []) for i, p in enumerate(persons)]
    for i in rng.sample(range(people), people // 5):
        copies = 2 if rng.random() < 0.1 else 1
        for _ in range(copies):
            q, noise = _noisy(rng, persons[i])
            rows.append((i, q, noise))
    rng.shuffle(rows)
    truth: dict[str, dict] = {}
    lines = []
    for n, (person, p, noise) in enumerate(rows, start=1):
        rec_id = f"R{n:06d}"
        truth[rec_id] = {"person": person, "noise": noise}
        lines.append(_row(rec_id, p))
    # Broken rows: a date that is not one, no name at all, a birth date after the data cut.
    bad = [
        {**_row("X000001", persons[0]), "date_of_birth": "13/45/1980"},
        {**_row("X000002", persons[1]), "given_name": "", "surname": ""},
        {**_row("X000003", persons[2]), "date_of_birth": "01/02/2031"},
    ]
    for k, row in zip((17, 600, 2_000), bad, strict=True):
        lines.insert(k, row)
    path = folder / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(lines)
        # And a line with one field too many, at the end.
        handle.write("X000004,John,Smith,123-45-6789,01/02/1980,male,1 Oak St,,Salem,2296,?\n")
    return path, truth


def pairwise_scores(clusters: dict[str, int], truth: dict[str, dict]) -> tuple[float, float]:
    """Pairwise precision and recall of ``clusters`` (record id -> cluster) against the truth."""

    def pairs(counts: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    predicted = pairs(Counter(clusters.values()))
    actual = pairs(Counter(truth[r]["person"] for r in clusters))
    right = pairs(Counter((c, truth[r]["person"]) for r, c in clusters.items()))
    return right / predicted, right / actual


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    folder = tmp_path_factory.mktemp("link")
    data, truth = make_person_file(folder)
    mapping = folder / "people.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out = folder / "out"
    result = runner.invoke(
        app, ["link", str(data), "--mapping", str(mapping), "--out", str(out), "--as-of", AS_OF]
    )
    assert result.exit_code == 0, result.output
    return out, truth, result.output


def test_link_reports_rows_and_clusters(linked: tuple[Path, dict, str]) -> None:
    out, truth, output = linked
    output = " ".join(output.split())
    rows = len(truth) + 4
    assert f"rows in {rows:,} = staged {len(truth):,} + quarantined 4: reconciled" in output
    assert "clusters:" in output and "with 2+ records" in output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "tepat link" and summary["reconciled"]
    assert summary["records_linked"] == len(truth)
    assert summary["clusters"] == len(set(pq.read_table(out / "clusters.parquet")["cluster_id"]))
    assert summary["clusters_multi"] > 400
    assert set(summary["comparisons"]) == {"id", "name", "birth_date", "sex", "place"}
    for name in anyfile.OUTPUTS:
        assert (out / name).is_file(), name
    assert not list(out.parent.glob(".out.*")), "no temporary folder is left behind"


def test_quarantine_keeps_the_broken_rows_with_reasons_and_masks_the_id(
    linked: tuple[Path, dict, str],
) -> None:
    out, truth, _ = linked
    quarantine = pq.read_table(out / "quarantine.parquet").to_pylist()
    # Inserted at rows 17, 600 and 2,000 of the data: lines 19, 602 and 2,002 (header = line 1);
    # the line with a field too many is the last.
    assert [q["line"] for q in quarantine] == [19, 602, 2_002, len(truth) + 5]
    reasons = " | ".join(q["reason"] for q in quarantine)
    assert "birth_date: date_of_birth is not a date as MM/DD/YYYY" in reasons
    assert "full_name: missing" in reasons and "birth_date: in the future" in reasons
    *mapped, unsplit = (json.loads(q["raw"]) for q in quarantine)
    for raw in mapped:
        assert set(raw["ssn"]) <= {"*"}, "the identity number is masked"
    assert "123-45-6789" not in unsplit["text"] and "John,Smith,***********" in unsplit["text"]


def test_clusters_match_the_truth(linked: tuple[Path, dict, str]) -> None:
    out, truth, _ = linked
    table = pq.read_table(out / "clusters.parquet")
    clusters = dict(
        zip(table["record_id"].to_pylist(), table["cluster_id"].to_pylist(), strict=True)
    )
    assert set(clusters) == set(truth)
    precision, recall = pairwise_scores(clusters, truth)
    print(f"pairwise precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.95 and recall >= 0.95
    with (out / "clusters.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == len(truth) + 1


def test_pairs_name_records_with_probabilities(linked: tuple[Path, dict, str]) -> None:
    out, truth, _ = linked
    pairs = pq.read_table(out / "pairs.parquet")
    assert pairs.column_names == [
        "record_id_l",
        "record_id_r",
        "match_probability",
        "match_weight",
        "linked",
    ]
    probabilities = pairs["match_probability"].to_pylist()
    assert min(probabilities) >= anyfile.PAIR_THRESHOLD
    assert probabilities == sorted(probabilities, reverse=True)
    linked_pairs = [
        (a, b)
        for a, b, ok in zip(
            pairs["record_id_l"].to_pylist(),
            pairs["record_id_r"].to_pylist(),
            pairs["linked"].to_pylist(),
            strict=True,
        )
        if ok
    ]
    right = sum(truth[a]["person"] == truth[b]["person"] for a, b in linked_pairs)
    assert right / len(linked_pairs) >= 0.95


def test_a_rerun_replaces_the_output_and_a_foreign_folder_is_refused(tmp_path: Path) -> None:
    data, _ = make_person_file(tmp_path, people=300, seed=3)
    mapping = tmp_path / "people.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out = tmp_path / "out"
    args = ["link", str(data), "--mapping", str(mapping), "--out", str(out), "--as-of", AS_OF]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir()) == sorted(anyfile.OUTPUTS)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    refused = runner.invoke(app, [*args[:-4], "--out", str(foreign), "--as-of", AS_OF])
    assert refused.exit_code == 2
    assert "not empty" in " ".join(refused.output.split())
    assert (foreign / "notes.txt").exists()


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        (MAPPING.replace('transform = "words"', 'transform = "wordz"'), "unknown transform"),
        (MAPPING.replace("id_number =", "id_numbr ="), "unknown canonical field 'id_numbr'"),
        (MAPPING.replace('format = "csv"', 'format = "sav"'), "files.format must be one of"),
        (
            MAPPING.replace(
                'full_name = { columns = ["given_name", "surname"], transform = "words" }\n', ""
            ).replace(', "full_name"', ""),
            "needs full_name",
        ),
    ],
)
def test_a_bad_mapping_exits_2_with_file_and_reason(
    tmp_path: Path, mapping: str, reason: str
) -> None:
    data, _ = make_person_file(tmp_path, people=50, seed=1)
    path = tmp_path / "bad.toml"
    path.write_text(mapping, encoding="utf-8")
    result = runner.invoke(
        app, ["link", str(data), "--mapping", str(path), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())  # the console wraps long lines
    assert "bad.toml" in message and reason in message
    assert not (tmp_path / "out").exists()


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    mapping = tmp_path / "people.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "link",
            str(tmp_path / "nope.csv"),
            "--mapping",
            str(mapping),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 2
    assert "nope.csv does not exist" in " ".join(result.output.split())


def test_the_example_mapping_in_the_docs_loads() -> None:
    from tepat.sources.mapping import load_mapping

    example = Path(__file__).parents[2] / "docs" / "examples" / "english_person_file.toml"
    mapping = load_mapping(example)
    assert {"full_name", "id_number", "birth_date", "postcode"} <= set(mapping.fields)


def test_command_defaults_agree_with_the_library() -> None:
    assert link_command.MATCH_THRESHOLD == anyfile.MATCH_THRESHOLD
    assert link_command.PAIR_THRESHOLD == anyfile.PAIR_THRESHOLD


def test_the_default_model_is_unchanged_by_the_generic_variant() -> None:
    default = model.settings()
    assert default == model.settings(identity="nik")
    assert [c["output_column_name"] for c in default["comparisons"]] == [
        "nik",
        "name",
        "birth_date",
        "nik_dob_cross",
        "sex",
        "place",
    ]
    generic = model.settings(identity="generic", available={"name_std", "birth_date"})
    assert [c["output_column_name"] for c in generic["comparisons"]] == ["name", "birth_date"]
    assert all(
        "id_clean" not in r["blocking_rule"]
        for r in generic["blocking_rules_to_generate_predictions"]
    )


def test_a_file_without_duplicates_links_nobody(tmp_path: Path) -> None:
    data, truth = make_person_file(tmp_path, people=300, seed=5)
    with data.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["rec_id"] in truth]
    originals = tmp_path / "originals.csv"
    with originals.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(r for r in rows if not truth[r["rec_id"]]["noise"])
    mapping = tmp_path / "people.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["link", str(originals), "--mapping", str(mapping), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    # Households share a surname, an address and a postcode: compared, but not merged.
    assert summary["pairs_compared"] > 0
    assert summary["clusters_multi"] == 0 and summary["clusters"] == 300


def test_words_skips_missing_parts_and_identity_numbers_are_cleaned() -> None:
    import pyarrow as pa

    from tepat.sources.transforms import parse_transform

    words = parse_transform("words", target=pa.string())
    given = pa.array(["Mary", None, " ", None])
    family = pa.array(["Smith", "Jones", "Lee", None])
    assert words([given, family], ["given", "family"]).values.to_pylist() == [
        "Mary Smith",
        "Jones",
        "Lee",
        None,
    ]
    ids = pa.array(["123-45-6789", "000-00-0000", "12 3", "ab.12345", None])
    assert anyfile.clean_identity(ids).to_pylist() == ["123456789", None, None, "AB12345", None]
    assert anyfile.clean_postcode(pa.array(["sw1a 1aa", " ", "2000"])).to_pylist() == [
        "SW1A1AA",
        None,
        "2000",
    ]


def test_a_repeated_record_id_is_quarantined(tmp_path: Path) -> None:
    data, truth = make_person_file(tmp_path, people=300, seed=9)
    lines = data.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")[0]
    lines[5] = ",".join([first, *lines[5].split(",")[1:]])  # line 6 takes line 2's id
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = tmp_path / "people.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["link", str(data), "--mapping", str(mapping), "--out", str(out), "--as-of", AS_OF]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reconciled"] and summary["rows_quarantined"] == 5
    assert summary["files"][0]["staged"] == summary["records_linked"] == len(truth) - 1
    quarantine = pq.read_table(out / "quarantine.parquet").to_pylist()
    assert {"line": 6, "reason": "record_id: an earlier row has this id"}.items() <= next(
        q for q in quarantine if q["line"] == 6
    ).items()
