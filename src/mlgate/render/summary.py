"""The metric-change summary chart: one bar per metric, percent change vs base. Pure drawing plus
one write through `outdir`.

Drawn with Pillow, not matplotlib: importing matplotlib costs 0.3-0.4 s, about half of what
`dvc metrics diff` takes on 10,000 metrics, and this chart (bars, labels, a zero line) needs
none of it. The font is matplotlib's own DejaVu Sans (found on disk, not imported), so the chart
matches the others; Pillow's built-in font stands in if it is missing. The PNG is
deterministic: same data, same bytes.

At most `limits.CHART_BARS` bars: all metrics in file order when they fit, else the largest
relative changes, largest first, and the entry's note says what is left out.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate import limits, outdir
from mlgate.render import select
from mlgate.render.escape import chart_label, md
from mlgate.render.labels import metric_labels
from mlgate.render.table import github_table
from mlgate.report import MetricRow, PlotEntry

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont, ImageFont

BASE_COLOR = "#8c959f"
GOOD_COLOR = "#1a7f37"
BAD_COLOR = "#cf222e"
INK = "#1f2328"
GRID = "#d8dee4"
IMAGE = "plots/metric-changes.png"
TITLE = "Metric changes vs base (%)"
CAPTION = "green: better, red: worse (by the gate's direction, else by the metric's name)"
WIDTH = 800
ROW = 35  # pixels per bar (0.35 inch at 100 dpi, as the matplotlib chart had)
MAX_LABEL = 360  # pixels for a metric's name; longer names are cut with "…"


def mermaid_text(text: str) -> str:
    return re.sub(r'["\[\]`]', " ", chart_label(text))[:80]


def _font_dir() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")  # finds the package; does not import it
    for location in (spec.submodule_search_locations or []) if spec else []:
        fonts = Path(location) / "mpl-data" / "fonts" / "ttf"
        if (fonts / "DejaVuSans.ttf").is_file():
            return fonts
    return None


@functools.cache
def font(size: int, *, bold: bool = False) -> FreeTypeFont | ImageFont:
    from PIL import ImageFont

    fonts = _font_dir()
    if fonts is not None:
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        return ImageFont.truetype(str(fonts / name), size)
    return ImageFont.load_default(size)


def _fit(text: str, face: FreeTypeFont | ImageFont, width: int) -> str:
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _ticks(lim: float) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten) inside (-lim, lim), 0 included."""
    power = 10 ** math.floor(math.log10(lim / 2))
    step = next(m * power for m in (5, 2, 1) if m * power < lim * 0.9)
    count = int(lim * 0.9 // step)
    return [k * step for k in range(-count, count + 1)]


def _tick_label(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def draw(names: Sequence[str], pcts: Sequence[float], colors: Sequence[str]) -> bytes:
    """The chart as PNG bytes."""
    from PIL import Image, ImageDraw

    label_font, value_font = font(13), font(12)
    title_font = font(15, bold=True)
    height = max(250, ROW * len(names) + 120)
    image = Image.new("RGB", (WIDTH, height), "white")
    pen = ImageDraw.Draw(image)
    labels = [_fit(chart_label(n), label_font, MAX_LABEL) for n in names]
    left = int(max(label_font.getlength(t) for t in labels)) + 20
    right = WIDTH - 20
    top, bottom = 50, height - 60
    lim = max(abs(min(pcts)), abs(max(pcts)), 0.5) * 1.35

    def x(value: float) -> float:
        return left + (value + lim) / (2 * lim) * (right - left)

    pen.text((WIDTH / 2, 18), TITLE, fill=INK, font=title_font, anchor="mt")
    for tick in _ticks(lim):  # light vertical grid with labels
        pen.line([(x(tick), top), (x(tick), bottom)], fill=GRID, width=1)
        label = _tick_label(tick)
        pen.text((x(tick), bottom + 6), label, fill=INK, font=value_font, anchor="mt")
    pen.text(
        ((left + right) / 2, bottom + 26),
        "change vs base, % of the base value",
        fill=INK,
        font=label_font,
        anchor="mt",
    )
    pitch = (bottom - top) / len(names)
    for i, (label, pct, color) in enumerate(zip(labels, pcts, colors, strict=True)):
        mid = top + pitch * (i + 0.5)
        half = min(pitch * 0.4, ROW * 0.4)
        x0, x1 = sorted((x(0.0), x(pct)))
        pen.rectangle([(x0, mid - half), (x1, mid + half)], fill=color)
        pen.text((left - 8, mid), label, fill=INK, font=label_font, anchor="rm")
        text = f" {pct:+.2f}% "
        width = value_font.getlength(text)
        if pct >= 0 and x(pct) + width <= right:
            pen.text((x(pct), mid), text, fill=INK, font=value_font, anchor="lm")
        elif pct < 0 and x(pct) - width >= left:
            pen.text((x(pct), mid), text, fill=INK, font=value_font, anchor="rm")
        else:  # no room past the bar's end: the value goes inside it, in white
            anchor = "rm" if pct >= 0 else "lm"
            pen.text((x(pct), mid), text, fill="white", font=value_font, anchor=anchor)
    pen.line([(x(0.0), top), (x(0.0), bottom)], fill=INK, width=1)
    pen.line([(left, bottom), (right, bottom)], fill=INK, width=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def summary_chart(rows: Sequence[MetricRow], out_dir: Path, *, mermaid: bool) -> PlotEntry | None:
    """Percent change of each numeric metric vs base: green better, red worse, grey unknown.
    At most `limits.CHART_BARS` bars: beyond that, the largest changes, and a note says so."""
    bars, changed, usable_count = select.chart_rows(rows, limits.CHART_BARS)
    if not bars:
        return None
    usable = [r for r, _p in bars]
    names = metric_labels([(r.change.path, r.change.key) for r in usable])
    if len(bars) < usable_count and len({r.change.path for r in usable}) > 1:
        names = [r.change.name for r in usable]  # the top changes of several files: say which
    pcts = [p for _r, p in bars]
    colors = [
        GOOD_COLOR
        if r.judgement == "better"
        else BAD_COLOR
        if r.judgement == "worse"
        else BASE_COLOR
        for r in usable
    ]
    table = github_table(
        [[md(n), f"{p:+.2f}%", r.judgement] for n, p, r in zip(names, pcts, usable, strict=True)],
        ["metric", "change", "judgement"],
    )
    note = ""
    if len(bars) < usable_count:  # a large report: say what the chart leaves out
        unchanged = usable_count - changed
        note = (
            f"the {len(bars):,} largest of {changed:,} relative changes"
            + (f" ({unchanged:,} unchanged values not drawn)" if unchanged else "")
            + "; every value is in the full table"
        )
    if mermaid:
        block = "\n".join(
            [
                "xychart-beta horizontal",
                f'    title "{TITLE}"',
                "    x-axis [" + ", ".join(f'"{mermaid_text(n)}"' for n in names) + "]",
                "    bar [" + ", ".join(f"{p:.3g}" for p in pcts) + "]",
            ]
        )
        return PlotEntry("metric-changes", TITLE, mermaid=block, data_table=table, note=note)
    outdir.write_bytes(out_dir, IMAGE, draw(names, pcts, colors))
    return PlotEntry(
        "metric-changes", TITLE, image=IMAGE, caption=CAPTION, data_table=table, note=note
    )
