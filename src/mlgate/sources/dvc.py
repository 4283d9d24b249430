"""The DVC adapter: DVC's own view of a revision, and the remote check for `dvc repro`.

Files DVC tracks (outputs of stages, files inside directory outputs, `dvc add`ed data) are read
through DVC's file system over a git revision, which looks in the local cache, then streams the
object from the DVC remote; templated `dvc.yaml` files are resolved by DVC's own resolver. Every
object read is checked against the hash the revision records, so a forged cache cannot become
the baseline. DVC itself is imported only here, and only when a revision needs it, so that a
project whose metrics are in git (and `mlgate --help`) never pays for importing it.
"""

from __future__ import annotations

import configparser
import contextlib
import io
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mlgate.dvclock import LockedOut
from mlgate.fileread import FileRead
from mlgate.log import LogLine, ticking
from mlgate.paths import join
from mlgate.regular import NotRegular, read_regular
from mlgate.sources.dvccache import matches
from mlgate.sources.dvcopen import Unavailable, View, full_repo, revision_view, workspace_view
from mlgate.sources.project import Project, find_project


def _config(root: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    for name in ("config", "config.local"):
        file = root / ".dvc" / name
        if file.is_file():
            with contextlib.suppress(configparser.Error, UnicodeDecodeError, NotRegular):
                parser.read_string(read_regular(file).decode("utf-8"), str(file))
    return parser


def has_remote(root: Path) -> bool:
    """Whether the DVC project `root` is in (found as `dvc repro` run there finds it) has a
    remote."""
    project = find_project(root, Path(root.resolve().anchor)).root
    if project is None:
        return False
    sections = _config(project).sections()
    return any(s.startswith("'remote ") or s.startswith("remote ") for s in sections)


@contextlib.contextmanager
def _quiet_dvc() -> Iterator[None]:
    import logging  # 10 ms, and only DVC logs: a project without DVC never pays it

    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class DvcAt:
    """DVC's view of one git revision of the project at `root`.

    The configuration (cache and remote) is the revision's own `.dvc/config`, as DVC reads it
    for a revision, plus the user's config outside the repository; `untrusted_local` says the
    workspace's `.dvc/config.local` is committed in the pull request, in which case nothing is
    read through DVC (the PR could point the cache or the remote anywhere).
    """

    def __init__(
        self,
        project: Project,
        rev: str | None,
        label: str,
        log: LogLine,
        *,
        untrusted_local: bool = False,
    ) -> None:
        assert project.root is not None
        self.project = project
        self.root = project.root
        self.prefix = project.prefix  # mlgate's paths are relative to the working directory
        self.rev = rev
        self.label = label
        self.log = log
        self.untrusted_local = untrusted_local
        self._repo: Any = None
        self._view: View | None = None
        self._error: str | None = None

    def view(self) -> View:
        """DVC's file system and config at this revision (all its template resolver reads)."""
        if self._view is None:
            rev = self.rev
            self._view = self._guarded(
                lambda: (
                    revision_view(self.project, rev, self.label)
                    if rev
                    else workspace_view(self.root)
                )
            )
        return self._view

    def repo(self) -> Any:
        """The `dvc.repo.Repo` at this revision (its cache and remote); raises Unavailable with
        the reason. The workspace's files are read by mlgate itself: there it is the view."""
        if self._repo is None:
            view = self.view()
            self._repo = self._guarded(lambda: full_repo(view)) if self.rev else view
        return self._repo

    def _guarded(self, open_it: Callable[[], Any]) -> Any:
        if self._error:
            raise Unavailable(self._error)
        if self.untrusted_local:
            self._error = (
                ".dvc/config.local is committed in this pull request; mlgate does not read "
                "the DVC cache or remote through it (remove it from git)"
            )
            raise Unavailable(self._error)
        try:
            with _quiet_dvc():
                return open_it()
        except Unavailable as exc:
            self._error = str(exc)
            raise
        except Exception as exc:  # DVC raises many types; the reason goes to the report
            self._error = f"DVC cannot open the project at {self.label}: {one_line(exc)}"
            raise Unavailable(self._error) from exc

    def path(self, path: str) -> str:
        """A working-directory path as DVC names it (relative to the project's root)."""
        return join(self.prefix, path) if self.prefix else path

    def close(self) -> None:
        for held in (self._repo, self._view):
            if held is not None:
                with contextlib.suppress(Exception):
                    held.close()
        self._repo = self._view = None

    def resolve(self, doc: Mapping[str, Any], directory: str, source: str) -> dict[str, Any]:
        """A templated `dvc.yaml` as DVC resolves it: foreach/matrix expanded, `${}` filled."""
        from dvc.parsing import DataResolver  # DVC (~1 s): only for a templated dvc.yaml

        view = self.view()
        inside = self.path(directory)
        wdir = view.fs.join(view.root_dir, *inside.split("/")) if inside else view.root_dir
        try:
            with _quiet_dvc():
                resolver = DataResolver(view, wdir, dict(doc))
                out: dict[str, Any] = dict(resolver.resolve())
                out["metrics"] = resolver.resolve_metrics()
                out["params"] = resolver.resolve_params()
                out["plots"] = resolver.resolve_plots()
        except Exception as exc:
            raise Unavailable(f"{source}: DVC cannot resolve it: {one_line(exc)}") from exc
        return out

    def find(self, directory: str) -> list[str] | None:
        """Files inside a DVC-tracked directory at this revision, or None if it is not one."""
        try:
            fs = self.repo().dvcfs
            with _quiet_dvc():
                if not fs.isdir(self.path(directory)):
                    return None
                found = (str(p).lstrip("/") for p in fs.find(self.path(directory)))
                cut = len(self.prefix) + 1 if self.prefix else 0
                return sorted(p[cut:] for p in found)
        except Unavailable:
            return None
        except Exception:  # DVC raises many types: the caller reports the reason
            return None

    def read(self, wanted: Mapping[str, LockedOut]) -> dict[str, FileRead]:
        """Each path (inside the output given with it), from the cache or the remote, checked."""
        out: dict[str, FileRead] = {}
        try:
            repo = self.repo()
        except Unavailable as exc:
            return {p: FileRead(None, str(exc)) for p in wanted}
        fs = repo.dvcfs
        self.log(
            f"reading {len(wanted)} DVC-tracked file(s) at {self.label} "
            f"(local cache, else the DVC remote): {', '.join(wanted)}"
        )
        with ticking(self.log, f"reading DVC-tracked files at {self.label}"):  # a slow remote
            for path, owner in wanted.items():
                out[path] = self._read_one(repo, fs, path, owner)
        return out

    def _read_one(self, repo: Any, fs: Any, path: str, owner: LockedOut) -> FileRead:
        where = f"{path} is DVC-tracked at {self.label}"
        if owner.is_dir and (bad := self._forged_manifest(repo, owner)):
            return FileRead(None, f"{where}, but {bad}")
        try:
            with _quiet_dvc():
                info = fs.info(self.path(path))
                data = bytes(fs.read_bytes(self.path(path)))
        except FileNotFoundError as exc:
            if owner.is_dir and "No storage" not in str(exc):
                # DVC read the directory's manifest (checked when cached): no such file at base
                return FileRead(None, f"not found at {self.label} (not in {owner.path})", True)
            return FileRead(None, f"{where} but its object {self._missing_why(exc)}")
        except Exception as exc:
            if "DirError" in type(exc).__name__:  # the directory's manifest is unavailable
                return FileRead(
                    None,
                    f"{path} is inside {owner.path}, a directory DVC tracks at {self.label}, "
                    f"but its manifest {owner.md5} {self._missing_why(exc)}",
                )
            return FileRead(None, f"{where} but could not be read: {one_line(exc)}")
        dvc_info = info.get("dvc_info") or {}
        md5 = info.get("md5") or dvc_info.get("md5")
        legacy = info.get("md5-dos2unix") or dvc_info.get("md5-dos2unix")
        expected = md5 or legacy
        if expected and not matches(data, expected):
            return FileRead(
                None,
                f"{where} but the object read for it does not match its hash {expected} "
                "(a corrupt or forged cache); delete it from .dvc/cache and fetch again",
            )
        return FileRead(data)

    def _forged_manifest(self, repo: Any, owner: LockedOut) -> str | None:
        """A `.dir` manifest in the local cache whose bytes do not match its name."""
        try:
            file = Path(repo.cache.local.oid_to_path(owner.md5))
        except Exception:  # DVC raises many types: the caller reports the reason
            return None
        if file.is_symlink():
            return f"the local cache holds a symbolic link for the manifest of {owner.path}"
        if not file.is_file():
            return None
        try:
            manifest = read_regular(file)
        except NotRegular as exc:
            return f"the local cache holds a manifest for {owner.path} that cannot be read: {exc}"
        if not matches(manifest, owner.md5.removesuffix(".dir")):
            return (
                f"the local cache holds a manifest for {owner.path} that does not match its "
                f"hash {owner.md5} (a corrupt or forged cache); delete {file} and fetch again"
            )
        return None

    def _missing_why(self, exc: BaseException) -> str:
        remote = self._remote_name()
        if remote is None:
            return (
                "is not in the local DVC cache and no DVC remote is configured; "
                "run `dvc push` from the base branch to a remote, or `dvc pull` here"
            )
        return (
            f"is neither in the local DVC cache nor readable from the DVC remote {remote!r} "
            f"({one_line(exc)}); run `dvc push` on {self.label}, or check the remote's "
            "credentials"
        )

    def _remote_name(self) -> str | None:
        try:
            core = self.repo().config.get("core", {})
            name = core.get("remote")
            return str(name) if name else None
        except Exception:  # DVC raises many types: the caller reports the reason
            return None
