"""What a `dvc.yaml` declares (metrics, params, plots, outs) and what a `dvc.lock` records. Pure.

Stage-level and top-level forms are both read, paths are made relative to the repository root
(stage `wdir:` applied), and templated stages (`foreach`/`matrix`) are skipped with a note.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlgate.errors import InputError
from mlgate.metrics import parse_document

DEFAULT_PARAMS = "params.yaml"


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


@dataclass(frozen=True)
class Pipeline:
    metrics: tuple[Output, ...] = ()
    params: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    plots: tuple[PlotDef, ...] = ()
    outs: tuple[Output, ...] = ()
    stages: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def metric_paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.path for m in self.metrics))

    def output(self, path: str) -> Output | None:
        for out in (*self.metrics, *self.outs):
            if out.path == path:
                return out
        for plot in self.plots:
            for src, _y in plot.sources:
                if src == path:
                    return Output(path, plot.cache)
        return None


def _join(wdir: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(wdir, path)) if wdir not in ("", ".") else path


def _outputs(items: Any, wdir: str, stage: str | None, source: str) -> list[Output]:
    out: list[Output] = []
    for item in items or []:
        if isinstance(item, str):
            out.append(Output(_join(wdir, item), True, stage))
        elif isinstance(item, Mapping):
            for path, opts in item.items():
                cache = True
                if isinstance(opts, Mapping):
                    cache = bool(opts.get("cache", True))
                out.append(Output(_join(wdir, str(path)), cache, stage))
        else:
            raise InputError(f"{source}: stage {stage!r}: cannot read output entry {item!r}")
    return out


def _plot_from(pid: str, opts: Any, wdir: str, cache: bool = True) -> PlotDef:
    opts = opts if isinstance(opts, Mapping) else {}
    y = opts.get("y")
    sources: list[tuple[str, str | None]] = []
    ys: list[str] = []
    if isinstance(y, Mapping):  # top-level form: y: {file.csv: col} or {file.csv: [a, b]}
        for file, cols in y.items():
            cols_list = cols if isinstance(cols, list) else [cols]
            for col in cols_list:
                sources.append((_join(wdir, str(file)), str(col) if col is not None else None))
                if col is not None:
                    ys.append(str(col))
    else:
        cols_list = y if isinstance(y, list) else ([y] if y is not None else [])
        ys = [str(c) for c in cols_list]
        sources = [(_join(wdir, pid), c) for c in ys] or [(_join(wdir, pid), None)]
    x = opts.get("x")
    if isinstance(x, Mapping):  # x: {file: col}
        x = next(iter(x.values()), None)
    return PlotDef(
        id=_join(wdir, pid) if not isinstance(y, Mapping) else pid,
        sources=tuple(sources),
        x=str(x) if x is not None else None,
        y=tuple(dict.fromkeys(ys)),
        template=str(opts.get("template", "linear")),
        title=opts.get("title"),
        x_label=opts.get("x_label"),
        y_label=opts.get("y_label"),
        cache=bool(opts.get("cache", cache)),
    )


def _plots(items: Any, wdir: str) -> list[PlotDef]:
    out: list[PlotDef] = []
    if isinstance(items, Mapping):  # an old form: plots as a mapping
        items = [{k: v} for k, v in items.items()]
    for item in items or []:
        if isinstance(item, str):
            out.append(_plot_from(item, None, wdir))
        elif isinstance(item, Mapping):
            for pid, opts in item.items():
                out.append(_plot_from(str(pid), opts, wdir))
    return out


def _params(items: Any, wdir: str, acc: dict[str, tuple[str, ...] | None]) -> None:
    for item in items or []:
        if isinstance(item, str):
            path = _join(wdir, DEFAULT_PARAMS)
            if acc.get(path, ()) is not None:
                acc[path] = (*(acc.get(path) or ()), item)
        elif isinstance(item, Mapping):
            for file, keys in item.items():
                path = _join(wdir, str(file))
                if not keys:
                    acc[path] = None  # the whole file
                elif acc.get(path, ()) is not None:
                    acc[path] = (*(acc.get(path) or ()), *map(str, keys))


def parse_pipeline(text: str | bytes, source: str = "dvc.yaml") -> Pipeline:
    doc = parse_document(text, source)
    if doc is None:
        return Pipeline()
    if not isinstance(doc, Mapping):
        raise InputError(f"{source}: expected a mapping with `stages:` at the top level")
    metrics: list[Output] = [Output(str(p), False) for p in doc.get("metrics") or []]
    plots = _plots(doc.get("plots"), "")
    params: dict[str, tuple[str, ...] | None] = {str(p): None for p in doc.get("params") or []}
    outs: list[Output] = []
    names: list[str] = []
    notes: list[str] = []
    stages = doc.get("stages") or {}
    if not isinstance(stages, Mapping):
        raise InputError(f"{source}: `stages:` must be a mapping of stage names to stages")
    for name, stage in stages.items():
        if not isinstance(stage, Mapping):
            raise InputError(f"{source}: stage {name!r} must be a mapping with `cmd:`")
        if "foreach" in stage or "matrix" in stage:
            notes.append(f"stage {name!r} is templated (foreach/matrix); its files are not read")
            continue
        names.append(str(name))
        wdir = str(stage.get("wdir", ""))
        metrics += _outputs(stage.get("metrics"), wdir, str(name), source)
        outs += _outputs(stage.get("outs"), wdir, str(name), source)
        for plot in _plots(stage.get("plots"), wdir):
            plots.append(plot)
        _params(stage.get("params"), wdir, params)
    # DVC reads a whole params file by default; the declared keys are kept for `--deps`.
    return Pipeline(
        metrics=tuple(metrics),
        params=params,
        plots=tuple(plots),
        outs=tuple(outs),
        stages=tuple(names),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class LockedOut:
    path: str
    md5: str
    size: int | None
    stage: str
    is_dir: bool = False


def parse_lock(text: str | bytes, source: str = "dvc.lock") -> dict[str, LockedOut]:
    """Outputs recorded in `dvc.lock`: path -> hash. InputError names a corrupt file."""
    doc = parse_document(text, source)
    if doc is None:
        return {}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("stages", {}), Mapping):
        raise InputError(f"{source}: corrupt lock file: expected `stages:` mapping")
    out: dict[str, LockedOut] = {}
    for name, stage in (doc.get("stages") or {}).items():
        if not isinstance(stage, Mapping):
            raise InputError(f"{source}: corrupt lock file: stage {name!r} is not a mapping")
        for entry in stage.get("outs") or []:
            if not isinstance(entry, Mapping) or "path" not in entry:
                raise InputError(f"{source}: corrupt lock file: bad output in stage {name!r}")
            md5 = entry.get("md5") or entry.get("etag") or ""
            out[str(entry["path"])] = LockedOut(
                path=str(entry["path"]),
                md5=str(md5),
                size=entry.get("size") if isinstance(entry.get("size"), int) else None,
                stage=str(name),
                is_dir=str(md5).endswith(".dir"),
            )
    return out


def diff_locks(
    base: Mapping[str, LockedOut], head: Mapping[str, LockedOut]
) -> list[tuple[str, str, int | None, int | None]]:
    """Outputs added, modified or deleted between two `dvc.lock`s, like `dvc diff`."""
    out: list[tuple[str, str, int | None, int | None]] = []
    for path in sorted({*base, *head}):
        old, new = base.get(path), head.get(path)
        if old is None and new is not None:
            out.append((path, "added", None, new.size))
        elif new is None and old is not None:
            out.append((path, "deleted", old.size, None))
        elif old is not None and new is not None and old.md5 != new.md5:
            out.append((path, "modified", old.size, new.size))
    return out
