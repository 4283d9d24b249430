"""Horizontal bars sorted by value (DVC's `bar_horizontal_sorted`): head's largest on top."""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlgate.pipeline import PlotDef
from mlgate.render.charts.bars import Sides, draw_bars, file_order
from mlgate.render.charts.base import Canvas, Kind, Layer
from mlgate.report import PlotEntry


def by_value(sides: Sides) -> list[str]:
    """Largest first by head's value (base's where head has none); ties keep the file's order."""
    order = file_order(sides)
    value = {c: v for _n, d in sides for c, v in d.items()}  # the last side (head) wins
    return sorted(order, key=lambda c: -value[c] if math.isfinite(value[c]) else math.inf)


def draw(plot: PlotDef, layers: Sequence[Layer], canvas: Canvas) -> PlotEntry:
    return draw_bars(plot, layers, canvas, by_value)


KIND = Kind(draw, per_file=True)
