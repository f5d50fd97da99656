"""Link the people of any person file (``tepat link``): one that is not one of our sources.

The file is described by a mapping (TOML, the format of ``tepat ingest --mapping``: see
``docs/MAPPING.md``). Its rows are read, mapped and validated exactly as ingest does, but without
the registry database: refused rows go to ``quarantine.parquet`` / ``quarantine.csv`` in the
output folder, and every row is accounted for (rows in = staged + quarantined). The staged rows
are standardised (:mod:`tepat.linkage.standardise`), given the columns of the generic model
(:func:`add_generic_columns`), and linked with the generic Splink model
(:func:`tepat.linkage.model.settings` with ``identity="generic"``) trained on the file itself.

Outputs, in ``out_dir`` (written in a temporary sibling folder that is renamed into place):

- ``pairs.parquet``: ``record_id_l``, ``record_id_r``, ``match_probability``, ``match_weight``,
  ``linked`` for every pair scored at or above the pair threshold (:data:`PAIR_THRESHOLD`);
- ``clusters.parquet`` and ``clusters.csv``: ``record_id``, ``line``, ``cluster_id``,
  ``cluster_size`` for every staged record (a record alone is a cluster of one); cluster ids are
  numbered from 1 in the order of each cluster's first line;
- ``quarantine.parquet`` and ``quarantine.csv``: ``file``, ``line``, ``reason``, ``raw`` (the row
  as read, JSON, identity numbers masked);
- ``model.json``: the trained Splink model; ``summary.json``: the counts of the run.

Training (:func:`_train`): u probabilities from random pairs; m probabilities by EM on the fewest
blocks that leave every comparison free once (blocks with fewer than 10 pairs skipped); the prior
from the pairs a near-certain rule finds divided by that rule's recall as the trained model puts
it; m probabilities floored (:func:`floor_m_probabilities`). Then prediction and clustering are
:func:`tepat.linkage.link.link_records`'s, given the trained model.

Thresholds: pairs at or above the match threshold (:data:`MATCH_THRESHOLD`, 0.95) are merged
into clusters; pairs between :data:`PAIR_THRESHOLD` (0.5) and it are written to ``pairs.parquet``
with ``linked = false`` for a person to look at. Both are documented in ``docs/MAPPING.md``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final, cast

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tepat.errors import InvalidInput
from tepat.linkage import model
from tepat.linkage.link import LinkageSettings, link_records
from tepat.linkage.names import phonetic_key
from tepat.linkage.standardise import standardise
from tepat.reference import mask_nik

# Ingest's reading, mapping and validation are reused as they are; only where refused rows go
# differs (no registry database here).
from tepat.sources.ingest import (
    Db,
    FileReport,
    _check_columns,
    _check_files,
    _Lookup,
    _Run,
    file_reports,
    file_sha256,
)
from tepat.sources.mapping import SourceMapping, load_mapping
from tepat.sources.readers import open_reader, read_all
from tepat.sources.schema import STAGING_SCHEMA

MATCH_THRESHOLD: Final = 0.95
PAIR_THRESHOLD: Final = 0.5
MIN_ID_LENGTH: Final = 5
M_FLOOR: Final = 1e-3
SUMMARY_KIND: Final = "tepat link"
OUTPUTS: Final = (
    "pairs.parquet",
    "clusters.parquet",
    "clusters.csv",
    "quarantine.parquet",
    "quarantine.csv",
    "model.json",
    "summary.json",
)
# Standardised columns the generic model may read; the ones a file leaves empty are dropped.
_MODEL_COLUMNS: Final = (
    "id_clean",
    "name_std",
    "given_std",
    "last_std",
    "name_phonetic",
    "given_phonetic",
    "last_phonetic",
    "birth_date",
    "birth_year",
    "birth_month",
    "birth_day",
    "sex",
    "postcode_std",
    "village_code",
    "district_code",
    "regency_code",
    "address_std",
)
# Five digits or more, possibly split by spaces, dots or dashes (identity numbers, phones).
_ANY_NUMBER: Final = re.compile(r"(?<![0-9])[0-9](?:[\s.\-]?[0-9]){4,}(?![0-9])")
# Fields whose source columns are masked in quarantined rows.
_IDENTITY_FIELDS: Final = ("nik", "kk", "id_number")
_QUARANTINE_SCHEMA: Final = pa.schema(
    [
        pa.field("file", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.string()),
    ]
)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class AnyFileResult:
    """What ``tepat link`` did: the reconciliation of the rows and the linkage counts."""

    out_dir: Path
    source: str
    mapping: str
    files: tuple[FileReport, ...]
    rows_in: int
    rows_staged: int
    rows_quarantined: int
    reasons: tuple[tuple[str, int], ...]  # every quarantine reason with its count, most first
    records_linked: int
    pairs_compared: int  # pairs the blocking rules produced, all scored
    pairs_scored: int  # pairs at or above the pair threshold (in pairs.parquet)
    pairs_linked: int  # pairs at or above the match threshold
    clusters: int
    clusters_multi: int  # clusters of two or more records
    records_in_multi: int
    match_threshold: float
    pair_threshold: float
    reference_date: date
    comparisons: tuple[str, ...]  # the comparisons the model used (those the file has data for)
    training_notes: tuple[str, ...] = ()  # Splink's warnings while training
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def reconciled(self) -> bool:
        """True when no row went missing: rows in = staged + quarantined, per file and overall."""
        return self.rows_in == self.rows_staged + self.rows_quarantined and all(
            f.rows_in == f.staged + f.quarantined for f in self.files
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``summary.json``)."""
        out = asdict(self)
        out["kind"] = SUMMARY_KIND
        out["out_dir"] = str(self.out_dir)
        out["reference_date"] = self.reference_date.isoformat()
        out["files"] = [f.as_json() for f in self.files]
        out["reasons"] = [{"reason": r, "rows": n} for r, n in self.reasons]
        out["reconciled"] = self.reconciled
        return out


