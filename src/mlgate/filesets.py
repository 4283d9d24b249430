"""Which files the report reads at each revision: its metrics, params and plot files, as each
revision's own DVC files declare them (dvclive's when there are none), or as `.mlgate.yml` and
the command line name them; a directory stands for the files inside it, as DVC expands it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from mlgate.config import Config
from mlgate.pipeline import Pipeline, PlotDef
from mlgate.settings import Settings
from mlgate.sources.revision import Revision

DVCLIVE_METRICS = "dvclive/metrics.json"
DVCLIVE_PARAMS = "dvclive/params.yaml"
DVCLIVE_PLOTS = "dvclive/plots/metrics"


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


def base_files(
    settings: Settings,
    config: Config,
    revisions: tuple[tuple[Revision, Pipeline], tuple[Revision, Pipeline]],
) -> tuple[list[str], list[str]]:
    """What a baseline must provide (`mlgate.baseline`): the metrics files of either revision,
    and every file the report may read at the base (those, params, plot data)."""
    (head, head_pipeline), (base, base_pipeline) = revisions
    needed = [
        *metric_files(settings, config, head_pipeline, head),
        *metric_files(settings, config, base_pipeline, base),
    ]
    wanted = [
        *needed,
        *param_files(settings, config, head_pipeline, head),
        *param_files(settings, config, base_pipeline, base),
        *(src for p in plot_defs(config, head_pipeline, base_pipeline) for src, _y in p.sources),
        DVCLIVE_PLOTS,
    ]
    return list(dict.fromkeys(needed)), list(dict.fromkeys(wanted))
