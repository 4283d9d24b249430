"""Publish a report on GitHub: find the PR, one sticky comment, images, the merge-gate status.

Everything here talks to the API through a PyGithub client passed in (built in `client.py`).
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.actions import Target
from mlgate.errors import GitHubError

Log = Callable[[str], None]
BOT_LOGIN = "github-actions[bot]"
STATUS_DESCRIPTION_LIMIT = 140
_MARKER = re.compile(r"<!-- mlgate:report id=(\S+)(?: sha=([0-9a-f]+))? -->")

PERMISSION_HINT = (
    "the token cannot write here (a fork PR's token is read-only). Add to the workflow: "
    "`permissions: {contents: write, pull-requests: write, statuses: write}`; for fork PRs use "
    "the two-stage setup (examples/fork-safe.yml + examples/fork-safe-publish.yml), where "
    "stage two runs `mlgate publish --bundle DIR` on `workflow_run`"
)


class Forbidden(GitHubError):
    """403: the token lacks a permission (read-only fork token, missing `permissions:`)."""


def status_of(exc: Exception) -> int | None:
    return getattr(exc, "status", None)


def explain(exc: Exception, what: str) -> GitHubError:
    status = status_of(exc)
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else str(exc)
    if status == 403:
        return Forbidden(f"GitHub refused to {what} (403: {message}); {PERMISSION_HINT}")
    return GitHubError(f"GitHub API failed to {what} ({status}: {message})")


@dataclass(frozen=True)
class PullRequest:
    number: int
    head_sha: str
    base_ref: str
    html_url: str


def parse_marker(body: str) -> tuple[str, str | None] | None:
    m = _MARKER.search(body or "")
    return (m.group(1), m.group(2)) if m else None


class Publisher:
    def __init__(self, gh: Any, repository: str, log: Log) -> None:
        self.gh = gh
        self.repo = gh.get_repo(repository)
        self.repository = repository
        self.log = log
        self._login: str | None = None

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        from github import GithubException

        try:
            return fn()
        except GithubException as exc:
            raise explain(exc, what) from exc
        except OSError as exc:  # retries exhausted, connection refused, timeouts
            raise GitHubError(f"GitHub API failed to {what} after retries: {exc}") from exc

    # -- who are we -----------------------------------------------------------------------
    def own_login(self) -> str:
        """The token's user. A workflow's GITHUB_TOKEN is an installation token: GET /user
        answers 403 and its comments are authored by github-actions[bot]."""
        if self._login is None:
            from github import GithubException

            try:
                self._login = str(self.gh.get_user().login)
            except GithubException as exc:
                if status_of(exc) not in (401, 403):
                    raise explain(exc, "identify the token's user") from exc
                self._login = BOT_LOGIN
        return self._login

    # -- finding the PR -------------------------------------------------------------------
    def find_pr(self, target: Target) -> PullRequest | None:
        if target.pr_number is not None and not target.needs_lookup:
            return PullRequest(target.pr_number, target.head_sha, target.base_ref or "", "")

        def by_commit() -> list[Any]:
            commit = self.repo.get_commit(target.head_sha)
            return [p for p in commit.get_pulls() if p.state == "open"]

        prs = self._call("list the commit's pull requests", by_commit)
        if not prs and target.head_ref:
            owner = (target.head_repository or self.repository).split("/")[0]
            prs = list(
                self._call(
                    "find the PR by head branch",
                    lambda: list(
                        self.repo.get_pulls(state="open", head=f"{owner}:{target.head_ref}")
                    ),
                )
            )
        if not prs:
            return None
        pr = prs[0]
        return PullRequest(int(pr.number), pr.head.sha, pr.base.ref, pr.html_url)

    def current_head(self, number: int) -> str:
        return str(self._call("read the PR", lambda: self.repo.get_pull(number)).head.sha)

    # -- the sticky comment ---------------------------------------------------------------
    def own_comments(self, number: int, comment_id: str) -> list[Any]:
        """Our comments on the PR with this marker id, oldest first, from every page."""
        issue = self._call("read the PR", lambda: self.repo.get_issue(number))
        login = self.own_login()
        found = []
        for comment in self._call("list comments", lambda: list(issue.get_comments())):
            marker = parse_marker(comment.body)
            if marker and marker[0] == comment_id and comment.user.login == login:
                found.append(comment)
        return found

    def upsert_comment(
        self, number: int, body: str, *, comment_id: str, head_sha: str, mode: str
    ) -> str | None:
        """Create or update the one comment; returns its URL, or None when skipped as stale."""
        current = self.current_head(number)
        if current != head_sha:
            self.log(
                f"PR #{number} head is now {current[:7]}, this run is for {head_sha[:7]}: "
                "not updating the comment (a newer run will)"
            )
            return None
        existing = self.own_comments(number, comment_id)
        issue = self.repo.get_issue(number) if not existing else None
        if mode == "update" and existing:
            comment = existing[-1]
            self._call("update the comment", lambda: comment.edit(body))
            self.log(f"updated comment {comment.html_url}")
            return str(comment.html_url)
        issue = issue or self._call("read the PR", lambda: self.repo.get_issue(number))
        created = self._call("post the comment", lambda: issue.create_comment(body))
        self.log(f"posted comment {created.html_url}")
        if mode == "new":
            for old in existing:
                try:
                    old.minimize("OUTDATED")
                except Exception as exc:
                    self.log(f"could not minimize an old comment: {exc}")
        return str(created.html_url)

    # -- the merge gate -------------------------------------------------------------------
    def set_status(
        self, sha: str, *, passed: bool, description: str, context: str, target_url: str | None
    ) -> None:
        desc = (
            description
            if len(description) <= STATUS_DESCRIPTION_LIMIT
            else (description[: STATUS_DESCRIPTION_LIMIT - 1] + "…")
        )
        kwargs: dict[str, Any] = {
            "state": "success" if passed else "failure",
            "description": desc,
            "context": context,
        }
        if target_url:
            kwargs["target_url"] = target_url
        commit = self.repo.get_commit(sha)
        self._call("set the commit status", lambda: commit.create_status(**kwargs))
        self.log(f"status {context}: {kwargs['state']} on {sha[:7]}: {desc}")

    def create_check_run(
        self, sha: str, *, passed: bool, title: str, summary: str, name: str, url: str | None
    ) -> None:
        kwargs: dict[str, Any] = {
            "name": name,
            "head_sha": sha,
            "status": "completed",
            "conclusion": "success" if passed else "failure",
            "output": {"title": title[:1000], "summary": summary},
        }
        if url:
            kwargs["details_url"] = url
        self._call("create the check run", lambda: self.repo.create_check_run(**kwargs))
        self.log(f"check run {name}: {kwargs['conclusion']} on {sha[:7]}")

    # -- images on an orphan branch via the Git Data API ----------------------------------
    def publish_assets(
        self, files: Iterable[tuple[str, Path]], *, branch: str, prefix: str, server_url: str
    ) -> dict[str, str]:
        """Commit files to `branch` (created orphan) under `prefix`; return rel -> pinned URL."""
        from github import GithubException, InputGitTreeElement

        files = list(files)
        if not files:
            return {}
        elements = []
        for rel, path in files:
            content = base64.b64encode(path.read_bytes()).decode()
            blob = self._call(
                "upload an image blob",
                functools.partial(self.repo.create_git_blob, content, "base64"),
            )
            elements.append(InputGitTreeElement(f"{prefix}/{rel}", "100644", "blob", sha=blob.sha))
        parent = None
        try:
            ref = self.repo.get_git_ref(f"heads/{branch}")
            parent = self.repo.get_git_commit(ref.object.sha)
        except GithubException as exc:
            if status_of(exc) != 404:
                raise explain(exc, f"read branch {branch}") from exc
            ref = None
        if parent is not None:
            tree = self._call(
                "create the assets tree",
                lambda: self.repo.create_git_tree(
                    elements, self.repo.get_git_tree(parent.tree.sha)
                ),
            )
        else:
            tree = self._call("create the assets tree", lambda: self.repo.create_git_tree(elements))
        message = f"mlgate: images for {prefix}"
        commit = self._call(
            "commit the images",
            lambda: self.repo.create_git_commit(message, tree, [parent] if parent else []),
        )
        if ref is None:
            self._call(
                "create the assets branch",
                lambda: self.repo.create_git_ref(f"refs/heads/{branch}", commit.sha),
            )
        else:
            self._call("move the assets branch", lambda: ref.edit(commit.sha, force=True))
        self.log(f"published {len(elements)} image(s) to {branch}@{commit.sha[:7]}")
        return {
            rel: f"{server_url}/{self.repository}/blob/{commit.sha}/{prefix}/{rel}?raw=true"
            for rel, _p in files
        }
