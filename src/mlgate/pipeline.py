"""What DVC files declare (metrics, params, plots, outs) and record (hashes, `dvclock`). Pure.

A revision may hold several `dvc.yaml` (one pipeline per model in a monorepo), each with its
`dvc.lock`, and `.dvc` files from `dvc add`. Each is parsed from its already-loaded document with
the directory it sits in, so every path comes out relative to the project root, as DVC reports
them (stage `wdir:` applied). Templated files (`vars`, `foreach`, `matrix`, `${...}`) are first
resolved by DVC itself (`sources.dvc`), then read here like any other.

Wrong shapes raise InputError naming the file and the key: at head the user must fix them; at
base they become a reason that fails the affected gates closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlgate.charttable import unknown_template
from mlgate.dvclock import LockedOut, lock_entry
from mlgate.errors import InputError
from mlgate.fileread import FileRead
from mlgate.paths import is_under, join
from mlgate.schema import at, described, list_at, mapping_at, text_at

DEFAULT_PARAMS = "params.yaml"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")


@dataclass(frozen=True)
class Output:
    path: str
    cache: bool = True
    stage: str | None = None


@dataclass(frozen=True)
class PlotDef:
    """One plot: an id (its name in the report) and where its data comes from."""

    id: str
    sources: tuple[tuple[str, str | None], ...]  # (file, y field or None)
    x: str | None = None
    y: tuple[str, ...] = ()
    template: str = "linear"
    title: str | None = None
    x_label: str | None = None
    y_label: str | None = None
    cache: bool = True
    path_id: bool = False  # the id is a path: a file, or a directory with one plot per file
    x_files: tuple[tuple[str, str], ...] = ()  # `x: {file: field}`: a file's own x field

    def x_for(self, file: str) -> str | None:
        return dict(self.x_files).get(file, self.x)

    @property
    def is_image(self) -> bool:
        return all(src.lower().endswith(IMAGE_SUFFIXES) for src, _y in self.sources)


@dataclass(frozen=True)
class Pipeline:
    metrics: tuple[Output, ...] = ()
    # file -> the keys DVC tracks in it, or None for the whole file (`dvc params diff` shows these)
    params: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    plots: tuple[PlotDef, ...] = ()
    outs: tuple[Output, ...] = ()  # every output a stage or `.dvc` file declares
    stages: tuple[str, ...] = ()
    locked: Mapping[str, LockedOut] = field(default_factory=dict)
    deps: Mapping[str, LockedOut] = field(default_factory=dict)  # stage inputs dvc.lock records
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # DVC files that could not be read: nothing here is certain

    @property
    def metric_paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.path for m in self.metrics))

    def owner(self, path: str) -> Output | None:
        """The declared output `path` is, or lies inside (a file in a directory output)."""
        best: Output | None = None
        for out in self.outs:
            if is_under(path, out.path) and (best is None or len(out.path) > len(best.path)):
                best = out
        return best

    def locked_owner(self, path: str) -> LockedOut | None:
        best: LockedOut | None = None
        for out in self.locked.values():
            if is_under(path, out.path) and (best is None or len(out.path) > len(best.path)):
                best = out
        return best


def _outputs(
    items: Any, base: str, stage: str, source: str, key: str
) -> list[tuple[Output, str, Mapping[str, Any]]]:
    """(output, its path as written, its options) for each entry of a stage's list."""
    out: list[tuple[Output, str, Mapping[str, Any]]] = []
    for i, item in enumerate(list_at(items, source, "stages", stage, key)):
        if isinstance(item, Mapping):
            for path, opts in item.items():
                props = mapping_at(opts, source, "stages", stage, key, i, str(path))
                cache = props.get("cache", True)
                out.append((Output(join(base, str(path)), bool(cache), stage), str(path), props))
        else:
            raw = text_at(item, source, "stages", stage, key, i)
            out.append((Output(join(base, raw), True, stage), raw, {}))
    return out


