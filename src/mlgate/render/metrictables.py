"""The metrics and params tables of a report, each cell formatted once: the comment shows a
selection (`render.select`), `all-metrics.md` every row (`full_tables`). Returns strings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mlgate import limits
from mlgate.compare import Change
from mlgate.metrics import Scalar, format_value, is_number
from mlgate.render import gatetable, select
from mlgate.render.escape import md, number_text, value_cell
from mlgate.render.table import github_table, rule_line
from mlgate.report import MetricRow, Report

JUDGEMENT_ICON = {"better": "🟢", "worse": "🔴", "same": "", "unknown": ""}
FULL_TABLE_FILE = "all-metrics.md"  # in the report directory: every metric value, every param
WHERE = f"the full table is in the job summary and in `{FULL_TABLE_FILE}` of the report artifact"


def signed(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    text = format_value(value)
    return f"+{text}" if value > 0 else text


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}%"


def _param(value: Scalar, absent: bool) -> str:
    """A param's cell: `-` where the revision has no such param, `null` where it is null."""
    return "null" if value is None and not absent else value_cell(value)


def _change_cell(change: Change, diff: float | int | None) -> str:
    status = change.status
    if status == "added":
        return "new"
    if status == "unknown":  # the gate on it fails closed; the reason is below the table
        return "base unreadable"
    if status == "removed":
        return "removed"
    if type(diff) is float or type(diff) is int:  # as signed, without a type test per call
        text = f"{diff:.6g}" if type(diff) is float else str(diff)
        return number_text("+" + text if diff > 0 else text)
    return md(signed(diff))


def _arrow(diff: float | int | None) -> str:
    """As `MetricRow.arrow`, from a diff computed once."""
    if diff is None or diff != diff:  # noqa: PLR0124 - NaN
        return ""
    return "↑" if diff > 0 else "↓" if diff < 0 else "→"


@dataclass(frozen=True)
class Cells:
    """A table's cells, formatted once: the comment shows some rows, the full table all."""

    headers: list[str]
    rows: list[list[str]]
    selection: select.Selection
    right: tuple[int, ...] = ()  # right-aligned columns (numbers)

    def comment(self, what: str, intro: str = "", *, total: str = "") -> str:
        """The comment's table (padded columns, as always) and a line counting the rest:
        "…and 3 more changed and 9 more unchanged {what}"; `total` names all rows."""
        picked = [self.rows[i] for i in self.selection.shown]
        text = github_table(picked, self.headers, self.right)
        sel = self.selection
        if not sel.hidden:
            return text
        parts = []
        if sel.more_changed:
            parts.append(f"{sel.more_changed:,} more changed")
        if sel.more_unchanged:
            parts.append(f"{sel.more_unchanged:,} more unchanged")
        head = f"*Showing {len(sel.shown):,} of {sel.total:,} {total or what}{intro}.*\n\n"
        return f"{head}{text}\n\n*…and {' and '.join(parts)} {what}: {WHERE}.*"

    def full(self) -> str:
        """Every row, joined plainly (no padding: the same table, built in one pass)."""
        lines = ["| " + " | ".join(self.headers) + " |", rule_line(len(self.headers), self.right)]
        lines += ["| " + " | ".join(cells) + " |" for cells in self.rows]
        return "\n".join(lines)


def metric_cells(
    rows: Sequence[MetricRow],
    base_label: str,
    *,
    show_path: bool,
    limit: int | None = None,
) -> Cells:
    pcts: list[float | None] = []
    table: list[list[str]] = []
    paths: dict[str, str] = {}
    for row in rows:
        c = row.change
        old, new = c.old, c.new
        diff = new - old if type(old) in (int, float) and type(new) in (int, float) else c.diff  # type: ignore[operator]
        pct = select.relative(c)
        pcts.append(pct)
        icon = JUDGEMENT_ICON[row.judgement]
        arrow = _arrow(diff)
        trend = f"{icon} {arrow}" if icon and arrow else icon or arrow
        cells = [
            md(c.key),
            value_cell(old),
            value_cell(new),
            _change_cell(c, diff),
            percent(pct),
            trend,
        ]
        if show_path:
            path = paths.get(c.path)
            if path is None:
                path = paths[c.path] = md(c.path)
            cells.insert(0, path)
        table.append(cells)
    headers = ["Metric", md(base_label), "Head", "Change", "%", ""]
    if show_path:
        headers.insert(0, "File")
    limit = limits.COMMENT_TABLE_ROWS if limit is None else limit
    right = tuple(i + show_path for i in (1, 2, 3, 4))  # base, head, change, %
    return Cells(headers, table, select.comment_rows(rows, pcts, limit), right)


