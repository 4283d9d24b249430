"""Summarize one tabular file (CSV, TSV, JSON Lines, Parquet) in bounded memory, and check its
values against `.mlgate.yml` `data:` rules with pandera.

The file is streamed in chunks: row and missing counts are exact, numeric columns keep a uniform
reservoir sample (for drift statistics and histograms), categorical columns keep their most
frequent values. pandera checks every chunk's values (type, range, allowed values); uniqueness
across chunks is checked here on 64-bit hashes of the values, which pandera cannot see across
chunks. A file that cannot be parsed gives a summary with the reason, never an exception.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mlgate.datacheck import SAMPLE, ColumnStats, Failure, TableSummary
from mlgate.datarules import DataRule

CHUNK_ROWS = 200_000
MAX_CATEGORIES = 200  # most frequent values kept per categorical column
MAX_BYTES = 4 * 1024**3
# One line of a CSV/TSV/JSON Lines file, and the columns of a table: pandas' parser holds a
# whole line's fields at once (a 30 MB row of commas took 6.6 GB) and a column costs its stats.
MAX_LINE_BYTES = 1024**2
MAX_COLUMNS = 10_000


def check_lines(file: Path, name: str) -> None:
    """Refuse (ValueError) a text table with a line over MAX_LINE_BYTES or a header of more
    than MAX_COLUMNS fields, before pandas reads it: one pass, vectorized."""
    lower = name.lower()
    if not lower.endswith((".csv", ".tsv", ".jsonl", ".ndjson")):
        return
    longest, current, header = 0, 0, b""
    with file.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            breaks = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            if not header:
                header = block[: breaks[0] if len(breaks) else MAX_LINE_BYTES + 1]
            if not len(breaks):
                current += len(block)
            else:
                gaps = np.diff(breaks) if len(breaks) > 1 else np.zeros(1, dtype=np.int64)
                longest = max(longest, current + int(breaks[0]), int(gaps.max()) - 1)
                current = len(block) - int(breaks[-1]) - 1
            if max(longest, current) > MAX_LINE_BYTES:
                raise ValueError(
                    f"a line of more than {MAX_LINE_BYTES // 1024**2} MiB, mlgate's limit per "
                    "line of a data file"
                )
    sep = b"\t" if lower.endswith(".tsv") else b","
    if lower.endswith((".csv", ".tsv")) and header.count(sep) + 1 > MAX_COLUMNS:
        raise ValueError(
            f"{header.count(sep) + 1:,} columns in its header, over mlgate's limit of "
            f"{MAX_COLUMNS:,}"
        )


def _chunks(file: Path, name: str) -> Iterator[Any]:
    import pandas as pd  # type: ignore[import-untyped]  # ~0.3 s: only when needed

    lower = name.lower()
    check_lines(file, name)
    if lower.endswith((".csv", ".tsv")):
        yield from pd.read_csv(
            file, sep="\t" if lower.endswith(".tsv") else ",", chunksize=CHUNK_ROWS
        )
    elif lower.endswith((".jsonl", ".ndjson")):
        yield from pd.read_json(file, lines=True, chunksize=CHUNK_ROWS)
    elif lower.endswith(".parquet"):
        try:
            import pyarrow.parquet as pq  # type: ignore[import-not-found]  # parquet only
        except ImportError as exc:
            raise ValueError(
                "reading Parquet needs pyarrow: add it to your requirements (input `requirements`)"
            ) from exc
        table = pq.ParquetFile(file)
        if len(table.schema_arrow) > MAX_COLUMNS:
            raise ValueError(f"{len(table.schema_arrow):,} columns, over mlgate's limit")
        for batch in table.iter_batches(batch_size=CHUNK_ROWS):
            yield batch.to_pandas()
    else:
        raise ValueError("not a CSV, TSV, JSON Lines or Parquet file")


def _reservoir(
    stats: ColumnStats, values: npt.NDArray[np.float64], rng: np.random.Generator
) -> None:
    """Algorithm R, one chunk at a time: every value seen has the same chance to be kept."""
    room = SAMPLE - len(stats.sample)
    if room > 0:
        stats.sample = np.concatenate([stats.sample, values[:room]])
        stats.numeric_seen += min(room, len(values))
        values = values[room:]
    if len(values):
        positions = stats.numeric_seen + np.arange(len(values))
        slots = (rng.random(len(values)) * (positions + 1)).astype(np.int64)
        keep = slots < SAMPLE
        stats.sample[slots[keep]] = values[keep]
        stats.numeric_seen += len(values)


def summarize(file: Path, name: str, rule: DataRule | None = None) -> TableSummary:
    """One pass over the file; `name` is its path in the repository (for messages)."""
    out = TableSummary(name)
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            out.error = (
                f"{name}: {size / 1024**3:.1f} GiB is over the {MAX_BYTES // 1024**3} GiB limit"
            )
            return out
        schema = _schema(rule) if rule is not None and rule.has_value_checks else None
        rng = np.random.default_rng(0)
        failures: Counter[tuple[str, str]] = Counter()
        examples: dict[tuple[str, str], str] = {}
        for chunk in _chunks(file, name):
            _add_chunk(out, chunk, rng, rule)
            if schema is not None:
                _validate(schema, chunk, failures, examples)
        out.failures = [
            Failure(col, check, n, examples[(col, check)]) for (col, check), n in failures.items()
        ]
        if rule is not None:
            out.failures += _uniqueness(out, rule)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        out.error = f"{name}: cannot be read as a table: {_first_line(exc)}"
    except Exception as exc:  # pandas' parser errors have no common base worth naming
        out.error = f"{name}: cannot be read as a table: {type(exc).__name__}: {_first_line(exc)}"
    for stats in out.columns.values():
        stats.hashes = []
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _add_chunk(
    out: TableSummary, chunk: Any, rng: np.random.Generator, rule: DataRule | None
) -> None:
    import pandas as pd  # ~0.3 s: only for the files that need it

    out.rows += len(chunk)
    if len(chunk.columns) > MAX_COLUMNS:  # JSON Lines: keys are columns
        raise ValueError(f"{len(chunk.columns):,} columns, over mlgate's limit of {MAX_COLUMNS:,}")
    unique = {c.name for c in (rule.columns if rule else ()) if c.unique}
    for column in chunk.columns:
        name = str(column)
        series = chunk[column]
        stats = out.columns.setdefault(name, ColumnStats(name))
        present = series.notna()
        n = int(present.sum())
        stats.count += n
        stats.missing += len(series) - n
        if n == 0:
            continue
        values = series[present]
        stats.kinds.add(values.dtype.kind)
        if values.dtype.kind in "iuf":
            _reservoir(stats, values.to_numpy(dtype=np.float64), rng)
        else:
            counts = values.astype(str).value_counts()
            stats.categories.update(
                dict(zip(counts.index, counts.to_numpy().tolist(), strict=True))
            )
            if len(stats.categories) > MAX_CATEGORIES * 5:  # keep the memory bounded
                stats.categories = Counter(dict(stats.categories.most_common(MAX_CATEGORIES)))
        if name in unique:
            stats.hashes.append(pd.util.hash_pandas_object(values, index=False).to_numpy())


def _uniqueness(out: TableSummary, rule: DataRule) -> list[Failure]:
    found = []
    for col in rule.columns:
        stats = out.columns.get(col.name)
        if not col.unique or stats is None or not stats.hashes:
            continue
        hashes = np.concatenate(stats.hashes)
        duplicates = len(hashes) - len(np.unique(hashes))
        if duplicates:
            found.append(Failure(col.name, "unique", duplicates, f"{duplicates} repeated values"))
    return found


def _schema(rule: DataRule) -> Any:
    import pandera.pandas as pa  # heavy: only for a schema check

    dtypes = {"int": "Int64", "float": "float64", "bool": "boolean", "datetime": "datetime64[ns]"}
    columns = {}
    for col in rule.columns:
        checks = []
        if col.min is not None:
            checks.append(pa.Check.ge(col.min))
        if col.max is not None:
            checks.append(pa.Check.le(col.max))
        if col.allowed is not None:
            checks.append(pa.Check.isin(list(col.allowed)))
        columns[col.name] = pa.Column(
            dtypes.get(col.type or ""),
            checks=checks,
            nullable=True,
            required=False,  # a missing column is said once, by `datacheck`, not per chunk
            coerce=col.type in dtypes,
        )
    return pa.DataFrameSchema(columns, strict=False)


def _validate(
    schema: Any,
    chunk: Any,
    failures: Counter[tuple[str, str]],
    examples: dict[tuple[str, str], str],
) -> None:
    import pandera.errors as pe  # heavy: only for a schema check

    try:
        schema.validate(chunk, lazy=True)
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases
        for row in cases.itertuples(index=False):
            key = (str(row.column), _check_name(str(row.check)))
            failures[key] += 1
            examples.setdefault(key, str(row.failure_case)[:60])


def _check_name(check: str) -> str:
    # pandera names checks like "greater_than_or_equal_to(0)" or "coerce_dtype('Int64')"
    with contextlib.suppress(ValueError):
        return check[: check.index("(")] + check[check.index("(") :][:40]
    return check[:60]
