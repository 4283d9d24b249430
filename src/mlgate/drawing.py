"""The charts of a report: the DVC plots (or the summary chart), the base branch's metric
trends, histograms of drifted data and a chart per slice, drawn as images or inline charts.
matplotlib is imported only when there is something it draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate import report as report_mod
from mlgate.datacheck import TableChange
from mlgate.gather import Gathered
from mlgate.render import summary
from mlgate.report import Report
from mlgate.rules import GateResult
from mlgate.slicetest import as_finding


@dataclass(frozen=True)
class Charts:
    """What the charts are drawn from, so they can be drawn in one style or the other."""

    g: Gathered
    rep: Report
    trends: Sequence[Any]
    tables: Sequence[TableChange]
    out_dir: Path

    def draw(self, *, mermaid: bool, notes: list[str]) -> list[report_mod.PlotEntry]:
        rows = self.rep.metrics  # built once: the plots, the comment and the full table share them
        plots, plot_notes = draw_plots(self.g, rows, self.out_dir, mermaid=mermaid)
        notes += plot_notes
        plots += extra_plots(self.trends, self.tables, self.out_dir, mermaid=mermaid, notes=notes)
        plots += slice_plots(self.rep.gates, self.out_dir, mermaid=mermaid)
        return plots


def draw_plots(
    g: Gathered, rows: Sequence[report_mod.MetricRow], out_dir: Path, *, mermaid: bool
) -> tuple[list[report_mod.PlotEntry], list[str]]:
    """The plots and the summary chart; matplotlib is imported only when there are plots (the
    summary chart alone is drawn with Pillow)."""
    if g.plots:
        from mlgate.render import plots as plots_mod

        return plots_mod.render_all(g.plots, rows, out_dir, mermaid=mermaid)
    entry = summary.summary_chart(rows, out_dir, mermaid=mermaid)
    return ([entry] if entry else []), []


def extra_plots(
    trends: Sequence[Any],
    tables: Sequence[TableChange],
    out_dir: Path,
    *,
    mermaid: bool,
    notes: list[str],
) -> list[report_mod.PlotEntry]:
    """The base branch's metric trends (noise-aware gates) and histograms of drifted data."""
    entries: list[report_mod.PlotEntry] = []
    if trends and mermaid:
        notes.append("history charts are drawn as images only (plots: assets or summary)")
    elif trends:
        from mlgate.render.trend import trend_entries

        entries += trend_entries(trends, out_dir)
    if tables:
        from mlgate.render import plots as plots_mod

        entries += plots_mod.histograms(tables, out_dir, mermaid=mermaid)
    return entries


def slice_plots(
    gates: Sequence[GateResult], out_dir: Path, *, mermaid: bool
) -> list[report_mod.PlotEntry]:
    """A chart per slice column of each gate with `slices:` (issue 26); matplotlib is imported
    only when there is one."""
    if not any(as_finding(g.detail) for g in gates):
        return []
    from mlgate.render import slicechart

    return slicechart.entries(gates, out_dir, mermaid=mermaid)
