"""The results branch: each commit's results kept on an orphan branch of the repository
(`mlgate-results`), so a pull request whose base commit stores no results in git or DVC can
still be compared with it, without training the base.

Layout, one directory per commit sha:

    <sha>/result.json       what was recorded: schema, sha, command, metrics and params values,
                            and the sha256 and size of every kept file
    <sha>/files/<path>      the metrics, params and plot data files, as the project wrote them

Written with git's plumbing (hash-object, mktree, commit-tree, update-ref), never touching the
work tree or the index, and pushed with `git push origin <branch>` when asked. Read with
ls-tree and cat-file by object id. Anyone who can push to the repository can write this
branch, so an entry is hostile input: its result.json is checked against the schema, its paths
are confined to the repository, every file must match its recorded hash, and an entry that fails
is ignored with a note, never a crash.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlgate import paths as repo_paths
from mlgate.errors import GitError, ServiceError
from mlgate.sources.git import Git

SCHEMA = 1
MAX_RESULT_BYTES = 5 * 1024 * 1024
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ENTRY_BYTES = 200 * 1024 * 1024
MAX_FILES = 2_000
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_REGULAR = ("100644", "100755")


@dataclass(frozen=True)
class Stored:
    sha: str  # the commit the results belong to (the base, or an ancestor of it)
    files: dict[str, bytes]
    result: dict[str, Any]
    ref: str  # where they were found
    distance: int  # commits between the base and `sha` (0: the base itself)


def _refs(git: Git, branch: str) -> list[str]:
    refs = [f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"]
    return [r for r in refs if git.rev_parse(r)]


def has_origin(git: Git) -> bool:
    return "origin" in git.run("remote", check=False).split()


def fetch(git: Git, branch: str) -> list[str]:
    """origin's results branch, when there is an origin; notes say what failed."""
    if not has_origin(git):
        return []
    # only the tip is needed; but a depth on a complete clone would make it shallow
    shallow = git.run("rev-parse", "--is-shallow-repository", check=False).strip() == "true"
    try:
        git.run(
            "fetch",
            "--quiet",
            "--no-tags",
            *(["--depth=1"] if shallow else []),
            "origin",
            f"+refs/heads/{branch}:refs/remotes/origin/{branch}",
        )
    except GitError as exc:
        text = str(exc)
        if "couldn't find remote ref" in text or "not our ref" in text:
            return [f"no results branch {branch!r} on origin yet (`mlgate record --push` makes it)"]
        return [f"results branch {branch!r} could not be fetched from origin: {text}"]
    return []


def find(git: Git, sha: str, *, branch: str, depth: int) -> tuple[Stored | None, list[str]]:
    """The stored results of `sha`, else of its nearest first-parent ancestor within `depth`
    commits; notes for entries that were ignored and for what was searched."""
    notes: list[str] = []
    found = next(_entries(git, sha, branch=branch, depth=depth, notes=notes), None)
    return found, notes


def history(git: Git, sha: str, *, branch: str, depth: int) -> tuple[list[Stored], list[str]]:
    """Every valid stored entry of `sha` and its first-parent ancestors within `depth` commits,
    newest first: the base branch's trend when its metrics are not in git or DVC."""
    notes: list[str] = []
    return list(_entries(git, sha, branch=branch, depth=depth, notes=notes)), notes


def _entries(git: Git, sha: str, *, branch: str, depth: int, notes: list[str]) -> Iterator[Stored]:
    refs = _refs(git, branch)
    if not refs:
        return
    try:
        line = git.run("rev-list", "--first-parent", f"--max-count={depth + 1}", sha)
    except GitError as exc:
        notes.append(f"results branch not searched: {exc}")
        return
    candidates = line.split()
    listed = {ref: _top_level(git, ref) for ref in refs}
    found = False
    for distance, candidate in enumerate(candidates):
        for ref in refs:
            if candidate not in listed[ref]:
                continue
            try:
                files, result = _load(git, ref, candidate)
            except _Invalid as exc:
                notes.append(f"stored results of {candidate[:7]} on {_short(ref)} ignored: {exc}")
                continue
            found = True
            yield Stored(candidate, files, result, _short(ref), distance)
            break
    shallow = git.run("rev-parse", "--is-shallow-repository", check=False).strip() == "true"
    if not found and len(candidates) <= depth and shallow:
        notes.append(
            "the clone is shallow, so older commits were not searched for stored results; "
            "add `fetch-depth: 0` to actions/checkout"
        )


def _short(ref: str) -> str:
    return ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")


