"""Charts of base vs head with matplotlib (Agg): same axes, base grey, head blue.

Every chart is a deterministic PNG (fixed size and DPI, no timestamp or version in the metadata),
so a re-run with the same data writes the same bytes. A plot whose data cannot be drawn becomes a
note in the report, never a crash. With `mermaid=True`, line and bar charts are emitted as inline
Mermaid `xychart-beta` blocks instead (GitHub renders them with no image upload).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tabulate import tabulate

from mlgate import outdir
from mlgate.render.caps import MAX_PLOTS, as_raster, capped_units, image_kind, top_classes
from mlgate.render.escape import md
from mlgate.render.labels import distinct_parts
from mlgate.render.plotdata import (
    PlotDataError,
    Series,
    Table,
    column,
    minmax_downsample,
    numeric,
    parse_table,
    rows,
)
from mlgate.render.summary import mermaid_text as _mermaid_text
from mlgate.render.summary import summary_chart
from mlgate.report import MetricRow, PlotEntry
from mlgate.sources.pipeline import PlotDef

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mlgate.datacheck import TableChange
    from mlgate.gather import PlotFiles


@dataclass(frozen=True)
class Layer:
    """One file's table at one revision, with the fields to draw from it (None: guess)."""

    side: str  # "base" or "head"
    file: str
    label: str  # the file's short name when a plot has several files, else ""
    table: Table
    ys: tuple[str | None, ...]


BASE_COLOR = "#8c959f"
HEAD_COLOR = "#0969da"
GOOD_COLOR = "#1a7f37"
BAD_COLOR = "#cf222e"
DPI = 100
SIZE = (8.0, 4.5)
TABLE_ROWS = 20
MERMAID_POINTS = 40

