"""Read one revision of the project the way DVC sees it: the workspace (head), or a git revision
(base) that is never checked out.

A revision answers three questions: which DVC files it has and what they declare (`pipeline`),
what a file holds (`read`), and which files a directory holds (`expand`). Git-tracked files are
read by object id from one `git ls-tree` and one `git cat-file --batch` (the fast path: no DVC
import); files DVC tracks go through DVC's own file system over the revision (`sources.dvc`).

Every read gives bytes, or the reason there are none, and says whether the revision simply does
not have the file (`absent`: a value there is new) or has it but it could not be read (a gate
on it fails closed). Paths come from files a pull request wrote: a path outside the repository,
into `.git`, through a symlink leading out, or with control characters is refused with a reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from mlgate import limits
from mlgate import paths as repo_paths
from mlgate.dvclock import LockedOut
from mlgate.errors import GitError, InputError
from mlgate.fileread import FileRead
from mlgate.pipeline import DEFAULT_PARAMS, Pipeline
from mlgate.regular import NotRegular, read_regular
from mlgate.sources.dvc import DvcAt
from mlgate.sources.dvccache import LocalCache
from mlgate.sources.dvcfiles import build_pipeline, dvc_files, ignored_by, lock_path, vars_files
from mlgate.sources.dvcopen import Unavailable
from mlgate.sources.git import SYMLINK, Git, blocked_reason


class Revision(Protocol):
    label: str

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        """Each path's bytes, or the reason it is unavailable."""
        ...

    def expand(self, path: str) -> list[str] | None:
        """The files inside `path` if it is a directory at this revision, else None."""
        ...

    def pipeline(self) -> Pipeline:
        """What the revision's DVC files declare and record."""
        ...


class Resolvable:
    """Shared by both revisions: the DVC view, opened only when a file needs it."""

    dvc: DvcAt | None
    label: str

    def vars_refusal(self, path: str) -> str | None:
        """Why DVC may not load `path` while resolving a template; None when it may."""
        return repo_paths.refusal(path)

    def resolver(self) -> Callable[[Mapping[str, Any], str, str], Mapping[str, Any]] | None:
        dvc = self.dvc
        if dvc is None:
            return None

        def resolve(doc: Mapping[str, Any], directory: str, source: str) -> Mapping[str, Any]:
            # DVC's resolver reads `vars` files itself, through links and absolute paths: a PR
            # must not make it load a file from outside the repository into the report.
            for file in vars_files(doc, directory):
                if why := self.vars_refusal(file):
                    raise InputError(f"{source}: `vars` file {file!r} is not loaded: {why}")
            try:
                return dvc.resolve(doc, directory, source)
            except Unavailable as exc:
                raise InputError(str(exc)) from exc

        return resolve