def _top_level(git: Git, ref: str) -> set[str]:
    out = git.run("ls-tree", "-z", "--full-tree", ref, check=False)
    names = set()
    for record in out.split("\0"):
        meta, _tab, name = record.partition("\t")
        if meta.split(" ")[1:2] == ["tree"]:
            names.add(name)
    return names


class _Invalid(Exception):
    pass


def _load(git: Git, ref: str, sha: str) -> tuple[dict[str, bytes], dict[str, Any]]:
    listing = git.run("ls-tree", "-r", "-z", "-l", "--full-tree", ref, "--", f"{sha}/")
    entries: dict[str, tuple[str, str, int]] = {}
    for record in listing.split("\0"):
        if not record:
            continue
        meta, _tab, name = record.partition("\t")
        mode, _kind, oid, size = meta.split()
        entries[name.removeprefix(f"{sha}/")] = (mode, oid, int(size) if size.isdigit() else -1)
    result_entry = entries.get("result.json")
    if result_entry is None:
        raise _Invalid("no result.json")
    raw = _blob(git, result_entry, "result.json", MAX_RESULT_BYTES)
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _Invalid(f"result.json is not valid JSON ({type(exc).__name__})") from exc
    declared = check_schema(doc, sha)
    oids: dict[str, str] = {}
    total = 0
    for path in declared:
        found = entries.get(f"files/{path}")
        if found is None:
            raise _Invalid(f"files/{path} is listed in result.json but not stored")
        oids[path] = _checked(found, f"files/{path}", MAX_FILE_BYTES)
        total += found[2]
        if total > MAX_ENTRY_BYTES:
            raise _Invalid(f"larger than mlgate's limit of {MAX_ENTRY_BYTES:,} bytes in all")
    blobs = git.blobs(oids.values())  # one `git cat-file --batch` for the whole entry
    files: dict[str, bytes] = {}
    for path, (digest, declared_size) in declared.items():
        data = blobs.get(oids[path])
        if data is None:
            raise _Invalid(f"files/{path}: object {oids[path][:12]} is missing")
        if len(data) != declared_size or hashlib.sha256(data).hexdigest() != digest:
            raise _Invalid(f"files/{path} does not match its size and sha256 in result.json")
        files[path] = data
    return files, doc


def _checked(entry: tuple[str, str, int], name: str, limit: int) -> str:
    """The object id of a regular file within `limit` bytes, else _Invalid."""
    mode, oid, size = entry
    if mode not in _REGULAR:
        raise _Invalid(f"{name} is not a regular file (mode {mode})")
    if size < 0 or size > limit:
        raise _Invalid(f"{name} is larger than mlgate's limit of {limit:,} bytes")
    return oid


def _blob(git: Git, entry: tuple[str, str, int], name: str, limit: int) -> bytes:
    oid = _checked(entry, name, limit)
    data = git.blobs([oid]).get(oid)
    if data is None:
        raise _Invalid(f"{name}: object {oid[:12]} is missing")
    return data


