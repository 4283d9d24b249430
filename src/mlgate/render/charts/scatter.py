"""Scatter (DVC's `scatter`, `scatter_jitter`): the lines kind's points, unjoined."""

from __future__ import annotations

from collections.abc import Sequence

from mlgate.pipeline import PlotDef
from mlgate.render.charts.base import Canvas, Kind, Layer
from mlgate.render.charts.lines import draw_lines
from mlgate.report import PlotEntry


def draw(plot: PlotDef, layers: Sequence[Layer], canvas: Canvas) -> PlotEntry:
    return draw_lines(plot, layers, canvas, scatter=True)


KIND = Kind(draw)
