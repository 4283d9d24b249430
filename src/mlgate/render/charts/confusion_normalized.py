"""Normalized confusion matrices (DVC's `confusion_normalized`): each actual class's row as
shares of that class."""

from __future__ import annotations

from collections.abc import Sequence

from mlgate.pipeline import PlotDef
from mlgate.render.charts.base import Canvas, Kind, Layer
from mlgate.render.charts.confusion import draw_matrix, fields
from mlgate.report import PlotEntry


def draw(plot: PlotDef, layers: Sequence[Layer], canvas: Canvas) -> PlotEntry:
    return draw_matrix(plot, layers, canvas, fields(plot), normalized=True)


KIND = Kind(draw, per_file=True)