# ------------------------------------------------------------------------- generic columns


def clean_identity(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Identity numbers without separators, uppercase; null when shorter than 5 characters or
    one character repeated (000000000, a placeholder)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.utf8_upper(pc.cast(values, pa.string()))
    text = pc.replace_substring_regex(text, pattern=r"[^0-9A-Z]+", replacement="")
    length = pc.utf8_length(text)
    repeated = pc.equal(text, pc.binary_repeat(pc.utf8_slice_codeunits(text, 0, 1), length))
    ok = pc.and_(pc.greater_equal(length, MIN_ID_LENGTH), pc.invert(repeated))
    return pc.if_else(pc.fill_null(ok, False), text, pa.scalar(None, pa.string()))


def clean_postcode(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Postcodes uppercase without spaces or punctuation (``sw1a 1aa`` -> ``SW1A1AA``)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.utf8_upper(pc.cast(values, pa.string()))
    text = pc.replace_substring_regex(text, pattern=r"[^0-9A-Z]+", replacement="")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def add_generic_columns(std: pa.Table) -> pa.Table:
    """Standardised rows with ``id_clean``, ``postcode_std`` and ``last_phonetic`` appended.

    ``id_clean`` comes from ``id_number``, else from ``nik`` (our own sources have no other).
    """
    identity = pc.coalesce(std["id_number"].combine_chunks(), std["nik"].combine_chunks())
    last = pc.dictionary_encode(std["last_std"].combine_chunks())
    keys = [phonetic_key(v) or None for v in last.dictionary.to_pylist()]
    return (
        std.append_column("id_clean", clean_identity(identity))
        .append_column("postcode_std", clean_postcode(std["postcode"]))
        .append_column("last_phonetic", pc.take(pa.array(keys, pa.string()), last.indices))
    )


def available_columns(table: pa.Table) -> frozenset[str]:
    """The model columns that hold a value on at least one row."""
    return frozenset(
        c
        for c in _MODEL_COLUMNS
        if c in table.column_names and table[c].null_count < table.num_rows
    )


# ------------------------------------------------------------------------------ reading rows


@dataclass
class _LocalRun(_Run):
    """Ingest's mapping and validation of batches, quarantining into a list instead of the
    registry database."""

    masked_columns: frozenset[str] = frozenset()
    sink: list[dict[str, Any]] = field(default_factory=list)

    def quarantine(self, file: str, line: int, reason: str, raw: Any) -> None:
        if isinstance(raw, dict) and self.masked_columns:
            raw = {
                k: mask_nik(str(v)) if k in self.masked_columns and v is not None else v
                for k, v in raw.items()
            }
            if isinstance(raw.get("text"), str):
                # A line that could not be split: mask every number of five digits or more.
                raw["text"] = _ANY_NUMBER.sub(lambda m: "*" * len(m[0]), raw["text"])
        super().quarantine(file, line, reason, raw)

    def flush(self) -> None:
        self.sink.extend(self.pending)
        self.pending = []


def _stage(
    mapping: SourceMapping, files: Sequence[Path], reference_date: date
) -> tuple[pa.Table, _LocalRun, tuple[FileReport, ...]]:
    """Read, map and validate the files: staged rows, the run (quarantine) and file reports."""
    _check_files(mapping, files)
    readers = [
        (spec, open_reader(path, spec.format, sheet=spec.sheet, delimiter=spec.delimiter))
        for spec, path in zip(mapping.files, files, strict=True)
    ]
    _check_columns(mapping, readers)
    hashes = [file_sha256(p) for p in files]
    combined = hashlib.sha256("\n".join(hashes).encode()).hexdigest()
    batch_id = f"{mapping.name}-link-{combined[:8]}"
    row_index = next(i for i, (spec, _) in enumerate(readers) if spec.join is None)
    row_spec, row_reader = readers[row_index]
    lookups = [
        _Lookup(spec, files[i].name, read_all(reader), row_spec.role)
        for i, (spec, reader) in enumerate(readers)
        if spec.join is not None
    ]
    masked = frozenset(
        c for f in _IDENTITY_FIELDS if f in mapping.fields for c in mapping.fields[f].columns
    )
    # No database: the run's quarantine goes to ``sink`` (flush is overridden).
    run = _LocalRun(
        mapping,
        batch_id,
        files[row_index].name,
        reference_date,
        cast(Db, None),
        lookups,
        masked_columns=masked,
    )
    batches = [run.process(batch) for batch in row_reader.batches()]
    staged = pa.concat_tables(batches) if batches else STAGING_SCHEMA.empty_table()
    staged = _drop_repeated_ids(staged, run)
    reports = file_reports(run, readers, files, hashes, lookups)
    run.flush()
    return staged, run, tuple(reports)


def _drop_repeated_ids(staged: pa.Table, run: _LocalRun) -> pa.Table:
    """Quarantine rows whose record_id an earlier row already has (pairs name records by it)."""
    if staged.num_rows == 0:
        return staged
    ids = staged["record_id"].combine_chunks()
    encoded = pc.dictionary_encode(ids)
    if len(encoded.dictionary) == staged.num_rows:
        return staged
    seen: set[int] = set()
    repeated = []
    for code in encoded.indices.to_pylist():
        repeated.append(code in seen)
        seen.add(code)
    mask = pa.array(repeated)
    dropped = staged.filter(mask)
    keep = ("record_id", "full_name", "birth_date")
    for row in dropped.select(["file", "line", *keep]).to_pylist():
        raw = {k: row[k] for k in keep}
        run.quarantine(row["file"], row["line"], "record_id: an earlier row has this id", raw)
    run.staged -= dropped.num_rows
    run.quarantined += dropped.num_rows
    return staged.filter(pc.invert(mask))


# ---------------------------------------------------------------------------------- linking


def _level_m(linker: Any, comparison: str, label: str) -> float | None:
    """The trained m probability of a comparison level (None when it was not trained)."""
    for c in linker._settings_obj.comparisons:
        if c.output_column_name == comparison:
            for level in c.comparison_levels:
                if level.label_for_charts == label and not level.is_null_level:
                    m = level.m_probability
                    if not level._m_is_trained or not isinstance(m, int | float):
                        return None
                    return float(m)
    return None


_EQUALITY = re.compile(r"l\.(\w+) = r\.\1")
MIN_TRAINING_PAIRS: Final = 10


def _count_pairs(con: duckdb.DuckDBPyConnection, rule: str) -> int:
    """How many pairs of records ``rule`` (``l.a = r.a and l.b = r.b ...``) finds."""
    parts = [p.strip() for p in re.split(r"\band\b", rule)]
    columns = [m[1] for p in parts if (m := _EQUALITY.fullmatch(p))]
    if len(columns) == len(parts):
        # Equalities only: count the groups, without joining.
        where = " AND ".join(f"{c} IS NOT NULL" for c in columns)
        query = (
            "SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM model_in "
            f"WHERE {where} GROUP BY {', '.join(columns)})"
        )
    else:
        query = f"SELECT count(*) FROM model_in l JOIN model_in r ON {rule} AND l.uid < r.uid"
    return int(con.execute(query).fetchall()[0][0])


def _prior(pairs: int, recall: float, records: int) -> float:
    """The probability that two random records match, from the pairs a near-certain rule finds
    and the share of true matches it catches; none found counts as one (an upper bound)."""
    total = records * (records - 1) / 2
    return min(max(pairs, 1) / (recall * total), 0.5)


def _train(
    con: duckdb.DuckDBPyConnection,
    linker: Any,
    available: frozenset[str],
    settings: LinkageSettings,
    notes: list[str],
) -> float | None:
    """Train the generic model on the file; return the prior the trained model gives (None:
    keep the first). What could not be trained is said in ``notes``."""
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.u_max_pairs, seed=settings.seed
    )
    # A rule that finds (almost) no pairs teaches nothing, and Splink fails on none: leave it out
    # and let the next rules take its place.
    sparse = {
        rule
        for rule, needs, _ in model.GENERIC_TRAINING_RULES
        if all(n in available for n in needs) and _count_pairs(con, rule) < MIN_TRAINING_PAIRS
    }
    for rule in sorted(sparse):
        notes.append(f"fewer than {MIN_TRAINING_PAIRS} pairs have {rule}: not trained on it")
    for rule in model.generic_training_rules(available, exclude=sparse):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=settings.em_max_pairs
        )
    deterministic = model.generic_deterministic_rule(available)
    if deterministic is None:
        return None
    # The prior again, with the recall the trained model gives the rule instead of a guess.
    rule, _, levels = deterministic
    if not levels:
        return None
    learned = 1.0
    for comparison, label in levels:
        m = _level_m(linker, comparison, label)
        if m is None:
            return None
        learned *= m
    learned = min(max(learned, 0.05), 1.0)
    records = con.execute("SELECT count(*) FROM model_in").fetchall()[0][0]
    notes.append(f"prior from {rule}, whose recall the trained model puts at {learned:.3f}")
    return _prior(_count_pairs(con, rule), learned, records)


