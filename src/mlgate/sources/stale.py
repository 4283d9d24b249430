"""Stale head results: outputs that `dvc.lock` recorded for inputs which have changed since.

A pull request that edits `train.py` or `params.yaml` but does not re-run its pipeline carries
the old numbers: `dvc status` says the stage changed, and a gate comparing those numbers would
pass on no evidence (issue 20: stale is a failing gate). An output is stale when its stage, or a
stage upstream of it, has a dependency whose content, or a parameter whose value, differs from
what `dvc.lock` recorded, while the output itself is still the one recorded (an output rewritten
since, by training outside DVC, is not called stale). Read from the workspace without importing
DVC, checked against `dvc status` in the tests. Directory dependencies and stages in templated
`dvc.yaml` files are not checked: a note says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.errors import InputError
from mlgate.metrics import flatten_params, parse_document
from mlgate.paths import join
from mlgate.pipeline import is_templated
from mlgate.sources.dvcfiles import dvc_files, ignored_by
from mlgate.sources.revision import Workspace

_CHUNK = 1 << 20
_WHOLE = 64 << 20  # DVC 2's text hash (CRLF read as LF) needs the whole file: only below this

FIX = (
    "run `dvc repro` and commit dvc.lock with the results, or let mlgate train it "
    "(the action's `repro: true` input, `mlgate report --repro`)"
)


@dataclass(frozen=True)
class Staleness:
    outputs: Mapping[str, str] = field(default_factory=dict)  # output path -> why stale
    notes: tuple[str, ...] = ()


@dataclass
class _Stage:
    name: str
    lock: str
    deps: list[tuple[str, str]] = field(default_factory=list)  # (path, md5)
    raw: set[str] = field(default_factory=set)  # deps hashed as bytes (DVC 3's `hash: md5`)
    params: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # file -> key -> value
    outs: list[tuple[str, str]] = field(default_factory=list)  # (path, md5)
    changed: list[str] = field(default_factory=list)


def _file_matches(file: Path, md5: str, *, raw: bool = True) -> bool | None:
    """Does the workspace file still hash to `md5`? None when it is not a regular file. DVC 3
    (`hash: md5` in the lock) hashes the bytes; DVC 2 hashed a text file (no NUL in its first
    512 bytes, DVC's own test) with CRLF read as LF."""
    if not file.is_file() or file.is_symlink():
        return None
    digest = hashlib.md5()  # noqa: S324 - DVC's content address, not security
    with file.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() == md5:
        return True
    if raw or file.stat().st_size > _WHOLE:
        return False
    data = file.read_bytes()
    legacy = hashlib.md5(data.replace(b"\r\n", b"\n"))  # noqa: S324 - as above
    return b"\x00" not in data[:512] and legacy.hexdigest() == md5


@dataclass(frozen=True)
class _Declared:
    wdir: str
    cmd: Any  # as dvc.yaml writes it (a string or a list), compared with dvc.lock's
    deps: tuple[str, ...]


def _declared(doc: Any, directory: str) -> dict[str, _Declared]:
    """Each stage of a `dvc.yaml` as declared: its directory, command and dependencies."""
    stages = doc.get("stages") if isinstance(doc, Mapping) else None
    out: dict[str, _Declared] = {}
    for name, stage in (stages or {}).items() if isinstance(stages, Mapping) else ():
        if not isinstance(stage, Mapping):
            continue
        wdir = stage.get("wdir")
        where = join(directory, str(wdir)) if isinstance(wdir, str) else directory
        deps = stage.get("deps") or []
        paths = (
            tuple(join(where, d) for d in deps if isinstance(d, str))
            if isinstance(deps, list)
            else ()
        )
        out[str(name)] = _Declared(where, stage.get("cmd"), paths)
    return out


def _stages(lock: str, doc: Any, declared: Mapping[str, _Declared], directory: str) -> list[_Stage]:
    stages = doc.get("stages") if isinstance(doc, Mapping) else None
    if not isinstance(stages, Mapping):
        raise InputError(f"{lock}: expected `stages:`")
    found = []
    for name, entry in stages.items():
        if not isinstance(entry, Mapping):
            raise InputError(f"{lock}: stage {name!r} is not a mapping")
        said = declared.get(str(name))
        wdir = said.wdir if said else directory
        stage = _Stage(str(name), lock)
        locked: set[str] = set()
        for section, into in (("deps", stage.deps), ("outs", stage.outs)):
            for item in entry.get(section) or []:
                if isinstance(item, Mapping) and "path" in item:
                    path = join(wdir, str(item["path"]))
                    locked.add(path)
                    if item.get("md5"):
                        into.append((path, str(item["md5"])))
                        if item.get("hash") == "md5":
                            stage.raw.add(path)
        if said is not None:  # what `dvc status` calls a changed command or a new dependency
            if said.cmd != entry.get("cmd"):
                stage.changed.append("command changed")
            stage.changed += [f"{d} added as a dependency" for d in said.deps if d not in locked]
        for file, values in (entry.get("params") or {}).items():
            if isinstance(values, Mapping):
                stage.params[join(wdir, str(file))] = values
        found.append(stage)
    return found


def _check_deps(root: Path, stage: _Stage, notes: list[str]) -> None:
    for path, md5 in stage.deps:
        if md5.endswith(".dir"):
            notes.append(f"{path}: a directory dependency of stage {stage.name}; not checked")
            continue
        same = _file_matches(root / path, md5, raw=path in stage.raw)
        if same is None:
            stage.changed.append(f"{path} deleted")
        elif not same:
            stage.changed.append(f"{path} modified")


def _check_params(root: Path, stage: _Stage) -> None:
    for file, recorded in stage.params.items():
        try:
            current = flatten_params(parse_document((root / file).read_bytes(), file), file)
        except (OSError, InputError):
            stage.changed.append(f"{file} unreadable")
            continue
        wanted = flatten_params(recorded, file)
        for key, value in wanted.items():
            if current.get(key, _MISSING) != value:
                stage.changed.append(f"{file}:{key}")


_MISSING = object()


def _propagate(stages: list[_Stage]) -> None:
    """A stage whose dependency is the output of a changed stage is changed too (dvc repro
    would re-run it), though its own recorded inputs still match."""
    producer = {path: stage for stage in stages for path, _ in stage.outs}
    moved = True
    while moved:
        moved = False
        for stage in stages:
            if stage.changed:
                continue
            for path, _ in stage.deps:
                upstream = producer.get(path)
                if upstream is not None and upstream is not stage and upstream.changed:
                    stage.changed.append(f"upstream stage {upstream.name} changed")
                    moved = True
                    break


def of_workspace(ws: Workspace) -> Staleness:
    """Stale outputs of every pipeline in the checked-out head."""
    dvcignore = ws.read([".dvcignore"])[".dvcignore"].data
    yamls, _dvcs = dvc_files(ws._listing(), ignored_by(dvcignore))
    return check(ws.root, yamls)


def check(root: Path, dvc_yamls: Iterable[str]) -> Staleness:
    """Stale outputs of the pipelines in `dvc_yamls` (paths relative to `root`, the workspace)."""
    notes: list[str] = []
    stages: list[_Stage] = []
    for yaml in dvc_yamls:
        directory = yaml.rpartition("/")[0]
        lock = join(directory, "dvc.lock")
        if not (root / lock).is_file():
            continue
        try:
            doc = parse_document((root / yaml).read_bytes(), yaml)
            if is_templated(doc):
                notes.append(f"{yaml}: templated; whether its results are stale is not checked")
                continue
            lock_doc = parse_document((root / lock).read_bytes(), lock)
            stages += _stages(lock, lock_doc, _declared(doc, directory), directory)
        except (OSError, InputError) as exc:
            notes.append(f"{lock}: whether its results are stale is not checked ({exc})")
    for stage in stages:
        _check_deps(root, stage, notes)
        _check_params(root, stage)
    _propagate(stages)
    outputs: dict[str, str] = {}
    for stage in stages:
        if not stage.changed:
            continue
        what = ", ".join(stage.changed[:4]) + (" ..." if len(stage.changed) > 4 else "")
        why = f"stage {stage.name} changed since {stage.lock} was written ({what}); {FIX}"
        for path, md5 in stage.outs:
            file = root / path
            if not file.exists() or _file_matches(file, md5, raw=False):  # the recorded output
                outputs[path] = why
    return Staleness(outputs, tuple(dict.fromkeys(notes)))