_METRICS_INTRO = ": gated metrics first, then the largest relative changes"


def metrics_table(rows: Sequence[MetricRow], base_label: str, *, show_path: bool) -> str:
    """All rows when they fit the comment; else gated, then changed rows, largest relative
    change first, and a line counting the rest."""
    cells = metric_cells(rows, base_label, show_path=show_path)
    return cells.comment("metric values", _METRICS_INTRO)


def param_cells(
    changes: Sequence[Change], base_label: str, *, show_path: bool, limit: int | None = None
) -> Cells:
    table = []
    for c in changes:
        cells = [
            md(c.key),
            _param(c.old, c.status == "added"),
            _param(c.new, c.status == "removed"),
        ]
        if show_path:
            cells.insert(0, md(c.path))
        table.append(cells)
    headers = ["Param", md(base_label), "Head"]
    if show_path:
        headers.insert(0, "File")
    limit = limits.COMMENT_TABLE_ROWS if limit is None else limit
    shown = tuple(range(min(limit, len(table))))
    sel = select.Selection(shown, more_changed=len(table) - len(shown), total=len(table))
    numeric = all(is_number(c.old) or c.old is None for c in changes) and all(
        is_number(c.new) or c.new is None for c in changes
    )
    right = tuple(i + show_path for i in (1, 2)) if numeric else ()  # numbers only
    return Cells(headers, table, sel, right)


def params_table(changes: Sequence[Change], base_label: str, *, show_path: bool) -> str:
    cells = param_cells(changes, base_label, show_path=show_path)
    return cells.comment("params", total="changed params")


@dataclass(frozen=True)
class Tables:
    """A report's metrics and params tables, each cell formatted once, for the comment (a
    selection) and for the full table (every row) alike."""

    report: Report
    base_label: str
    show_path: bool
    show_param_path: bool
    metrics: Cells
    params: Cells

    @property
    def hidden(self) -> int:
        """Rows the comment leaves out: the full table is worth a look."""
        gates = max(0, len(self.report.gates) - limits.COMMENT_TABLE_ROWS)
        return self.metrics.selection.hidden + self.params.selection.hidden + gates

    def metrics_table(self, rows: Sequence[MetricRow], base_label: str, *, show_path: bool) -> str:
        if rows is self.report.metrics and (base_label, show_path) == (
            self.base_label,
            self.show_path,
        ):
            return self.metrics.comment("metric values", _METRICS_INTRO)
        return metrics_table(rows, base_label, show_path=show_path)  # a template's own rows

    def params_table(self, changes: Sequence[Change], base_label: str, *, show_path: bool) -> str:
        if changes is self.report.params and (base_label, show_path) == (
            self.base_label,
            self.show_param_path,
        ):
            return self.params.comment("params", total="changed params")
        return params_table(changes, base_label, show_path=show_path)


def prepare(report: Report) -> Tables:
    base_label = f"Base ({report.base_ref})"
    show_path = len({r.change.path for r in report.metrics}) > 1
    show_param_path = len({c.path for c in report.params}) > 1
    return Tables(
        report,
        base_label,
        show_path,
        show_param_path,
        metric_cells(report.metrics, base_label, show_path=show_path),
        param_cells(report.params, base_label, show_path=show_param_path),
    )


def full_tables(tables: Tables) -> str:
    """`all-metrics.md`: every metric value and every changed param, the comment's cells joined
    in one pass. Untrusted text is escaped as in the comment."""
    rep = tables.report
    sha = f" ({rep.head_sha[:7]})" if rep.head_sha else ""
    parts = [
        f"## {md(rep.title)}: all metrics",
        "",
        f"Compared **{md(rep.head_label)}**{sha} with base **{md(rep.base_ref)}** "
        f"({(rep.base_sha or '')[:7]}).",
        "",
        f"### All metrics ({len(rep.metrics):,} values)",
        "",
        tables.metrics.full() if rep.metrics else "No metrics were found at head or base.",
    ]
    if rep.params:
        parts += ["", f"### All changed params ({len(rep.params):,})", "", tables.params.full()]
    if len(rep.gates) > limits.COMMENT_TABLE_ROWS:
        gates = Cells(
            gatetable.HEADERS, gatetable.rows(rep.gates), select.Selection(()), gatetable.RIGHT
        )
        parts += ["", f"### All gates ({len(rep.gates):,})", "", gates.full()]
    return "\n".join(parts) + "\n"
