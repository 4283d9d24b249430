"""Charts as Mermaid `xychart-beta` blocks: GitHub renders them inline, with no image upload."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mlgate.plotdata import Series
from mlgate.render.summary import mermaid_text

MERMAID_POINTS = 40


def lines(title: str, series: Sequence[tuple[str, Series]], *, bar: bool) -> str:
    """An `xychart-beta` block: one line per series on the head's x positions."""
    ref = series[-1][1]
    idx = np.linspace(0, len(ref.x) - 1, min(MERMAID_POINTS, len(ref.x))).astype(int)
    xs = ref.x[idx]
    out = [
        "xychart-beta",
        f'    title "{mermaid_text(title)}"',
        "    x-axis [" + ", ".join(f'"{v:.4g}"' for v in xs) + "]",
    ]
    for _name, s in series:
        keep = np.isfinite(s.x) & np.isfinite(s.y)  # Mermaid has no NaN: skip such points
        order = np.argsort(s.x[keep], kind="stable")
        ys = np.interp(xs, s.x[keep][order], s.y[keep][order]) if keep.any() else xs * 0
        out.append(f"    {'bar' if bar else 'line'} [" + ", ".join(_m(v) for v in ys) + "]")
    return "\n".join(out)


def _m(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "0"


def bars(title: str, cats: Sequence[str], sides: Sequence[tuple[str, dict[str, float]]]) -> str:
    out = [
        "xychart-beta horizontal",
        f'    title "{mermaid_text(title)}"',
        "    x-axis [" + ", ".join(f'"{mermaid_text(c)}"' for c in cats) + "]",
    ]
    for _name, d in sides:
        out.append("    bar [" + ", ".join(_m(d.get(c, 0.0)) for c in cats) + "]")
    return "\n".join(out)
