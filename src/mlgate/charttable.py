"""The chart kinds' table: a plot's DVC `template:` -> the module of `render.charts` that draws it.

Plain data in the core with no imports, so the pipeline parser (`mlgate.pipeline`) refuses a
template no kind draws (a visible note, never lines drawn by default) without loading matplotlib
or reaching up into `render`. A new chart kind is a module in `render/charts/` that defines `KIND`
(a `base.ChartKind`), plus its row here.
"""

from __future__ import annotations

TEMPLATES: dict[str, str] = {
    # DVC's built-in templates (dvc-render), each drawn by the module named here
    "linear": "lines",
    "simple": "lines",
    "smooth": "lines",
    "scatter": "scatter",
    "scatter_jitter": "scatter",
    "confusion": "confusion",
    "confusion_normalized": "confusion_normalized",
    "bar_horizontal": "bars",
    "bar_horizontal_sorted": "bars_sorted",
}


def unknown_template(template: str) -> str | None:
    """Why a plot's `template:` cannot be drawn, or None when a chart kind draws it."""
    if template in TEMPLATES:
        return None
    return (
        f"template {template!r} is not one mlgate draws (it draws {', '.join(TEMPLATES)}); "
        "the plot is not drawn"
    )
