"""Plot data: one plot's files at base and head; parse DVC plot files (JSON, YAML, CSV, TSV)
into columns, and downsample. Pure.

Kept apart from the drawing so that data problems (empty file, missing field, text where a number
is needed) become a note in the report and never a crash.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlgate import safeyaml

# Column-oriented: {field: values}. A 1M-row table is a few arrays, not a million dicts.
Table = dict[str, Any]


class PlotDataError(ValueError):
    """The plot's data cannot be drawn; the message goes into the report as a note."""


def parse_table(data: bytes, path: str) -> Table:
    lower = path.lower()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlotDataError(f"{path}: not UTF-8 text") from exc
    if not text.strip():
        raise PlotDataError(f"{path}: the file is empty")
    if lower.endswith((".csv", ".tsv")):
        return _parse_table(text, "\t" if lower.endswith(".tsv") else ",", path)
    try:
        doc = json.loads(text) if lower.endswith(".json") else safeyaml.load(text)
    except (json.JSONDecodeError, safeyaml.YAMLError, safeyaml.LimitError) as exc:
        raise PlotDataError(f"{path}: cannot parse: {str(exc).splitlines()[0]}") from exc
    if isinstance(doc, Mapping):  # DVC's {"name": [records]}: the first list is the data
        lists = [v for v in doc.values() if isinstance(v, list)]
        if not lists:
            raise PlotDataError(f"{path}: no list of records found")
        doc = lists[0]
    if not isinstance(doc, list) or not all(isinstance(r, Mapping) for r in doc):
        raise PlotDataError(f"{path}: expected a list of records (objects with the same fields)")
    if not doc:
        raise PlotDataError(f"{path}: no records")
    names = list(dict.fromkeys(k for r in doc for k in r))
    return {str(n): [r.get(n) for r in doc] for n in names}


def _parse_table(text: str, sep: str, path: str) -> Table:
    if len(text) > 2_000_000:
        # Large tables: pandas' C parser, straight into one array per column.
        import pandas as pd  # type: ignore[import-untyped]  # ~0.3 s: only when needed

        frame = pd.read_csv(io.StringIO(text), sep=sep)
        if frame.empty:
            raise PlotDataError(f"{path}: no rows")
        return {str(c): frame[c].to_numpy() for c in frame.columns}
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    if len(rows) < 2:
        raise PlotDataError(f"{path}: no rows below the header")
    header, body = rows[0], rows[1:]
    return {
        name: [_maybe_number(r[i]) if i < len(r) else None for r in body]
        for i, name in enumerate(header)
    }


def _maybe_number(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


def rows(table: Table) -> int:
    return len(next(iter(table.values()))) if table else 0


def column(table: Table, field: str, path: str) -> Any:
    if field not in table:
        raise PlotDataError(f"{path}: no field {field!r} (fields: {', '.join(table)})")
    return table[field]


def numeric(values: Any, field: str, path: str) -> npt.NDArray[np.float64]:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iufb":
        return values.astype(np.float64, copy=False)
    try:
        return np.asarray([float(v) for v in values], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        bad = next((v for v in values if not _is_float(v)), None)
        raise PlotDataError(f"{path}: field {field!r} is not numeric (e.g. {bad!r})") from exc


def _is_float(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Series:
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    original_points: int

    @property
    def downsampled(self) -> bool:
        return len(self.x) < self.original_points


def minmax_downsample(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], buckets: int = 2000
) -> Series:
    """Keep each bucket's min and max (in x order): the line's envelope, peaks included."""
    n = len(x)
    if n <= buckets * 2:
        return Series(x, y, n)
    order = np.argsort(x, kind="stable") if np.any(np.diff(x) < 0) else None
    if order is not None:
        x, y = x[order], y[order]
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    starts = edges[:-1]
    mins = np.minimum.reduceat(y, starts)
    maxs = np.maximum.reduceat(y, starts)
    # indices of min and max inside each bucket
    keep = np.empty(buckets * 2, dtype=np.int64)
    for i in range(buckets):  # 2000 iterations over slices: cheap next to the 1M-point data
        lo, hi = starts[i], edges[i + 1]
        seg = y[lo:hi]
        a = lo + int(np.argmin(seg)) if mins[i] == mins[i] else lo
        b = lo + int(np.argmax(seg)) if maxs[i] == maxs[i] else hi - 1
        keep[2 * i], keep[2 * i + 1] = (a, b) if a <= b else (b, a)
    return Series(x[keep], y[keep], n)
