"""The cache of base trainings: what `training.base` kept from the base revision, under
`.cache/mlgate/base/<key>/` (key: base sha, command, hash of what the command depends on), a
directory `actions/cache` can keep between runs. A cache entry is hostile input: one that is
corrupt, made by another command, or committed to the repository is ignored with a note.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate import outdir
from mlgate import paths as repo_paths
from mlgate.errors import GitError, InputError
from mlgate.metrics import parse_document
from mlgate.regular import NotRegular, read_regular
from mlgate.report import Training
from mlgate.sources.git import Git

CACHE_DIR = ".cache/mlgate/base"
SCHEMA = 1
MAX_FILE_BYTES = 50 * 1024 * 1024  # one kept file (a metrics file is limited to 10 MB anyway)
MAX_ENTRY_BYTES = 200 * 1024 * 1024  # all files of one entry
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_FILES = 2_000  # files in one entry
KEEP_ENTRIES = 8  # newest entries kept; older ones are removed when a new one is written


@dataclass(frozen=True)
class Kept:
    """The base's files from a training (this job's or a cached one) and how it went."""

    files: dict[str, bytes]
    training: Training
    notes: tuple[str, ...] = field(default_factory=tuple)
    key: str = ""
    # files the base's training wrote that could not be kept, and why: unreadable, never new
    errors: dict[str, str] = field(default_factory=dict)
    # the paths the report asked for when the base was trained: an entry serves a later report
    # only when it asked for no more (a plot declared since is trained for, not shown as new)
    wanted: tuple[str, ...] = ()


def deps_hash(git: Git, sha: str, command: str, project: str) -> str:
    """What the command depends on at the base: for `dvc repro`, every dependency hash that the
    base's dvc.lock files record (DVC's own notion of "changed"); for any other command, every
    tracked file of the base (its tree id)."""
    if command == "dvc repro":
        tree = git.tree(sha)
        locks = sorted(p for p in tree if p == "dvc.lock" or p.endswith("/dvc.lock"))
        deps: list[Any] = []
        for path, data in git.read_files(sha, locks).items():
            if data is None:
                continue
            try:
                doc = parse_document(data, path)
            except InputError:
                deps.append([path, hashlib.sha256(data).hexdigest()])
                continue
            stages = doc.get("stages") if isinstance(doc, dict) else None
            for name, stage in stages.items() if isinstance(stages, dict) else []:
                if isinstance(stage, dict):
                    deps.append([path, str(name), stage.get("deps"), stage.get("params")])
        if deps:  # in the files' own order: the same lock gives the same hash
            try:
                text = json.dumps(deps, default=str)
            except (TypeError, ValueError):  # keys YAML allows and JSON does not
                text = repr(deps)
            return hashlib.sha256(text.encode()).hexdigest()
    tree_id = git.run("rev-parse", f"{sha}^{{tree}}").strip()
    return f"tree:{tree_id}:{project}"


def cache_key(sha: str, command: str, deps: str) -> str:
    digest = hashlib.sha256(f"{sha}\0{command}\0{deps}".encode()).hexdigest()[:16]
    return f"{sha[:12]}-{digest}"


def cache_root(repo_root: Path) -> Path:
    return repo_root / CACHE_DIR


def _confined_dir(repo_root: Path, directory: Path) -> str | None:
    """Why `directory` may not be used (a link anywhere on the way), or None."""
    here = repo_root
    for part in directory.relative_to(repo_root).parts:
        here = here / part
        if here.is_symlink():
            return f"{here.relative_to(repo_root)} is a symbolic link"
    return None


def _committed(git: Git) -> bool:
    with contextlib.suppress(GitError):
        return bool(git.run("ls-files", "--", ":(top).cache/mlgate").strip())
    return False


def load(
    repo_root: Path,
    git: Git,
    *,
    key: str,
    sha: str,
    command: str,
    deps: str,
    wanted: Iterable[str] = (),
) -> tuple[Kept | None, list[str]]:
    """The cache entry for `key`, checked file by file, or None with the reasons: also when
    the report now asks for a path the entry was not made for (issue 25)."""
    top = cache_root(repo_root)
    notes: list[str] = []
    if not top.exists():
        return None, notes
    if why := _confined_dir(repo_root, top):
        return None, [f"base cache {CACHE_DIR} ignored: {why}"]
    if _committed(git):
        return None, [
            f"base cache {CACHE_DIR} ignored: it is committed to the repository, where a pull "
            "request could forge the base's results; add `.cache/` to .gitignore"
        ]
    try:
        names = sorted(p.name for p in top.iterdir())
    except OSError as exc:
        return None, [f"base cache {CACHE_DIR} unreadable ({exc.strerror}); training the base"]
    for name in names:
        if name.startswith(sha[:12] + "-") and name != key:
            notes.append(
                f"base cache entry {name} is for another command or other dependencies of "
                f"{sha[:7]}; ignored"
            )
    if key not in names:
        return None, notes
    try:
        kept = _read_entry(top / key, key=key, sha=sha, command=command, deps=deps)
    except _Corrupt as exc:
        notes.append(f"base cache entry {key} ignored: {exc}; training the base again")
        return None, notes
    if missing := _not_covered(kept, wanted):
        notes.append(
            f"base cache entry {key} was made before {', '.join(missing)} was asked for; "
            "training the base again"
        )
        return None, notes
    return kept, notes


def _not_covered(kept: Kept, wanted: Iterable[str]) -> list[str]:
    """The wanted paths the entry neither asked for when it was made nor holds."""
    return [
        path
        for path in wanted
        if path not in kept.wanted
        and path not in kept.errors
        and not any(repo_paths.is_under(f, path) for f in kept.files)
    ]


class _Corrupt(Exception):
    pass


def _read_regular(directory: Path, rel: str, limit: int) -> bytes:
    path = directory / rel
    real = path.resolve()
    if not real.is_relative_to(directory.resolve()):
        raise _Corrupt(f"{rel} leads out of the entry")
    try:
        return read_regular(path, limit, follow=False)
    except NotRegular as exc:
        raise _Corrupt(f"{rel}: {exc.why}") from exc


def _read_entry(entry: Path, *, key: str, sha: str, command: str, deps: str) -> Kept:
    if entry.is_symlink() or not entry.is_dir():
        raise _Corrupt("not a directory")
    raw = _read_regular(entry, "entry.json", MAX_MANIFEST_BYTES)
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _Corrupt(f"entry.json is not valid JSON ({type(exc).__name__})") from exc
    if not isinstance(doc, dict) or doc.get("mlgate_base_cache") != SCHEMA:
        raise _Corrupt(f"entry.json is not an mlgate base cache entry (schema {SCHEMA})")
    expect = {"key": key, "sha": sha, "command": command, "deps": deps}
    for name, value in expect.items():
        if doc.get(name) != value:
            raise _Corrupt(f"entry.json: {name} is {str(doc.get(name))[:80]!r}, not {value[:80]!r}")
    seconds = doc.get("seconds")
    files = doc.get("files")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise _Corrupt("entry.json: seconds: expected a number")
    if not isinstance(files, dict):
        raise _Corrupt("entry.json: files: expected a mapping of path to sha256")
    if len(files) > MAX_FILES:
        raise _Corrupt(f"entry.json: files: more than mlgate's limit of {MAX_FILES:,} files")
    out: dict[str, bytes] = {}
    total = 0
    for path, digest in files.items():
        if not isinstance(path, str) or (why := repo_paths.refusal(path)):
            raise _Corrupt(f"entry.json: files: {str(path)[:80]!r}: {why or 'not a path'}")
        if path != repo_paths.normalize(path):
            raise _Corrupt(f"entry.json: files: {path[:80]!r} is not a normalized path")
        if not isinstance(digest, str):
            raise _Corrupt(f"entry.json: files: {path}: expected a sha256")
        data = _read_regular(entry / "files", path, MAX_FILE_BYTES)
        total += len(data)
        if total > MAX_ENTRY_BYTES:
            raise _Corrupt(f"larger than {MAX_ENTRY_BYTES:,} bytes in all")
        if hashlib.sha256(data).hexdigest() != digest:
            raise _Corrupt(f"files/{path} does not match its sha256 in entry.json")
        out[path] = data
    errors = doc.get("errors", {})
    if not isinstance(errors, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in errors.items()
    ):
        raise _Corrupt("entry.json: errors: expected a mapping of path to reason")
    asked = doc.get("wanted", [])  # absent in entries made before issue 25: what they hold
    if not isinstance(asked, list) or not all(isinstance(p, str) for p in asked):
        raise _Corrupt("entry.json: wanted: expected a list of paths")
    tail = doc.get("output_tail")
    training = Training(
        command, 0, seconds=float(seconds), output_tail=tail if isinstance(tail, str) else ""
    )
    return Kept(out, training, key=key, errors=errors, wanted=tuple(asked))


def save(repo_root: Path, kept: Kept, *, key: str, sha: str, command: str, deps: str) -> str | None:
    """Write the entry (a temporary directory renamed into place); the reason when it cannot."""
    top = cache_root(repo_root)
    try:
        top.mkdir(parents=True, exist_ok=True)
        if why := _confined_dir(repo_root, top):
            return f"base results not cached: {why}"
        outdir.ignore_all(top.parent)  # .cache/mlgate/: never committed by `git add -A`
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=top))
        for path, data in kept.files.items():
            file = tmp / "files" / path
            file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        manifest = {
            "mlgate_base_cache": SCHEMA,
            "key": key,
            "sha": sha,
            "command": command,
            "deps": deps,
            "seconds": round(kept.training.seconds, 3),
            "output_tail": kept.training.output_tail,
            "files": {p: hashlib.sha256(d).hexdigest() for p, d in kept.files.items()},
            "errors": kept.errors,
            "wanted": list(kept.wanted),
        }
        (tmp / "entry.json").write_text(json.dumps(manifest, indent=1) + "\n")
        final = top / key
        if final.is_symlink() or final.is_file():
            final.unlink()
        elif final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
        _prune(top, keep=final)
    except OSError as exc:
        return f"base results not cached in {CACHE_DIR}: {exc.strerror or exc}"
    return None


def _prune(top: Path, keep: Path) -> None:
    """The newest KEEP_ENTRIES entries stay, so a cache restored run after run stays small."""
    entries = [p for p in top.iterdir() if p.is_dir() and not p.is_symlink() and p != keep]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ENTRIES - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
