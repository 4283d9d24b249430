"""The slice charts (issue 26): for each gate with `slices:`, one chart per column of base vs
head per slice, head with the interval of the paired change (base + its CI): a PNG drawn with
matplotlib, or inline as a Mermaid `xychart-beta` (bars; the intervals in the data table).

At most `limits.CHART_BARS` slices per chart: the failed ones and the largest drops, shown in
the column's own order; the note says how many are left out (all are in result.json)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tabulate import tabulate

from mlgate import limits
from mlgate.render import plots
from mlgate.render.escape import md
from mlgate.render.slicetable import change, change_text, number, p_text
from mlgate.report import PlotEntry
from mlgate.rules import GateResult
from mlgate.slices import MISSING
from mlgate.slicetest import ColumnJson, FindingJson, SliceJson, as_finding

CAPTION = (
    "grey: base; blue: head (red: a failed slice), its bar the {ci}% interval of the paired "
    "change added to base; slices with too few rows have no points"
)


def chosen(finding: FindingJson, column: ColumnJson) -> tuple[list[SliceJson], int]:
    """The column's slices to draw, in the column's order, and how many are left out."""
    mine = [s for s in finding["slices"] if s["column"] == column["name"]]
    keep = {s["slice"] for s in mine[: limits.CHART_BARS]}  # failed first, then largest drops
    order = {label: i for i, label in enumerate(column["slices"])}
    kept = sorted((s for s in mine if s["slice"] in keep), key=lambda s: order.get(s["slice"], 0))
    return kept, len(mine) - len(kept)


def bin_name(label: str) -> str:
    return label.strip("[]()").replace(", ", " to ") if label != MISSING else label


def data_table(rows: Sequence[SliceJson], metric: str) -> str:
    body = []
    for s in rows:
        ci = s["ci"]
        low, high = (change_text(v, metric) for v in ci) if ci is not None else ("", "")
        interval = "" if ci is None else md(f"[{low}, {high}]")
        body.append(
            [
                md(s["slice"]),
                f"{s['rows']:,}",
                number(s["base"], metric),
                number(s["head"], metric),
                change(s["delta"], metric),
                interval,
                p_text(s["p_holm"]),
                md(s["status"]),
            ]
        )
    headers = ["slice", "rows", "base", "head", "change", "CI of change", "Holm p", "result"]
    return tabulate(body, headers, tablefmt="github", disable_numparse=True)


def png(title: str, rows: Sequence[SliceJson], metric: str, out_dir: Path, rel: str) -> None:
    fig, ax = plots._figure()
    fig.set_figheight(max(2.5, 0.4 * len(rows) + 1.3))
    ys = np.arange(len(rows))[::-1]
    for y, s in zip(ys, rows, strict=True):
        base, head, ci = s["base"], s["head"], s["ci"]
        if base is None or head is None or ci is None:
            continue
        color = plots.BAD_COLOR if s["status"] == "failed" else plots.HEAD_COLOR
        ax.plot([base + ci[0], base + ci[1]], [y - 0.12] * 2, color=color, linewidth=2)
        ax.plot([base], [y + 0.12], "o", color=plots.BASE_COLOR, markersize=7)
        ax.plot([head], [y - 0.12], "D", color=color, markersize=7)
    labels = [f"{s['slice']} ({s['rows']:,})" for s in rows]
    ax.set_yticks(ys, labels)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.grid(axis="y", visible=False)
    ax.plot([], [], "o", color=plots.BASE_COLOR, label="base")
    ax.plot([], [], "D-", color=plots.HEAD_COLOR, label="head, with the interval")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title)
    ax.set_xlabel(metric)
    plots.save(fig, out_dir, rel)


def entry(
    gate: GateResult, finding: FindingJson, column: ColumnJson, out_dir: Path, *, mermaid: bool
) -> PlotEntry:
    metric = finding["per_example"]
    rows, left_out = chosen(finding, column)
    title = f"{gate.metric}: {metric} by {column['name']}"
    plot_id = f"slices:{gate.metric}:{column['name']}"
    note = f"{left_out:,} more slices are in result.json" if left_out else ""
    table = data_table(rows, metric)
    if mermaid:
        sides = [(side, [float(s[side] or 0.0) for s in rows]) for side in ("base", "head")]
        # Mermaid takes no brackets in a name: a bin [18, 34) is shown as 18 to 34
        cats = [bin_name(s["slice"]) if column["binned"] else s["slice"] for s in rows]
        pairs = [(side, dict(zip(cats, values, strict=True))) for side, values in sides]
        block = plots.mermaid_bars(title, cats, pairs)
        caption = "bars in order: base, head; the intervals are in the data table"
        return PlotEntry(
            plot_id, title, mermaid=block, caption=caption, data_table=table, note=note
        )
    rel = f"plots/{plots.slug(plot_id)}.png"
    png(title, rows, metric, out_dir, rel)
    level = float((gate.detail or {}).get("ci_level", 0.95))
    caption = CAPTION.format(ci=f"{100 * level:g}")
    return PlotEntry(plot_id, title, image=rel, caption=caption, data_table=table, note=note)


def entries(gates: Sequence[GateResult], out_dir: Path, *, mermaid: bool) -> list[PlotEntry]:
    """A chart per column of each gate result with slices."""
    out = []
    for g in gates:
        finding = as_finding(g.detail)
        for column in finding["columns"] if finding else []:
            assert finding is not None
            out.append(entry(g, finding, column, out_dir, mermaid=mermaid))
    return out
