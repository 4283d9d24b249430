"""Charts of base vs head with matplotlib (Agg): same axes, base grey, head blue.

Every chart is a deterministic PNG (fixed size and DPI, no timestamp or version in the metadata),
so a re-run with the same data writes the same bytes. A plot whose data cannot be drawn becomes a
note in the report, never a crash. With `mermaid=True`, line and bar charts are emitted as inline
Mermaid `xychart-beta` blocks instead (GitHub renders them with no image upload).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from tabulate import tabulate

from mlgate.render.escape import md
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
from mlgate.report import MetricRow, PlotEntry, metric_rows
from mlgate.sources.pipeline import PlotDef

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mlgate.gather import Gathered

BASE_COLOR = "#8c959f"
HEAD_COLOR = "#0969da"
GOOD_COLOR = "#1a7f37"
BAD_COLOR = "#cf222e"
DPI = 100
SIZE = (8.0, 4.5)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")
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


def save(fig: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png", metadata={"Software": None})
    plt.close(fig)


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


class Drawer:
    """Draws one PlotDef from base and head records; returns (entry, caption notes)."""

    def __init__(self, out_dir: Path, *, mermaid: bool) -> None:
        self.out_dir = out_dir
        self.mermaid = mermaid

    def image_path(self, plot_id: str) -> tuple[Path, str]:
        name = f"plots/{slug(plot_id)}.png"
        return self.out_dir / name, name

    # -- line / scatter -------------------------------------------------------------------
    def series(self, records: Table, plot: PlotDef, y: str, path: str) -> Series:
        ys = numeric(column(records, y, path), y, path)
        if plot.x:
            xs = numeric(column(records, plot.x, path), plot.x, path)
        else:
            xs = np.arange(len(ys), dtype=np.float64)
        return minmax_downsample(xs, ys)

    def lines(
        self, plot: PlotDef, base: Table | None, head: Table | None, paths: tuple[str, str]
    ) -> PlotEntry:
        ys = list(plot.y) or self._default_y(head or base or {}, plot.x)
        scatter = plot.template == "scatter"
        fig, ax = _figure()
        captions: list[str] = []
        table: list[list[str]] = []
        mermaid_series: list[tuple[str, Series]] = []
        for label, records, color, path in (
            ("base", base, BASE_COLOR, paths[0]),
            ("head", head, HEAD_COLOR, paths[1]),
        ):
            if records is None:
                continue
            for i, y in enumerate(ys):
                s = self.series(records, plot, y, path)
                name = label if len(ys) == 1 else f"{label}: {y}"
                kind = _curve_kind(plot.x, y)
                if kind:
                    name += f" (AUC {_auc(s.x, s.y):.3f})"
                style = ["-", "--", ":", "-."][i % 4]
                if scatter:
                    ax.scatter(s.x, s.y, s=12, color=color, alpha=0.7, label=name)
                else:
                    ax.plot(
                        s.x,
                        s.y,
                        style,
                        color=color,
                        linewidth=2 if label == "head" else 1.5,
                        label=name,
                    )
                if s.downsampled:
                    captions.append(
                        f"{label} {y}: {s.original_points:,} points shown as {len(s.x):,} "
                        "(min/max per bucket, shape kept)"
                    )
                table.append(
                    [
                        label,
                        md(y),
                        f"{len(s.x) if not s.downsampled else s.original_points}",
                        f"{float(np.nanmin(s.y)):.4g}",
                        f"{float(np.nanmax(s.y)):.4g}",
                        f"{float(s.y[-1]):.4g}",
                    ]
                )
                mermaid_series.append((name, s))
        kind = _curve_kind(plot.x, ys[0]) if ys else None
        if kind == "ROC":
            ax.plot([0, 1], [0, 1], ":", color="#d0d7de", linewidth=1)
        _labels(ax, plot, plot.x, ys[0] if len(ys) == 1 else None)
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
        file, rel = self.image_path(plot.id)
        save(fig, file)
        return PlotEntry(plot.id, title, image=rel, caption="; ".join(captions), data_table=data)

    def _default_y(self, table: Table, x: str | None) -> list[str]:
        if not rows(table):
            raise PlotDataError("no data")
        for field, values in table.items():
            if field not in (x, "step", "timestamp") and all(
                isinstance(v, int | float | np.number) for v in values[:50]
            ):
                return [field]
        raise PlotDataError("no numeric field to plot (set `y:` in the plot definition)")

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
        labels = sorted({str(v) for _n, r, p in sides for f in (x, y) for v in column(r, f, p)})
        index = {label: i for i, label in enumerate(labels)}
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
            cmap = "RdBu" if is_diff else ("Greys" if name == "base" else "Blues")
            ax.imshow(m, cmap=cmap, vmin=-lim if is_diff else 0, vmax=lim)
            ax.grid(False)
            ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
            ax.set_yticks(range(len(labels)), labels)
            ax.set_xlabel(y)
            ax.set_ylabel(x)
            ax.set_title(name)
            for (i, j), v in np.ndenumerate(m):
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
        table = [[n, *(f"{v:.3g}" for v in m.ravel())] for n, m in mats.items()]
        headers = ["revision", *(f"{a}→{b}" for a in labels for b in labels)]
        data = tabulate(table, headers, tablefmt="github", disable_numparse=True)
        file, rel = self.image_path(plot.id)
        save(fig, file)
        return PlotEntry(plot.id, plot.title or plot.id, image=rel, data_table=data)

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
        file, rel = self.image_path(plot.id)
        save(fig, file)
        return PlotEntry(plot.id, title, image=rel, data_table=data)


def _mermaid_text(text: str) -> str:
    return re.sub(r'["\[\]\n`]', " ", text)[:80]


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


def summary_chart(rows: Sequence[MetricRow], out_dir: Path, *, mermaid: bool) -> PlotEntry | None:
    """Percent change of each numeric metric vs base: green better, red worse, grey unknown."""
    usable = [r for r in rows if r.change.pct is not None and math.isfinite(r.change.pct)]
    if not usable:
        return None
    usable = usable[:25]
    names = [r.change.key for r in usable]
    pcts = [float(r.change.pct or 0.0) for r in usable]
    colors = [
        GOOD_COLOR
        if r.judgement == "better"
        else BAD_COLOR
        if r.judgement == "worse"
        else BASE_COLOR
        for r in usable
    ]
    title = "Metric changes vs base (%)"
    table = tabulate(
        [[md(n), f"{p:+.2f}%", r.judgement] for n, p, r in zip(names, pcts, usable, strict=True)],
        ["metric", "change", "judgement"],
        tablefmt="github",
        disable_numparse=True,
    )
    caption = "green: better, red: worse (by the gate's direction, else by the metric's name)"
    if mermaid:
        block = "\n".join(
            [
                "xychart-beta horizontal",
                f'    title "{title}"',
                "    x-axis [" + ", ".join(f'"{_mermaid_text(n)}"' for n in names) + "]",
                "    bar [" + ", ".join(f"{p:.3g}" for p in pcts) + "]",
            ]
        )
        return PlotEntry("metric-changes", title, mermaid=block, data_table=table)
    fig, ax = _figure(width=SIZE[0])
    fig.set_figheight(max(2.5, 0.35 * len(names) + 1.2))
    pos = np.arange(len(names))[::-1]
    ax.barh(pos, pcts, color=colors)
    ax.axvline(0, color="#1f2328", linewidth=0.8)
    ax.set_yticks(pos, names)
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    ax.set_xlabel("change vs base, % of the base value")
    for p, v in zip(pos, pcts, strict=True):
        ax.text(v, p, f" {v:+.2f}% ", va="center", ha="left" if v >= 0 else "right", fontsize=9)
    lim = max(abs(min(pcts)), abs(max(pcts)), 0.5) * 1.35
    ax.set_xlim(-lim, lim)
    path = out_dir / "plots" / "metric-changes.png"
    save(fig, path)
    return PlotEntry(
        "metric-changes", title, image="plots/metric-changes.png", caption=caption, data_table=table
    )


def _copy_image(plot: PlotDef, data: bytes | None, out_dir: Path) -> PlotEntry:
    suffix = Path(plot.id).suffix.lower()
    if data is None:
        return PlotEntry(plot.id, plot.title or plot.id, note="image not found at head")
    rel = f"plots/{slug(plot.id)}{suffix}"
    (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (out_dir / rel).write_bytes(data)
    return PlotEntry(
        plot.id,
        plot.title or plot.id,
        image=rel,
        caption="image written by the pipeline, shown as it is",
    )


def draw(
    plot: PlotDef,
    base: Table | None,
    head: Table | None,
    paths: tuple[str, str],
    drawer: Drawer,
) -> PlotEntry:
    if plot.template in ("confusion", "confusion_normalized"):
        return drawer.confusion(plot, base, head, paths)
    if plot.template == "bar_horizontal" or plot.template.startswith("bar_horizontal"):
        return drawer.bars(plot, base, head, paths)
    return drawer.lines(plot, base, head, paths)


def render_all(
    g: Gathered, out_dir: Path, *, mermaid: bool = False
) -> tuple[list[PlotEntry], list[str]]:
    """Every plot of the head pipeline (base pipeline's too), plus the metric-change summary."""
    defs = list({p.id: p for p in (*g.base_pipeline.plots, *g.pipeline.plots)}.values())
    files = sorted({src for p in defs for src, _y in p.sources})
    base_reads = g.base.read(files)
    head_reads = g.head.read(files)
    drawer = Drawer(out_dir, mermaid=mermaid)
    entries: list[PlotEntry] = []
    notes: list[str] = []
    summary = summary_chart(metric_rows(g.metrics, g.config.gates), out_dir, mermaid=mermaid)
    if summary:
        entries.append(summary)
    for plot in defs:
        src = plot.sources[0][0]
        if src.lower().endswith(IMAGE_SUFFIXES):
            entries.append(_copy_image(plot, head_reads[src].data, out_dir))
            continue
        try:
            base = _records(base_reads[src].data, src)
            head = _records(head_reads[src].data, src)
            if head is None and base is None:
                raise PlotDataError(f"{src}: not found at base or head")
            entry = draw(plot, base, head, (f"{src} at base", src), drawer)
            note = ""
            if base is None:
                note = f"{src} is not at base ({base_reads[src].error}); head only"
            elif head is None:
                note = f"{src} is missing at head; base only"
            if note:
                entry = PlotEntry(
                    entry.id,
                    entry.title,
                    entry.image,
                    entry.mermaid,
                    entry.caption,
                    entry.data_table,
                    note,
                )
            entries.append(entry)
        except PlotDataError as exc:
            plt.close("all")
            entries.append(PlotEntry(plot.id, plot.title or plot.id, note=f"not drawn: {exc}"))
            notes.append(f"plot {plot.id!r} not drawn: {exc}")
    return entries, notes


def _records(data: bytes | None, path: str) -> Table | None:
    if data is None:
        return None
    return parse_table(data, path)
