"""What every chart kind draws with: the figure (a matplotlib `Figure` on the Agg canvas, never
`pyplot`), its style, titles and legends, and the deterministic PNG.

Every chart is a deterministic PNG (fixed size and DPI, no timestamp or version in the metadata),
so a re-run with the same data writes the same bytes.
"""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from mlgate import outdir
from mlgate.pipeline import PlotDef
from mlgate.render.charts.common import (
    BAD_COLOR,
    BASE_COLOR,
    GOOD_COLOR,
    HEAD_COLOR,
    Canvas,
    Kind,
    Layer,
    cell,
    first_file,
    image_path,
    side_color,
    slug,
)

__all__ = [  # the shared names, for a kind module to find them all in `base`
    "BAD_COLOR",
    "BASE_COLOR",
    "GOOD_COLOR",
    "HEAD_COLOR",
    "Canvas",
    "Kind",
    "Layer",
    "cell",
    "first_file",
    "image_path",
    "side_color",
    "slug",
]

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
