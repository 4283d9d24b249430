"""Report -> Markdown with Jinja2 (sandboxed) templates and tabulate tables. Returns strings.

Templates are package data (`mlgate/templates/`). Every piece of untrusted text goes through the
`md` filter; tables are built here with tabulate so the templates stay readable.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from tabulate import tabulate

from mlgate import limits
from mlgate.compare import Change
from mlgate.errors import ConfigError
from mlgate.gates import GateResult
from mlgate.marker import format_marker, strip_markers
from mlgate.metrics import Scalar, format_value
from mlgate.render import datatables, sandbox
from mlgate.render.escape import md
from mlgate.report import DataChange, MetricRow, Report

OUTCOME_ICON = {"pass": "✅", "fail": "❌", "warn": "⚠️", "skip": "➖"}
JUDGEMENT_ICON = {"better": "🟢", "worse": "🔴", "same": "", "unknown": ""}


def _num(value: Scalar | float) -> str:
    return md(format_value(value))


def _signed(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    text = format_value(value)
    return f"+{text}" if value > 0 else text


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}%"


def gates_table(results: Sequence[GateResult]) -> str:
    rows = [
        [OUTCOME_ICON[r.outcome], md(r.metric), md(r.message)]
        for r in sorted(results, key=lambda r: ("fail", "warn", "pass", "skip").index(r.outcome))
    ]
    return tabulate(
        rows, headers=["", "Metric", "Result"], tablefmt="github", disable_numparse=True
    )


def _more(hidden: int, what: str) -> str:
    if hidden <= 0:
        return ""
    return (
        f"\n\n*…and {hidden:,} more {what} not shown here "
        f"(mlgate shows at most {limits.MAX_TABLE_ROWS:,}); all are in result.json.*"
    )


def metrics_table(rows: Sequence[MetricRow], base_label: str, *, show_path: bool) -> str:
    """Gated and changed metrics first when there are more rows than a table shows."""
    shown = list(rows)
    if len(shown) > limits.MAX_TABLE_ROWS:
        first = [r for r in shown if r.gated or r.change.status != "unchanged"]
        rest = [r for r in shown if not (r.gated or r.change.status != "unchanged")]
        shown = (first + rest)[: limits.MAX_TABLE_ROWS]
    table = []
    for row in shown:
        c = row.change
        change = _signed(c.diff) if c.status != "added" else "new"
        if c.status == "unknown":  # the gate on it fails closed; the reason is below the table
            change = "base unreadable"
        if c.status == "removed":
            change = "removed"
        trend = f"{JUDGEMENT_ICON[row.judgement]} {row.arrow}".strip()
        cells = [md(c.key), _num(c.old), _num(c.new), md(change), _pct(c.pct), trend]
        if show_path:
            cells.insert(0, md(c.path))
        table.append(cells)
    headers = ["Metric", md(base_label), "Head", "Change", "%", ""]
    if show_path:
        headers.insert(0, "File")
    text = tabulate(table, headers=headers, tablefmt="github", disable_numparse=True)
    return text + _more(len(rows) - len(shown), "metric values")


def params_table(changes: Sequence[Change], base_label: str, *, show_path: bool) -> str:
    table = []
    for c in changes[: limits.MAX_TABLE_ROWS]:
        cells = [md(c.key), _num(c.old), _num(c.new)]
        if show_path:
            cells.insert(0, md(c.path))
        table.append(cells)
    headers = ["Param", md(base_label), "Head"]
    if show_path:
        headers.insert(0, "File")
    text = tabulate(table, headers=headers, tablefmt="github", disable_numparse=True)
    return text + _more(len(changes) - len(table), "changed params")


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
    return tabulate(
        rows,
        headers=["Change", "Path", "Base size", "Head size"],
        tablefmt="github",
        disable_numparse=True,
    )


def _setup(env: SandboxedEnvironment) -> SandboxedEnvironment:
    env.filters.update(md=md, num=_num, signed=_signed, pct=_pct, size=human_size)
    env.globals.update(
        gates_table=gates_table,
        metrics_table=metrics_table,
        params_table=params_table,
        data_table=data_table,
        tables_table=datatables.tables_table,
        drift_table=datatables.drift_table,
        sample_size=f"{datatables.SAMPLE:,}",
        outcome_icon=OUTCOME_ICON,
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
    """A user's directory first, the package's templates reachable as `mlgate/<name>` (so a
    user template can `{% extends "mlgate/report.md.j2" %}` and override a block) and as
    themselves; a fresh environment per render, with the budget of `render.sandbox`."""
    package = jinja2.PackageLoader("mlgate", "templates")
    loader = jinja2.ChoiceLoader(
        [jinja2.PrefixLoader({"mlgate": package}), sandbox.RepoLoader(root, directory), package]
    )
    env = sandbox.BudgetedSandbox(loader=loader, **_OPTIONS)
    _setup(env)
    sandbox.guard_filters(env)
    return env


def render(
    report: Report,
    *,
    comment_id: str = "default",
    template: str = "report.md.j2",
    user_template: Path | None = None,
    root: Path | None = None,
    **context: Any,
) -> str:
    """The report's Markdown. `user_template` is a file of the repository `root` (`.mlgate.yml`
    `template:`, checked by `sandbox.resolve_user_template`), rendered in the budgeted sandbox;
    ConfigError names it on a mistake. Over its budget (time, size, memory), the default report
    is rendered instead, with the reason as a note."""
    try:
        return _render(
            report,
            comment_id=comment_id,
            template=template,
            user_template=user_template,
            root=root,
            context=context,
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
) -> str:
    show_path = len({r.change.path for r in report.metrics}) > 1
    show_param_path = len({c.path for c in report.params}) > 1
    ctx = {
        "report": report,
        "marker": format_marker(comment_id, report.head_sha),
        "show_path": show_path,
        "show_param_path": show_param_path,
        "base_label": f"Base ({report.base_ref})",
        "short_sha": (report.base_sha or "")[:7],
        **context,
    }
    shown = user_template or template
    try:
        if user_template is None:
            text = environment().get_template(template).render(**ctx)
        else:
            env = user_environment(root or user_template.parent, user_template.parent)
            tpl = env.get_template(user_template.name)
            text = sandbox.render_within_budget(env, tpl, **ctx)
    except sandbox.RenderLimitError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{shown}:{exc.lineno}: template syntax error: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        first = (str(exc) or type(exc).__name__).splitlines()[0]
        raise ConfigError(f"{shown}: template error: {first}") from exc
    except RecursionError as exc:
        raise ConfigError(
            f'{shown}: the template extends or includes itself; extend "mlgate/report.md.j2"'
        ) from exc
    except Exception as exc:
        if user_template is None:
            raise  # mlgate's own template: a bug, reported as one
        # the template's own arithmetic or calls (1/0, 10.0 ** 400, range(10 ** 6)) failed
        first = (str(exc) or type(exc).__name__).splitlines()[0][:200]
        raise ConfigError(f"{shown}: template error: {type(exc).__name__}: {first}") from exc
    first = format_marker(comment_id, report.head_sha)
    if user_template and not text.startswith(first + "\n"):
        # the marker opening the body is how the comment is found again: a template can
        # neither drop it nor move it
        text = first + "\n" + strip_markers(text)
    # collapse runs of blank lines left by skipped sections
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"
