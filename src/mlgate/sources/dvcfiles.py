"""A revision's DVC files: which it has (DVC's own state, `.dvcignore` and subrepos left out,
as DVC does), and the pipeline they declare, parsed by `mlgate.pipeline` (templated files first
resolved by DVC). Broken files raise at head and are reasons at base."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mlgate import paths as repo_paths
from mlgate.dvclock import LockedOut, parse_lock
from mlgate.errors import InputError
from mlgate.fileread import FileRead
from mlgate.metrics import parse_document
from mlgate.pipeline import (
    DEFAULT_PARAMS,
    Declared,
    Pipeline,
    is_templated,
    merge,
    parse_dvc_file,
    parse_dvc_yaml,
)
from mlgate.sources.project import in_subrepo, subrepos


def ignored_by(dvcignore: bytes | None) -> Callable[[str], bool]:
    """DVC's `.dvcignore` (gitignore patterns, at the project root) as a test on a path."""
    lines = dvcignore.decode("utf-8", errors="replace").splitlines() if dvcignore else []
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return lambda _path: False  # `dvc init`'s file is comments only
    import pathspec  # only for a .dvcignore with patterns: not on every start-up

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return lambda path: bool(spec.match_file(path))


def dvc_files(
    names: Iterable[str], ignored: Callable[[str], bool] = lambda _p: False
) -> tuple[list[str], list[str]]:
    """(`dvc.yaml` files, `.dvc` files) among repository paths, DVC's own state, what
    `.dvcignore` hides and what DVC subrepos below hold left out (DVC never reads those)."""
    names = list(names)
    nested = subrepos(names)
    yamls, dvcs = [], []
    for name in names:
        if name.startswith(".dvc/") or "/.dvc/" in name or repo_paths.refusal(name):
            continue
        if nested and in_subrepo(name, nested):
            continue
        if ignored(name):
            continue
        base = name.rsplit("/", 1)[-1]
        if base == "dvc.yaml":
            yamls.append(name)
        elif base.endswith(".dvc") and base != ".dvc":
            dvcs.append(name)
    return sorted(yamls), sorted(dvcs)


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def lock_path(dvc_yaml: str) -> str:
    """The `dvc.lock` beside a `dvc.yaml`."""
    directory = _dirname(dvc_yaml)
    return f"{directory}/dvc.lock" if directory else "dvc.lock"


def build_pipeline(
    label: str,
    yamls: list[str],
    dvcs: list[str],
    contents: Mapping[str, FileRead],
    *,
    has_default_params: bool,
    resolver: Callable[[Mapping[str, Any], str, str], Mapping[str, Any]] | None,
    strict: bool,
) -> Pipeline:
    """Parse every DVC file of a revision. With `strict` (head) a broken file is an InputError
    the user must fix; otherwise (base) it is kept as a reason in `errors`."""
    parts: list[Declared] = []
    locked: dict[str, LockedOut] = {}
    deps: dict[str, LockedOut] = {}
    errors: list[str] = []
    notes: list[str] = []
    where = "" if strict else f" at {label}"

    def fail(exc: Exception) -> None:
        if strict:
            raise exc
        errors.append(str(exc))

    for path in yamls:
        source = f"{path}{where}"
        directory = _dirname(path)
        try:
            part = _dvc_yaml(contents[path], directory, source, resolver)
        except InputError as exc:
            fail(exc)
            continue
        parts.append(part)
        lock = contents.get(lock_path(path))
        if lock is None or lock.data is None:
            continue
        try:
            outs, ins = _lock(lock, directory, f"{lock_path(path)}{where}", part)
        except InputError as exc:
            if strict:  # DVC rewrites the workspace's lock; it costs the data-changes section
                notes.append(f"{exc}; DVC-tracked outputs of {path} are not listed")
            else:
                errors.append(str(exc))
            continue
        locked.update(outs)
        deps.update(ins)
    for path in dvcs:
        source = f"{path}{where}"
        try:
            part, outs = parse_dvc_file(_document(contents[path], source), _dirname(path), source)
        except InputError as exc:
            fail(exc)
            continue
        parts.append(part)
        locked.update(outs)
    return merge(
        parts, locked, deps=deps, default_params=has_default_params, notes=notes, errors=errors
    )


def _dvc_yaml(
    read: FileRead,
    directory: str,
    source: str,
    resolver: Callable[[Mapping[str, Any], str, str], Mapping[str, Any]] | None,
) -> Declared:
    """One `dvc.yaml`, resolved by DVC first when templated."""
    doc = _document(read, source)
    if is_templated(doc):
        if resolver is None:
            raise InputError(f"{source}: templated, and DVC is not available to resolve it")
        doc = resolver(doc, directory, source)
    return parse_dvc_yaml(doc, directory, source)


def _lock(
    lock: FileRead, directory: str, source: str, part: Declared
) -> tuple[dict[str, LockedOut], dict[str, LockedOut]]:
    """A `dvc.lock`'s outputs and dependencies, as recorded."""
    doc = _document(lock, source)
    outs = parse_lock(doc, directory, source, part.wdirs)
    return outs, parse_lock(doc, directory, source, part.wdirs, section="deps")


def _document(read: FileRead, source: str) -> Any:
    if read.data is None:
        raise InputError(f"{source}: {read.error or 'unreadable'}")
    return parse_document(read.data, source)


def vars_files(doc: Mapping[str, Any], directory: str) -> list[str]:
    """The files DVC's resolver would load for `doc`: `vars` entries (top-level and per stage,
    `file.yaml:key` forms included) and the default params.yaml beside it."""
    entries: list[Any] = list(doc.get("vars") or []) if isinstance(doc.get("vars"), list) else []
    stages = doc.get("stages")
    if isinstance(stages, Mapping):
        for stage in stages.values():
            if isinstance(stage, Mapping) and isinstance(stage.get("vars"), list):
                entries += stage["vars"]
    files = [repo_paths.join(directory, DEFAULT_PARAMS)]
    for entry in entries:
        if isinstance(entry, str):
            files.append(repo_paths.join(directory, entry.split(":", 1)[0]) if entry else "")
    return files
