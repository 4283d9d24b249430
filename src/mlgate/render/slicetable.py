"""The report's slice tables (issue 26): for each gate with `slices:`, its slices with base,
head, change, rows, p-value and Holm-adjusted p-value; failed first, then the largest drops.
Capped as the metrics table is; every slice is in result.json. Pure: gate results in, Markdown
strings out; every name from a file goes through `md`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlgate import limits, stats
from mlgate.render.escape import md
from mlgate.render.table import github_table
from mlgate.rules import GateResult
from mlgate.slicetest import FindingJson, SliceJson, as_finding

ICON = {"failed": "❌", "allowed": "⚠️"}
RESULT = {"allowed": "significant, within the allowed drop"}
HEADERS = ["", "Slice", "Base", "Head", "Change", "Rows", "p", "Holm p", "Result"]
TEST = {"McNemar": "exact McNemar test", "bootstrap": "paired bootstrap", "DeLong": "DeLong test"}


@dataclass(frozen=True)
class Section:
    """One gate's slices: a title and the overall comparison (plain text, for `md`), and the
    table (Markdown, escaped)."""

    title: str
    overall: str
    table: str


def number(x: float | None, metric: str) -> str:
    if x is None:
        return ""
    return f"{x:.3f}" if stats.points(metric) else f"{x:.4g}"


def change_text(x: float | None, metric: str) -> str:
    if x is None:
        return ""
    text = stats.fmt_delta(x, metric)
    return f"{text} pts" if stats.points(metric) else text


def change(x: float | None, metric: str) -> str:
    return md(change_text(x, metric))


def p_text(p: float | None) -> str:
    return "" if p is None else md(f"{p:.2g}")


def row(s: SliceJson, metric: str, *, test_named: bool) -> list[str]:
    result = RESULT.get(s["status"], s["status"])
    if s["note"]:
        result += f": {s['note']}" if s["status"] == "not tested" else f" ({s['note']})"
    return [
        ICON.get(s["status"], ""),
        md(f"{s['column']}={s['slice']}"),
        number(s["base"], metric),
        number(s["head"], metric),
        change(s["delta"], metric),
        f"{s['rows']:,}",
        p_text(s["p"]) + (f" ({s['test']})" if s["test"] and test_named else ""),
        p_text(s["p_holm"]),
        md(result),
    ]


def table(finding: FindingJson, limit: int | None = None) -> str:
    """The slices in the finding's order (failed, then largest drops), at most `limit` rows and
    a line counting the rest."""
    limit = limits.COMMENT_TABLE_ROWS if limit is None else limit
    metric = finding["per_example"]
    every = finding["slices"]
    mixed = len({s["test"] for s in every if s["test"]}) > 1  # DeLong on the largest slices
    text = github_table([row(s, metric, test_named=mixed) for s in every[:limit]], HEADERS)
    rest = every[limit:]
    if not rest:
        return text
    untested = sum(1 for s in rest if s["status"] in ("too few rows", "not tested"))
    counts = f" ({untested:,} not tested)" if untested else ""
    return (
        f"*Showing {limit:,} of {len(every):,} slices: failed first, then the largest drops.*"
        f"\n\n{text}\n\n*…and {len(rest):,} more slices{counts}: every slice is in "
        "`result.json` (`gates[].evidence.slices`).*"
    )


def overall(detail: dict[str, Any]) -> str:
    """'overall: accuracy 0.850 → 0.848 (−0.2 pts) on 4,000 rows, McNemar p = 0.80'"""
    metric = str(detail.get("per_example", ""))
    base, head, delta = detail.get("base"), detail.get("head"), detail.get("delta")
    if not isinstance(base, float | int) or not isinstance(head, float | int):
        return ""
    moved = f"{stats.fmt_delta(float(delta), metric)}" if isinstance(delta, float | int) else ""
    unit = " pts" if stats.points(metric) and moved else ""
    text = (
        f"overall: {metric} {number(float(base), metric)} → {number(float(head), metric)} "
        f"({moved}{unit}) on {detail.get('rows', 0):,} rows"
    )
    p = detail.get("mcnemar_p")
    return text + (f", McNemar p = {p:.2g}" if isinstance(p, float | int) else "")


def sections(gates: Sequence[GateResult]) -> list[Section]:
    """A section per gate result whose evidence holds slices."""
    out = []
    for g in gates:
        finding = as_finding(g.detail)
        if finding is None:
            continue
        columns = ", ".join(c["name"] for c in finding["columns"])
        tests = sorted({TEST[s["test"]] for s in finding["slices"] if s["test"]})
        title = (
            f"{g.metric}: {finding['per_example']} by {columns}: "
            f"{' or '.join(tests) or 'no test'} per slice, Holm's correction over "
            f"{finding['tested']:,} slices at {finding['significance']:g}"
        )
        out.append(Section(title, overall(dict(g.detail or {})), table(finding)))
    return out
