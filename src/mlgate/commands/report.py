"""`mlgate report`: gather, gate, render, and write report.md, result.json, report.html."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate import report as report_mod
from mlgate.errors import InputError, gate_exit
from mlgate.gather import Gathered, gather
from mlgate.log import Log
from mlgate.render import markdown
from mlgate.render.html import page
from mlgate.report import DataChange, Report, Training
from mlgate.settings import Settings
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
    with log.group("Reading metrics and params"):
        g = gather(settings, git, root=root, log=log, with_plots=settings.plots != "off")
        log(
            f"base {g.base_ref} ({g.base_sha[:7]}): {len(g.metrics.changes)} metric values, "
            f"{len(g.params.changed())} changed params"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
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
    changes = data_changes(g, notes)
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
    )
    rep = build(plots=plots)
    cid = comment_id or settings.comment_id
    user_template = None
    if g.config.template:
        user_template = root / g.config.template
        if not user_template.is_file():
            raise InputError(
                f"{g.config.template}: template not found ({g.config.source} `template:`)"
            )
    text = markdown.render(rep, comment_id=cid, user_template=user_template)
    alt = None
    if with_mermaid and any(p.image for p in plots):
        from mlgate.render import plots as plots_mod

        inline, _ = plots_mod.render_all(g.plots, rows, out_dir, mermaid=True)
        alt = markdown.render(build(plots=inline), comment_id=cid, user_template=user_template)
    result = report_mod.result_json(rep, comment_id=cid)
    return Produced(rep, text, result, g, out_dir, alt)


def write(produced: Produced) -> Path:
    """Write the report where nothing can lose it: disk first, before any network call."""
    out = produced.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(produced.markdown, encoding="utf-8")
    (out / "result.json").write_text(
        json.dumps(produced.result, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
    if produced.mermaid_markdown:
        (out / "report.mermaid.md").write_text(produced.mermaid_markdown, encoding="utf-8")
    (out / "report.html").write_text(
        page(produced.markdown, produced.report.title), encoding="utf-8"
    )
    return out / "report.md"


def print_gate_summary(rep: Report, log: Log) -> None:
    for g in rep.gates:
        if g.outcome == "fail":
            log.error(g.message, title=f"mlgate gate failed: {g.metric}")
        else:
            log(f"{g.outcome}: {g.message}")


def main(settings: Settings, log: Log, *, root: Path) -> int:
    training = None
    if settings.run or settings.repro:
        from mlgate.commands import train

        training = train.run_training(settings, root=root, log=log)
    produced = produce(
        settings, root=root, log=log, out_dir=root / settings.report_dir, training=training
    )
    path = write(produced)
    print_gate_summary(produced.report, log)
    verdict = "PASSED" if produced.report.passed else "FAILED"
    print(f"mlgate: {verdict}: {produced.report.verdict}")
    print(f"report: {path}")
    return gate_exit(produced.report.passed)
