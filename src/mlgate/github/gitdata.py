"""Files committed to a branch of the repository through GitHub's Git Data API (blobs, a tree
on the branch's tip, a commit, the ref moved), with no clone and no push: the chart images on
the orphan `mlgate-assets` branch, and each base-branch commit's results on `mlgate-results`
(the action on `push`, issue 20). Every call goes through the Publisher's `_call`, so every
failure is one GitHubError line (`mlgate.hostapi.Api.call`).
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Sequence
from typing import Any

from github import GithubException, InputGitTreeElement

from mlgate.errors import GitHubError
from mlgate.github.publisher import BadAnswer, Publisher, _sha, status_of

TRIES = 3  # a non-fast-forward move (another job moved the branch) is committed again


class GitData:
    def __init__(self, pub: Publisher) -> None:
        self.pub = pub

    def _blob(self, content: str) -> str:
        return _sha(self.pub.repo.create_git_blob(content, "base64").sha, "upload a blob")

    def _tip(self, branch: str) -> tuple[Any, Any]:
        """The branch's ref and tip commit, or (None, None) when the branch does not exist."""
        what = f"read branch {branch}"
        repo = self.pub.repo

        def read_ref() -> tuple[Any, str]:
            ref = repo.get_git_ref(f"heads/{branch}")
            return ref, _sha(ref.object.sha, what)  # reading the lazy object fetches it

        found: tuple[Any, str] | None = self.pub._call(what, read_ref, missing_ok=True)
        if not found:
            return None, None
        return found[0], self.pub._call(what, lambda: repo.get_git_commit(found[1]))

    def commit_files(
        self, files: Sequence[tuple[str, bytes]], *, branch: str, message: str, force: bool
    ) -> str:
        """Commit files (already read and checked) on top of `branch`, created as an orphan
        when missing, and move the branch to the commit; returns its sha. Without `force` the
        move must be a fast-forward: when another job moved the branch meanwhile, the commit is
        made again on its new tip."""
        elements = []
        for path, data in files:
            content = base64.b64encode(data).decode()
            blob = self.pub._call("upload a blob", functools.partial(self._blob, content))
            elements.append(InputGitTreeElement(path, "100644", "blob", sha=blob))
        for attempt in range(1, TRIES + 1):
            sha = self._commit_once(elements, branch, message, force, last=attempt == TRIES)
            if sha is not None:
                return sha
            self.pub.log(f"{branch} moved while committing to it; committing again on its tip")
        raise GitHubError(f"could not move branch {branch}: another job kept moving it")

    def _commit_once(
        self, elements: list[Any], branch: str, message: str, force: bool, *, last: bool
    ) -> str | None:
        """One commit on the branch's current tip; None when the tip moved before the ref."""
        call, repo = self.pub._call, self.pub.repo
        ref, parent = self._tip(branch)
        what = f"create a tree for {branch}"
        if parent is not None:
            base = call(what, lambda: repo.get_git_tree(_sha(parent.tree.sha, what)))
            tree = call(what, lambda: repo.create_git_tree(elements, base))
        else:
            tree = call(what, lambda: repo.create_git_tree(elements))
        what = f"commit to {branch}"
        commit = call(
            what, lambda: repo.create_git_commit(message, tree, [parent] if parent else [])
        )
        sha = call(what, lambda: _sha(commit.sha, what))
        if ref is None:
            what = f"create branch {branch}"
            call(
                what,
                lambda: _sha(repo.create_git_ref(f"refs/heads/{branch}", sha).object.sha, what),
            )
            return sha

        def move() -> bool:
            try:
                ref.edit(sha, force=force)
            except GithubException as exc:
                if status_of(exc) == 422 and not force and not last:
                    return False  # not a fast-forward: another job moved the branch
                raise
            if _sha(ref.object.sha, f"move branch {branch}") != sha:
                raise BadAnswer(f"GitHub's answer to move branch {branch} has another sha")
            return True

        return sha if call(f"move branch {branch}", move) else None

    def publish_assets(
        self, files: Iterable[tuple[str, bytes]], *, branch: str, prefix: str, server_url: str
    ) -> dict[str, str]:
        """Commit images (already read and checked) to `branch` (created orphan) under
        `prefix`; return rel -> URL pinned to the commit."""
        files = list(files)
        if not files:
            return {}
        commit_sha = self.commit_files(
            [(f"{prefix}/{rel}", data) for rel, data in files],
            branch=branch,
            message=f"mlgate: images for {prefix}",
            force=True,
        )
        self.pub.log(f"published {len(files)} image(s) to {branch}@{commit_sha[:7]}")
        repository = self.pub.repository
        return {
            rel: f"{server_url}/{repository}/blob/{commit_sha}/{prefix}/{rel}?raw=true"
            for rel, _data in files
        }
