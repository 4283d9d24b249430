"""Per-slice paired tests with the family-wise error held (issue 26). Pure.

Every slice of every column a gate names is compared at base and head on its own rows with the
gate's paired test: the exact McNemar test for accuracy and error rate, the paired bootstrap's
p-value otherwise (`resample.boot_p`; DeLong's for AUC on very many rows). Holm's step-down
correction over all the slices tested then holds the chance of failing any slice by chance at
the gate's `significance`, however many slices there are. A slice with fewer rows than
`min_slice_rows` is listed, not tested. The findings are data, JSON-ready for result.json, the
report's slice table and its charts.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np

from mlgate import stats
from mlgate.slices import Column
from mlgate.stats import Comparison, Paired

Status = Literal["failed", "allowed", "within noise", "not worse", "too few rows", "not tested"]
UNTESTED: tuple[Status, ...] = ("too few rows", "not tested")
MAX_RESAMPLES = 200_000
# (base value, head value) -> whether the drop is beyond the gate's max_drop/max_drop_pct
Beyond = Callable[[float, float], bool]


class SliceJson(TypedDict):
    """One slice's evidence in result.json (`gates[].evidence.slices.slices[]`)."""

    column: str
    slice: str
    rows: int
    status: Status
    base: float | None
    head: float | None
    delta: float | None  # head − base
    ci: list[float] | None  # of head − base, at the gate's `ci`
    test: str | None  # McNemar, bootstrap or DeLong
    p: float | None
    p_holm: float | None
    only_base_right: int | None
    only_head_right: int | None
    note: str


class ColumnJson(TypedDict):
    name: str
    binned: bool
    slices: list[str]  # in their natural order (bins ascending, `(missing)` last)


class FindingJson(TypedDict):
    """What a gate's slices found (`gates[].evidence.slices`)."""

    per_example: str
    significance: float
    correction: str
    tested: int
    failed: int
    worst: str | None
    resamples: int
    min_slice_rows: int
    columns: list[ColumnJson]
    slices: list[SliceJson]  # failed first, then the largest drops, untested last


@dataclass(frozen=True)
class Slice:
    column: str
    label: str
    rows: int
    status: Status
    comparison: Comparison | None = None
    p: float | None = None
    p_holm: float | None = None
    note: str = ""

    @property
    def name(self) -> str:
        return f"{self.column}={self.label}"

    @property
    def worsening(self) -> float:
        """How far the metric moved the wrong way (> 0 is worse); -inf when not compared."""
        c = self.comparison
        if c is None:
            return -math.inf
        return -c.delta if stats.HIGHER_IS_BETTER[c.metric] else c.delta


@dataclass(frozen=True)
class Finding:
    metric: str
    significance: float
    slices: tuple[Slice, ...]  # failed first, then the largest drops, untested last
    columns: tuple[Column, ...]
    tested: int
    resamples: int
    min_rows: int

    @property
    def failed(self) -> tuple[Slice, ...]:
        return tuple(s for s in self.slices if s.status == "failed")

    @property
    def worst(self) -> Slice | None:
        """The failed slice that fell furthest, else the tested one that fell furthest."""
        tested = [s for s in self.slices if s.status not in UNTESTED]
        return self.failed[0] if self.failed else (tested[0] if tested else None)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values: the i-th smallest times (m − i + 1), kept monotone,
    at most 1. A hypothesis is rejected at level α when its adjusted p-value is below α."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(scaled, 1.0)
    return [float(v) for v in out]


def resamples_for(tested: int, significance: float) -> int:
    """Bootstrap resamples per slice: enough that the smallest p-value a bootstrap can give,
    2 / (R + 1), is half Holm's first threshold (significance / slices), within a cap."""
    need = math.ceil(4 * max(tested, 1) / significance)
    return min(MAX_RESAMPLES, max(stats.DEFAULT_RESAMPLES, need))


def groups(column: Column) -> list[np.ndarray]:
    """Row indices of each slice, in `column.labels` order (one sort, not one pass per slice)."""
    order = np.argsort(column.codes, kind="stable")
    sizes = np.bincount(column.codes, minlength=len(column.labels))
    return np.split(order, np.cumsum(sizes)[:-1])


