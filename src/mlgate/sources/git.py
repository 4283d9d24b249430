"""git, through its own command line: one `git cat-file --batch` reads many files at a revision.

Nothing here checks out the base into the workspace.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from mlgate.errors import GitError
from mlgate.log import LogLine

SYMLINK = "120000"


class Entry(NamedTuple):
    mode: str
    kind: str  # blob, tree (never listed with -r) or commit (a submodule)
    oid: str


FETCH_HINT = (
    "add `fetch-depth: 0` to the actions/checkout step (or fetch the base branch) so mlgate "
    "can read the base branch"
)


class Git:
    def __init__(self, root: Path, log: LogLine | None = None) -> None:
        self.root = root
        self.log = log or (lambda _msg: None)
        self._trees: dict[str, dict[str, Entry]] = {}

    def run(self, *args: str, check: bool = True, input: bytes | None = None) -> str:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.root,
                input=input,
                capture_output=True,
                env=env,
                check=False,
            )
        except FileNotFoundError as exc:
            raise GitError("git is not installed or not on PATH") from exc
        if check and proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(
                f"git {args[0]} failed in {self.root}: {err[-1] if err else 'no output'}"
            )
        return proc.stdout.decode(errors="replace")

    def toplevel(self) -> Path:
        try:
            return Path(self.run("rev-parse", "--show-toplevel").strip())
        except GitError as exc:
            raise GitError(
                f"{self.root} is not a git repository (use -C DIR to point mlgate at your "
                "project's checkout)"
            ) from exc

    def rev_parse(self, ref: str) -> str | None:
        out = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return out.strip() or None

    def head_branch(self) -> str | None:
        out = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()
        return out or None

    def default_base(self) -> str:
        """The remote's HEAD branch (`origin/HEAD -> origin/main`), else `main`."""
        out = self.run(
            "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", check=False
        ).strip()
        if out.startswith("origin/"):
            return out[len("origin/") :]
        return "main"

    def resolve(self, ref: str, *, fetch: bool = True) -> str:
        """A commit sha for `ref`, trying `origin/ref`, then fetching it (depth 1) if missing."""
        for candidate in (ref, f"origin/{ref}", f"refs/remotes/origin/{ref}"):
            sha = self.rev_parse(candidate)
            if sha:
                return sha
        if self.run("rev-parse", "--git-dir", check=False).strip() == "":
            raise GitError(
                f"{self.root} is not a git repository (use -C DIR to point mlgate at your "
                "project's checkout)"
            )
        fetch_error = None
        has_origin = "origin" in self.run("remote", check=False).split()
        if fetch and has_origin:
            self.log(f"base ref {ref!r} is not in this clone; fetching it from origin (depth 1)")
            try:
                self.run(
                    "fetch",
                    "--no-tags",
                    "--depth=1",
                    "origin",
                    f"+refs/heads/{ref}:refs/remotes/origin/{ref}",
                )
            except GitError as exc:
                fetch_error = str(exc)
            sha = self.rev_parse(f"origin/{ref}") if fetch_error is None else None
            if sha:
                return sha
        raise GitError(self._not_found(ref, fetch_error, has_origin=has_origin))

    def _not_found(self, ref: str, fetch_error: str | None, *, has_origin: bool) -> str:
        """Diagnose before advising (issue 20): a branch that exists nowhere, a shallow clone,
        a fetch that failed, or no remote: each its own message."""
        names = self.run(
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads",
            "refs/remotes/origin",
            check=False,
        ).split()
        branches = sorted(
            {n.removeprefix("origin/") for n in names if n not in ("origin", "origin/HEAD")}
        )
        listed = ", ".join(branches[:10]) + (" …" if len(branches) > 10 else "")
        shown = f"; branches: {listed}" if branches else "; there are no branches yet"
        shallow = self.run("rev-parse", "--is-shallow-repository", check=False).strip() == "true"
        missing_remote = fetch_error is not None and (
            "couldn't find remote ref" in fetch_error or "not our ref" in fetch_error
        )
        if missing_remote:
            return f"no branch {ref!r} here or on origin{shown}"
        if shallow:
            failed = f" and fetching it from origin failed ({fetch_error})" if fetch_error else ""
            return f"shallow clone: base ref {ref!r} is not in it{failed}; {FETCH_HINT}"
        if fetch_error is not None:
            return (
                f"base ref {ref!r} is not here, and fetching it from origin failed: {fetch_error}"
            )
        if not has_origin:
            return f"no branch {ref!r} here, and no remote `origin` to fetch it from{shown}"
        return f"no branch {ref!r} here{shown}"

    def tree(self, rev: str) -> dict[str, Entry]:
        """Every file at `rev` below the working directory: path -> (mode, type, object id).

        One `git ls-tree -r -z` per revision, kept: it tells a file that is absent at a revision
        from one git does not hold, shows symlinks (mode 120000) for what they are, and gives
        object ids so that contents are read by id, never by a path a PR wrote.
        """
        cached = self._trees.get(rev)
        if cached is not None:
            return cached
        try:
            proc = subprocess.run(
                ["git", "ls-tree", "-r", "-z", rev],
                cwd=self.root,
                capture_output=True,
                check=True,
            )
        except subprocess.CalledProcessError as exc:
            err = exc.stderr.decode(errors="replace").strip()
            raise GitError(f"git ls-tree {rev} failed: {err}") from exc
        out: dict[str, Entry] = {}
        for record in proc.stdout.split(b"\0"):
            if not record:
                continue
            meta, _tab, name = record.partition(b"\t")
            mode, kind, oid = meta.decode().split(" ")
            out[name.decode("utf-8", errors="surrogateescape")] = Entry(mode, kind, oid)
        self._trees[rev] = out
        return out

    def blobs(self, oids: Iterable[str]) -> dict[str, bytes]:
        """Contents of blobs by object id, in one `git cat-file --batch`."""
        wanted = list(dict.fromkeys(oids))
        for oid in wanted:  # ids come from ls-tree; never let a newline into the request
            if not oid.isalnum():
                raise GitError(f"not a git object id: {oid!r}")
        found = self.cat_file(wanted)
        return {oid: data for oid, data in zip(wanted, found, strict=True) if data is not None}

    def cat_file(self, requests: Sequence[str]) -> list[bytes | None]:
        """Each request (`<oid>`, or `<rev>:./<path>`) answered by one `git cat-file --batch`:
        a blob's contents, or None (missing, ambiguous, not a blob). The one reader of its
        output; callers keep newlines out of requests."""
        if not requests:
            return []
        try:
            proc = subprocess.run(
                ["git", "cat-file", "--batch"],
                cwd=self.root,
                input="".join(f"{r}\n" for r in requests).encode("utf-8", "surrogateescape"),
                capture_output=True,
                check=True,
            )
        except subprocess.CalledProcessError as exc:
            raise GitError(f"git cat-file failed: {exc.stderr.decode(errors='replace')}") from exc
        out: list[bytes | None] = []
        data, pos = proc.stdout, 0
        for _request in requests:
            end = data.index(b"\n", pos)
            header = data[pos:end].split(b" ")
            pos = end + 1
            if len(header) == 3 and header[2].isdigit():  # `<oid> <type> <size>`, then content
                size = int(header[2])
                out.append(data[pos : pos + size] if header[1] == b"blob" else None)
                pos += size + 1
            else:  # `<request> missing` or `ambiguous`: no content follows
                out.append(None)
        return out

    def read_files(self, rev: str, paths: Iterable[str]) -> dict[str, bytes | None]:
        """Contents of regular files at `rev` (paths relative to the working directory); None
        for a path that is absent, a directory, a symlink, or not a plain repository path."""
        tree = self.tree(rev)
        wanted = list(dict.fromkeys(paths))
        oids = {
            p: e.oid
            for p in wanted
            if (e := tree.get(p)) is not None and e.kind == "blob" and e.mode != SYMLINK
        }
        data = self.blobs(oids.values())
        return {p: data.get(oids[p]) if p in oids else None for p in wanted}


def blocked_reason(tree: Mapping[str, Entry], path: str, label: str) -> str | None:
    """Why `path` cannot be read at a commit whose files are `tree` although something is on
    its way: a directory on the path is a symbolic link, a git submodule or a file (mlgate
    reads only a tree of blobs). None when nothing blocks it (the path may still be absent)."""
    parts = path.split("/")
    for end in range(1, len(parts)):
        prefix = "/".join(parts[:end])
        entry = tree.get(prefix)
        if entry is None:
            continue
        if entry.mode == SYMLINK:
            return (
                f"{path} runs through {prefix}, a symbolic link at {label}; links are not "
                "followed: commit the directory itself, or name the file it links to"
            )
        if entry.kind == "commit":
            return (
                f"{path} is inside {prefix}, a git submodule at {label}; mlgate reads no "
                "submodule: keep the metrics in the repository itself"
            )
        return f"{path} cannot be at {label}: {prefix} is a file there, not a directory"
    return None
