"""Gather both revisions' metrics, params and plot files: which files, read at base and head,
diffed.

This is where the adapters meet: git for the base revision, the workspace for head, DVC for the
files it tracks. Each revision's own DVC files say which metrics and params it has, as in
`dvc metrics diff` and `dvc params diff`; files named in `.mlgate.yml` or on the command line are
read at both. The result is plain data for the pure core (gates, report, rendering): nothing
below reads a file again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlgate import filesets
from mlgate.baseline import Baseline, Chosen, Head
from mlgate.compare import Diff, Snapshot, diff
from mlgate.config import Config
from mlgate.errors import InputError
from mlgate.fileread import FileRead
from mlgate.governing import choose_config
from mlgate.log import Log
from mlgate.metrics import Flat, load_base_metrics, load_metrics, load_params, select_params
from mlgate.pipeline import Pipeline, PlotDef, PlotFiles
from mlgate.report import BaseSource
from mlgate.settings import Settings
from mlgate.sources.git import Git
from mlgate.sources.revision import GitRevision, Revision, Workspace
from mlgate.sources.views import open_revisions


@dataclass(frozen=True)
class Gathered:
    root: Path
    config: Config
    base_ref: str
    base_sha: str
    head_label: str
    metrics: Diff
    params: Diff
    pipeline: Pipeline
    base_pipeline: Pipeline
    base: Revision  # the base commit, or its results kept elsewhere (baseline)
    head: Workspace
    base_commit: GitRevision  # the base commit itself, for its DVC-tracked data
    plots: tuple[PlotFiles, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    metric_files: tuple[str, ...] = ()  # every metrics file looked for, at either revision
    base_source: BaseSource | None = None  # where a baseline came from (issue 14)


def snapshot(
    reads: Mapping[str, FileRead],
    files: Mapping[str, tuple[str, ...] | None],
    load: Callable[[bytes, str], Flat],
    *,
    strict: bool,
) -> Snapshot:
    """Values per file (params narrowed to the keys DVC tracks). With `strict` (head) a
    malformed file is an error the user must fix; at base it is a reason in the report, since
    the PR cannot change the base. A file the revision does not have is neither."""
    values: dict[str, Flat] = {}
    errors: dict[str, str] = {}
    for path, keys in files.items():
        read = reads[path]
        if read.data is None:
            if not read.absent:
                errors[path] = read.error or "unavailable"
            continue
        try:
            values[path] = select_params(load(read.data, path), keys)
        except InputError as exc:
            if strict:
                raise
            errors[path] = str(exc)
    return Snapshot(values, errors)


def _side(
    rev: Revision, files: Mapping[str, tuple[str, ...] | None], unsure: str | None
) -> dict[str, FileRead]:
    reads = rev.read(files)
    if unsure:  # the revision's DVC files are broken: "absent" cannot be told from unreadable
        reads = {
            p: FileRead(None, f"cannot tell whether {rev.label} has {p}: {unsure}")
            if r.absent
            else r
            for p, r in reads.items()
        }
    return reads


def compare(
    base: Revision,
    head: Revision,
    base_files: Mapping[str, tuple[str, ...] | None],
    head_files: Mapping[str, tuple[str, ...] | None],
    *,
    load: Callable[[bytes, str], Flat],
    unsure: str | None,
    base_load: Callable[[bytes, str], Flat] | None = None,
) -> Diff:
    """Each revision's own files, diffed; a file only head declares is read at base too when
    base's DVC files could not be read (then a missing one is unreadable, not new)."""
    if unsure:
        base_files = {**dict.fromkeys(head_files), **base_files}
    old = snapshot(_side(base, base_files, unsure), base_files, base_load or load, strict=False)
    return diff(
        inherit_errors(old, head_files),
        snapshot(head.read(head_files), head_files, load, strict=True),
    )


def inherit_errors(base: Snapshot, head_files: Iterable[str]) -> Snapshot:
    """A directory that could not be read at base (its manifest forged or unavailable) leaves
    every head file inside it unknown at base, not new."""
    errors = dict(base.errors)
    for file in head_files:
        if file in base.values or file in errors:
            continue
        for directory, why in base.errors.items():
            if file.startswith(directory.rstrip("/") + "/"):
                errors[file] = why
                break
    return Snapshot(base.values, errors) if errors != base.errors else base


def unread_params(params: Diff) -> list[str]:
    """A note per params file that could not be read (a path leading out, absolute, a FIFO):
    never dropped silently, as metrics and plots are not (issue 21)."""
    return [
        f"params file {path} at {side}: {why}"
        for side, errors in (("head", params.head_errors), ("base", params.base_errors))
        for path, why in sorted(errors.items())
    ]


