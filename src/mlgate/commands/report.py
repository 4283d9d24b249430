"""`mlgate report`: gather, gate, render, and write report.md, result.json, report.html."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from mlgate import outdir
from mlgate import plan as plan_mod
from mlgate import redact as redact_mod
from mlgate import report as report_mod
from mlgate.baseline import Baseline
from mlgate.commands import projects as projects_cmd
from mlgate.datacheck import TableChange
from mlgate.drawing import Charts
from mlgate.dvclock import diff_locks
from mlgate.errors import WriteError, run_exit
from mlgate.gather import Gathered, gather
from mlgate.governing import read_config
from mlgate.hosts import in_ci, repository_url
from mlgate.log import Log, neutralize
from mlgate.plan import Plan
from mlgate.render import markdown, metrictables
from mlgate.render.header import WebLinks
from mlgate.render.sandbox import resolve_user_template
from mlgate.report import BaseSource, DataChange, Report, Training
from mlgate.reportfiles import Produced, redact_result, write
from mlgate.settings import Settings
from mlgate.sources import stale as stale_mod
from mlgate.sources.datafiles import table_changes
from mlgate.sources.git import Git
from mlgate.sources.revision import Workspace
from mlgate.sources.stale import Staleness
from mlgate.training.command import run_training


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
    plan: Plan | None = None,
    local: bool = False,
    movable: bool = False,
    secrets: Sequence[str] | None = None,
    chosen: projects_cmd.Chosen | None = None,
) -> Produced:
    """Gather, gate and render, as `plan` says (by default a local report's). `movable` (CI):
    a report directory that cannot be written moves to a fresh temporary one, with a warning,
    so the verdict is still published. `secrets`: the values to redact (the command's).
    Several projects (`projects:`, --project): one report per directory, combined (issue 23);
    `chosen` is then the config in force for one of them."""
    one = functools.partial(
        _produce_one,
        settings,
        log=log,
        head_sha=head_sha,
        head_label=head_label,
        training=training,
        comment_id=comment_id,
        plan=plan or plan_mod.local(settings),
        local=local,
        movable=movable,
        secrets=secret_values(settings) if secrets is None else secrets,
    )
    if chosen is not None:
        return one(root=root, out_dir=out_dir, chosen=chosen)
    several = projects_cmd.plan(settings, Git(root, log), root=root, log=log, local=local)
    if several.dirs is None:
        return one(root=root, out_dir=out_dir, chosen=several.chosen)
    return projects_cmd.produce_all(  # each project as a run in its directory, combined
        several,
        one,
        settings=settings,
        root=root,
        out_dir=out_dir,
        comment_id=comment_id,
        redact_doc=redact_mod.redact_json,
    )


def _produce_one(
    settings: Settings,
    *,
    root: Path,
    log: Log,
    out_dir: Path,
    head_sha: str | None,
    head_label: str | None,
    training: Training | None,
    comment_id: str | None,
    plan: Plan,
    local: bool,
    movable: bool,
    secrets: Sequence[str],
    chosen: projects_cmd.Chosen,
) -> Produced:
    """One project's report, its config in force `chosen`."""
    redact = redact_mod.redactor(secrets)
    git = Git(root, log)
    failed = training is not None and training.exit_code != 0
    no_training = "the head's training failed" if failed else None
    baseline = Baseline(settings, root=root, git=git, log=log, no_training=no_training)
    g = _gather(
        settings, git, root=root, log=log, baseline=baseline, plan=plan, local=local, chosen=chosen
    )
    out_dir = _ready(out_dir, root, log, movable=movable)
    notes = list(g.notes)
    stale = _staleness(g, training, notes)
    changes = data_changes(g, notes)
    from mlgate import evidence as evidence_mod  # noise-aware gates (issue 13)

    evidence, trends = evidence_mod.collect(g, git, notes)
    tables = _tables(g, log, notes)
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
        training=_redacted(training, redact),
        tables=tables,
        baseline=_redacted_source(g.base_source, redact),
        evidence=evidence,
        stale=stale.outputs,
        data_rules=len(g.config.data),
        config_problem=g.config.base_problem,
    )
    charts = Charts(g, rep, trends, tables, out_dir)
    rep = _with_plots(rep, charts, plan, log, at=len(g.notes))
    return _rendered(
        settings, g, rep, charts, plan, root=root, comment_id=comment_id, secrets=secrets
    )


def _staleness(g: Gathered, training: Training | None, notes: list[str]) -> Staleness:
    """Results at head that mlgate did not make (no training in this run), checked for
    staleness against the pipeline's lock; what is stale is a note."""
    if training is not None or not isinstance(g.head, Workspace):
        return Staleness()
    stale = stale_mod.of_workspace(g.head)
    notes += [*stale.notes, *(f"{p}: stale at head: {w}" for p, w in stale.outputs.items())]
    return stale


def _tables(g: Gathered, log: Log, notes: list[str]) -> list[TableChange]:
    """The data checks of tabular files (`data:` rules, DVC-tracked tables)."""
    if not (g.config.data or g.pipeline.locked or g.base_pipeline.locked):
        return []
    with log.group("Checking data") as phase:
        tables, data_notes = table_changes(g.base_commit, g.head, g.config.data, log)
        phase.done(f"{len(tables)} data table(s) compared")
    notes += data_notes
    return tables


def secret_values(settings: Settings) -> tuple[str, ...]:
    """The values a report must never carry: this environment's secrets and the token."""
    return redact_mod.secret_values(os.environ, extra=[settings.github_token])


def _gather(
    settings: Settings,
    git: Git,
    *,
    root: Path,
    log: Log,
    baseline: Baseline,
    plan: Plan,
    local: bool,
    chosen: projects_cmd.Chosen,
) -> Gathered:
    with log.group("Reading metrics and params") as phase:
        g = gather(
            settings,
            git,
            root=root,
            log=log,
            with_plots=plan.read_plots,
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
    return g


def _redacted(training: Training | None, redact: Callable[[str], str]) -> Training | None:
    """A training's command and output tail redacted (a training script may print its
    environment)."""
    if training is None:
        return None
    return dataclasses.replace(
        training, command=redact(training.command), output_tail=redact(training.output_tail)
    )


def _redacted_source(source: BaseSource | None, redact: Callable[[str], str]) -> BaseSource | None:
    """Where the base's values came from; its summary names the command."""
    if source is None:
        return None
    return dataclasses.replace(
        source, summary=redact(source.summary), training=_redacted(source.training, redact)
    )


def _with_plots(rep: Report, charts: Charts, plan: Plan, log: Log, *, at: int) -> Report:
    """The report with its charts; their notes after the gathering notes (the first `at`),
    before the data-change ones."""
    if not (plan.draw_images or plan.draw_inline):
        return rep
    notes: list[str] = []
    with log.group("Rendering plots") as phase:
        plots = charts.draw(mermaid=plan.draw_inline, notes=notes)
        skipped = f"; {len(notes)} skipped (see the report's notes)" if notes else ""
        inline = " as Mermaid" if plan.draw_inline and not plan.draw_images else ""
        phase.done(f"{len(plots)} chart(s) drawn{inline}{skipped}")
    if notes:
        rep = dataclasses.replace(rep, notes=(*rep.notes[:at], *notes, *rep.notes[at:]))
    return dataclasses.replace(rep, plots=tuple(plots))


def _rendered(
    settings: Settings,
    g: Gathered,
    rep: Report,
    charts: Charts,
    plan: Plan,
    *,
    root: Path,
    comment_id: str | None,
    secrets: Sequence[str],
) -> Produced:
    """The report rendered: the comment's Markdown, result.json, the full table, and the
    inline-chart variant the plan asks for."""
    redact = redact_mod.redactor(secrets)
    cid = comment_id or settings.comment_id
    user_template = None
    if g.config.template:
        user_template = resolve_user_template(root, g.config.template, g.config.source)
    tables_md = metrictables.prepare(rep)  # each cell formatted once: comment and full table
    links = (*g.config.links, *filter(None, [repository_url(os.environ)]))
    render = functools.partial(
        markdown.render,
        comment_id=cid,
        user_template=user_template,
        root=root,
        tables=tables_md,
        links=links,
        web=WebLinks.from_environ(os.environ),  # commits and this run linked in CI (issue 25)
    )
    text = redact(render(rep))

    def inline() -> str:
        drawn = charts.draw(mermaid=True, notes=[])
        return redact(render(dataclasses.replace(rep, plots=tuple(drawn))))

    has_images = any(p.image for p in rep.plots)
    alt = inline() if plan.inline_fallback and has_images else None
    later = inline if plan.inline_later and has_images else None
    result = redact_result(report_mod.result_json(rep, comment_id=cid), redact, secrets)
    full = redact(metrictables.full_tables(tables_md))
    return Produced(rep, text, result, g, charts.out_dir, alt, full, tables_md.hidden, later)


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
        training = run_training(settings, root=root, log=log)
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
    return run_exit(produced.report.passed)
