"""Gather both revisions' metrics and params: which files, read at base and head, diffed.

This is where the adapters meet: git for the base revision, the workspace for head, DVC for
cached outputs. The result is plain data for the pure core (gates, report).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlgate.compare import Diff, Snapshot, diff
from mlgate.config import Config, load_config
from mlgate.errors import InputError
from mlgate.metrics import Flat, load_metrics, load_params
from mlgate.settings import Settings
from mlgate.sources.git import Git
from mlgate.sources.pipeline import DEFAULT_PARAMS, Pipeline, PlotDef, parse_pipeline
from mlgate.sources.revision import FileRead, GitRevision, Revision, Workspace

Log = Callable[[str], None]

CONFIG_NAMES = (".mlgate.yml", ".mlgate.yaml")
DVCLIVE_METRICS = "dvclive/metrics.json"
DVCLIVE_PARAMS = "dvclive/params.yaml"
DVCLIVE_PLOTS = "dvclive/plots/metrics"


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
    base: GitRevision
    head: Revision
    notes: tuple[str, ...] = field(default_factory=tuple)


def read_config(root: Path, settings: Settings) -> Config:
    if settings.config:
        file = root / settings.config
        if not file.is_file():
            raise InputError(f"{settings.config}: config file not found (input `config`)")
        return load_config(file.read_bytes(), settings.config)
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return load_config((root / name).read_bytes(), name)
    return Config()


def read_pipeline(data: bytes | None, source: str) -> Pipeline:
    return parse_pipeline(data, source) if data else Pipeline()


def snapshot(
    reads: Mapping[str, FileRead],
    paths: Iterable[str],
    load: Callable[[bytes, str], Flat],
    *,
    strict: bool,
) -> Snapshot:
    """Values per file. With `strict` (head) a malformed file is an error the user must fix;
    at base it becomes a row in the report, since the PR cannot change the base."""
    values: dict[str, Flat] = {}
    errors: dict[str, str] = {}
    for path in paths:
        read = reads[path]
        if read.data is None:
            errors[path] = read.error or "unavailable"
            continue
        try:
            values[path] = load(read.data, path)
        except InputError as exc:
            if strict:
                raise
            errors[path] = str(exc)
    return Snapshot(values, errors)


def choose_files(
    settings: Settings, config: Config, head: Pipeline, base: Pipeline, root: Path
) -> tuple[list[str], list[str]]:
    """Metric and param files: the command line if given; else dvc.yaml and .mlgate.yml."""
    if settings.metrics or settings.params:
        return list(settings.metrics), list(settings.params)
    metrics = list(dict.fromkeys([*head.metric_paths, *base.metric_paths, *config.metrics]))
    params = list(dict.fromkeys([*head.params, *base.params, *config.params]))
    # DVC always reads the root params.yaml, declared or not.
    if (root / DEFAULT_PARAMS).is_file() and DEFAULT_PARAMS not in params:
        params.insert(0, DEFAULT_PARAMS)
    if not metrics and (root / DVCLIVE_METRICS).is_file():
        metrics.append(DVCLIVE_METRICS)
    if not params and (root / DVCLIVE_PARAMS).is_file():
        params.append(DVCLIVE_PARAMS)
    return metrics, params


def dvclive_plots(root: Path) -> tuple[PlotDef, ...]:
    """dvclive's step-wise metric series (`dvclive/plots/metrics/**/*.tsv`, columns
    timestamp, step, <name>) as line plots, with no configuration."""
    folder = root / DVCLIVE_PLOTS
    if not folder.is_dir():
        return ()
    return tuple(
        PlotDef(
            id=tsv.relative_to(root).as_posix(),
            sources=((tsv.relative_to(root).as_posix(), tsv.stem),),
            x="step",
            y=(tsv.stem,),
            title=tsv.relative_to(folder).with_suffix("").as_posix(),
            cache=False,
        )
        for tsv in sorted(folder.rglob("*.tsv"))
    )


def gather(
    settings: Settings,
    git: Git,
    *,
    root: Path,
    log: Log,
) -> Gathered:
    config = read_config(root, settings)
    base_ref = settings.base or config.base or git.default_base()
    base_sha = git.resolve(base_ref)

    cache_read = remote_fetch = None
    if (root / ".dvc").is_dir():
        from mlgate.sources import dvc

        cache_read = dvc.cache_reader(root)
        remote_fetch = dvc.remote_fetcher(root, log)
    base = GitRevision(git, base_sha, base_ref, cache_read=cache_read, remote_fetch=remote_fetch)
    head = Workspace(root)

    dvc_yaml = root / "dvc.yaml"
    head_pipeline = read_pipeline(dvc_yaml.read_bytes() if dvc_yaml.is_file() else None, "dvc.yaml")
    base_yaml = git.read_files(base_sha, ["dvc.yaml"]).get("dvc.yaml")
    try:
        base_pipeline = read_pipeline(base_yaml, f"dvc.yaml at {base_ref}")
    except InputError as exc:
        log(f"warning: {exc}; using the head's declarations for the base")
        base_pipeline = head_pipeline

    if not head_pipeline.plots:
        head_pipeline = dataclasses.replace(head_pipeline, plots=dvclive_plots(root))
    metric_files, param_files = choose_files(settings, config, head_pipeline, base_pipeline, root)
    notes = list(head_pipeline.notes)
    if not metric_files:
        notes.append(
            "no metrics files found: declare `metrics:` in dvc.yaml, list them under `metrics:` "
            "in .mlgate.yml, or pass --metrics"
        )
    all_files = [*metric_files, *param_files]
    base_reads = base.read(all_files)
    head_reads = head.read(all_files)
    metrics = diff(
        snapshot(base_reads, metric_files, load_metrics, strict=False),
        snapshot(head_reads, metric_files, load_metrics, strict=True),
    )
    params = diff(
        snapshot(base_reads, param_files, load_params, strict=False),
        snapshot(head_reads, param_files, load_params, strict=True),
    )
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
        notes=tuple(notes),
    )
