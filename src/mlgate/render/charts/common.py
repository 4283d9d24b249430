"""What chart kinds and the orchestration share without drawing: the layers a kind is given,
where it writes, the `Kind` record each kind module offers, the colours and the names of files.
No matplotlib here: a report with images only never loads it."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlgate.pipeline import PlotDef
from mlgate.plotdata import Table
from mlgate.report import PlotEntry

BASE_COLOR = "#8c959f"
HEAD_COLOR = "#0969da"
GOOD_COLOR = "#1a7f37"
BAD_COLOR = "#cf222e"


@dataclass(frozen=True)
class Layer:
    """One file's table at one revision, with the fields to draw from it (None: guess)."""

    side: str  # "base" or "head"
    file: str
    label: str  # the file's short name when a plot has several files, else ""
    table: Table
    ys: tuple[str | None, ...]


@dataclass(frozen=True)
class Canvas:
    """Where a kind writes its chart: the report's directory, and whether charts are inlined as
    Mermaid (a kind that cannot inline draws a PNG anyway)."""

    out_dir: Path
    mermaid: bool = False


@dataclass(frozen=True)
class Kind:
    """A chart kind, as each module of `render.charts` offers it in `KIND`."""

    # the chart of every file of a plot at base and head; PlotDataError for data it cannot draw
    draw: Callable[[PlotDef, Sequence[Layer], Canvas], PlotEntry]
    per_file: bool = False  # each file of a plot is its own chart (a matrix, a bar chart)


def slug(text: str) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "plot"
    return f"{base}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"  # noqa: S324 - a name, not security


def image_path(plot_id: str) -> str:
    return f"plots/{slug(plot_id)}.png"


def side_color(side: str) -> str:
    return BASE_COLOR if side == "base" else HEAD_COLOR


def cell(value: float) -> str:
    """A number for a data table: counts as integers (2081), others to four digits."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def first_file(layers: Sequence[Layer]) -> dict[str, Layer]:
    """Each side's layer of the plot's first file (a per-file kind is given one file)."""
    out: dict[str, Layer] = {}
    for layer in layers:
        out.setdefault(layer.side, layer)
    return {side: out[side] for side in ("base", "head") if side in out}
