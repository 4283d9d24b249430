"""The base branch's recent commits and their files, read in one `git cat-file --batch`."""

from __future__ import annotations

from collections.abc import Iterable

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
    found = git.cat_file([f"{c}:./{p}" for c, p in pairs])
    return {pair: data for pair, data in zip(pairs, found, strict=True) if data is not None}
