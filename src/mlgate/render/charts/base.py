"""What every chart kind shares: the figure (a matplotlib `Figure` on the Agg canvas, never
`pyplot`), the colours, the deterministic PNG, and the protocol a kind module offers.

Every chart is a deterministic PNG (fixed size and DPI, no timestamp or version in the metadata),
so a re-run with the same data writes the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from mlgate import outdir
from mlgate.render.plotdata import Table
from mlgate.report import PlotEntry
from mlgate.sources.pipeline import PlotDef

BASE_COLOR = "#8c959f"
HEAD_COLOR = "#0969da"
GOOD_COLOR = "#1a7f37"
BAD_COLOR = "#cf222e"
DPI = 100
SIZE = (8.0, 4.5)

STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "svg.hashsalt": "mlgate",
}


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


def figure(ncols: int = 1, width: float = SIZE[0], height: float = SIZE[1]) -> tuple[Figure, Any]:
    """A figure on the Agg canvas with `ncols` axes (one Axes, or an array of them)."""
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, ncols)
    return fig, axes


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\u2028\u2029]")  # a line break is drawn as one


def _plain_texts(fig: Figure) -> None:
    """Every text of the figure as plain text: names come from the PR's files, and a `$` would
    start matplotlib's math mode (unbalanced, it raises) and a control character has no glyph."""
    for text in fig.findobj(Text):
        assert isinstance(text, Text)
        text.set_parse_math(False)
        raw = text.get_text()
        if _CONTROL.search(raw):
            text.set_text(_CONTROL.sub(" ", raw))


def png_bytes(fig: Figure) -> bytes:
    _plain_texts(fig)
    buffer = io.BytesIO()
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]
        fig.savefig(buffer, dpi=DPI, format="png", metadata={"Software": None})
    return buffer.getvalue()


def save(fig: Figure, out_dir: Path, rel: str) -> None:
    """The figure as a PNG at `out_dir/rel`, written without following any link (outdir)."""
    outdir.write_bytes(out_dir, rel, png_bytes(fig))


def wrapped(text: Text, width: float) -> None:
    """`text` broken into lines no wider than `width` pixels: a long title (a path, a column
    name) would otherwise run off the figure's edges."""
    renderer = text.get_figure(root=True).canvas.get_renderer()  # type: ignore[union-attr]
    raw = text.get_text()
    size = text.get_window_extent(renderer).width
    if size <= width or len(raw) < 2:
        return
    chars = max(10, int(len(raw) * width / size))
    text.set_text("\n".join(textwrap.wrap(raw, chars, break_long_words=True)))


def title(ax: Axes, text: str, **kwargs: Any) -> None:
    """The axes' title, wrapped to fit above the axes (centred on them, not on the figure)."""
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]
        made = ax.set_title(text, **kwargs)
    fig = ax.get_figure(root=True)
    assert fig is not None
    wrapped(made, fig.bbox.width * 0.75)


def labels(ax: Axes, plot: PlotDef, x: str | None, y: str | None) -> None:
    title(ax, plot.title or plot.id)
    ax.set_xlabel(plot.x_label or x or "step")
    ax.set_ylabel(plot.y_label or y or "")


LEGEND_INSIDE = 6  # entries a legend holds inside the axes; more go to the right of it


def legend(ax: Axes) -> None:
    """The legend inside the axes, or beside it when it would cover the chart (the constrained
    layout makes room for it there)."""
    count = len(ax.get_legend_handles_labels()[1])
    if count <= LEGEND_INSIDE:
        ax.legend(loc="best")
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1 + count // 16, fontsize=8)


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
