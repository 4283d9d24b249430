"""The history chart of a `max_drop_sigma` gate: the base branch's last values of the metric,
the noise band around their mean, and the PR's value marked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tabulate import tabulate

from mlgate.gatekinds.base import Trend
from mlgate.render import plots
from mlgate.render.escape import md
from mlgate.report import PlotEntry
from mlgate.stats import history_band


def trend_entry(trend: Trend, out_dir: Path) -> PlotEntry:
    mean, sd = history_band(trend.values)
    n = len(trend.values)
    title = f"{trend.name}: base branch's last {n} values"
    table = tabulate(
        [[c, f"{v:.6g}"] for c, v in zip(trend.commits, trend.values, strict=True)]
        + ([["PR", f"{trend.head:.6g}"]] if trend.head is not None else []),
        ["commit", md(trend.name)],
        tablefmt="github",
        disable_numparse=True,
    )
    fig, ax = plots._figure()
    fig.set_figheight(3.0)
    x = np.arange(n)
    band = trend.sigma * sd
    base = trend.values[-1]  # the gate measures the PR's drop from base, in σ of the history
    ax.fill_between(
        [-0.5, n + 0.5],
        base - band,
        base + band,
        color=plots.BASE_COLOR,
        alpha=0.18,
        label=f"base ± {trend.sigma:g}σ (noise)",
    )
    ax.plot(x, trend.values, marker="o", color=plots.BASE_COLOR, label="base branch")
    if trend.head is not None:
        worse = (
            trend.head < trend.values[-1]
            if trend.better == "higher"
            else trend.head > trend.values[-1]
        )
        ax.plot(
            [n],
            [trend.head],
            marker="D",
            markersize=8,
            linestyle="none",
            color=plots.BAD_COLOR if worse else plots.GOOD_COLOR,
            label="this PR",
        )
    ax.set_xticks([*x, n], [*trend.commits, "PR"], rotation=45, fontsize=8)
    ax.set_title(title)
    ax.legend(loc="best")
    rel = f"plots/history-{plots.slug(trend.name)}.png"
    plots.save(fig, out_dir, rel)
    caption = (
        f"grey band: base {base:.4g} ± {trend.sigma:g}σ, σ = {sd:.3g} the standard deviation of "
        f"the base branch's last {n} values (mean {mean:.4g}); a PR outside it on the worse "
        "side fails the gate"
    )
    return PlotEntry(f"history:{trend.name}", title, image=rel, caption=caption, data_table=table)


def trend_entries(trends: Sequence[Trend], out_dir: Path) -> list[PlotEntry]:
    return [trend_entry(t, out_dir) for t in trends]
