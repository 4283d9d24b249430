"""Confusion matrices (DVC's `confusion`, `confusion_normalized`): base, head and head − base
side by side, the difference coloured by judgement (green better, red worse), not by sign."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlgate.pipeline import PlotDef
from mlgate.plotdata import column
from mlgate.render.caps import top_classes
from mlgate.render.charts import base
from mlgate.render.charts.base import Canvas, Kind, Layer
from mlgate.render.escape import md
from mlgate.render.table import github_table
from mlgate.report import PlotEntry

DIFF = "head − base"
PANEL = 4.0  # inches per matrix


def matrices(
    layers: Sequence[Layer], x: str, y: str, *, normalized: bool
) -> tuple[list[str], dict[str, np.ndarray[Any, Any]], str]:
    """(classes, side -> matrix of actual rows by predicted columns, the note on capped classes)."""
    sides = base.first_file(layers)
    values = [str(v) for s in sides.values() for f in (x, y) for v in column(s.table, f, s.file)]
    labels, index, capped = top_classes(values)
    mats = {}
    for name, layer in sides.items():
        m = np.zeros((len(labels), len(labels)))
        actual, predicted = column(layer.table, x, layer.file), column(layer.table, y, layer.file)
        for a, b in zip(actual, predicted, strict=True):
            m[index[str(a)], index[str(b)]] += 1
        if normalized:
            m = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        mats[name] = m
    return labels, mats, capped


def _text(v: float, *, diff: bool, normalized: bool) -> str:
    if normalized:
        return f"{v:+.2f}" if diff else f"{v:.2f}"
    return f"{v:+.0f}" if diff else f"{v:.0f}"  # counts as integers: 2081, not 2.08e+03


def _panel(
    ax: Any, name: str, m: np.ndarray[Any, Any], labels: list[str], normalized: bool
) -> None:
    diff = name == DIFF
    # aspect "auto" (square cells come from the figure's size): a fixed aspect is applied
    # after the constrained layout, which then clips the x label and lets titles collide
    lim = max(float(np.abs(m).max()), 1e-9)
    if diff:  # judged, not signed: more on the diagonal or fewer off it is better (green)
        good = np.where(np.eye(len(labels), dtype=bool), m, -m)
        ax.imshow(good, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
    else:
        ax.imshow(m, cmap="Greys" if name == "base" else "Blues", vmin=0, vmax=lim, aspect="auto")
    ax.grid(False)
    small = len(labels) > 6
    ax.set_xticks(range(len(labels)), labels, rotation=45 if small else 30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.tick_params(labelsize=8 if small else 10)
    ax.set_title(f"{name} (green: better, red: worse)" if diff else name, fontsize=10)
    size = 9 if len(labels) <= 5 else (7 if len(labels) <= 10 else 5)
    for (i, j), v in np.ndenumerate(m):
        color = "white" if abs(v) > lim * 0.6 else "#1f2328"
        text = _text(v, diff=diff, normalized=normalized)
        ax.text(j, i, text, ha="center", va="center", color=color, fontsize=size)


def figure_of(
    plot: PlotDef,
    labels: list[str],
    mats: dict[str, np.ndarray[Any, Any]],
    x: str,
    y: str,
    *,
    normalized: bool,
) -> Any:
    """The figure: a panel per side and the difference, one shared title and axis labels."""
    panels = [*mats.items()]
    if len(mats) == 2:
        panels.append((DIFF, mats["head"] - mats["base"]))
    extra = max(0.0, (len(labels) - 6) * 0.25)  # room for more tick labels
    fig, axes = base.figure(
        len(panels), width=(PANEL + extra) * len(panels) + 0.5, height=base.SIZE[1] + extra
    )
    for ax, (name, m) in zip(np.atleast_1d(axes), panels, strict=True):
        _panel(ax, name, m, labels, normalized)
    for i, ax in enumerate(np.atleast_1d(axes)):
        ax.set_xlabel(plot.x_label or y)
        ax.set_ylabel(plot.y_label or x if i == 0 else "")
    base.wrapped(
        fig.suptitle(plot.title or plot.id, fontweight="bold", fontsize=12), fig.bbox.width - 40
    )
    return fig


def data_table(labels: list[str], mats: dict[str, np.ndarray[Any, Any]], x: str, y: str) -> str:
    """The matrix as rows (actual by predicted), each cell `base → head` where they differ: as
    many columns as classes, not one per pair of classes."""
    head = mats.get("head", mats.get("base"))
    assert head is not None
    old = mats.get("base") if len(mats) == 2 else None
    body = []
    for i, actual in enumerate(labels):
        cells = []
        for j in range(len(labels)):
            now = base.cell(float(head[i, j]))
            was = base.cell(float(old[i, j])) if old is not None else now
            cells.append(now if was == now else f"{was} → {now}")
        body.append([md(actual), *cells])
    corner = f"{md(x)} \\\\ {md(y)}" + ("" if old is not None else f" ({next(iter(mats))})")
    return github_table(body, [corner, *(md(label) for label in labels)])


def fields(plot: PlotDef) -> tuple[str, str]:
    """The actual and the predicted class fields, as DVC's template defaults them."""
    return plot.x or "actual", plot.y[0] if plot.y else "predicted"


def draw(plot: PlotDef, layers: Sequence[Layer], canvas: Canvas) -> PlotEntry:
    return draw_matrix(plot, layers, canvas, fields(plot))


def draw_matrix(
    plot: PlotDef,
    layers: Sequence[Layer],
    canvas: Canvas,
    fields: tuple[str, str],
    *,
    normalized: bool = False,
) -> PlotEntry:
    x, y = fields
    labels, mats, capped = matrices(layers, x, y, normalized=normalized)
    fig = figure_of(plot, labels, mats, x, y, normalized=normalized)
    rel = base.image_path(plot.id)
    base.save(fig, canvas.out_dir, rel)
    table = data_table(labels, mats, x, y)
    return PlotEntry(plot.id, plot.title or plot.id, image=rel, data_table=table, note=capped)


KIND = Kind(draw, per_file=True)
