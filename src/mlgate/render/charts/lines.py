"""Lines (DVC's `linear`, `simple`, `smooth`): every file of a plot at base and head on one chart,
base grey and head blue, one line style per file or field. ROC and PR curves carry their AUC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlgate.pipeline import PlotDef
from mlgate.plotdata import (
    PlotDataError,
    Series,
    Table,
    column,
    minmax_downsample,
    numeric,
    rows,
)
from mlgate.render.charts import base, mermaid, predictions
from mlgate.render.charts.base import Canvas, Kind, Layer
from mlgate.render.escape import md
from mlgate.render.table import github_table
from mlgate.report import PlotEntry

STYLES = ("-", "--", ":", "-.")
HEADERS = ("revision", "field", "points", "min", "max", "last")


def _auc(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float:
    order = np.argsort(x, kind="stable")
    return float(np.trapezoid(y[order], x[order]))


def _curve_kind(x: str | None, y: str) -> str | None:
    pair = ((x or "").lower(), y.lower())
    if pair == ("fpr", "tpr"):
        return "ROC"
    if pair == ("recall", "precision"):
        return "PR"
    return None


def line_series(
    plot: PlotDef, layers: Sequence[Layer]
) -> list[tuple[Layer, str | None, str, Series]]:
    """Every line a chart draws: (layer, field as defined, field drawn, the points). The one
    place that turns plot data into lines, so tests can hold them against `dvc plots diff`."""
    out: list[tuple[Layer, str | None, str, Series]] = []
    first: str | None = None
    for layer in layers:
        for raw_y in layer.ys:
            y = raw_y or first or default_y(layer.table, plot.x)
            first = first or y
            out.append((layer, raw_y, y, series(layer.table, plot, y, layer.file)))
    return out


def series(records: Table, plot: PlotDef, y: str, path: str) -> Series:
    ys = numeric(column(records, y, path), y, path)
    x = plot.x_for(path)  # DVC's default x is the row's index, as `step`
    xs = numeric(column(records, x, path), x, path) if x else np.arange(len(ys), dtype=np.float64)
    return minmax_downsample(xs, ys)


def default_y(table: Table, x: str | None) -> str:
    """The field to draw when the definition names none: the last numeric one, as DVC."""
    if not rows(table):
        raise PlotDataError("no data")
    for field, values in reversed(table.items()):
        if field not in (x, "step", "timestamp") and all(
            isinstance(v, int | float | np.number) for v in values[:50]
        ):
            return field
    raise PlotDataError("no numeric field to plot (set `y:` in the plot definition)")


def _row(layer: Layer, y: str, s: Series) -> list[str]:
    finite = s.y[np.isfinite(s.y)]
    return [
        md(" · ".join(p for p in (layer.label, layer.side) if p)),
        md(y),
        f"{s.original_points}",
        base.cell(float(finite.min())) if finite.size else "nan",
        base.cell(float(finite.max())) if finite.size else "nan",
        base.cell(float(s.y[-1])) if s.y.size else "",
    ]


def draw_lines(
    plot: PlotDef, layers: Sequence[Layer], canvas: Canvas, *, scatter: bool = False
) -> PlotEntry:
    """Every file of the plot at base and head: lines named "test · base", "test · head"."""
    fig, ax = base.figure()
    captions: list[str] = []
    table: list[list[str]] = []
    named: list[tuple[str, Series]] = []
    slots = list(dict.fromkeys((layer.file, y) for layer in layers for y in layer.ys))
    first_y: str | None = None
    for layer, raw_y, y, s in line_series(plot, layers):
        color = base.side_color(layer.side)
        first_y = first_y or y
        name = " · ".join(p for p in (layer.label, y if len(layer.ys) > 1 else "", layer.side) if p)
        if _curve_kind(plot.x, y):
            name += f" (AUC {_auc(s.x, s.y):.3f})"
        if scatter:
            ax.scatter(s.x, s.y, s=12, color=color, alpha=0.7, label=name)
        else:
            # a line through one point draws nothing: mark it, as DVC's template does
            mark = "o" if np.count_nonzero(np.isfinite(s.x) & np.isfinite(s.y)) == 1 else ""
            style = STYLES[slots.index((layer.file, raw_y)) % len(STYLES)]
            width = 2 if layer.side == "head" else 1.5
            ax.plot(s.x, s.y, style, color=color, linewidth=width, label=name, marker=mark)
        if s.downsampled:
            captions.append(
                f"{name}: {s.original_points:,} points shown as {len(s.x):,} "
                "(min/max per bucket, shape kept)"
            )
        table.append(_row(layer, y, s))
        named.append((name, s))
    if not named:
        raise PlotDataError("no data")
    if _curve_kind(plot.x, first_y or "") == "ROC":
        ax.plot([0, 1], [0, 1], ":", color="#d0d7de", linewidth=1)
    base.labels(ax, plot, plot.x, first_y if len(slots) == 1 else None)
    base.legend(ax)
    data = github_table(table, HEADERS)
    title = plot.title or plot.id
    if canvas.mermaid:
        # xychart-beta draws no legend: say which line is which
        order = "lines in order: " + ", ".join(n for n, _s in named)
        block = mermaid.lines(title, named, bar=False)
        return PlotEntry(
            plot.id, title, mermaid=block, caption="; ".join([order, *captions]), data_table=data
        )
    rel = base.image_path(plot.id)
    base.save(fig, canvas.out_dir, rel)
    return PlotEntry(plot.id, title, image=rel, caption="; ".join(captions), data_table=data)


def draw(plot: PlotDef, layers: Sequence[Layer], canvas: Canvas) -> PlotEntry:
    """Lines; a predictions file (`actual`, `predicted`, no `x:`) is no line over the row index
    but predicted against actual."""
    if predictions.claims(plot, layers):
        return predictions.draw(plot, layers, canvas)
    return draw_lines(plot, layers, canvas)


KIND = Kind(draw)
