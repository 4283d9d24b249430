"""A predictions file (`actual,predicted` per row, no `x:`) drawn as what it is: predicted against
actual with the line of perfect predictions (regression), or a confusion matrix (classes). DVC
would draw it as lines over the row index, which says nothing. Reached through the lines kind: the
file's template is DVC's default."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from mlgate.pipeline import PlotDef
from mlgate.plotdata import PlotDataError, column, numeric
from mlgate.render.caps import MAX_CLASSES
from mlgate.render.charts import base, confusion
from mlgate.render.charts.base import Canvas, Layer
from mlgate.render.escape import md
from mlgate.render.table import github_table
from mlgate.report import PlotEntry

# (actual, predicted) field names a predictions file uses
PAIRS = (("actual", "predicted"), ("y_true", "y_pred"), ("target", "prediction"))


def pair(plot: PlotDef, layers: Sequence[Layer]) -> tuple[str, str] | None:
    """The (actual, predicted) fields when every layer is a predictions file and the plot names
    no x and no other y."""
    if plot.x is not None or plot.x_files or not layers:
        return None
    for actual, predicted in PAIRS:
        if set(plot.y) <= {actual, predicted} and all(
            actual in layer.table and predicted in layer.table for layer in layers
        ):
            return actual, predicted
    return None


def claims(plot: PlotDef, layers: Sequence[Layer]) -> bool:
    return pair(plot, layers) is not None


def are_classes(layers: Sequence[Layer], fields: tuple[str, str]) -> bool:
    """Classes when a value is text, or every value is a whole number and there are few."""
    seen: set[object] = set()
    for layer in layers:
        for field in fields:
            for v in column(layer.table, field, layer.file):
                if isinstance(v, str | bool):
                    return True
                if not isinstance(v, int | float | np.number) or float(v) != int(v):
                    return False
                seen.add(v)
    return len(seen) <= MAX_CLASSES


def _errors(layer: Layer, actual: np.ndarray, predicted: np.ndarray) -> list[str]:
    err = predicted - actual
    mae = float(np.mean(np.abs(err))) if err.size else float("nan")
    rmse = float(np.sqrt(np.mean(err**2))) if err.size else float("nan")
    name = " · ".join(p for p in (layer.label, layer.side) if p)
    return [md(name), str(err.size), base.cell(mae), base.cell(rmse)]


def scatter(
    plot: PlotDef, layers: Sequence[Layer], canvas: Canvas, fields: tuple[str, str]
) -> PlotEntry:
    a_field, p_field = fields
    fig, ax = base.figure(width=base.SIZE[1] + 1.5)
    table: list[list[str]] = []
    lo, hi = np.inf, -np.inf
    for layer in layers:
        actual = numeric(column(layer.table, a_field, layer.file), a_field, layer.file)
        predicted = numeric(column(layer.table, p_field, layer.file), p_field, layer.file)
        name = " · ".join(p for p in (layer.label, layer.side) if p)
        color = base.side_color(layer.side)
        ax.scatter(actual, predicted, s=10, color=color, alpha=0.6, label=name)
        finite = np.concatenate([actual, predicted])
        finite = finite[np.isfinite(finite)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
        table.append(_errors(layer, actual, predicted))
    if not np.isfinite(lo):
        raise PlotDataError("no data")
    ax.plot([lo, hi], [lo, hi], ":", color="#57606a", linewidth=1, label="perfect")
    ax.set_aspect("equal", adjustable="datalim")
    base.labels(ax, plot, a_field, p_field)
    ax.legend(loc="upper left")
    rel = base.image_path(plot.id)
    base.save(fig, canvas.out_dir, rel)
    data = github_table(table, ["revision", "rows", "mean abs error", "RMS error"])
    caption = "predicted against actual; on the dotted line a prediction is exact"
    return PlotEntry(plot.id, plot.title or plot.id, image=rel, caption=caption, data_table=data)


def draw(plot: PlotDef, layers: Sequence[Layer], canvas: Canvas) -> PlotEntry:
    fields = pair(plot, layers)
    if fields is None:
        raise PlotDataError("not a predictions file (fields `actual` and `predicted`)")
    if are_classes(layers, fields):
        entry = confusion.draw_matrix(plot, layers, canvas, fields)
        files = list(dict.fromkeys(layer.file for layer in layers))
        if len(files) > 1:  # one matrix is one file's
            more = f"a confusion matrix of {files[0]} only; not drawn: {', '.join(files[1:])}"
            return dataclasses.replace(entry, note="; ".join(filter(None, [entry.note, more])))
        return entry
    return scatter(plot, layers, canvas, fields)