def _cells(paired: Paired, column: Column) -> np.ndarray:
    """Per slice, rows (both right, only base right, only head right, neither): one bincount."""
    actual, base, head = stats.same_kind(paired)
    b_ok, h_ok = base == actual, head == actual
    cell = np.where(b_ok, np.where(h_ok, 0, 1), np.where(h_ok, 2, 3))
    found = np.bincount(column.codes * 4 + cell, minlength=4 * len(column.labels))
    return np.asarray(found.reshape(-1, 4))


def _take(values: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[idx]


@dataclass(frozen=True)
class Test:
    """How to compare one slice: the gate's per-example metric and CI, `resamples` each (0:
    `resamples_for` the slices tested)."""

    metric: str
    ci: float = 0.95
    positive: str | None = None
    resamples: int = 0

    def cells(self, counts: np.ndarray, seed: int) -> Comparison:
        rng = np.random.default_rng(seed)
        both, only_b, only_h, neither = (int(v) for v in counts)
        return stats.from_cells(
            self.metric,
            (both, only_b, only_h, neither),
            ci=self.ci,
            resamples=self.resamples,
            rng=rng,
        )

    def rows(self, paired: Paired, idx: np.ndarray, seed: int) -> Comparison | str:
        sub = Paired(
            paired.actual[idx],
            paired.base[idx],
            paired.head[idx],
            _take(paired.base_score, idx),
            _take(paired.head_score, idx),
        )
        try:
            return stats.compare(
                sub,
                self.metric,
                ci=self.ci,
                resamples=self.resamples,
                seed=seed,
                positive=self.positive,
            )
        except stats.PairedDataError as exc:
            return str(exc)


def _compared(
    paired: Paired, columns: Sequence[Column], test: Test, min_rows: int
) -> list[tuple[Column, str, int, Comparison | str | None]]:
    """(column, label, rows, comparison or why not) per slice; None: too few rows."""
    out: list[tuple[Column, str, int, Comparison | str | None]] = []
    cells = test.metric in ("accuracy", "error_rate")
    seed = stats.DEFAULT_SEED
    for column in columns:
        counts = _cells(paired, column) if cells else None
        for j, idx in enumerate(groups(column)):
            found: Comparison | str | None = None
            if len(idx) >= min_rows:
                seed += 1  # each slice its own stream: deterministic, and not the same draws
                if counts is not None:
                    found = test.cells(counts[j], seed)
                else:
                    found = test.rows(paired, idx, seed)
            out.append((column, column.labels[j], len(idx), found))
    return out


def _p(c: Comparison) -> float:
    if c.p_value is not None:
        return c.p_value
    return c.boot_p if c.boot_p is not None else 1.0


def _judged(c: Comparison, p_holm: float, significance: float, beyond: Beyond | None) -> Status:
    higher = stats.HIGHER_IS_BETTER[c.metric]
    worse = c.delta < -1e-12 if higher else c.delta > 1e-12
    if not worse:
        return "not worse"
    if not p_holm < significance:
        return "within noise"
    if beyond is not None and not beyond(c.base_value, c.head_value):
        return "allowed"
    return "failed"


def evaluate(
    paired: Paired,
    columns: Mapping[str, Column],
    test: Test,
    *,
    significance: float,
    min_rows: int,
    beyond: Beyond | None = None,
) -> Finding:
    """Each slice compared, Holm's correction over those tested at `significance`; a slice
    fails when significantly worse after it and, where `beyond` is given, beyond the allowed
    drop. `test.resamples`: see `resamples_for`."""
    if not test.resamples:
        sizes = [np.bincount(c.codes, minlength=len(c.labels)) for c in columns.values()]
        testable = sum(int(np.count_nonzero(n >= min_rows)) for n in sizes)
        test = dataclasses.replace(test, resamples=resamples_for(testable, significance))
    found = _compared(paired, list(columns.values()), test, min_rows)
    tested = [f for f in found if isinstance(f[3], Comparison)]
    adjusted = iter(holm([_p(f[3]) for f in tested]))  # type: ignore[arg-type]
    out: list[Slice] = []
    for column, label, rows, c in found:
        if c is None:
            note = f"{rows} row(s), fewer than min_slice_rows ({min_rows})"
            out.append(Slice(column.name, label, rows, "too few rows", note=note))
        elif isinstance(c, str):
            out.append(Slice(column.name, label, rows, "not tested", note=c))
        else:
            p, p_holm = _p(c), next(adjusted)
            status = _judged(c, p_holm, significance, beyond)
            out.append(Slice(column.name, label, rows, status, c, p, p_holm))
    rank = {"failed": 0, "too few rows": 2, "not tested": 2}
    out.sort(key=lambda s: (rank.get(s.status, 1), -s.worsening))
    return Finding(
        test.metric,
        significance,
        tuple(out),
        tuple(columns.values()),
        len(tested),
        test.resamples,
        min_rows,
    )


# --- text and JSON ---------------------------------------------------------------------------


def test_of(c: Comparison) -> str:
    if c.p_value is not None:
        return "McNemar"
    return "DeLong" if c.method == "DeLong" else "bootstrap"


def value(x: float, metric: str) -> str:
    return f"{x:.3f}" if stats.points(metric) else f"{x:.4g}"


def movement(s: Slice) -> str:
    """'accuracy in region=C fell 15.2 pts (0.850 → 0.700), McNemar p = 3e-12, Holm-adjusted
    p = 1e-11'"""
    c = s.comparison
    assert c is not None and s.p is not None and s.p_holm is not None
    moved = "fell" if c.delta < 0 else "rose" if c.delta > 0 else "held"
    size = f"{abs(c.delta) * 100:.1f} pts" if stats.points(c.metric) else f"{abs(c.delta):.4g}"
    return (
        f"{c.metric} in {s.name} {moved} {size} ({value(c.base_value, c.metric)} → "
        f"{value(c.head_value, c.metric)}), {test_of(c)} p {p_text(s.p)}, "
        f"Holm-adjusted p {p_text(s.p_holm)}"
    )


def p_text(p: float) -> str:
    """'= 3e-12', or '< 1e-300' where the tail underflows to 0 in floating point."""
    return f"= {p:.2g}" if p > 0 else "< 1e-300"


def summary(f: Finding) -> str:
    """One line on what the slices found, naming the worst slice."""
    few = sum(1 for s in f.slices if s.status in UNTESTED)
    untested = f", {few} not tested" if few else ""
    worst = f.worst
    if f.failed:
        assert worst is not None
        return f"{movement(worst)} ({len(f.failed)} of {f.tested} slices failed{untested})"
    if not f.tested:
        return f"no slice tested ({few} with too few rows or no metric)"
    text = f"no slice significantly worse after Holm's correction ({f.tested} tested{untested})"
    if worst is not None and worst.worsening > 0:
        text += f"; largest drop: {movement(worst)}"
    return text


def slice_json(s: Slice) -> SliceJson:
    c = s.comparison
    return {
        "column": s.column,
        "slice": s.label,
        "rows": s.rows,
        "status": s.status,
        "base": None if c is None else c.base_value,
        "head": None if c is None else c.head_value,
        "delta": None if c is None else c.delta,
        "ci": None if c is None else [c.ci_low, c.ci_high],
        "test": None if c is None else test_of(c),
        "p": s.p,
        "p_holm": s.p_holm,
        "only_base_right": None if c is None else c.only_base,
        "only_head_right": None if c is None else c.only_head,
        "note": s.note,
    }


def finding_json(f: Finding) -> FindingJson:
    return {
        "per_example": f.metric,
        "significance": f.significance,
        "correction": "holm",
        "tested": f.tested,
        "failed": len(f.failed),
        "worst": f.failed[0].name if f.failed else None,
        "resamples": f.resamples,
        "min_slice_rows": f.min_rows,
        "columns": [
            {"name": c.name, "binned": c.binned, "slices": list(c.labels)} for c in f.columns
        ],
        "slices": [slice_json(s) for s in f.slices],
    }


def as_finding(detail: Mapping[str, Any] | None) -> FindingJson | None:
    """The slices a gate result's evidence holds (its `detail`), if any."""
    found = (detail or {}).get("slices")
    return found if isinstance(found, dict) and "slices" in found else None  # type: ignore[return-value]
