"""Report -> Markdown with Jinja2 (sandboxed) templates and GitHub tables. Returns strings.

Templates are package data (`mlgate/templates/`). Every piece of untrusted text goes through the
`md` filter; tables are built in Python (`render.metrictables`, `render.gatetable`,
`render.datatables`; `render.table`: tabulate's format) so the templates stay readable.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from mlgate.marker import format_marker
from mlgate.metrics import Scalar, format_value
from mlgate.render import (
    datatables,
    gatetable,
    header,
    isolated,
    metrictables,
    sandbox,
    slicetable,
    usertemplate,
)
from mlgate.render.escape import html_text, md
from mlgate.render.table import github_table
from mlgate.report import DataChange, Report
from mlgate.rules import GateResult

PLOTS_SHOWN = 2  # charts shown open in the comment; the rest are collapsed under their title


def _num(value: Scalar | float) -> str:
    return md(format_value(value))


def gates_table(results: Sequence[GateResult], limit: int | None = None) -> str:
    """The gates table (`render.gatetable`); rows beyond `limit` are in the full table."""
    return gatetable.gates_table(results, limit, metrictables.WHERE)


def human_size(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def data_table(changes: Sequence[DataChange]) -> str:
    rows = [
        [md(c.status), md(c.path), human_size(c.old_size), human_size(c.new_size)] for c in changes
    ]
    return github_table(rows, ["Change", "Path", "Base size", "Head size"], (2, 3))


def _setup(env: SandboxedEnvironment) -> SandboxedEnvironment:
    env.filters.update(
        md=md,
        html_text=html_text,
        num=_num,
        signed=metrictables.signed,
        pct=metrictables.percent,
        size=human_size,
    )
    env.globals.update(
        gates_table=gates_table,
        metrics_table=metrictables.metrics_table,
        params_table=metrictables.params_table,
        data_table=data_table,
        tables_table=datatables.tables_table,
        drift_table=datatables.drift_table,
        sample_size=f"{datatables.SAMPLE:,}",
        outcome_icon=gatetable.OUTCOME_ICON,
        slice_sections=slicetable.sections,  # issue 26
    )
    return env


_OPTIONS: dict[str, Any] = {
    "autoescape": False,  # Markdown, not HTML: escaping is explicit through `md`
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "undefined": jinja2.StrictUndefined,
}


@functools.cache
def environment() -> SandboxedEnvironment:
    """mlgate's own templates, compiled once per process."""
    return _setup(
        SandboxedEnvironment(loader=jinja2.PackageLoader("mlgate", "templates"), **_OPTIONS)
    )


def user_environment(root: Path, directory: Path) -> sandbox.BudgetedSandbox:
    """A user template's environment: mlgate's filters and globals, in the budgeted sandbox."""
    return usertemplate.environment(root, directory, _setup, _OPTIONS)


def render(
    report: Report,
    *,
    comment_id: str = "default",
    template: str = "report.md.j2",
    user_template: Path | None = None,
    root: Path | None = None,
    tables: metrictables.Tables | None = None,
    links: Sequence[str] = (),
    web: header.WebLinks | None = None,
    **context: Any,
) -> str:
    """The report's Markdown. `user_template` is a file of the repository `root` (`.mlgate.yml`
    `template:`, checked by `sandbox.resolve_user_template`), rendered in the budgeted sandbox
    below mlgate's own verdict, its output sanitized (`links`: URL prefixes it may link to);
    ConfigError names it on a mistake. Over its budget (time, size, memory), the default report
    is rendered instead, with the reason as a note. `tables`: `metrictables.prepare(report)`,
    when the caller also writes the full table from the same cells; `web`: where the CI shows
    commits and this run (`header.WebLinks.from_environ`), none for a local report."""
    if tables is not None:
        context = {**context, "tables": tables}
    context = {**context, "web": web or header.WebLinks()}
    try:
        return _render(
            report,
            comment_id=comment_id,
            template=template,
            user_template=user_template,
            root=root,
            context=context,
            links=links,
        )
    except sandbox.RenderLimitError as exc:
        assert user_template is not None  # mlgate's own templates have no budget
        note = (
            f"your template {user_template.name} was not used: {exc}; "
            "this is mlgate's default report"
        )
        fallback = dataclasses.replace(report, notes=(*report.notes, note))
        return _render(
            fallback,
            comment_id=comment_id,
            template=template,
            user_template=None,
            root=None,
            context=context,
        )


def _render(
    report: Report,
    *,
    comment_id: str,
    template: str,
    user_template: Path | None,
    root: Path | None,
    context: dict[str, Any],
    links: Sequence[str] = (),
) -> str:
    tables = context.get("tables") or metrictables.prepare(report)
    ctx = {
        "report": report,
        "marker": format_marker(comment_id, report.head_sha),
        "headline": header.headline(report),
        "compared": header.compared_line(report, context["web"]),
        "plots_shown": PLOTS_SHOWN,
        "show_path": tables.show_path,
        "show_param_path": tables.show_param_path,
        "base_label": tables.base_label,
        "short_sha": (report.base_sha or "")[:7],
        # the tables of this report, formatted once (the full table reuses the same cells)
        "metrics_table": tables.metrics_table,
        "params_table": tables.params_table,
        **{k: v for k, v in context.items() if k not in ("tables", "web")},
    }
    if user_template is None:
        text = environment().get_template(template).render(**ctx)
    else:
        # in a child process killed at the budget: one C-level operation cannot hang the job
        env = user_environment(root or user_template.parent, user_template.parent)
        text = isolated.run(functools.partial(usertemplate.output, env, user_template, ctx))
        above = environment().get_template("_header.md.j2").render(**ctx)
        text = usertemplate.below(above, text, links)
    # collapse runs of blank lines left by skipped sections
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"
