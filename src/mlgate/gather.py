"""Gather both revisions' metrics, params and plot files: which files, read at base and head,
diffed.

This is where the adapters meet: git for the base revision, the workspace for head, DVC for the
files it tracks. Each revision's own DVC files say which metrics and params it has, as in
`dvc metrics diff` and `dvc params diff`; files named in `.mlgate.yml` or on the command line are
read at both. The result is plain data for the pure core (gates, report, rendering): nothing
below reads a file again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlgate.compare import Diff, Snapshot, diff
from mlgate.config import Config
from mlgate.errors import InputError
from mlgate.governing import choose_config
from mlgate.log import Log
from mlgate.metrics import Flat, load_base_metrics, load_metrics, load_params
from mlgate.settings import Settings
from mlgate.sources.fileread import FileRead
from mlgate.sources.git import Git
from mlgate.sources.pipeline import Pipeline, PlotDef, select_params
from mlgate.sources.revision import GitRevision, Revision, Workspace
from mlgate.sources.views import open_revisions

if TYPE_CHECKING:
    from mlgate.baseline import Baseline

DVCLIVE_METRICS = "dvclive/metrics.json"
DVCLIVE_PARAMS = "dvclive/params.yaml"
DVCLIVE_PLOTS = "dvclive/plots/metrics"


@dataclass(frozen=True)
class PlotFiles:
    """One plot and the bytes of each of its files at base and head (or why there are none)."""

    plot: PlotDef
    base: Mapping[str, FileRead]
    head: Mapping[str, FileRead]

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(src for src, _y in self.plot.sources))


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


def expand_files(paths: Iterable[str], revisions: Iterable[Revision]) -> list[str]:
    """Each path, or the files inside it where it is a directory at either revision (as DVC
    expands a directory named under `metrics:`)."""
    revs = list(revisions)
    out: list[str] = []
    for path in paths:
        inside: list[str] = []
        for rev in revs:
            inside += rev.expand(path) or []
        out += sorted(set(inside)) if inside else [path]
    return list(dict.fromkeys(out))


def metric_files(
    settings: Settings, config: Config, pipeline: Pipeline, rev: Revision
) -> list[str]:
    """The metrics files one revision has: its DVC files' (dvclive's when there are none), or
    the files given on the command line or in `.mlgate.yml`."""
    if settings.metrics:
        return list(settings.metrics)
    paths = [*pipeline.metric_paths, *config.metrics]
    if not paths and not pipeline.stages:
        paths = [DVCLIVE_METRICS]
    return expand_files(paths, [rev])


def param_files(
    settings: Settings, config: Config, pipeline: Pipeline, rev: Revision
) -> dict[str, tuple[str, ...] | None]:
    if settings.params:
        return dict.fromkeys(settings.params)
    files: dict[str, tuple[str, ...] | None] = dict(pipeline.params)
    files.update(dict.fromkeys(p for p in config.params if p not in files))
    if not files and not pipeline.stages:
        files[DVCLIVE_PARAMS] = None
    out: dict[str, tuple[str, ...] | None] = {}
    for path, keys in files.items():
        for file in rev.expand(path) or [path]:
            out[file] = keys
    return out


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


def plot_defs(config: Config, head: Pipeline, base: Pipeline) -> list[PlotDef]:
    """Every plot either revision defines (head's definition wins), plus `.mlgate.yml`'s."""
    defs = {p.id: p for p in base.plots}
    defs.update({p.id: p for p in head.plots})
    for path in config.plots:
        defs.setdefault(path, PlotDef(id=path, sources=((path, None),), path_id=True))
    return list(defs.values())


def dvclive_default(revisions: list[Revision]) -> list[PlotDef]:
    """dvclive's step-wise series, drawn with no configuration when nothing defines plots."""
    if not any(rev.expand(DVCLIVE_PLOTS) for rev in revisions):
        return []
    return [PlotDef(id=DVCLIVE_PLOTS, sources=((DVCLIVE_PLOTS, None),), x="step", path_id=True)]


def expand_plots(defs: list[PlotDef], revisions: list[Revision]) -> list[PlotDef]:
    """A plot whose id is a directory becomes one plot per file inside it (at either
    revision), each with the directory's options, unless the file has a definition of its own."""
    own = {p.id for p in defs}
    out: list[PlotDef] = []
    for plot in defs:
        inside: list[str] = []
        if plot.path_id:
            for rev in revisions:
                inside += rev.expand(plot.id) or []
        if not inside:
            out.append(plot)
            continue
        for file in sorted(set(inside) - own):
            ys = plot.y or ((_dvclive_y(file),) if plot.x == "step" else ())
            out.append(
                dataclasses.replace(
                    plot,
                    id=file,
                    sources=tuple((file, y) for y in ys) or ((file, None),),
                    y=ys,
                    title=_title_in_dir(plot, file),
                )
            )
    return out


def _title_in_dir(plot: PlotDef, file: str) -> str:
    inside = file[len(plot.id) + 1 :]
    name = inside.rsplit(".", 1)[0] if "." in inside.rsplit("/", 1)[-1] else inside
    return f"{plot.title}: {name}" if plot.title else name


def _dvclive_y(file: str) -> str:
    # dvclive names the value column after the file: plots/metrics/train/loss.tsv has `loss`
    return file.rsplit("/", 1)[-1].rsplit(".", 1)[0]


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
    base: Revision = base_git  # may become results kept elsewhere (issue 14)

    head_pipeline = head.pipeline()
    base_pipeline = base.pipeline()
    unsure = base_pipeline.errors[0] if base_pipeline.errors else None
    for warning in config.warnings:  # a `direction:` that contradicts the metric's name
        log.warning(warning)
    notes = [*config_notes, *where, *config.warnings, *head_pipeline.notes]
    notes += [f"base: {e}" for e in base_pipeline.errors]

    head_metrics = metric_files(settings, config, head_pipeline, head)
    if baseline is not None:
        base, chosen = baseline.choose(base_git, head, config, head_pipeline, base_pipeline)
        notes += chosen
    base_metrics = metric_files(settings, config, base_pipeline, base)
    if settings.metrics or config.metrics:  # named by the user: read at both revisions
        base_metrics = list(dict.fromkeys([*base_metrics, *head_metrics]))
    if not head_metrics and not base_metrics:
        notes.append(
            "no metrics files found: declare `metrics:` in dvc.yaml, list them under `metrics:` "
            "in .mlgate.yml, or pass --metrics"
        )
    metrics = compare(
        base,
        head,
        dict.fromkeys(base_metrics),
        dict.fromkeys(head_metrics),
        load=load_metrics,
        base_load=load_base_metrics,
        unsure=unsure,
    )
    head_params = param_files(settings, config, head_pipeline, head)
    base_params = param_files(settings, config, base_pipeline, base)
    params = compare(base, head, base_params, head_params, load=load_params, unsure=unsure)
    notes += unread_params(params)

    plots: tuple[PlotFiles, ...] = ()
    if with_plots:
        defs = plot_defs(config, head_pipeline, base_pipeline) or dvclive_default([base, head])
        defs = expand_plots(defs, [base, head])
        plots = read_plots(defs, base, head)
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
        metric_files=tuple(dict.fromkeys([*head_metrics, *base_metrics])),
    )
