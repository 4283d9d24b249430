"""The base branch's recent commits and their files, read in one `git cat-file --batch`."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable

from mlgate.errors import GitError
from mlgate.sources.git import Git


def first_parents(git: Git, sha: str, count: int) -> list[str]:
    """`sha` and its first-parent ancestors, newest first (fewer in a shallow clone)."""
    out = git.run("rev-list", "--first-parent", f"--max-count={count}", sha)
    return [line for line in out.split() if line]


def read_at(git: Git, commits: Iterable[str], paths: Iterable[str]) -> dict[tuple[str, str], bytes]:
    """Each git-tracked `path` (relative to the working directory) at each commit; a pair that
    git does not hold (absent, a directory, DVC-tracked) is left out."""
    pairs = [
        (c, p)
        for c in commits
        for p in paths
        if c.isalnum() and p and not any(ch in p for ch in "\n\r\0")
    ]
    if not pairs:
        return {}
    request = "".join(f"{c}:./{p}\n" for c, p in pairs).encode("utf-8", "surrogateescape")
    try:
        proc = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=git.root,
            input=request,
            capture_output=True,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        raise GitError(f"git cat-file failed: {exc.stderr.decode(errors='replace')}") from exc
    out: dict[tuple[str, str], bytes] = {}
    data, pos = proc.stdout, 0
    for pair in pairs:
        end = data.index(b"\n", pos)
        header = data[pos:end].split(b" ")
        pos = end + 1
        if len(header) == 3 and header[2].isdigit():
            size = int(header[2])
            if header[1] == b"blob":
                out[pair] = data[pos : pos + size]
            pos += size + 1
    return out