def check_schema(doc: Any, sha: str) -> dict[str, tuple[str, int]]:
    """The files an entry declares (path -> (sha256, size)), or _Invalid naming the key.

    By hand, as `.mlgate.yml` is parsed: a dozen keys, and messages in mlgate's one-line shape."""
    if not isinstance(doc, dict):
        raise _Invalid("result.json: expected a mapping")
    if doc.get("mlgate_results") != SCHEMA:
        raise _Invalid(f"result.json: mlgate_results: expected {SCHEMA} (this mlgate's schema)")
    if doc.get("sha") != sha:
        raise _Invalid(f"result.json: sha: expected {sha[:12]}…, the entry's directory")
    for key in ("recorded_at", "command", "ref"):
        if doc.get(key) is not None and not isinstance(doc.get(key), str):
            raise _Invalid(f"result.json: {key}: expected text")
    for key in ("metrics", "params"):
        if not isinstance(doc.get(key, {}), dict):
            raise _Invalid(f"result.json: {key}: expected a mapping")
    files = doc.get("files")
    if not isinstance(files, dict):
        raise _Invalid("result.json: files: expected a mapping of path to sha256 and size")
    if len(files) > MAX_FILES:
        raise _Invalid(f"result.json: files: more than mlgate's limit of {MAX_FILES:,} files")
    out: dict[str, tuple[str, int]] = {}
    for path, meta in files.items():
        why = repo_paths.refusal(path) if isinstance(path, str) else "not a path"
        if why is None and path != repo_paths.normalize(path):
            why = "not a normalized path"
        if why:
            raise _Invalid(f"result.json: files: {str(path)[:80]!r}: {why}")
        if not isinstance(meta, dict):
            raise _Invalid(f"result.json: files.{path}: expected sha256 and size")
        digest, size = meta.get("sha256"), meta.get("size")
        if not isinstance(digest, str) or not _HEX64.match(digest):
            raise _Invalid(f"result.json: files.{path}.sha256: expected 64 hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _Invalid(f"result.json: files.{path}.size: expected a number of bytes")
        out[path] = (digest, size)
    return out


# --- writing -------------------------------------------------------------------------------


def entry_document(
    sha: str,
    files: Mapping[str, bytes],
    *,
    ref: str | None,
    command: str | None,
    metrics: Mapping[str, Any],
    params: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "mlgate_results": SCHEMA,
        "sha": sha,
        "ref": ref,
        "command": command,
        "recorded_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": {
            p: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
            for p, d in sorted(files.items())
        },
        "metrics": dict(metrics),
        "params": dict(params),
    }


def _mktree(git: Git, entries: list[tuple[str, str, str, str]]) -> str:
    body = "".join(f"{mode} {kind} {oid}\t{name}\0" for mode, kind, oid, name in entries)
    return git.run("mktree", "-z", input=body.encode()).strip()


def _tree_of(git: Git, files: Mapping[str, bytes]) -> str:
    """A tree object holding `files` (nested paths), built bottom-up with mktree."""
    blobs: list[tuple[str, str, str, str]] = []
    subdirs: dict[str, dict[str, bytes]] = {}
    for path, data in files.items():
        head, sep, rest = path.partition("/")
        if sep:
            subdirs.setdefault(head, {})[rest] = data
        else:
            oid = git.run("hash-object", "-w", "--stdin", input=data).strip()
            blobs.append(("100644", "blob", oid, head))
    trees = [("040000", "tree", _tree_of(git, sub), name) for name, sub in subdirs.items()]
    return _mktree(git, blobs + trees)


def _parent(git: Git, branch: str) -> str | None:
    """The tip to build on: origin's when the local branch is missing or behind it."""
    local = git.rev_parse(f"refs/heads/{branch}")
    remote = git.rev_parse(f"refs/remotes/origin/{branch}")
    if local and remote and local != remote:
        return remote if _is_ancestor(git, local, remote) else local
    return local or remote


def _is_ancestor(git: Git, a: str, b: str) -> bool:
    try:
        git.run("merge-base", "--is-ancestor", a, b)
    except GitError:
        return False
    return True


def entry_contents(files: Mapping[str, bytes], doc: Mapping[str, Any]) -> dict[str, bytes]:
    """One entry's files, relative to its `<sha>/` directory: what `write` commits with git's
    plumbing and the action commits through GitHub's Git Data API."""
    return {
        "result.json": (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode(),
        **{f"files/{p}": d for p, d in files.items()},
    }


def write(
    git: Git, sha: str, files: Mapping[str, bytes], doc: Mapping[str, Any], *, branch: str
) -> str:
    """Add (or replace) `sha`'s entry on `branch` as a new commit; returns the commit."""
    entry = _tree_of(git, entry_contents(files, doc))
    parent = _parent(git, branch)
    top: list[tuple[str, str, str, str]] = []
    if parent:
        listing = git.run("ls-tree", "-z", "--full-tree", parent)
        for record in listing.split("\0"):
            if not record:
                continue
            meta, _tab, name = record.partition("\t")
            mode, kind, oid = meta.split()
            if name != sha:
                top.append((mode, kind, oid, name))
    top.append(("040000", "tree", entry, sha))
    tree = _mktree(git, top)
    identity: list[str] = []
    if not git.run("var", "GIT_COMMITTER_IDENT", check=False).strip():
        identity = ["-c", "user.name=mlgate", "-c", "user.email=mlgate@users.noreply.github.com"]
    args = [*identity, "commit-tree", tree, "-m", f"mlgate: results of {sha}"]
    if parent:
        args[len(identity) + 2 : len(identity) + 2] = ["-p", parent]
    commit = git.run(*args).strip()
    old = git.rev_parse(f"refs/heads/{branch}") or "0" * 40
    git.run("update-ref", f"refs/heads/{branch}", commit, old)
    return commit


def push(git: Git, branch: str) -> None:
    try:
        git.run("push", "--quiet", "origin", f"refs/heads/{branch}:refs/heads/{branch}")
    except GitError as exc:
        raise ServiceError(
            f"the results were stored on the local branch {branch!r} but could not be pushed to "
            f"origin ({exc}); check the token's `contents: write` permission, then run "
            f"`git push origin {branch}`"
        ) from exc
    with contextlib.suppress(GitError):
        git.run("update-ref", f"refs/remotes/origin/{branch}", f"refs/heads/{branch}")