def _plot_def(pid: str, opts: Mapping[str, Any], base: str, cache: bool, source: str) -> PlotDef:
    y = opts.get("y")
    x = opts.get("x")
    sources: list[tuple[str, str | None]] = []
    ys: list[str] = []
    path_id = not isinstance(y, Mapping)
    if isinstance(y, Mapping):  # y: {file: col} or {file: [a, b]}: the id is a name
        for file, cols in y.items():
            for col in cols if isinstance(cols, list) else [cols]:
                sources.append((join(base, str(file)), None if col is None else str(col)))
                if col is not None:
                    ys.append(str(col))
    else:
        cols = y if isinstance(y, list) else ([] if y is None else [y])
        ys = [str(c) for c in cols]
        sources = [(join(base, pid), c) for c in ys] or [(join(base, pid), None)]
    x_files: tuple[tuple[str, str], ...] = ()
    if isinstance(x, Mapping):  # x: {file: col}: each file's own x field
        x_files = tuple((join(base, str(f)), str(c)) for f, c in x.items())
        x = next(iter(x.values()), None)
    for key in ("template", "title", "x_label", "y_label"):
        value = opts.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(
                f"{source}: plot {pid!r}: `{key}` must be text, got {described(value)}"
            )
    return PlotDef(
        id=join(base, pid) if path_id else pid,
        sources=tuple(dict.fromkeys(sources)),
        x=None if x is None else str(x),
        y=tuple(dict.fromkeys(ys)),
        template=str(opts.get("template") or "linear"),
        title=opts.get("title"),
        x_label=opts.get("x_label"),
        y_label=opts.get("y_label"),
        cache=bool(opts.get("cache", cache)),
        path_id=path_id,
        x_files=x_files,
    )


def _drawable(plot: PlotDef, source: str, notes: list[str]) -> list[PlotDef]:
    """The plot, or none and a note when no chart kind draws its `template:`."""
    why = unknown_template(plot.template)
    if why is None:
        return [plot]
    notes.append(f"{source}: plot {plot.id!r}: {why}")
    return []


