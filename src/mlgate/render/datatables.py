"""Data checks as Markdown tables: which tabular files changed and how their columns drifted.
Pure: takes `datacheck.TableChange`s, returns strings; every name from a file goes through `md`."""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlgate.datacheck import SAMPLE, TableChange
from mlgate.render.escape import md
from mlgate.render.table import github_table

DRIFT_ROWS = 10
__all__ = ["SAMPLE", "drift_table", "tables_table"]


def _rows(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _rate(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _stat(x: float | None) -> str:
    return "" if x is None or not math.isfinite(x) else f"{x:.3f}"


def tables_table(changes: Sequence[TableChange]) -> str:
    rows = []
    for c in changes:
        cols = []
        if c.added_columns:
            cols.append("+" + ", +".join(c.added_columns))
        if c.removed_columns:
            cols.append("−" + ", −".join(c.removed_columns))
        cols += [f"{t.name}: {t.base_type} → {t.head_type}" for t in c.type_changes]
        worst = max((col.drift for col in c.columns if math.isfinite(col.drift)), default=None)
        rows.append(
            [
                md(c.path),
                md(c.status),
                f"{_rows(c.base_rows)} → {_rows(c.head_rows)}",
                md("; ".join(cols)) if cols else "",
                _stat(worst),
                "❌" if c.violations else "✅",
            ]
        )
    return github_table(rows, ["File", "Change", "Rows", "Columns", "Largest drift", "Rules"])


def drift_table(changes: Sequence[TableChange], limit: int = DRIFT_ROWS) -> str:
    """The most drifted columns over all files, largest first."""
    columns = [
        (c, col) for c in changes for col in c.columns if col.ks is not None or col.psi is not None
    ]
    columns.sort(key=lambda pair: -pair[1].drift if math.isfinite(pair[1].drift) else 0.0)
    rows = [
        [
            md(c.path),
            md(col.name),
            md(f"{col.base_type} → {col.head_type}"),
            f"{_rate(col.base_missing)} → {_rate(col.head_missing)}",
            _stat(col.ks),
            _stat(col.psi),
        ]
        for c, col in columns[:limit]
    ]
    table = github_table(rows, ["File", "Column", "Type", "Missing", "KS", "PSI"])
    more = len(columns) - limit
    return table + (f"\n\n…and {more} more columns in result.json." if more > 0 else "")
