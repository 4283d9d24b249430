"""Which metric rows the comment and the summary chart show when there are too many. Pure.

A report on 10,000 metrics is read by a person in a PR: the comment leads with the gated metrics,
then the changed ones, largest relative change first, up to `limits.COMMENT_TABLE_ROWS`; the
rest is counted in a line and is in the full table (job summary, `all-metrics.md`). A small
report (no more rows than the limit) is shown whole, in file order, as it always was.

Relative changes are computed here once per row with plain arithmetic (the same value as
`Change.pct`), since a property call per row and per use costs seconds at 100,000 rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mlgate.compare import Change
from mlgate.report import MetricRow

_PLAIN = (int, float)  # `type(x) in _PLAIN` leaves out bool, which is not a number here


def relative(change: Change) -> float | None:
    """`change.pct`: the change in percent of |old|, None where it has no meaning."""
    old, new = change.old, change.new
    if type(old) in _PLAIN and type(new) in _PLAIN:
        if old == 0 or not math.isfinite(old):  # type: ignore[arg-type]
            return None
        return float(new - old) / abs(old) * 100.0  # type: ignore[operator, arg-type]
    return change.pct


def _size(pct: float | None) -> float | None:
    """How large a relative change is, for ranking: NaN counts as no size."""
    if pct is None or math.isnan(pct):
        return None
    return abs(pct)


@dataclass(frozen=True)
class Selection:
    """Indices of the rows shown, in the order shown, and what the rest holds."""

    shown: tuple[int, ...]
    more_changed: int = 0
    more_unchanged: int = 0
    total: int = 0

    @property
    def hidden(self) -> int:
        return self.more_changed + self.more_unchanged


def ranked_changes(rows: Sequence[MetricRow], pcts: Sequence[float | None]) -> list[int]:
    """Indices of the changed rows: those with a relative change, largest first, then the
    others (new, removed, base unreadable, text, from zero, NaN) in file order."""
    sized: list[tuple[float, int]] = []
    unsized: list[int] = []
    for i, row in enumerate(rows):
        if row.change.status == "unchanged":
            continue
        size = _size(pcts[i])
        if size is None:
            unsized.append(i)
        else:
            sized.append((-size, i))
    sized.sort()  # by size, then by file order: stable and deterministic
    return [i for _s, i in sized] + unsized


def comment_rows(rows: Sequence[MetricRow], pcts: Sequence[float | None], limit: int) -> Selection:
    """All rows in file order when they fit; else the gated rows (file order), then the
    changed rows by `ranked_changes`, up to `limit`."""
    if len(rows) <= limit:
        return Selection(tuple(range(len(rows))), total=len(rows))
    gated = [i for i, r in enumerate(rows) if r.gated]
    changed = [i for i in ranked_changes(rows, pcts) if not rows[i].gated]
    shown = (gated + changed)[:limit]
    unchanged_shown = sum(1 for i in shown if rows[i].change.status == "unchanged")
    unchanged = sum(1 for r in rows if r.change.status == "unchanged")
    more_unchanged = unchanged - unchanged_shown
    return Selection(
        tuple(shown),
        more_changed=len(rows) - len(shown) - more_unchanged,
        more_unchanged=more_unchanged,
        total=len(rows),
    )


def chart_rows(
    rows: Sequence[MetricRow], limit: int
) -> tuple[list[tuple[MetricRow, float]], int, int]:
    """The bars of the summary chart, how many changed rows could have one and how many rows
    could at all (a finite relative change). All of them in file order (unchanged ones at 0%)
    when they fit in `limit`, else the `limit` largest changes, largest first."""
    pcts = [relative(r.change) for r in rows]
    usable = [(r, p) for r, p in zip(rows, pcts, strict=True) if p is not None and math.isfinite(p)]
    changed = [(r, p) for r, p in usable if r.change.status != "unchanged" and p != 0]
    if len(usable) <= limit:
        return usable, len(changed), len(usable)
    changed.sort(key=lambda rp: -abs(rp[1]))  # stable: ties keep file order
    return changed[:limit], len(changed), len(usable)
