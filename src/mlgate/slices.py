"""Slices of the per-example rows (issue 26): a gate's `slices:` options, a column cut into
slices, and the slice columns read from both revisions' files, aligned with the paired rows.
Pure: parsed tables in, data or a one-line reason out.

A column's slices are its values, or, for a numeric column with more than `DISCRETE` distinct
values, `bins` quantile bins; missing values (empty, NA, NaN, null: what pandas reads as
missing) are their own slice, `(missing)`. More than `MAX_SLICES` slices in one column is
refused. pandas factorizes the columns (imported when a gate slices: it is heavy to import):
on 1,000,000 text values it takes 0.03 s where numpy's `unique` sorts for 0.4-1.8 s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlgate.schema import shown
from mlgate.slicekeys import KEYS as KEYS  # noqa: PLC0414 - the options this module parses

Array = npt.NDArray[Any]
Fail = Callable[[str, str], Exception]  # (key path, problem) -> the config error to raise

MISSING = "(missing)"
MAX_SLICES = 1_000
DISCRETE = 20  # a numeric column with more distinct values than this is cut into bins
DEFAULT_BINS = 4
DEFAULT_MIN_ROWS = 30
# pandas' default missing-value texts (`read_csv` na_values): a small CSV, read by the csv
# module, keeps them as text, so they are missing here too, whatever the file's size
NA_TEXT = frozenset(
    [
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    ]
)


@dataclass(frozen=True)
class Options:
    columns: tuple[str, ...]
    bins: int = DEFAULT_BINS
    min_rows: int = DEFAULT_MIN_ROWS


@dataclass(frozen=True)
class Column:
    """One slice column: its slices' labels (in their natural order) and, per row, the index
    of its slice in `labels`."""

    name: str
    labels: tuple[str, ...]
    codes: Array
    binned: bool = False


def _count(raw: Mapping[str, Any], key: str, fail: Fail, where: str, *, lo: int, hi: int) -> int:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise fail(
            f"{where}.{key}", f"expected a whole number from {lo} to {hi:,}, got {shown(value)}"
        )
    return value


def parse(raw: Mapping[str, Any], fail: Fail, where: str) -> Options | None:
    """The gate's slice options, or None when it uses none of `KEYS`."""
    if not any(k in raw for k in KEYS):
        return None
    columns = raw.get("slices")
    if isinstance(columns, str):
        columns = [columns]
    if (
        not isinstance(columns, list)
        or not columns
        or not all(isinstance(c, str) and c.strip() for c in columns)
    ):
        raise fail(f"{where}.slices", f"expected a list of column names, got {shown(columns)}")
    names = tuple(c.strip() for c in columns)
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise fail(f"{where}.slices", f"column {twice!r} is named twice")
    bins = _count(raw, "bins", fail, where, lo=2, hi=100) if "bins" in raw else DEFAULT_BINS
    least = DEFAULT_MIN_ROWS
    if "min_slice_rows" in raw:
        least = _count(raw, "min_slice_rows", fail, where, lo=1, hi=1_000_000_000)
    return Options(names, bins, least)


# --- one column ------------------------------------------------------------------------------


def as_array(values: Any) -> Array:
    """A column as a 1-d array: numbers as numbers, anything else as Python objects."""
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return values
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    if len(arr) and all(type(v) in (int, float) for v in arr):  # plain numbers: numpy's own
        return arr.astype(np.float64)
    return arr


def missing(arr: Array) -> Array:
    """Which values are missing: NaN, None, an empty or NA text."""
    import pandas as pd  # type: ignore[import-untyped]  # ~0.3 s: only when needed

    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "iub":
        return np.zeros(len(arr), dtype=bool)
    # one hash pass (pandas' factorize: None and NaN get -1), then a look at each distinct value
    codes, uniques = pd.factorize(arr)
    na_text = np.array([isinstance(u, str) and u in NA_TEXT for u in uniques], dtype=bool)
    return np.asarray((codes < 0) | np.append(na_text, True)[codes])


def numbers(arr: Array, absent: Array) -> Array | None:
    """The column as floats when every value present is a number (booleans are not), else None."""
    import pandas as pd  # ~0.3 s: only for the files that need it

    if arr.dtype.kind in "iuf":
        return arr.astype(np.float64)
    if arr.dtype.kind != "O":
        return None
    kind = pd.api.types.infer_dtype(arr[~absent], skipna=True)
    if kind not in ("integer", "floating", "mixed-integer-float", "empty"):
        return None
    out = np.full(len(arr), np.nan)
    out[~absent] = arr[~absent].astype(np.float64)
    return out