_STYLE: dict[str, Any] = {
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


def slug(text: str) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "plot"
    return f"{base}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"  # noqa: S324 - a name, not security


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _plain_texts(fig: Figure) -> None:
    """Every text of the figure as plain text: names come from the PR's files, and a `$` would
    start matplotlib's math mode (unbalanced, it raises) and a control character has no glyph."""
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        assert isinstance(text, Text)
        text.set_parse_math(False)
        raw = text.get_text()
        if _CONTROL.search(raw):
            text.set_text(_CONTROL.sub(" ", raw))


def save(fig: Figure, out_dir: Path, rel: str) -> None:
    """The figure as a PNG at `out_dir/rel`, written without following any link (outdir)."""
    _plain_texts(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png", metadata={"Software": None})
    plt.close(fig)
    outdir.write_bytes(out_dir, rel, buffer.getvalue())


def _figure(ncols: int = 1, width: float = SIZE[0]) -> tuple[Figure, Any]:
    with mpl.rc_context(_STYLE):  # type: ignore[arg-type]
        fig, axes = plt.subplots(1, ncols, figsize=(width, SIZE[1]), layout="constrained")
    return fig, axes


def _labels(ax: Axes, plot: PlotDef, x: str | None, y: str | None) -> None:
    ax.set_title(plot.title or plot.id)
    ax.set_xlabel(plot.x_label or x or "step")
    ax.set_ylabel(plot.y_label or y or "")


def _auc(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float:
    order = np.argsort(x, kind="stable")
    return float(np.trapezoid(y[order], x[order]))


def _curve_kind(x: str | None, y: str) -> str | None:
    pair = ((x or "").lower(), y.lower())
    if pair == ("fpr", "tpr"):
        return "ROC"
    if pair in {("recall", "precision")}:
        return "PR"
    return None


def line_series(
    plot: PlotDef, layers: Sequence[Layer]
) -> list[tuple[Layer, str | None, str, Series]]:
    """Every line a chart draws: (layer, field as defined, field drawn, the points). The one
    place that turns plot data into lines, so tests can hold them against `dvc plots diff`."""
    out: list[tuple[Layer, str | None, str, Series]] = []
    first: str | None = None
    for layer in layers:
        for raw_y in layer.ys:
            y = raw_y or first or default_y(layer.table, plot.x)
            first = first or y
            out.append((layer, raw_y, y, series(layer.table, plot, y, layer.file)))
    return out


def series(records: Table, plot: PlotDef, y: str, path: str) -> Series:
    ys = numeric(column(records, y, path), y, path)
    x = plot.x_for(path)  # DVC's default x is the row's index, as `step`
    xs = numeric(column(records, x, path), x, path) if x else np.arange(len(ys), dtype=np.float64)
    return minmax_downsample(xs, ys)


def default_y(table: Table, x: str | None) -> str:
    """The field to draw when the definition names none: the last numeric one, as DVC."""
    if not rows(table):
        raise PlotDataError("no data")
    for field, values in reversed(table.items()):
        if field not in (x, "step", "timestamp") and all(
            isinstance(v, int | float | np.number) for v in values[:50]
        ):
            return field
    raise PlotDataError("no numeric field to plot (set `y:` in the plot definition)")


class Drawer:
    """Draws one PlotDef from base and head records; returns (entry, caption notes)."""

    def __init__(self, out_dir: Path, *, mermaid: bool) -> None:
        self.out_dir = out_dir
        self.mermaid = mermaid

    def image_path(self, plot_id: str) -> str:
        return f"plots/{slug(plot_id)}.png"

    # -- line / scatter -------------------------------------------------------------------
    def lines(
        self, plot: PlotDef, base: Table | None, head: Table | None, paths: tuple[str, str]
    ) -> PlotEntry:
        """One file's base and head (kept for callers drawing a single file)."""
        ys = tuple(plot.y) or (None,)
        layers = [
            Layer(side, path, "", table, ys)
            for side, table, path in (("base", base, paths[0]), ("head", head, paths[1]))
            if table is not None
        ]
        return self.layers(plot, layers)

    def layers(self, plot: PlotDef, layers: Sequence[Layer]) -> PlotEntry:
        """Every file of the plot at base and head: lines named "test · base", "test · head"."""
        scatter = plot.template == "scatter"
        fig, ax = _figure()
        captions: list[str] = []
        table: list[list[str]] = []
        mermaid_series: list[tuple[str, Series]] = []
        styles = ["-", "--", ":", "-."]
        slots = list(dict.fromkeys((layer.file, y) for layer in layers for y in layer.ys))
        first_y: str | None = None
        for layer, raw_y, y, s in line_series(plot, layers):
            color = BASE_COLOR if layer.side == "base" else HEAD_COLOR
            first_y = first_y or y
            parts = [layer.label, y if len(layer.ys) > 1 else "", layer.side]
            name = " · ".join(p for p in parts if p)
            kind = _curve_kind(plot.x, y)
            if kind:
                name += f" (AUC {_auc(s.x, s.y):.3f})"
            style = styles[slots.index((layer.file, raw_y)) % len(styles)]
            if scatter:
                ax.scatter(s.x, s.y, s=12, color=color, alpha=0.7, label=name)
            else:
                width = 2 if layer.side == "head" else 1.5
                # a line through one point draws nothing: mark it, as DVC's template does
                mark = "o" if np.count_nonzero(np.isfinite(s.x) & np.isfinite(s.y)) == 1 else ""
                ax.plot(s.x, s.y, style, color=color, linewidth=width, label=name, marker=mark)
            if s.downsampled:
                captions.append(
                    f"{name}: {s.original_points:,} points shown as {len(s.x):,} "
                    "(min/max per bucket, shape kept)"
                )
            finite = s.y[np.isfinite(s.y)]
            table.append(
                [
                    md(" · ".join(p for p in (layer.label, layer.side) if p)),
                    md(y),
                    f"{s.original_points}",
                    _cell(float(finite.min())) if finite.size else "nan",
                    _cell(float(finite.max())) if finite.size else "nan",
                    _cell(float(s.y[-1])) if s.y.size else "",
                ]
            )
            mermaid_series.append((name, s))
        if not mermaid_series:
            plt.close(fig)
            raise PlotDataError("no data")
        if _curve_kind(plot.x, first_y or "") == "ROC":
            ax.plot([0, 1], [0, 1], ":", color="#d0d7de", linewidth=1)
        _labels(ax, plot, plot.x, first_y if len(slots) == 1 else None)
        ax.legend(loc="best")
        data = tabulate(
            table,
            ["revision", "field", "points", "min", "max", "last"],
            tablefmt="github",
            disable_numparse=True,
        )
        title = plot.title or plot.id
        if self.mermaid:
            plt.close(fig)
            return PlotEntry(
                plot.id,
                title,
                mermaid=mermaid_lines(title, mermaid_series, bar=False),
                # xychart-beta draws no legend: say which line is which
                caption="; ".join(
                    ["lines in order: " + ", ".join(n for n, _s in mermaid_series), *captions]
                ),
                data_table=data,
            )
        rel = self.image_path(plot.id)
        save(fig, self.out_dir, rel)
        return PlotEntry(plot.id, title, image=rel, caption="; ".join(captions), data_table=data)

    # -- confusion ------------------------------------------------------------------------
    def confusion(
        self, plot: PlotDef, base: Table | None, head: Table | None, paths: tuple[str, str]
    ) -> PlotEntry:
        x = plot.x or "actual"
        y = plot.y[0] if plot.y else "predicted"
        normalized = plot.template == "confusion_normalized"
        sides = [
            (n, r, p)
            for n, r, p in (("base", base, paths[0]), ("head", head, paths[1]))
            if r is not None
        ]
        values = [str(v) for _n, r, p in sides for f in (x, y) for v in column(r, f, p)]
        labels, index, capped = top_classes(values)
        mats = {}
        for name, records, path in sides:
            m = np.zeros((len(labels), len(labels)))
            for a, b in zip(column(records, x, path), column(records, y, path), strict=True):
                m[index[str(a)], index[str(b)]] += 1
            if normalized:
                m = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
            mats[name] = m
        panels = [*mats.items()]
        if len(mats) == 2:
            panels.append(("head − base", mats["head"] - mats["base"]))
        fig, axes = _figure(len(panels), width=4.0 * len(panels) + 0.5)
        axes = np.atleast_1d(axes)
        for ax, (name, m) in zip(axes, panels, strict=True):
            is_diff = name.startswith("head −")
            lim = max(float(np.abs(m).max()), 1e-9)
            if is_diff:
                # Judged, not signed: more on the diagonal or fewer off it is better (green).
                good = np.where(np.eye(len(labels), dtype=bool), m, -m)
                ax.imshow(good, cmap="RdYlGn", vmin=-lim, vmax=lim)
            else:
                ax.imshow(m, cmap="Greys" if name == "base" else "Blues", vmin=0, vmax=lim)
            ax.grid(False)
            ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
            ax.set_yticks(range(len(labels)), labels)
            ax.set_xlabel(y)
            ax.set_ylabel(x)
            ax.set_title(name)
            for (i, j), v in np.ndenumerate(m):  # counts as integers: 2081, not 2.08e+03
                text = (
                    f"{v:+.2f}"
                    if is_diff and normalized
                    else (f"{v:+.0f}" if is_diff else (f"{v:.2f}" if normalized else f"{v:.0f}"))
                )
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    color="white" if abs(v) > lim * 0.6 else "#1f2328",
                    fontsize=9,
                )
        fig.suptitle(plot.title or plot.id, fontweight="bold")
        if len(mats) == 2:
            axes[-1].set_title("head − base (green: better, red: worse)", fontsize=10)
        table = [[n, *(_cell(float(v)) for v in m.ravel())] for n, m in mats.items()]
        headers = ["revision", *(md(f"{a}→{b}") for a in labels for b in labels)]
        data = tabulate(table, headers, tablefmt="github", disable_numparse=True)
        rel = self.image_path(plot.id)
        save(fig, self.out_dir, rel)
        return PlotEntry(plot.id, plot.title or plot.id, image=rel, data_table=data, note=capped)

    # -- horizontal bars ------------------------------------------------------------------
    def bars(
        self, plot: PlotDef, base: Table | None, head: Table | None, paths: tuple[str, str]
    ) -> PlotEntry:
        value_field = plot.x or "value"
        cat_field = plot.y[0] if plot.y else "name"
        sides = []
        for name, records, path in (("base", base, paths[0]), ("head", head, paths[1])):
            if records is None:
                continue
            cats = [str(c) for c in column(records, cat_field, path)]
            vals = numeric(column(records, value_field, path), value_field, path)
            sides.append((name, dict(zip(cats, vals.tolist(), strict=True))))
        order = list(dict.fromkeys(c for _n, d in reversed(sides) for c in d))[:30]
        title = plot.title or plot.id
        table = [[md(c), *(f"{d.get(c, math.nan):.4g}" for _n, d in sides)] for c in order]
        data = tabulate(
            table,
            [md(cat_field), *(n for n, _d in sides)],
            tablefmt="github",
            disable_numparse=True,
        )
        if self.mermaid:
            return PlotEntry(
                plot.id,
                title,
                mermaid=mermaid_bars(title, order, sides),
                caption="bars in order: " + ", ".join(n for n, _d in sides),
                data_table=data,
            )
        fig, ax = _figure()
        pos = np.arange(len(order))[::-1]
        height = 0.8 / max(len(sides), 1)
        for i, (name, d) in enumerate(sides):
            ax.barh(
                pos + (i - (len(sides) - 1) / 2) * height * -1,
                [d.get(c, 0.0) for c in order],
                height=height,
                color=BASE_COLOR if name == "base" else HEAD_COLOR,
                label=name,
            )
        ax.set_yticks(pos, order)
        ax.grid(axis="y", visible=False)
        _labels(ax, plot, value_field, None)
        ax.set_ylabel(plot.y_label or "")
        ax.legend(loc="lower right")
        rel = self.image_path(plot.id)
        save(fig, self.out_dir, rel)
        return PlotEntry(plot.id, title, image=rel, data_table=data)


def _cell(value: float) -> str:
    """A number for a data table: counts as integers (2081), others to four digits."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def mermaid_lines(title: str, series: Sequence[tuple[str, Series]], *, bar: bool) -> str:
    """An `xychart-beta` block: one line per series on the head's x positions."""
    ref = series[-1][1]
    idx = np.linspace(0, len(ref.x) - 1, min(MERMAID_POINTS, len(ref.x))).astype(int)
    xs = ref.x[idx]
    lines = [
        "xychart-beta",
        f'    title "{_mermaid_text(title)}"',
        "    x-axis [" + ", ".join(f'"{v:.4g}"' for v in xs) + "]",
    ]
    for _name, s in series:
        keep = np.isfinite(s.x) & np.isfinite(s.y)  # Mermaid has no NaN: skip such points
        order = np.argsort(s.x[keep], kind="stable")
        ys = np.interp(xs, s.x[keep][order], s.y[keep][order]) if keep.any() else xs * 0
        lines.append(f"    {'bar' if bar else 'line'} [" + ", ".join(_m(v) for v in ys) + "]")
    return "\n".join(lines)


def _m(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "0"


def mermaid_bars(
    title: str, cats: Sequence[str], sides: Sequence[tuple[str, dict[str, float]]]
) -> str:
    lines = [
        "xychart-beta horizontal",
        f'    title "{_mermaid_text(title)}"',
        "    x-axis [" + ", ".join(f'"{_mermaid_text(c)}"' for c in cats) + "]",
    ]
    for _name, d in sides:
        lines.append("    bar [" + ", ".join(_m(d.get(c, 0.0)) for c in cats) + "]")
    return "\n".join(lines)


def _not_an_image(data: bytes) -> str | None:
    """Why `data` is not an image mlgate will show, or None: a raster image must decode."""
    kind = image_kind(data)
    if kind is None:
        return "is not a PNG, JPEG, GIF or SVG image"
    if kind == "svg":
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 50_000_000:
                return f"is too large ({img.width}x{img.height} pixels)"
            img.load()
    except Exception as exc:  # PIL raises many types for a broken file
        return f"is not a valid {kind.upper()} image ({type(exc).__name__}: {exc})"
    return None


def image_entry(pf: PlotFiles, out_dir: Path) -> tuple[list[PlotEntry], list[str]]:
    """An image the pipeline writes: base and head side by side, labelled; or the one side
    there is, with a note saying why the other is missing."""
    plot = pf.plot
    src = pf.files[0]
    title = plot.title or plot.id
    sides: dict[str, bytes] = {}
    notes: list[str] = []
    for side, reads in (("base", pf.base), ("head", pf.head)):
        read = reads[src]
        if read.data is None:
            notes.append(f"{side}: {'not there' if read.absent else read.error}")
        elif (why := _not_an_image(read.data)) is not None:
            notes.append(f"{side}: {src} {why}; not shown")
        elif (raster := as_raster(read.data)) is None:
            notes.append(f"{side}: {src} is an SVG, which can carry scripts and links; not shown")
        else:
            sides[side] = raster
    if not sides:
        note = "not shown: " + "; ".join(notes)
        return [PlotEntry(plot.id, title, note=note)], [f"image {plot.id!r} {note}"]
    note = "; ".join(notes)
    if len(sides) == 2 and sides["base"] == sides["head"]:
        sides.pop("base")
        note = "unchanged from base"
    if len(sides) == 2:
        return [_side_by_side(plot, sides, out_dir)], []
    entries = []
    for side, data in sides.items():
        suffix = "." + (image_kind(data) or "png").replace("jpeg", "jpg")
        rel = f"plots/{slug(plot.id + side)}{suffix}"
        outdir.write_bytes(out_dir, rel, data)
        label = f"{title} ({side})" if len(sides) == 2 or note != "unchanged from base" else title
        entries.append(
            PlotEntry(
                plot.id,
                label,
                image=rel,
                caption="image written by the pipeline, shown as it is",
                note=note if side == "head" or len(sides) == 1 else "",
            )
        )
    return entries, []


def _side_by_side(plot: PlotDef, sides: dict[str, bytes], out_dir: Path) -> PlotEntry:
    from PIL import Image

    fig, axes = _figure(2, width=SIZE[0] * 1.4)
    for ax, (side, data) in zip(axes, sides.items(), strict=True):
        with Image.open(io.BytesIO(data)) as img:
            ax.imshow(np.asarray(img.convert("RGBA")))
        ax.set_title(side, color=BASE_COLOR if side == "base" else HEAD_COLOR)
        ax.axis("off")
    fig.suptitle(plot.title or plot.id, fontweight="bold")
    rel = f"plots/{slug(plot.id)}.png"
    save(fig, out_dir, rel)
    return PlotEntry(
        plot.id,
        plot.title or plot.id,
        image=rel,
        caption="images written by the pipeline: base (left) and head (right)",
    )


def draw(plot: PlotDef, layers: Sequence[Layer], drawer: Drawer) -> PlotEntry:
    def side(name: str) -> tuple[Table | None, str]:
        found = [layer for layer in layers if layer.side == name]
        return (found[0].table, found[0].file) if found else (None, "")

    (base, base_path), (head, head_path) = side("base"), side("head")
    if plot.template in ("confusion", "confusion_normalized"):
        return drawer.confusion(plot, base, head, (base_path, head_path))
    if plot.template.startswith("bar_horizontal"):
        return drawer.bars(plot, base, head, (base_path, head_path))
    return drawer.layers(plot, layers)


def file_labels(files: Sequence[str]) -> dict[str, str]:
    """Short names telling a plot's files apart ("train", "test"); none for a single file."""
    if len(files) <= 1:
        return dict.fromkeys(files, "")
    stems = [f.rsplit("/", 1)[-1].rsplit(".", 1)[0] for f in files]
    if len(set(stems)) == len(stems):
        return dict(zip(files, stems, strict=True))
    return distinct_parts(files)  # eval/a/roc.json, eval/b/roc.json: "a", "b"


def units(pf: PlotFiles) -> list[tuple[PlotDef, tuple[str, ...]]]:
    """Lines of several files share one chart; a confusion matrix or bar chart is one per file."""
    plot = pf.plot
    if len(pf.files) > 1 and (plot.template.startswith(("confusion", "bar_horizontal"))):
        labels = file_labels(pf.files)
        return [
            (
                dataclasses.replace(
                    plot,
                    id=f"{plot.id} · {labels[f]}",
                    title=f"{plot.title or plot.id} · {labels[f]}",
                    sources=tuple(s for s in plot.sources if s[0] == f),
                ),
                (f,),
            )
            for f in pf.files
        ]
    return [(plot, pf.files)]


def collect_layers(
    plot: PlotDef, files: tuple[str, ...], pf: PlotFiles
) -> tuple[list[Layer], list[str]]:
    """Each file at base and head parsed into a layer; why each missing side is missing."""
    labels = file_labels(files)
    layers: list[Layer] = []
    broken: list[str] = []
    absent: list[str] = []
    for file in files:
        ys = tuple(y for src, y in plot.sources if src == file) or (None,)
        for side, reads in (("base", pf.base), ("head", pf.head)):
            read = reads[file]
            other = "head" if side == "base" else "base"
            if read.data is None and read.absent:
                absent.append(f"{file} is not at {side}; {other} only")
            elif read.data is None:
                broken.append(f"{read.error} (at {side})")
            else:
                try:
                    table = parse_table(read.data, file)
                except PlotDataError as exc:
                    broken.append(f"{exc} (at {side})")
                else:
                    layers.append(Layer(side, file, labels[file], table, ys))
    return layers, [*broken, *absent]


def draw_files(
    plot: PlotDef, files: tuple[str, ...], pf: PlotFiles, drawer: Drawer
) -> tuple[PlotEntry, list[str]]:
    """Draw a plot's files at base and head; every side that is missing or cannot be parsed
    is said under the chart."""
    layers, missing = collect_layers(plot, files, pf)
    title = plot.title or plot.id
    if not layers:
        note = "not drawn: " + "; ".join(missing)
        return PlotEntry(plot.id, title, note=note), [f"plot {plot.id!r} {note}"]
    try:
        entry = draw(plot, layers, drawer)
    except PlotDataError as exc:
        plt.close("all")
        note = "; ".join([f"not drawn: {exc}", *missing])
        return PlotEntry(plot.id, title, note=note), [f"plot {plot.id!r} {note}"]
    if missing:
        entry = dataclasses.replace(entry, note="; ".join([*missing, *filter(None, [entry.note])]))
    return entry, []


def render_all(
    plots: Sequence[PlotFiles],
    rows: Sequence[MetricRow],
    out_dir: Path,
    *,
    mermaid: bool = False,
) -> tuple[list[PlotEntry], list[str]]:
    """Every plot (files already read by `gather`), plus the metric-change summary."""
    drawer = Drawer(out_dir, mermaid=mermaid)
    entries: list[PlotEntry] = []
    notes: list[str] = []
    summary = summary_chart(rows, out_dir, mermaid=mermaid)
    if summary:
        entries.append(summary)
    todo = [(pf, unit) for pf in plots for unit in ([None] if pf.plot.is_image else units(pf))]
    kept, notes = capped_units([(u or (pf.plot, pf.files)) for pf, u in todo], MAX_PLOTS)
    for pf, unit in todo[: len(kept)]:
        if unit is not None:
            entry, entry_notes = draw_files(*unit, pf, drawer)
            entries.append(entry)
            notes += entry_notes
        elif mermaid:  # an image cannot be inlined: the summary says where it is
            entries.append(
                PlotEntry(pf.plot.id, pf.plot.title or pf.plot.id, note="image in the report")
            )
        else:
            found, found_notes = image_entry(pf, out_dir)
            entries += found
            notes += found_notes
    return entries, notes


HISTOGRAMS = 3


def histograms(
    tables: Sequence[TableChange], out_dir: Path, *, mermaid: bool = False
) -> list[PlotEntry]:
    """Base-vs-head histograms of the most drifted numeric columns (data checks)."""
    columns = [
        (t, c)
        for t in tables
        for c in t.columns
        if c.base_sample is not None and c.head_sample is not None and math.isfinite(c.drift)
    ]
    columns.sort(key=lambda pair: -pair[1].drift)
    entries = []
    for table, col in columns[:HISTOGRAMS]:
        assert col.base_sample is not None and col.head_sample is not None
        base = col.base_sample[np.isfinite(col.base_sample)]
        head = col.head_sample[np.isfinite(col.head_sample)]
        if not len(base) or not len(head):
            continue
        title = f"{table.path}: {col.name} (PSI {col.psi or 0:.3f}, KS {col.ks or 0:.3f})"
        edges = np.histogram_bin_edges(np.concatenate([base, head]), bins=30)
        bc, _ = np.histogram(base, edges)
        hc, _ = np.histogram(head, edges)
        bf, hf = bc / max(bc.sum(), 1), hc / max(hc.sum(), 1)
        data = tabulate(
            [[_cell(float(edges[i])), f"{bf[i]:.3f}", f"{hf[i]:.3f}"] for i in range(len(bf))],
            ["from", "base", "head"],
            tablefmt="github",
            disable_numparse=True,
        )
        pid = f"data-{table.path}-{col.name}"
        if mermaid:
            centers = [_cell(float((edges[i] + edges[i + 1]) / 2)) for i in range(len(bf))]
            sides = [
                ("base", dict(zip(centers, bf.tolist(), strict=True))),
                ("head", dict(zip(centers, hf.tolist(), strict=True))),
            ]
            entries.append(
                PlotEntry(pid, title, mermaid=mermaid_bars(title, centers, sides), data_table=data)
            )
            continue
        fig, ax = _figure()
        width = np.diff(edges)
        ax.bar(edges[:-1], bf, width=width, align="edge", color=BASE_COLOR, alpha=0.6, label="base")
        ax.bar(edges[:-1], hf, width=width, align="edge", color=HEAD_COLOR, alpha=0.5, label="head")
        ax.set_title(title)
        ax.set_xlabel(col.name)
        ax.set_ylabel("share of rows")
        ax.legend(loc="best")
        rel = f"plots/{slug(pid)}.png"
        save(fig, out_dir, rel)
        caption = "a uniform sample of the column" if table.sampled else ""
        entries.append(PlotEntry(pid, title, image=rel, caption=caption, data_table=data))
    return entries