def read_plots(defs: list[PlotDef], base: Revision, head: Revision) -> tuple[PlotFiles, ...]:
    files = list(dict.fromkeys(src for p in defs for src, _y in p.sources))
    base_reads = base.read(files)
    head_reads = head.read(files)
    return tuple(
        PlotFiles(
            p,
            {src: base_reads[src] for src, _y in p.sources},
            {src: head_reads[src] for src, _y in p.sources},
        )
        for p in defs
    )


NO_METRICS = (
    "no metrics files found: declare `metrics:` in dvc.yaml, list them under `metrics:` in "
    ".mlgate.yml, or pass --metrics"
)


def _baseline(
    baseline: Baseline | None,
    settings: Settings,
    config: Config,
    head: tuple[Workspace, Pipeline],
    base: tuple[GitRevision, Pipeline],
) -> Chosen:
    """The base commit, unless a baseline stands in for it (issue 14)."""
    base_git = base[0]
    if baseline is None:
        return Chosen(base_git, [])
    both = (head, base)
    needed, wanted = filesets.base_files(settings, config, both)
    return baseline.choose(base_git, Head(*head), config, needed, wanted)


def _metrics(
    settings: Settings,
    config: Config,
    head: tuple[Revision, Pipeline],
    base: tuple[Revision, Pipeline],
    unsure: str | None,
) -> tuple[Diff, list[str]]:
    """Both revisions' metrics, diffed, and every metrics file looked for. Each revision's own
    files (the base's as the base commit declares them, read where its values come from);
    files the user names, at both."""
    head_metrics = filesets.metric_files(settings, config, head[1], head[0])
    base_metrics = filesets.metric_files(settings, config, base[1], base[0])
    if settings.metrics or config.metrics:  # named by the user: read at both revisions
        base_metrics = list(dict.fromkeys([*base_metrics, *head_metrics]))
    diffed = compare(
        base[0],
        head[0],
        dict.fromkeys(base_metrics),
        dict.fromkeys(head_metrics),
        load=load_metrics,
        base_load=load_base_metrics,
        unsure=unsure,
    )
    return diffed, list(dict.fromkeys([*head_metrics, *base_metrics]))


def _plots(
    config: Config, head: tuple[Revision, Pipeline], base: tuple[Revision, Pipeline]
) -> tuple[PlotFiles, ...]:
    """Every plot either revision (or `.mlgate.yml`) defines, dvclive's by default, with its
    files read at both."""
    revisions = [base[0], head[0]]
    defs = filesets.plot_defs(config, head[1], base[1])
    defs = filesets.expand_plots(defs or filesets.dvclive_default(revisions), revisions)
    return read_plots(defs, base[0], head[0])


def gather(
    settings: Settings,
    git: Git,
    *,
    root: Path,
    log: Log,
    with_plots: bool = False,
    baseline: Baseline | None = None,
    local: bool = False,
    in_force: tuple[Config, str, str, list[str]] | None = None,
) -> Gathered:
    """`in_force`: the config in force, base ref, base sha and notes, when the caller chose them
    (one `.mlgate.yml` at the top of the repository for several projects: mlgate.projects)."""
    config, base_ref, base_sha, config_notes = in_force or choose_config(
        settings, git, root, log, local=local
    )
    base_git, head, where = open_revisions(root, git, base_sha, base_ref, log)

    head_pipeline = head.pipeline()
    base_pipeline = base_git.pipeline()
    unsure = base_pipeline.errors[0] if base_pipeline.errors else None
    for warning in config.warnings:  # a `direction:` that contradicts the metric's name
        log.warning(warning)
    notes = [*config_notes, *where, *config.warnings, *head_pipeline.notes]
    notes += [f"base: {e}" for e in base_pipeline.errors]

    own = (head, head_pipeline), (base_git, base_pipeline)
    chosen = _baseline(baseline, settings, config, *own)
    base = chosen.revision
    notes += chosen.notes
    sides = (head, head_pipeline), (base, base_pipeline)
    metrics, metric_files = _metrics(settings, config, *sides, unsure)
    if not metric_files:
        notes.append(NO_METRICS)
    head_params = filesets.param_files(settings, config, head_pipeline, head)
    base_params = filesets.param_files(settings, config, base_pipeline, base)
    params = compare(base, head, base_params, head_params, load=load_params, unsure=unsure)
    notes += unread_params(params)

    plots = _plots(config, *sides) if with_plots else ()
    notes += head.skipped
    return Gathered(
        root=root,
        config=config,
        base_ref=base_ref,
        base_sha=base_sha,
        head_label=head.label,
        metrics=metrics,
        params=params,
        pipeline=head_pipeline,
        base_pipeline=base_pipeline,
        base=base,
        head=head,
        base_commit=base_git,
        plots=plots,
        notes=tuple(notes),
        metric_files=tuple(metric_files),
        base_source=chosen.source,
    )