def text(value: Any) -> str:
    """A value as a slice's name: whole numbers without `.0`."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


def texts(values: Array) -> Array:
    """Values as slice names, vectorized when they are all text already."""
    import pandas as pd  # ~0.3 s: only for the files that need it

    if pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        return values
    return np.array([text(v) for v in values], dtype=object)


def _edges_text(edges: Array) -> list[str]:
    """Bin edges as short numbers, with as many digits as it takes to tell them apart."""
    finite = edges[np.isfinite(edges)]
    whole = len(str(int(np.abs(finite).max()))) if finite.size else 1
    for digits in range(max(3, whole), 17):
        out = [f"{e:.{digits}g}" for e in edges]
        if len(set(out)) == len(out):
            return out
    return [repr(float(e)) for e in edges]


def binned(name: str, values: Array, absent: Array, bins: int) -> Column:
    """Quantile bins of the finite values (an infinite value falls in the first or last bin)."""
    finite = values[~absent & np.isfinite(values)]
    edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)))
    if len(edges) < 2:  # every finite value the same: one bin
        edges = np.array([edges[0], edges[0]])
    codes = np.searchsorted(edges[1:-1], values, side="right")
    shown_edges = _edges_text(edges)
    labels = [f"[{shown_edges[i]}, {shown_edges[i + 1]})" for i in range(len(edges) - 1)]
    labels[-1] = labels[-1][:-1] + "]"
    return _with_missing(name, labels, codes, absent, binned=True)


def _with_missing(
    name: str, labels: Sequence[str], codes: Array, absent: Array, *, binned: bool
) -> Column:
    codes = np.asarray(codes, dtype=np.int64)
    if absent.any():
        codes = np.where(absent, len(labels), codes)
        labels = [*labels, MISSING]
    used = np.bincount(codes, minlength=len(labels)) > 0  # an empty bin is no slice
    if not used.all():
        keep = np.flatnonzero(used)
        remap = np.full(len(labels), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        codes, labels = remap[codes], [labels[int(i)] for i in keep]
    return Column(name, tuple(labels), codes, binned)


def code(name: str, values: Any, bins: int, absent: Array | None = None) -> Column | str:
    """The column cut into slices, or why it cannot be (`absent`: `missing(values)`)."""
    import pandas as pd  # ~0.3 s: only for the files that need it

    arr = as_array(values)
    absent = missing(arr) if absent is None else absent
    nums = numbers(arr, absent)
    present = texts(arr[~absent]) if nums is None else nums[~absent]
    codes, uniques = pd.factorize(present, sort=True)
    if nums is not None and len(uniques) > DISCRETE:
        return binned(name, nums, absent, bins)
    if len(uniques) > MAX_SLICES:
        return (
            f"slice column `{name}` has {len(uniques):,} distinct values: more than "
            f"{MAX_SLICES:,} slices; slice by a coarser column, or write it as numbers and "
            "cut it into quantile bins with `bins`"
        )
    full = np.zeros(len(arr), dtype=np.int64)
    full[~absent] = codes
    return _with_missing(name, [text(u) for u in uniques], full, absent, binned=False)


# --- both revisions ----------------------------------------------------------------------------


def _comparable(arr: Array, absent: Array) -> Array:
    nums = numbers(arr, absent)
    if nums is not None:
        return np.where(absent, 0.0, nums)
    out = np.full(len(arr), "", dtype=object)
    out[~absent] = texts(arr[~absent])
    return out


def differ(base: Array, head: Array, b_abs: Array, h_abs: Array) -> int:
    """Rows whose value differs between the revisions (missing at both is the same; `b_abs`,
    `h_abs`: which are missing)."""
    b, h = _comparable(base, b_abs), _comparable(head, h_abs)
    if b.dtype.kind != h.dtype.kind:  # numbers at one revision, text at the other: 1.0 is "1"
        b, h = (texts(v) if v.dtype.kind == "f" else v for v in (b, h))
    return int(np.count_nonzero((b_abs != h_abs) | (~b_abs & ~h_abs & (b != h))))


def read(
    base: Mapping[str, Any],
    head: Mapping[str, Any],
    head_row: Array | None,
    options: Options,
    path: str,
) -> dict[str, Column] | str:
    """Each slice column of the predictions file, in the paired rows' order (base's rows;
    `head_row`: each one's row in head's file), or why the slices cannot be formed."""
    out: dict[str, Column] = {}
    for name in options.columns:
        at = [side for side, table in (("base", base), ("head", head)) if name in table]
        if not at:
            return f"{path} has no `{name}` column to slice by (columns: {', '.join(head)})"
        if len(at) == 1:
            return f"slice column `{name}` of {path} is at {at[0]} only, not at both revisions"
        b, h = as_array(base[name]), as_array(head[name])
        if head_row is not None:
            h = h[head_row]
        b_abs, h_abs = missing(b), missing(h)
        bad = differ(b, h, b_abs, h_abs)
        if bad:
            same = "id" if head_row is not None else "row"
            return (
                f"slice column `{name}` of {path} differs between base and head at {bad:,} of "
                f"{len(b):,} rows (same {same}): a slice must hold the same rows at both"
            )
        found = code(name, b, options.bins, b_abs)
        if isinstance(found, str):
            return found
        out[name] = found
    return out
