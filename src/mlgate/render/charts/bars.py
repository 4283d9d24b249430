"""Horizontal bars (DVC's `bar_horizontal`): a value per category, base and head side by side.

Categories keep the file's order; one that exists at one revision only keeps its place (not
moved last) and has no bar and `-` in the table at the other."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from mlgate.pipeline import PlotDef
from mlgate.plotdata import column, numeric
from mlgate.render.charts import base, mermaid
from mlgate.render.charts.base import Canvas, Kind, Layer
from mlgate.render.escape import md
from mlgate.render.table import github_table
from mlgate.report import PlotEntry

MAX_BARS = 30
MISSING = "-"

Sides = list[tuple[str, dict[str, float]]]


def values(plot: PlotDef, layers: Sequence[Layer]) -> Sides:
    """(side, category -> value) in each file's order."""
    value_field = plot.x or "value"
    cat_field = plot.y[0] if plot.y else "name"
    sides: Sides = []
    for name, layer in base.first_file(layers).items():
        cats = [str(c) for c in column(layer.table, cat_field, layer.file)]
        vals = numeric(column(layer.table, value_field, layer.file), value_field, layer.file)
        sides.append((name, dict(zip(cats, vals.tolist(), strict=True))))
    return sides


def file_order(sides: Sides) -> list[str]:
    """Head's categories in head's order, each one only base has right after the category that
    precedes it at base."""
    order = list(sides[-1][1]) if sides else []
    for _name, d in sides[:-1]:
        before: str | None = None
        for cat in d:
            if cat not in order:
                order.insert(order.index(before) + 1 if before is not None else 0, cat)
            before = cat
    return order


def _value(d: dict[str, float], cat: str) -> str:
    return f"{d[cat]:.4g}" if cat in d else MISSING


def draw_bars(
    plot: PlotDef, layers: Sequence[Layer], canvas: Canvas, ordered: Callable[[Sides], list[str]]
) -> PlotEntry:
    cat_field = plot.y[0] if plot.y else "name"
    sides = values(plot, layers)
    order = ordered(sides)[:MAX_BARS]
    title = plot.title or plot.id
    table = [[md(c), *(_value(d, c) for _n, d in sides)] for c in order]
    data = github_table(table, [md(cat_field), *(n for n, _d in sides)])
    if canvas.mermaid:
        return PlotEntry(
            plot.id,
            title,
            mermaid=mermaid.bars(title, order, sides),
            caption="bars in order: " + ", ".join(n for n, _d in sides),
            data_table=data,
        )
    fig, ax = base.figure(height=max(base.SIZE[1], 0.3 * len(order) + 1.5))
    pos = np.arange(len(order))[::-1]
    height = 0.8 / max(len(sides), 1)
    for i, (name, d) in enumerate(sides):
        ax.barh(
            pos - (i - (len(sides) - 1) / 2) * height,
            [d.get(c, math.nan) for c in order],  # no bar where the category is not
            height=height,
            color=base.side_color(name),
            label=name,
        )
    ax.set_yticks(pos, order)
    ax.grid(axis="y", visible=False)
    base.labels(ax, plot, plot.x or "value", None)
    ax.set_ylabel(plot.y_label or "")
    ax.legend(loc="lower right")
    rel = base.image_path(plot.id)
    base.save(fig, canvas.out_dir, rel)
    return PlotEntry(plot.id, title, image=rel, data_table=data)


def draw(plot: PlotDef, layers: Sequence[Layer], canvas: Canvas) -> PlotEntry:
    return draw_bars(plot, layers, canvas, file_order)


KIND = Kind(draw, per_file=True)