def _top_plots(items: Any, base: str, source: str, notes: list[str]) -> list[PlotDef]:
    if isinstance(items, Mapping):  # an old form: plots as a mapping
        items = [{k: v} for k, v in items.items()]
    out: list[PlotDef] = []
    for i, item in enumerate(list_at(items, source, "plots")):
        if isinstance(item, Mapping):
            for pid, opts in item.items():
                props = mapping_at(opts, source, "plots", i)
                out += _drawable(_plot_def(str(pid), props, base, True, source), source, notes)
        else:
            out.append(_plot_def(text_at(item, source, "plots", i), {}, base, True, source))
    return out


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_has_template(k) or _has_template(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False


def is_templated(doc: Any) -> bool:
    """True when DVC must resolve the file first: `vars`, `foreach`, `matrix` or `${...}`."""
    if not isinstance(doc, Mapping):
        return False
    if "vars" in doc:
        return True
    stages = doc.get("stages")
    if isinstance(stages, Mapping) and any(
        isinstance(s, Mapping) and ("foreach" in s or "matrix" in s or "vars" in s)
        for s in stages.values()
    ):
        return True
    return _has_template(doc)


@dataclass
class Declared:
    """What one DVC file declares, before the files of a revision are merged."""

    metrics: list[Output] = field(default_factory=list)
    params: list[tuple[str, tuple[str, ...] | None]] = field(default_factory=list)
    plots: list[PlotDef] = field(default_factory=list)
    outs: list[Output] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    wdirs: dict[str, str] = field(default_factory=dict)  # stage -> its directory (for dvc.lock)
    notes: list[str] = field(default_factory=list)


def parse_dvc_yaml(doc: Any, directory: str, source: str) -> Declared:
    """One (resolved) `dvc.yaml` in `directory` (relative to the project root)."""
    found = Declared()
    if doc is None:
        return found
    if not isinstance(doc, Mapping):
        raise InputError(f"{source}: expected a mapping with `stages:` at the top level")
    for i, item in enumerate(list_at(doc.get("metrics"), source, "metrics")):
        found.metrics.append(Output(join(directory, text_at(item, source, "metrics", i)), False))
    for i, item in enumerate(list_at(doc.get("params"), source, "params")):
        found.params.append((join(directory, text_at(item, source, "params", i)), None))
    found.plots += _top_plots(doc.get("plots"), directory, source, found.notes)
    for key, stage in mapping_at(doc.get("stages"), source, "stages").items():
        name = str(key)
        if not isinstance(stage, Mapping):
            raise InputError(f"{at(source, 'stages', name)}: expected a mapping with `cmd:`")
        if "foreach" in stage or "matrix" in stage:  # only when DVC could not resolve it
            found.notes.append(f"{source}: stage {name!r} is templated and was not expanded")
            continue
        wdir = join(directory, text_at(stage.get("wdir", "."), source, "stages", name, "wdir"))
        found.stages.append(name)
        found.wdirs[name] = wdir
        for out, _raw, _props in _outputs(stage.get("outs"), wdir, name, source, "outs"):
            found.outs.append(out)
        for out, _raw, _props in _outputs(stage.get("metrics"), wdir, name, source, "metrics"):
            found.metrics.append(out)
            found.outs.append(out)
        for out, raw, props in _outputs(stage.get("plots"), wdir, name, source, "plots"):
            found.plots += _drawable(
                _plot_def(raw, props, wdir, out.cache, source), source, found.notes
            )
            found.outs.append(out)
        _stage_params(stage.get("params"), wdir, name, source, found)
    return found


def _stage_params(items: Any, wdir: str, stage: str, source: str, found: Declared) -> None:
    for i, item in enumerate(list_at(items, source, "stages", stage, "params")):
        if isinstance(item, Mapping):
            for file, keys in item.items():
                path = join(wdir, str(file))
                if not keys:
                    found.params.append((path, None))  # `- file.yaml:` tracks the whole file
                    continue
                listed = list_at(keys, source, "stages", stage, "params", i, str(file))
                for j, k in enumerate(listed):
                    if not isinstance(k, str):
                        where = at(source, "stages", stage, "params", i, str(file), j)
                        raise InputError(f"{where}: expected a parameter name, got {described(k)}")
                found.params.append((path, tuple(listed)))
        elif isinstance(item, str):
            found.params.append((join(wdir, DEFAULT_PARAMS), (item,)))
        else:
            raise InputError(
                f"{at(source, 'stages', stage, 'params', i)}: expected a parameter name or "
                f"a mapping of a params file to its keys, got {described(item)}"
            )


def parse_dvc_file(doc: Any, directory: str, source: str) -> tuple[Declared, dict[str, LockedOut]]:
    """A `.dvc` file from `dvc add`: its outputs and their hashes (not a stage to train)."""
    found = Declared()
    locked: dict[str, LockedOut] = {}
    body = mapping_at(doc, source)
    wdir = join(directory, text_at(body.get("wdir", "."), source, "wdir"))
    for i, item in enumerate(list_at(body.get("outs"), source, "outs")):
        entry = mapping_at(item, source, "outs", i)
        if "path" not in entry:
            raise InputError(f"{at(source, 'outs', i)}: an output without `path:`")
        path = join(wdir, text_at(entry["path"], source, "outs", i, "path"))
        found.outs.append(Output(path, bool(entry.get("cache", True)), source))
        if (out := lock_entry(entry, path, source)) is not None:
            locked[path] = out
    return found, locked


def merge(
    parts: Iterable[Declared],
    locked: Mapping[str, LockedOut] = {},  # read only
    *,
    deps: Mapping[str, LockedOut] = {},  # read only
    default_params: bool = False,
    notes: Iterable[str] = (),
    errors: Iterable[str] = (),
) -> Pipeline:
    """One revision's pipeline from its DVC files. Params are merged as DVC merges them: a file
    tracked whole anywhere is read whole; else only the keys the stages name."""
    metrics: list[Output] = []
    plots: list[PlotDef] = []
    outs: list[Output] = []
    stages: list[str] = []
    all_notes = list(notes)
    params: dict[str, tuple[str, ...] | None] = {}
    declared: list[tuple[str, tuple[str, ...] | None]] = []
    for part in parts:
        metrics += part.metrics
        plots += part.plots
        outs += part.outs
        stages += part.stages
        declared += part.params
        all_notes += part.notes
    if default_params:
        declared.append((DEFAULT_PARAMS, None))
    whole = {path for path, keys in declared if keys is None}
    for path, keys in declared:
        if path in whole:
            params[path] = None
        else:
            params[path] = tuple(dict.fromkeys([*(params.get(path) or ()), *(keys or ())]))
    return Pipeline(
        metrics=tuple(metrics),
        params=params,
        plots=tuple(plots),
        outs=tuple(outs),
        stages=tuple(stages),
        locked=dict(locked),
        deps=dict(deps),
        notes=tuple(all_notes),
        errors=tuple(errors),
    )


@dataclass(frozen=True)
class PlotFiles:
    """One plot and the bytes of each of its files at base and head (or why there are none)."""

    plot: PlotDef
    base: Mapping[str, FileRead]
    head: Mapping[str, FileRead]

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(src for src, _y in self.plot.sources))
