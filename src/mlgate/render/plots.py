"""The report's charts: each plot's files at base and head, drawn by the chart kind its
`template:` names (`render.charts.TEMPLATES`), plus the metric-change summary and the images a
pipeline writes. Orchestration only: the drawing is in `render.charts`, one module per kind.

A plot whose data cannot be drawn becomes a note in the report, never a crash. With
`mermaid=True`, line and bar charts are emitted as inline Mermaid `xychart-beta` blocks instead
(GitHub renders them with no image upload).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from pathlib import Path

from mlgate.datacheck import TableChange
from mlgate.pipeline import PlotDef, PlotFiles
from mlgate.plotdata import PlotDataError, Table, parse_table
from mlgate.render.caps import MAX_PLOTS, capped_units
from mlgate.render.charts import TEMPLATES, images
from mlgate.render.charts.common import Canvas, Kind, Layer, image_path
from mlgate.render.labels import distinct_parts
from mlgate.render.summary import summary_chart
from mlgate.report import MetricRow, PlotEntry


def kind(template: str) -> Kind:
    """The chart kind drawing `template`; the pipeline parser has refused any other template.
    Its module is imported here, when a chart of its kind is drawn: matplotlib loads with the
    first chart, and a report of images only never loads it."""
    name = TEMPLATES.get(template)
    if name is None:
        raise PlotDataError(f"template {template!r} is not one mlgate draws")
    found: Kind = importlib.import_module(f"mlgate.render.charts.{name}").KIND
    return found


class Drawer:
    """Draws one PlotDef from base and head tables (a plot's files already parsed)."""

    def __init__(self, out_dir: Path, *, mermaid: bool) -> None:
        self.canvas = Canvas(out_dir, mermaid=mermaid)

    def image_path(self, plot_id: str) -> str:
        return image_path(plot_id)

    def lines(
        self, plot: PlotDef, base: Table | None, head: Table | None, paths: tuple[str, str]
    ) -> PlotEntry:
        """One file's base and head (kept for callers drawing a single file)."""
        ys = tuple(plot.y) or (None,)
        layers = [
            Layer(side, path, "", table, ys)
            for side, table, path in (("base", base, paths[0]), ("head", head, paths[1]))
            if table is not None
        ]
        return self.draw(plot, layers)

    def draw(self, plot: PlotDef, layers: Sequence[Layer]) -> PlotEntry:
        return kind(plot.template).draw(plot, layers, self.canvas)


def file_labels(files: Sequence[str]) -> dict[str, str]:
    """Short names telling a plot's files apart ("train", "test"); none for a single file."""
    if len(files) <= 1:
        return dict.fromkeys(files, "")
    stems = [f.rsplit("/", 1)[-1].rsplit(".", 1)[0] for f in files]
    if len(set(stems)) == len(stems):
        return dict(zip(files, stems, strict=True))
    return distinct_parts(files)  # eval/a/roc.json, eval/b/roc.json: "a", "b"


def units(pf: PlotFiles) -> list[tuple[PlotDef, tuple[str, ...]]]:
    """Lines of several files share one chart; a kind drawing one file per chart (a confusion
    matrix, a bar chart) gets one chart per file."""
    plot = pf.plot
    if len(pf.files) <= 1 or plot.template not in TEMPLATES or not kind(plot.template).per_file:
        return [(plot, pf.files)]
    labels = file_labels(pf.files)
    return [
        (
            dataclasses.replace(
                plot,
                id=f"{plot.id} · {labels[f]}",
                title=f"{plot.title or plot.id} · {labels[f]}",
                sources=tuple(s for s in plot.sources if s[0] == f),
            ),
            (f,),
        )
        for f in pf.files
    ]


def collect_layers(
    plot: PlotDef, files: tuple[str, ...], pf: PlotFiles
) -> tuple[list[Layer], list[str]]:
    """Each file at base and head parsed into a layer; why each missing side is missing."""
    labels = file_labels(files)
    layers: list[Layer] = []
    broken: list[str] = []
    absent: list[str] = []
    for file in files:
        ys = tuple(y for src, y in plot.sources if src == file) or (None,)
        for side, reads in (("base", pf.base), ("head", pf.head)):
            read = reads[file]
            other = "head" if side == "base" else "base"
            if read.data is None and read.absent:
                absent.append(f"{file} is not at {side}; {other} only")
            elif read.data is None:
                broken.append(f"{read.error} (at {side})")
            else:
                try:
                    table = parse_table(read.data, file)
                except PlotDataError as exc:
                    broken.append(f"{exc} (at {side})")
                else:
                    layers.append(Layer(side, file, labels[file], table, ys))
    return layers, [*broken, *absent]


def draw_files(
    plot: PlotDef, files: tuple[str, ...], pf: PlotFiles, drawer: Drawer
) -> tuple[PlotEntry, list[str]]:
    """Draw a plot's files at base and head; every side that is missing or cannot be parsed
    is said under the chart."""
    layers, missing = collect_layers(plot, files, pf)
    title = plot.title or plot.id
    if not layers:
        note = "not drawn: " + "; ".join(missing)
        return PlotEntry(plot.id, title, note=note), [f"plot {plot.id!r} {note}"]
    try:
        entry = drawer.draw(plot, layers)
    except PlotDataError as exc:
        note = "; ".join([f"not drawn: {exc}", *missing])
        return PlotEntry(plot.id, title, note=note), [f"plot {plot.id!r} {note}"]
    if missing:
        entry = dataclasses.replace(entry, note="; ".join([*missing, *filter(None, [entry.note])]))
    return entry, []


def image_entry(pf: PlotFiles, out_dir: Path) -> tuple[list[PlotEntry], list[str]]:
    """An image the pipeline writes, at base and head (or why a side is missing)."""
    src = pf.files[0]
    reads: dict[str, bytes | str] = {}
    for side, side_reads in (("base", pf.base), ("head", pf.head)):
        read = side_reads[src]
        reads[side] = (
            read.data
            if read.data is not None
            else ("not there" if read.absent else str(read.error))
        )
    return images.entries(pf.plot, src, reads, out_dir)


def render_all(
    plots: Sequence[PlotFiles],
    rows: Sequence[MetricRow],
    out_dir: Path,
    *,
    mermaid: bool = False,
) -> tuple[list[PlotEntry], list[str]]:
    """Every plot (files already read by `gather`), plus the metric-change summary."""
    drawer = Drawer(out_dir, mermaid=mermaid)
    entries: list[PlotEntry] = []
    summary = summary_chart(rows, out_dir, mermaid=mermaid)
    if summary:
        entries.append(summary)
    todo = [(pf, unit) for pf in plots for unit in ([None] if pf.plot.is_image else units(pf))]
    kept, notes = capped_units([(u or (pf.plot, pf.files)) for pf, u in todo], MAX_PLOTS)
    for pf, unit in todo[: len(kept)]:
        if unit is not None:
            entry, entry_notes = draw_files(*unit, pf, drawer)
            entries.append(entry)
            notes += entry_notes
        elif mermaid:  # an image cannot be inlined: the summary says where it is
            entries.append(
                PlotEntry(pf.plot.id, pf.plot.title or pf.plot.id, note="image in the report")
            )
        else:
            found, found_notes = image_entry(pf, out_dir)
            entries += found
            notes += found_notes
    return entries, notes


def histograms(
    tables: Sequence[TableChange], out_dir: Path, *, mermaid: bool = False
) -> list[PlotEntry]:
    """Base-vs-head histograms of the most drifted numeric columns (data checks)."""
    from mlgate.render.charts import histograms as drawn  # deferred: it loads matplotlib

    return drawn.histograms(tables, out_dir, mermaid_mode=mermaid)