class GitRevision(Resolvable):
    """A commit, read from git's object store (never checked out) and DVC's view of it."""

    def __init__(
        self,
        git: Git,
        sha: str,
        label: str,
        *,
        dvc: DvcAt | None = None,
        cache: LocalCache | None = None,
    ) -> None:
        self.git = git
        self.sha = sha
        self.label = label
        self.dvc = dvc
        self.cache = cache
        self._pipeline: Pipeline | None = None

    def files(self) -> dict[str, Any]:
        return self.git.tree(self.sha)

    def vars_refusal(self, path: str) -> str | None:
        entry = self.files().get(path)
        if entry is not None and entry.mode == SYMLINK:
            return f"a symbolic link at {self.label}"
        return repo_paths.refusal(path)

    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            tree = self.files()
            ignore = self._read_git([".dvcignore"])[".dvcignore"].data
            yamls, dvcs = dvc_files(tree, ignored_by(ignore))
            locks = [lock_path(y) for y in yamls]
            wanted = [*yamls, *locks, *dvcs]
            contents = self._read_git(wanted)
            self._pipeline = build_pipeline(
                self.label,
                yamls,
                dvcs,
                contents,
                has_default_params=DEFAULT_PARAMS in tree,
                resolver=self.resolver(),
                strict=False,
            )
        return self._pipeline

    def _read_git(self, paths: Iterable[str]) -> dict[str, FileRead]:
        """Blobs of the tree; a path the tree lists whose object git cannot produce (a damaged
        store, a partial clone) is unreadable, never absent."""
        data = self.git.read_files(self.sha, paths)
        tree = self.files()
        out: dict[str, FileRead] = {}
        for path, blob in data.items():
            if blob is not None:
                out[path] = FileRead(blob)
            elif path in tree:
                out[path] = FileRead(
                    None,
                    f"{path} is in the tree of {self.label} but git cannot read its object "
                    f"{tree[path].oid[:12]} (a damaged or partial clone); fetch it again",
                )
            else:
                out[path] = FileRead(None, f"not found at {self.label}", absent=True)
        return out

    def expand(self, path: str) -> list[str] | None:
        prefix = path.rstrip("/") + "/"
        inside = sorted(p for p in self.files() if p.startswith(prefix))
        if inside:
            return inside
        owner = self.pipeline().locked_owner(path)
        if owner is None or not owner.is_dir:
            return None
        if self.cache is not None and (found := self.cache.listing(path, owner)) is not None:
            return found or None
        return self.dvc.find(path) if self.dvc is not None else None

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        wanted = list(dict.fromkeys(paths))
        tree = self.files()
        out: dict[str, FileRead] = {}
        in_git: list[str] = []
        via_dvc: dict[str, LockedOut] = {}
        for path in wanted:
            if why := repo_paths.refusal(path):
                out[path] = FileRead(None, f"{path}: not read: {why}")
                continue
            entry = tree.get(path)
            if entry is None and (why := self.blocked(path)):
                out[path] = FileRead(None, why)
                continue
            if entry is not None:
                if entry.mode == SYMLINK:
                    out[path] = FileRead(
                        None, f"{path} is a symbolic link at {self.label}; links are not followed"
                    )
                elif entry.kind != "blob":
                    out[path] = FileRead(None, f"{path} is a git submodule at {self.label}")
                else:
                    in_git.append(path)
                continue
            out[path] = self._not_in_git(path, via_dvc)
        out.update(self._read_git(in_git))
        if via_dvc:
            assert self.dvc is not None
            out.update(self.dvc.read(via_dvc))
        return {p: out[p] for p in wanted}

    def blocked(self, path: str) -> str | None:
        """Why `path` cannot be read here although something is on its way (issue 20)."""
        return blocked_reason(self.files(), path, self.label)

    def _not_in_git(self, path: str, via_dvc: dict[str, LockedOut]) -> FileRead:
        pipeline = self.pipeline()
        locked = pipeline.locked_owner(path)
        if locked is not None:
            if self.cache is not None and (cached := self.cache.read(path, locked, self.label)):
                return cached
            if self.dvc is None:
                return FileRead(
                    None, f"{path} is DVC-tracked at {self.label} but DVC is not set up"
                )
            via_dvc[path] = locked
            return FileRead(None, "pending")
        if any(p.startswith(path.rstrip("/") + "/") for p in self.files()):
            return FileRead(None, f"{path} is a directory at {self.label}")
        declared = pipeline.owner(path)
        if declared is not None:
            what = f"stage {declared.stage!r}" if declared.stage else "a DVC file"
            if declared.cache:
                return FileRead(
                    None,
                    f"{path} is an output of {what} at {self.label}, but no dvc.lock or .dvc "
                    "file there records its hash; commit dvc.lock after `dvc repro`",
                )
            return FileRead(
                None,
                f"{path} is an output of {what} at {self.label} with `cache: false`, but it "
                "is not committed to git there; commit it after `dvc repro`",
            )
        if pipeline.errors:
            return FileRead(
                None,
                f"cannot tell whether {self.label} has {path}: {pipeline.errors[0]}",
            )
        return FileRead(None, f"not found at {self.label}", absent=True)


