"""The gates table, the one thing a reviewer must read (issue 25): failed gates first, base and
head right-aligned, and for each plain two-number gate a strip of text picturing where head
stands against base and the band of head values the rule allows. Pure.

The picture is text in a code span (`··●··┃━━━━━━`), not Mermaid or an image: GitHub strips
inline SVG, a Mermaid chart is a full-width diagram a few hundred pixels tall per gate, and an
image needs an upload that only some `plots:` modes make. Text renders inline everywhere the
comment goes (PR and MR comments, the job summary, notification mail, the local report) and
costs no bytes of upload.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlgate import limits
from mlgate.metrics import is_number
from mlgate.render.escape import md, value_cell
from mlgate.render.table import github_table
from mlgate.rules import GateResult, GateRule

OUTCOME_ICON = {"pass": "✅", "fail": "❌", "warn": "⚠️", "skip": "➖"}
OUTCOME_WORD = {"fail": "failed", "warn": "with warnings", "pass": "passed", "skip": "skipped"}
STRIP_CELLS = 15
IN_BAND, OUT_OF_BAND, BASE, HEAD = "━", "·", "┃", "●"
LEGEND = f"{IN_BAND} allowed {BASE} base {HEAD} head"
HEADERS = ["", "Metric", "Base", "Head", LEGEND, "Result"]
RIGHT = (2, 3)  # base and head: numbers, right-aligned


def ordered(results: Sequence[GateResult]) -> list[GateResult]:
    return sorted(results, key=lambda r: ("fail", "warn", "pass", "skip").index(r.outcome))


def _finite(value: object) -> float | None:
    if is_number(value) and math.isfinite(float(value)):  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]
    return None


def allowed_edge(rule: GateRule, base: float | None) -> float | None:
    """The worst head value a scalar rule accepts (the lowest when higher is better, else the
    highest), by the tolerances and bound `gates.evaluate_one` applies; None: no limit."""
    higher = rule.direction == "higher"
    edges: list[float] = []
    if base is not None:
        if rule.strict:
            edges.append(base)
        if rule.max_drop is not None:
            edges.append(base - rule.max_drop if higher else base + rule.max_drop)
        if rule.max_drop_pct is not None:
            step = abs(base) * rule.max_drop_pct / 100.0
            edges.append(base - step if higher else base + step)
    if rule.bound is not None:
        edges.append(rule.bound)
    if not edges:
        return None
    return max(edges) if higher else min(edges)


def strip(result: GateResult) -> str:
    """`··●····┃━━━━━━━`: the allowed band heavy, base a bar, head a dot; empty for a gate
    that is not a plain comparison of two numbers (or has no finite head)."""
    head = _finite(result.new)
    if result.rule.kind != "scalar" or head is None:
        return ""
    base = _finite(result.old)
    edge = allowed_edge(result.rule, base)
    points = [v for v in (head, base, edge) if v is not None]
    lo, hi = min(points), max(points)
    pad = (hi - lo) * 0.25 or max(abs(hi), 1.0) * 0.05
    lo, hi = lo - pad, hi + pad

    def cell(value: float) -> int:
        return round((value - lo) / (hi - lo) * (STRIP_CELLS - 1))

    higher = result.rule.direction == "higher"
    cells = []
    for i in range(STRIP_CELLS):
        value = lo + i / (STRIP_CELLS - 1) * (hi - lo)
        inside = edge is None or (value >= edge if higher else value <= edge)
        cells.append(IN_BAND if inside else OUT_OF_BAND)
    if edge is not None:  # the edge's own cell, so a band of one cell still shows
        cells[cell(edge)] = IN_BAND
    if base is not None:
        cells[cell(base)] = BASE
    cells[cell(head)] = HEAD
    return f"`{''.join(cells)}`"


def _value(value: object) -> str:
    return "" if value is None else value_cell(value)  # type: ignore[arg-type]


def rows(results: Sequence[GateResult]) -> list[list[str]]:
    return [
        [
            OUTCOME_ICON[r.outcome],
            md(r.metric),
            _value(r.old),
            _value(r.new),
            strip(r),
            md(r.message),
        ]
        for r in ordered(results)
    ]


def gates_table(results: Sequence[GateResult], limit: int | None = None, where: str = "") -> str:
    """Failed gates first, then warnings, passes, skips; beyond `limit` rows (a glob rule over
    thousands of metrics), a line counts the rest by outcome and says `where` they are."""
    limit = limits.COMMENT_TABLE_ROWS if limit is None else limit
    shown = ordered(results)[:limit]
    text = github_table(rows(shown), HEADERS, RIGHT)
    if len(results) <= limit:
        return text
    hidden = [r.outcome for r in ordered(results)[limit:]]
    counts = ", ".join(
        f"{hidden.count(o):,} {word}" for o, word in OUTCOME_WORD.items() if o in hidden
    )
    return f"{text}\n\n*…and {len(hidden):,} more gates ({counts}): {where}.*"
