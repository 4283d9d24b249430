"""Base-vs-head histograms of the most drifted numeric columns (the data checks)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from mlgate.datacheck import ColumnChange, TableChange
from mlgate.render.charts import base, mermaid
from mlgate.render.table import github_table
from mlgate.report import PlotEntry

HISTOGRAMS = 3
BINS = 30


def _drifted(tables: Sequence[TableChange]) -> list[tuple[TableChange, ColumnChange]]:
    columns = [
        (t, c)
        for t in tables
        for c in t.columns
        if c.base_sample is not None and c.head_sample is not None and math.isfinite(c.drift)
    ]
    columns.sort(key=lambda pair: -pair[1].drift)
    return columns[:HISTOGRAMS]


def _figure(
    title: str, name: str, edges: np.ndarray, shares: tuple[np.ndarray, np.ndarray]
) -> Figure:
    fig, ax = base.figure()
    width = np.diff(edges)
    for side, share, alpha in (("base", shares[0], 0.6), ("head", shares[1], 0.5)):
        ax.bar(
            edges[:-1],
            share,
            width=width,
            align="edge",
            color=base.side_color(side),
            alpha=alpha,
            label=side,
        )
    base.title(ax, title)
    ax.set_xlabel(name)
    ax.set_ylabel("share of rows")
    ax.legend(loc="best")
    return fig


def histograms(
    tables: Sequence[TableChange], out_dir: Path, *, mermaid_mode: bool = False
) -> list[PlotEntry]:
    entries = []
    for table, col in _drifted(tables):
        assert col.base_sample is not None and col.head_sample is not None
        base_v = col.base_sample[np.isfinite(col.base_sample)]
        head_v = col.head_sample[np.isfinite(col.head_sample)]
        if not len(base_v) or not len(head_v):
            continue
        title = f"{table.path}: {col.name} (PSI {col.psi or 0:.3f}, KS {col.ks or 0:.3f})"
        edges = np.histogram_bin_edges(np.concatenate([base_v, head_v]), bins=BINS)
        bc, _ = np.histogram(base_v, edges)
        hc, _ = np.histogram(head_v, edges)
        bf, hf = bc / max(bc.sum(), 1), hc / max(hc.sum(), 1)
        rows = [
            [base.cell(float(edges[i])), f"{bf[i]:.3f}", f"{hf[i]:.3f}"] for i in range(len(bf))
        ]
        data = github_table(rows, ["from", "base", "head"])
        pid = f"data-{table.path}-{col.name}"
        if mermaid_mode:
            centers = [base.cell(float((edges[i] + edges[i + 1]) / 2)) for i in range(len(bf))]
            sides = [
                ("base", dict(zip(centers, bf.tolist(), strict=True))),
                ("head", dict(zip(centers, hf.tolist(), strict=True))),
            ]
            block = mermaid.bars(title, centers, sides)
            entries.append(PlotEntry(pid, title, mermaid=block, data_table=data))
            continue
        rel = f"plots/{base.slug(pid)}.png"
        base.save(_figure(title, col.name, edges, (bf, hf)), out_dir, rel)
        caption = "a uniform sample of the column" if table.sampled else ""
        entries.append(PlotEntry(pid, title, image=rel, caption=caption, data_table=data))
    return entries
