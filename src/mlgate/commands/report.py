"""`mlgate report`: gather, gate, render, and write report.md, result.json, report.html."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate import outdir
from mlgate import redact as redact_mod
from mlgate import report as report_mod
from mlgate.baseline import Baseline
from mlgate.commands import projects as projects_cmd
from mlgate.datacheck import TableChange
from mlgate.errors import WriteError, gate_exit
from mlgate.gather import Gathered, gather
from mlgate.governing import read_config
from mlgate.hosts import in_ci, repository_url
from mlgate.limits import SUMMARY_LIMIT
from mlgate.log import Log, neutralize
from mlgate.render import markdown, summary
from mlgate.render.html import page
from mlgate.render.sandbox import resolve_user_template
from mlgate.report import DataChange, Report, Training
from mlgate.rules import GateResult
from mlgate.settings import Settings
from mlgate.slicetest import as_finding
from mlgate.sources import stale as stale_mod
from mlgate.sources.datafiles import table_changes
from mlgate.sources.git import Git
from mlgate.sources.pipeline import diff_locks
from mlgate.sources.revision import Workspace
from mlgate.sources.stale import Staleness

_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


@dataclass(frozen=True)
class Produced:
    report: Report
    markdown: str
    result: dict[str, Any]
    gathered: Gathered
    out_dir: Path
    mermaid_markdown: str | None = None  # the same report with inline charts, no images
    # Every metric value and changed param (`all-metrics.md`); `hidden_rows` of them are not in
    # the comment, which then says the full table is in the job summary: see `summary_markdown`.
    full_table: str = ""
    hidden_rows: int = 0


def data_changes(g: Gathered, notes: list[str]) -> list[DataChange]:
    """DVC-tracked outputs added, modified or deleted between base and head (`dvc diff`), from
    every dvc.lock and `.dvc` file of each revision, already parsed by `gather`."""
    if not g.pipeline.locked and not g.base_pipeline.locked:
        return []
    if g.base_pipeline.errors:  # an unreadable base lock costs this section, not the report
        notes.append(f"data and model changes not shown: {g.base_pipeline.errors[0]}")
        return []
    # metrics and plot data have their own sections; this one is for data and models
    metric_like = {
        *g.pipeline.metric_paths,
        *(src for p in g.pipeline.plots for src, _ in p.sources),
    }
    return [
        DataChange(path, status, old, new)  # type: ignore[arg-type]
        for path, status, old, new in diff_locks(g.base_pipeline.locked, g.pipeline.locked)
        if path not in metric_like
    ]


def produce(
    settings: Settings,
    *,
    root: Path,
    log: Log,
    out_dir: Path,
    head_sha: str | None = None,
    head_label: str | None = None,
    training: Training | None = None,
    comment_id: str | None = None,
    with_mermaid: bool = False,
    local: bool = False,
    movable: bool = False,
    chosen: projects_cmd.Chosen | None = None,
) -> Produced:
    """Gather, gate and render. `movable` (CI): a report directory that cannot be written
    moves to a fresh temporary one, with a warning, so the verdict is still published.
    Several projects (`projects:`, --project): one report per directory, combined (issue 23);
    `chosen` is then the config in force for one of them."""
    git = Git(root, log)
    if chosen is None:
        plan = projects_cmd.plan(settings, git, root=root, log=log, local=local)
        chosen = plan.chosen
        if plan.dirs is not None:
            one = functools.partial(
                produce,
                settings,
                log=log,
                head_sha=head_sha,
                head_label=head_label,
                training=training,
                comment_id=comment_id,
                local=local,
                movable=movable,
            )
            return projects_cmd.produce_all(
                plan,
                one,
                settings=settings,
                root=root,
                out_dir=out_dir,
                comment_id=comment_id,
                redact_doc=redact_mod.redact_json,
            )
    failed = training is not None and training.exit_code != 0
    baseline = Baseline(
        settings,
        root=root,
        git=git,
        log=log,
        no_training="the head's training failed" if failed else None,
    )
    with log.group("Reading metrics and params") as phase:
        g = gather(
            settings,
            git,
            root=root,
            log=log,
            with_plots=settings.plots != "off",
            baseline=baseline,
            local=local,
            in_force=chosen,
        )
        phase.done(read_summary(g))
    if (
        not g.config.gates
        and not g.config.data
        and not any(c.new is not None for c in g.metrics.changes)
    ):
        log.warning(nothing_to_gate(g.metric_files))
    out_dir = _ready(out_dir, root, log, movable=movable)
    notes = list(g.notes)
    stale = Staleness()
    if training is None and isinstance(g.head, Workspace):  # results mlgate did not make
        stale = stale_mod.of_workspace(g.head)
        notes += [*stale.notes, *(f"{p}: stale at head: {w}" for p, w in stale.outputs.items())]
    changes = data_changes(g, notes)
    secrets = redact_mod.secret_values(os.environ, extra=[settings.github_token])
    redact = redact_mod.redactor(secrets)
    if training is not None:  # a training script may print its environment
        training = dataclasses.replace(
            training, command=redact(training.command), output_tail=redact(training.output_tail)
        )
    base_source = g.base_source
    if base_source is not None:  # its summary names the command
        base_source = dataclasses.replace(base_source, summary=redact(base_source.summary))
    if base_source is not None and base_source.training is not None:
        base_training = dataclasses.replace(
            base_source.training,
            command=redact(base_source.training.command),
            output_tail=redact(base_source.training.output_tail),
        )
        base_source = dataclasses.replace(base_source, training=base_training)
    from mlgate import evidence as evidence_mod  # noise-aware gates (issue 13)

    evidence, trends = evidence_mod.collect(g, git, notes)
    tables: list[TableChange] = []
    if g.config.data or g.pipeline.locked or g.base_pipeline.locked:
        with log.group("Checking data") as phase:
            tables, data_notes = table_changes(g.base_commit, g.head, g.config.data, log)
            notes += data_notes
            phase.done(f"{len(tables)} data table(s) compared")
    rep = report_mod.build(
        title=g.config.title,
        base_ref=g.base_ref,
        base_sha=g.base_sha,
        head_label=head_label or local_label(git, local) or g.head_label,
        head_sha=head_sha or git.rev_parse("HEAD"),  # outside CI: the checked-out commit
        metrics=g.metrics,
        params=g.params,
        rules=g.config.gates,
        notes=notes,
        data_changes=changes,
        training=training,
        tables=tables,
        baseline=base_source,
        evidence=evidence,
        stale=stale.outputs,
        data_rules=len(g.config.data),
        config_problem=g.config.base_problem,
    )
    rows = rep.metrics  # built once: the plots, the comment and the full table share them
    plots: list[report_mod.PlotEntry] = []
    mermaid = settings.plots == "mermaid"
    if settings.plots != "off":
        with log.group("Rendering plots") as phase:
            plots, plot_notes = draw_plots(g, rows, out_dir, mermaid=mermaid)
            plots += extra_plots(trends, tables, out_dir, mermaid=mermaid, notes=plot_notes)
            plots += slice_plots(rep.gates, out_dir, mermaid=mermaid)
            skipped = f"; {len(plot_notes)} skipped (see the report's notes)" if plot_notes else ""
            phase.done(f"{len(plots)} chart(s) drawn{' as Mermaid' if mermaid else ''}{skipped}")
        if plot_notes:  # after the gathering notes, before the data-change ones
            at = len(g.notes)
            rep = dataclasses.replace(rep, notes=(*rep.notes[:at], *plot_notes, *rep.notes[at:]))
    with_plots = dataclasses.replace(rep, plots=tuple(plots))
    cid = comment_id or settings.comment_id
    user_template = None
    if g.config.template:
        user_template = resolve_user_template(root, g.config.template, g.config.source)
    tables_md = markdown.prepare(rep)  # every cell formatted once, for the comment and full table
    links = (*g.config.links, *filter(None, [repository_url(os.environ)]))
    render = functools.partial(
        markdown.render,
        comment_id=cid,
        user_template=user_template,
        root=root,
        tables=tables_md,
        links=links,
    )
    text = redact(render(with_plots))
    alt = None
    if with_mermaid and any(p.image for p in plots):
        inline, _ = draw_plots(g, rows, out_dir, mermaid=True)
        inline += extra_plots(trends, tables, out_dir, mermaid=True, notes=[])
        inline += slice_plots(rep.gates, out_dir, mermaid=True)
        alt = redact(render(dataclasses.replace(rep, plots=tuple(inline))))
    result = redact_result(report_mod.result_json(with_plots, comment_id=cid), redact, secrets)
    full = redact(markdown.full_tables(tables_md))
    return Produced(with_plots, text, result, g, out_dir, alt, full, tables_md.hidden)


def read_summary(g: Gathered) -> str:
    """What reading found, in one line for the log."""
    files = {c.path for c in g.metrics.changes}
    return (
        f"base {g.base_ref} ({g.base_sha[:7]}): {len(files)} metrics file(s) read, "
        f"{len(g.metrics.changes)} metric values, {len(g.params.changed())} changed params, "
        f"{len(g.plots)} plot(s)"
    )


def _ready(out_dir: Path, root: Path, log: Log, *, movable: bool) -> Path:
    """The report directory, prepared; in CI (`movable`) one that cannot be written gives way
    to a fresh temporary one, with a warning, so the verdict is still published (issue 21)."""
    try:
        return outdir.prepare(out_dir, root=root)
    except WriteError as exc:
        if not movable:
            raise
        moved = outdir.fallback(out_dir, exc)
        log.warning(f"{exc}; the report is written to {moved} instead")
        return moved


def nothing_to_gate(files: Sequence[str]) -> str:
    """The warning for a run that can only pass: no gates, and no metric at head (issue 20)."""
    looked = (
        f" (looked for {', '.join(files[:5])}{' …' if len(files) > 5 else ''})" if files else ""
    )
    return (
        f"no gates configured and no metrics found{looked}: mlgate reads the metrics files "
        "declared in dvc.yaml (`metrics:` of every stage), .mlgate.yml `metrics:`, the "
        "`metrics` input (--metrics), else dvclive/metrics.json; add `gates:` to .mlgate.yml"
    )


def local_label(git: Git, local: bool) -> str | None:
    """The branch checked out; in a local run with uncommitted changes to tracked files,
    `working tree` (what is compared is not that branch's commit)."""
    branch = git.head_branch()
    if local and git.run("status", "--porcelain", "--untracked-files=no", check=False).strip():
        return f"working tree of {branch}" if branch else "working tree"
    return branch


def draw_plots(
    g: Gathered, rows: Sequence[report_mod.MetricRow], out_dir: Path, *, mermaid: bool
) -> tuple[list[report_mod.PlotEntry], list[str]]:
    """The plots and the summary chart; matplotlib is imported only when there are plots (the
    summary chart alone is drawn with Pillow)."""
    if g.plots:
        from mlgate.render import plots as plots_mod

        return plots_mod.render_all(g.plots, rows, out_dir, mermaid=mermaid)
    entry = summary.summary_chart(rows, out_dir, mermaid=mermaid)
    return ([entry] if entry else []), []


def extra_plots(
    trends: Sequence[Any],
    tables: Sequence[TableChange],
    out_dir: Path,
    *,
    mermaid: bool,
    notes: list[str],
) -> list[report_mod.PlotEntry]:
    """The base branch's metric trends (noise-aware gates) and histograms of drifted data."""
    entries: list[report_mod.PlotEntry] = []
    if trends and mermaid:
        notes.append("history charts are drawn as images only (plots: assets or summary)")
    elif trends:
        from mlgate.render.trend import trend_entries

        entries += trend_entries(trends, out_dir)
    if tables:
        from mlgate.render import plots as plots_mod

        entries += plots_mod.histograms(tables, out_dir, mermaid=mermaid)
    return entries


def slice_plots(
    gates: Sequence[GateResult], out_dir: Path, *, mermaid: bool
) -> list[report_mod.PlotEntry]:
    """A chart per slice column of each gate with `slices:` (issue 26); matplotlib is imported
    only when there is one."""
    if not any(as_finding(g.detail) for g in gates):
        return []
    from mlgate.render import slicechart

    return slicechart.entries(gates, out_dir, mermaid=mermaid)


def summary_markdown(produced: Produced, markdown_text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary: the comment's Markdown, then, when the comment leaves rows out, the full
    table, cut at whole rows to fit GitHub's 1 MiB (the rest is in `all-metrics.md`)."""
    if not produced.hidden_rows or not produced.full_table:
        return markdown_text
    head = markdown_text.rstrip("\n") + "\n\n"
    more = (
        f"\n\n*…{{}} more rows cut to fit the job summary: every row is in "
        f"`{markdown.FULL_TABLE_FILE}` of the report artifact.*\n"
    )
    budget = limit - len(head.encode()) - len(more.encode()) - 64
    full = produced.full_table
    if len(full.encode()) <= budget:
        return head + full
    lines = full.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        size += len(line.encode()) + 1
        if size > budget:
            break
        kept.append(line)
    cut = sum(1 for line in lines[len(kept) :] if line.startswith("| "))
    return head + "\n".join(kept) + more.format(f"{cut:,}")


def redact_result(value: Any, redact: Callable[[str], str], secrets: Sequence[str]) -> Any:
    """`redact_json(value, redact)`, skipped when nothing to redact occurs in the document's JSON
    text (a walk of 100,000 metrics costs a second). Without `ensure_ascii`, JSON escapes only
    quotes, backslashes and control characters: a secret with one of those takes the walk."""
    # no shortcut for "no secrets": credential-shaped text is redacted whatever the environment
    if not any(_JSON_ESCAPED.search(s) for s in secrets):
        text = json.dumps(value, default=str, ensure_ascii=False)
        if redact(text) == text:
            return value
    return redact_mod.redact_json(value, redact)


def write(produced: Produced) -> Path:
    """Write the report where nothing can lose it: disk first, before any network call."""
    out = produced.out_dir
    path = outdir.write_text(out, "report.md", produced.markdown)
    outdir.write_text(out, "result.json", result_text(produced.result))
    outdir.write_text(out, markdown.FULL_TABLE_FILE, produced.full_table)
    if produced.mermaid_markdown:
        outdir.write_text(out, "report.mermaid.md", produced.mermaid_markdown)
    outdir.write_text(out, "report.html", page(produced.markdown, produced.report.title))
    return path


def result_text(result: dict[str, Any]) -> str:
    """result.json, indented for a reader down to one line per list item: `indent=2` throughout
    takes json's pure-Python encoder (2.6 s for 100,000 metrics); this is its C encoder."""
    lines = ["{"]
    items = list(result.items())
    for n, (key, value) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        name = json.dumps(key)
        if isinstance(value, list) and value:
            lines.append(f"  {name}: [")
            lines.append(",\n".join("    " + json.dumps(v) for v in value))
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {name}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def print_gate_summary(rep: Report, log: Log) -> None:
    for g in rep.gates:
        if g.outcome == "fail":
            log.error(g.message, title=f"mlgate gate failed: {g.metric}")
        else:
            log(f"{g.outcome}: {g.message}")


def main(settings: Settings, log: Log, *, root: Path) -> int:
    out_dir = root / settings.report_dir
    outdir.prepare(out_dir, root=root)  # refuse a bad report directory before training
    config = read_config(root, settings)  # and a bad .mlgate.yml or template too
    if config.template:
        resolve_user_template(root, config.template, config.source)
    training = None
    if settings.run or settings.repro:
        from mlgate.commands import train

        training = train.run_training(settings, root=root, log=log)
    local = not in_ci(os.environ)  # outside CI the working tree's .mlgate.yml applies
    produced = produce(
        settings, root=root, log=log, out_dir=out_dir, training=training, local=local
    )
    path = write(produced)
    print_gate_summary(produced.report, log)
    verdict = "PASSED" if produced.report.passed else "FAILED"
    # the verdict holds names from the PR's files: printed so no line can be a workflow command
    print(neutralize(log.redact(f"mlgate: {verdict}: {produced.report.verdict}")))
    print(f"report: {path}")
    return gate_exit(produced.report.passed)