def _count_compared(con: duckdb.DuckDBPyConnection, rules: Sequence[str]) -> int:
    """How many pairs the blocking rules produce (each pair once, as Splink scores them)."""
    if not rules:
        return 0
    # One equi-join per rule (an OR of the rules would be a nested-loop join).
    union = " UNION ".join(
        f"SELECT l.uid AS a, r.uid AS b FROM model_in l JOIN model_in r ON {rule} AND l.uid < r.uid"
        for rule in rules
    )
    found = con.execute(f"SELECT count(*) FROM ({union})").fetchall()
    return int(found[0][0])


def floor_m_probabilities(trained: dict[str, Any], floor: float = M_FLOOR) -> int:
    """Set every m probability below ``floor``, or never observed, to ``floor``; return how many.

    EM on a file in which duplicates never disagree on a field (every copy has the same address)
    learns that a disagreement is impossible: an m near 0, a weight that vetoes any pair where
    that field differs, as it will for a person who moved. The floor caps what one disagreeing
    field can cost at about log2(u / floor), 10 bits for u near 1. A level never seen among the
    matches of a trained comparison has no m in the saved model, and Splink would give it a
    default that is not rare at all (a different birth date would hardly count): it is rare, so
    it gets the floor too. Comparisons that were not trained at all keep Splink's defaults.
    """
    raised = 0
    for comparison in trained["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        if not any(isinstance(lv.get("m_probability"), int | float) for lv in levels):
            continue
        for level in levels:
            m = level.get("m_probability")
            if not isinstance(m, int | float) or m < floor:
                level["m_probability"] = floor
                raised += 1
    return raised


class _Collect(logging.Handler):
    """Keeps Splink's warnings (they go to summary.json instead of the terminal)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(self.format(record).split())
        if message and message not in self.messages:
            self.messages.append(message)


@contextmanager
def _quiet_splink() -> Iterator[list[str]]:
    """Route Splink's log to a list of its warnings for the duration; restore it afterwards."""
    logger = logging.getLogger("splink")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    collect = _Collect()
    for handler in saved[0]:
        logger.removeHandler(handler)
    # With a handler present, Linker(...) does not add its own stderr handler.
    logger.addHandler(collect)
    logger.propagate = False
    try:
        yield collect.messages
    finally:
        logger.removeHandler(collect)
        for handler in saved[0]:
            logger.addHandler(handler)
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


def _link(
    con: duckdb.DuckDBPyConnection,
    available: frozenset[str],
    settings: LinkageSettings,
    timings: dict[str, float],
) -> tuple[Any, dict[str, Any], int, list[str]]:
    """Train on ``model_in``, predict and cluster.

    Returns the LinkageRun, the trained model, how many pairs were compared and Splink's
    warnings.
    """
    from splink import DuckDBAPI, Linker

    with _quiet_splink() as notes:
        started = time.perf_counter()
        records = con.execute("SELECT count(*) FROM model_in").fetchall()[0][0]
        prior = 1 / records
        deterministic = model.generic_deterministic_rule(available)
        if deterministic is not None:
            rule, recall, _ = deterministic
            prior = _prior(_count_pairs(con, rule), recall, records)
        sdf = DuckDBAPI(con).register("model_in")
        generic = model.settings(
            identity="generic", available=available, probability_two_random_records_match=prior
        )
        linker = Linker(sdf, generic, log_level=logging.INFO)
        learned = _train(con, linker, available, settings, notes)
        trained = linker.misc.save_model_to_json()
        if learned is not None:
            trained["probability_two_random_records_match"] = learned
        raised = floor_m_probabilities(trained)
        if raised:
            notes.append(
                f"{raised} m probabilities below {M_FLOOR:g} or never observed were set to it"
            )
        timings["train_s"] = time.perf_counter() - started
        compared = _count_compared(con, model.generic_blocking_rules(available))
        # Given a trained model, link_records only predicts and clusters.
        run = link_records(con, "model_in", settings=settings, trained_model=trained)
    timings.update((k, v) for k, v in run.timings.items() if k != "train_s")
    return run, trained, compared, notes


# ---------------------------------------------------------------------------------- outputs


def _is_link_output(folder: Path) -> bool:
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and summary.get("kind") == SUMMARY_KIND


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(f"--out {out_dir} is a file: give a folder", code="bad_output")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not _is_link_output(out_dir):
        raise InvalidInput(
            f"--out {out_dir} is not empty and holds no earlier `tepat link` output: "
            "choose a new or empty folder",
            code="bad_output",
        )


def _replace(tmp: Path, out_dir: Path) -> None:
    """Move the finished ``tmp`` folder to ``out_dir``, replacing an earlier link output."""
    _check_out_dir(out_dir)
    if not out_dir.exists():
        tmp.rename(out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    out_dir.rename(old)
    try:
        tmp.rename(out_dir)
    except BaseException:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_quarantine(rows: list[dict[str, Any]], folder: Path) -> None:
    table = pa.Table.from_pylist(
        [{k: r[k] for k in ("file", "line", "reason", "raw")} for r in rows],
        schema=_QUARANTINE_SCHEMA,
    )
    table = table.sort_by([("file", "ascending"), ("line", "ascending")])
    pq.write_table(table, folder / "quarantine.parquet", compression="zstd")
    pacsv.write_csv(table, folder / "quarantine.csv")


def _write_links(con: duckdb.DuckDBPyConnection, run: Any, folder: Path, threshold: float) -> None:
    con.register("pairs_in", run.pairs)
    con.register("clusters_in", run.clusters)
    con.execute(
        """
        CREATE TABLE clusters_out AS
        WITH c AS (SELECT m.record_id, m.line, k.cluster_id AS raw_cluster
                   FROM model_in m JOIN clusters_in k USING (uid)),
        numbered AS (SELECT raw_cluster, row_number() OVER (ORDER BY min(line)) AS cluster_id,
                            count(*) AS cluster_size
                     FROM c GROUP BY raw_cluster)
        SELECT c.record_id, c.line, n.cluster_id, n.cluster_size
        FROM c JOIN numbered n USING (raw_cluster) ORDER BY c.line
        """
    )
    con.execute(
        f"""
        CREATE TABLE pairs_out AS
        SELECT l.record_id AS record_id_l, r.record_id AS record_id_r,
               p.match_probability, p.match_weight,
               p.match_probability >= {float(threshold)} AS linked
        FROM pairs_in p JOIN model_in l ON l.uid = p.uid_l JOIN model_in r ON r.uid = p.uid_r
        ORDER BY p.match_probability DESC, l.line, r.line
        """
    )
    for name in ("pairs_out", "clusters_out"):
        target = folder / f"{name.removesuffix('_out')}.parquet"
        con.execute(f"COPY {name} TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    con.execute(f"COPY clusters_out TO '{folder / 'clusters.csv'}' (HEADER, DELIMITER ',')")


# ------------------------------------------------------------------------------------- main


def link_file(
    *,
    files: Sequence[Path],
    mapping: SourceMapping | Path,
    out_dir: Path,
    reference_date: date,
    settings: LinkageSettings | None = None,
    progress: Progress | None = None,
) -> AnyFileResult:
    """Link the people in ``files`` (described by ``mapping``) and write the outputs to
    ``out_dir``; see the module docstring.

    Args:
        files: the files of the mapping's ``[[files]]``, in its order.
        mapping: a validated mapping or the path of a mapping file.
        out_dir: the output folder: new, empty, or an earlier ``tepat link`` output (replaced).
        reference_date: the data cut: birth dates after it are refused; it also settles the
            century of NIK birth dates where a file has NIKs.
        settings: thresholds and training effort; default match threshold
            :data:`MATCH_THRESHOLD`, pairs written from :data:`PAIR_THRESHOLD`.
        progress: called with a short note as each step starts.
    """
    say = progress or (lambda _m: None)
    chosen = mapping if isinstance(mapping, SourceMapping) else load_mapping(mapping)
    if "full_name" not in chosen.fields:
        raise InvalidInput(
            f"mapping {chosen.path}: tepat link needs full_name in [fields] (a column, or the "
            'given and family name columns with transform = "words")',
            code="invalid_mapping",
        )
    settings = settings or LinkageSettings(
        match_threshold=MATCH_THRESHOLD, review_threshold=PAIR_THRESHOLD
    )
    if not 0.0 < settings.match_threshold <= 1.0:
        raise InvalidInput("the match threshold must be above 0 and at most 1")
    settings = LinkageSettings(
        match_threshold=settings.match_threshold,
        review_threshold=min(settings.review_threshold, settings.match_threshold),
        u_max_pairs=settings.u_max_pairs,
        em_max_pairs=settings.em_max_pairs,
        seed=settings.seed,
    )
    out_dir = Path(out_dir)
    paths = [Path(f) for f in files]
    _check_out_dir(out_dir)
    timings: dict[str, float] = {}

    say("reading")
    started = time.perf_counter()
    staged, run, reports = _stage(chosen, paths, reference_date)
    timings["read_s"] = time.perf_counter() - started

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        say("standardising")
        started = time.perf_counter()
        std = add_generic_columns(standardise(staged, reference_date=reference_date))
        available = available_columns(std)
        if "name_std" not in available:
            raise InvalidInput(
                f"{chosen.name}: no staged record has a name: nothing to link "
                f"({run.quarantined:,} of {run.rows_in:,} rows quarantined; see "
                "the reasons with --out's quarantine.csv)"
                if std.num_rows
                else f"{chosen.name}: no row was staged ({run.quarantined:,} quarantined)",
                code="nothing_to_link",
            )
        if std.num_rows < 2:
            raise InvalidInput(
                f"{chosen.name}: {std.num_rows} record staged: nothing to link",
                code="nothing_to_link",
            )
        if not model.generic_blocking_rules(available):
            raise InvalidInput(
                f"mapping {chosen.path}: besides full_name, tepat link needs id_number (or nik), "
                "birth_date or postcode (or village_code) to find the pairs worth comparing; "
                "no staged record has any of them",
                code="nothing_to_link",
            )
        keep = ["source", "record_id", "line", *[c for c in _MODEL_COLUMNS if c in available]]
        con = duckdb.connect(str(tmp / "work.duckdb"))
        con.execute("SET preserve_insertion_order = false")
        con.register("std_in", std.select(keep))
        con.execute(
            "CREATE TABLE model_in AS SELECT row_number() OVER (ORDER BY line) - 1 AS uid, * "
            "FROM std_in"
        )
        con.unregister("std_in")
        del std
        timings["standardise_s"] = time.perf_counter() - started

        say("linking")
        linkage, trained, compared, notes = _link(con, available, settings, timings)

        say("writing")
        started = time.perf_counter()
        _write_links(con, linkage, tmp, settings.match_threshold)
        counts = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE cluster_size > 1), "
            "coalesce(sum(cluster_size) FILTER (WHERE cluster_size > 1), 0) "
            "FROM (SELECT DISTINCT cluster_id, cluster_size FROM clusters_out)"
        ).fetchall()[0]
        scored = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE linked) FROM pairs_out"
        ).fetchall()[0]
        records = con.execute("SELECT count(*) FROM model_in").fetchall()[0][0]
        con.close()
        (tmp / "work.duckdb").unlink()
        _write_quarantine(run.sink, tmp)
        (tmp / "model.json").write_text(json.dumps(trained, indent=1), encoding="utf-8")
        timings["write_s"] = time.perf_counter() - started
        result = AnyFileResult(
            out_dir=out_dir,
            source=chosen.name,
            mapping=chosen.path,
            files=reports,
            rows_in=run.rows_in,
            rows_staged=run.staged,
            rows_quarantined=run.quarantined,
            reasons=tuple(sorted(Counter(run.reasons).items(), key=lambda x: (-x[1], x[0]))),
            records_linked=int(records),
            pairs_compared=compared,
            pairs_scored=int(scored[0]),
            pairs_linked=int(scored[1]),
            clusters=int(counts[0]),
            clusters_multi=int(counts[1]),
            records_in_multi=int(counts[2]),
            match_threshold=settings.match_threshold,
            pair_threshold=settings.review_threshold,
            reference_date=reference_date,
            comparisons=tuple(
                c["output_column_name"] for c in model.generic_comparisons(available)
            ),
            training_notes=tuple(notes),
            timings={k: round(v, 3) for k, v in timings.items()},
        )
        (tmp / "summary.json").write_text(
            json.dumps(result.as_dict(), indent=2, default=str), encoding="utf-8"
        )
        _replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


__all__ = [
    "MATCH_THRESHOLD",
    "PAIR_THRESHOLD",
    "AnyFileResult",
    "add_generic_columns",
    "available_columns",
    "clean_identity",
    "clean_postcode",
    "floor_m_probabilities",
    "link_file",
]