class Workspace(Resolvable):
    """The checked-out files (the pull request's head), read without following links out."""

    def __init__(
        self,
        root: Path,
        label: str = "workspace",
        *,
        repo_root: Path | None = None,
        git: Git | None = None,
        dvc: DvcAt | None = None,
    ) -> None:
        self.root = root
        self.label = label
        self.repo_root = (repo_root or root).resolve()
        self.git = git
        self.dvc = dvc
        self._pipeline: Pipeline | None = None
        self.skipped: list[str] = []  # notes on files left out of directory listings

    def _listing(self) -> list[str]:
        if self.git is not None:
            try:
                out = self.git.run("ls-files", "-z", "--cached", "--others", "--exclude-standard")
                return [p for p in out.split("\0") if p]
            except GitError:
                pass
        return self.expand("") or []

    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            ignore = self.read([".dvcignore"])[".dvcignore"].data
            yamls, dvcs = dvc_files(self._listing(), ignored_by(ignore))
            yamls = [y for y in yamls if (self.root / y).is_file()]
            dvcs = [d for d in dvcs if (self.root / d).is_file()]
            locks = [lock_path(y) for y in yamls]
            contents = self.read([*yamls, *locks, *dvcs])
            self._pipeline = build_pipeline(
                self.label,
                yamls,
                dvcs,
                contents,
                has_default_params=(self.root / DEFAULT_PARAMS).is_file(),
                resolver=self.resolver(),
                strict=True,
            )
        return self._pipeline

    def vars_refusal(self, path: str) -> str | None:
        real, why = self.confine(path)
        if why:
            return why
        if real is not None and not real.is_file():
            return "not a regular file"
        return None

    def confine(self, path: str) -> tuple[Path | None, str | None]:
        """The file for `path`, or the reason it is refused. Links may point anywhere inside
        the repository, never out of it nor into `.git`."""
        if why := repo_paths.refusal(path):
            return None, f"{path}: not read: {why}"
        file = self.root / path
        if not os.path.lexists(file):
            return None, None
        real = file.resolve()
        if not real.is_relative_to(self.repo_root):
            return None, f"{path}: not read: a symbolic link leading out of the repository"
        if why := repo_paths.refusal(real.relative_to(self.repo_root).as_posix() or "."):
            return None, f"{path}: not read: a symbolic link to a file mlgate never reads ({why})"
        return real, None

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        out: dict[str, FileRead] = {}
        for path in dict.fromkeys(paths):
            real, why = self.confine(path)
            if why:
                out[path] = FileRead(None, why)
            elif real is None:
                out[path] = FileRead(None, "not found in the workspace", absent=True)
            elif real.is_dir():
                out[path] = FileRead(None, f"{path} is a directory in the workspace")
            else:
                try:  # a FIFO, a device or a sparse giant left by the training: refused
                    out[path] = FileRead(read_regular(real, limits.MAX_READ_BYTES))
                except NotRegular as exc:
                    out[path] = FileRead(None, f"{path}: {exc.why}")
        return out

    def expand(self, path: str) -> list[str] | None:
        real, why = self.confine(path) if path else (self.root, None)
        if why or real is None or not real.is_dir():
            return None
        found: list[str] = []
        for directory, dirs, files in os.walk(real):  # links to directories are not entered
            dirs[:] = sorted(d for d in dirs if d not in (".git", ".dvc"))
            rel = Path(directory).relative_to(real)
            for name in sorted(files):
                file = repo_paths.join(path, (rel / name).as_posix())
                if _is_text(file):
                    found.append(file)
                else:  # a name no report, JSON or chart can carry: said, not read
                    self.skipped.append(
                        f"{_shown(file)}: a file name that is not UTF-8 text; not read"
                    )
        return found


def _is_text(name: str) -> bool:
    """A name os.walk decoded without surrogate escapes (valid UTF-8 on disk)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(name: str) -> str:
    return name.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
