"""`mlgate report`: gather, gate, render, and write report.md, result.json, report.html."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate import outdir
from mlgate import redact as redact_mod
from mlgate import report as report_mod
from mlgate.baseline import Baseline
from mlgate.datacheck import TableChange
from mlgate.errors import gate_exit
from mlgate.gather import Gathered, gather, read_config
from mlgate.log import Log, neutralize
from mlgate.render import markdown
from mlgate.render.html import page
from mlgate.render.sandbox import resolve_user_template
from mlgate.report import DataChange, Report, Training
from mlgate.settings import Settings
from mlgate.sources.datafiles import table_changes
from mlgate.sources.git import Git
from mlgate.sources.pipeline import diff_locks


@dataclass(frozen=True)
class Produced:
    report: Report
    markdown: str
    result: dict[str, Any]
    gathered: Gathered
    out_dir: Path
    mermaid_markdown: str | None = None  # the same report with inline charts, no images


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
) -> Produced:
    git = Git(root, log)
    failed = training is not None and training.exit_code != 0
    baseline = Baseline(
        settings,
        root=root,
        git=git,
        log=log,
        no_training="the head's training failed" if failed else None,
    )
    with log.group("Reading metrics and params"):
        g = gather(
            settings, git, root=root, log=log, with_plots=settings.plots != "off", baseline=baseline
        )
        log(
            f"base {g.base_ref} ({g.base_sha[:7]}): {len(g.metrics.changes)} metric values, "
            f"{len(g.params.changed())} changed params"
        )
    outdir.prepare(out_dir, root=root)
    plots: list[report_mod.PlotEntry] = []
    notes = list(g.notes)
    rows = report_mod.metric_rows(g.metrics, g.config.gates)
    if settings.plots != "off" and (g.plots or g.metrics.changes):
        from mlgate.render import plots as plots_mod

        with log.group("Rendering plots"):
            plots, plot_notes = plots_mod.render_all(
                g.plots, rows, out_dir, mermaid=settings.plots == "mermaid"
            )
            notes += plot_notes
    from mlgate import evidence as evidence_mod  # noise-aware gates (issue 13)

    evidence, trends = evidence_mod.collect(g, git, notes)
    if trends and settings.plots == "mermaid":
        notes.append("history charts are drawn as images only (plots: assets or summary)")
    elif trends and settings.plots != "off":
        from mlgate.render.trend import trend_entries

        plots += trend_entries(trends, out_dir)
    changes = data_changes(g, notes)
    tables: list[TableChange] = []
    if g.config.data or g.pipeline.locked or g.base_pipeline.locked:
        with log.group("Checking data"):
            tables, data_notes = table_changes(g.base_commit, g.head, g.config.data, log)
            notes += data_notes
        if tables and settings.plots != "off":
            from mlgate.render import plots as plots_mod

            plots += plots_mod.histograms(tables, out_dir, mermaid=settings.plots == "mermaid")
    redact = redact_mod.from_environ(os.environ, extra=[settings.github_token])
    if training is not None:  # a training script may print its environment
        training = dataclasses.replace(
            training, command=redact(training.command), output_tail=redact(training.output_tail)
        )
    base_source = baseline.source
    if base_source is not None:  # its summary names the command
        base_source = dataclasses.replace(base_source, summary=redact(base_source.summary))
    if base_source is not None and base_source.training is not None:
        base_training = dataclasses.replace(
            base_source.training,
            command=redact(base_source.training.command),
            output_tail=redact(base_source.training.output_tail),
        )
        base_source = dataclasses.replace(base_source, training=base_training)
    build = functools.partial(
        report_mod.build,
        title=g.config.title,
        base_ref=g.base_ref,
        base_sha=g.base_sha,
        head_label=head_label or git.head_branch() or g.head_label,
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
    )
    rep = build(plots=plots)
    cid = comment_id or settings.comment_id
    user_template = None
    if g.config.template:
        user_template = resolve_user_template(root, g.config.template, g.config.source)
    render = functools.partial(
        markdown.render, comment_id=cid, user_template=user_template, root=root
    )
    text = redact(render(rep))
    alt = None
    if with_mermaid and any(p.image for p in plots):
        from mlgate.render import plots as plots_mod

        inline, _ = plots_mod.render_all(g.plots, rows, out_dir, mermaid=True)
        alt = redact(render(build(plots=inline)))
    result = redact_json(report_mod.result_json(rep, comment_id=cid), redact)
    return Produced(rep, text, result, g, out_dir, alt)


def redact_json(value: Any, redact: Callable[[str], str]) -> Any:
    """Every text value (and key) of a JSON document through `redact`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_json(k, redact): redact_json(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v, redact) for v in value]
    return value


def write(produced: Produced) -> Path:
    """Write the report where nothing can lose it: disk first, before any network call."""
    out = produced.out_dir
    path = outdir.write_text(out, "report.md", produced.markdown)
    outdir.write_text(
        out, "result.json", json.dumps(produced.result, indent=2, sort_keys=False) + "\n"
    )
    if produced.mermaid_markdown:
        outdir.write_text(out, "report.mermaid.md", produced.mermaid_markdown)
    outdir.write_text(out, "report.html", page(produced.markdown, produced.report.title))
    return path


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
    produced = produce(settings, root=root, log=log, out_dir=out_dir, training=training)
    path = write(produced)
    print_gate_summary(produced.report, log)
    verdict = "PASSED" if produced.report.passed else "FAILED"
    # the verdict holds names from the PR's files: printed so no line can be a workflow command
    print(neutralize(f"mlgate: {verdict}: {produced.report.verdict}"))
    print(f"report: {path}")
    return gate_exit(produced.report.passed)
