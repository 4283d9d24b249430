"""Publish a report on GitHub: find the PR, one sticky comment, images, the merge-gate status.

Everything here talks to the API through a PyGithub client passed in (built in `client.py`).
PyGithub's objects are lazy: reading an attribute can make a request. So every access to a
PyGithub object happens inside `_call`, which maps whatever the transport or the answer does
(HTTP errors, timeouts, reset connections, non-JSON or wrongly shaped bodies) to one
`GitHubError` line, and returns plain, checked values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mlgate.errors import GitHubError, ReadOnlyToken
from mlgate.hosts import RetryAfterTooLong, Target, one_line, transport_problem
from mlgate.marker import parse_marker

Log = Callable[[str], None]
T = TypeVar("T")
BOT_LOGIN = "github-actions[bot]"
STATUS_DESCRIPTION_LIMIT = 140
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

PERMISSION_HINT = (
    "the token cannot write here (a fork PR's token is read-only). Add to the workflow: "
    "`permissions: {contents: write, pull-requests: write, statuses: write}`; for fork PRs use "
    "the two-stage setup (examples/fork-safe.yml + examples/fork-safe-publish.yml), where "
    "stage two runs `mlgate publish --bundle DIR` on `workflow_run`"
)


class Forbidden(GitHubError, ReadOnlyToken):
    """403: the token lacks a permission (read-only fork token, missing `permissions:`)."""


class BadAnswer(GitHubError):
    """GitHub (or a proxy in front of it) answered with a body that is not what the API returns."""


def status_of(exc: Exception) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def explain(exc: Exception, what: str) -> GitHubError:
    status = status_of(exc)
    data = getattr(exc, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        details = [e.get("message") for e in data["errors"] if isinstance(e, dict)]
        message = "; ".join(str(d) for d in [message, *details] if d)
    text = one_line(message or data or exc)
    if status == 401:
        return GitHubError(
            f"GitHub rejected the token (401: {text}) trying to {what}: check the `github-token` "
            "input (an expired or revoked token, or a secret that is not set)"
        )
    if status == 403 and "GitHub App" in text:  # a personal token on the Checks API
        return GitHubError(
            f"GitHub refused to {what} (403: {text}): check runs take a GitHub App's token, "
            "such as the workflow's own GITHUB_TOKEN with `permissions: checks: write`, never "
            "a personal access token; pass the workflow's token or drop `check-run: true`"
        )
    if status == 403 and not isinstance(exc, RetryAfterTooLong) and "rate limit" not in text:
        return Forbidden(f"GitHub refused to {what} (403: {text}); {PERMISSION_HINT}")
    if status == 404:
        return GitHubError(
            f"GitHub answered 404 (not found) trying to {what}: the pull request, ref or "
            "repository does not exist, or the token cannot see it"
        )
    if status == 422:
        return GitHubError(f"GitHub refused the request to {what} (422: {text})")
    if status in (403, 429):
        return GitHubError(f"GitHub rate-limited the request to {what} ({status}: {text})")
    return GitHubError(f"GitHub API failed to {what} ({status}: {text})")


def _text(value: object, what: str, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadAnswer(f"GitHub's answer to {what} has no {field}: not the API's shape")
    return value


def _url(value: object, what: str) -> str:
    url = _text(value, what, "html_url")
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        raise BadAnswer(f"GitHub's answer to {what} has no valid html_url: not the API's shape")
    return url


def _sha(value: object, what: str) -> str:
    sha = _text(value, what, "sha")
    if not _SHA.fullmatch(sha):
        raise BadAnswer(f"GitHub's answer to {what} has no valid sha: not the API's shape")
    return sha


def _int(value: object, what: str, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadAnswer(f"GitHub's answer to {what} has no {field}: not the API's shape")
    return value


@dataclass(frozen=True)
class PullRequest:
    number: int
    head_sha: str
    base_ref: str
    html_url: str


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    login: str
    kind: str  # "Bot" or "User"
    html_url: str
    node_id: str
    obj: Any  # the PyGithub object, only ever used inside `_call`


class Publisher:
    def __init__(self, gh: Any, repository: str, log: Log) -> None:
        self.gh = gh
        self.repository = repository
        self.log = log
        self._login: str | None = None
        self._repo: Any = None

    @property
    def repo(self) -> Any:
        if self._repo is None:  # lazy: no request until something is read through _call
            self._repo = self._call(
                "open the repository", lambda: self.gh.get_repo(self.repository)
            )
        return self._repo

    def _call(self, what: str, fn: Callable[[], T], *, missing_ok: bool = False) -> T:
        """Run one API access; every way it can fail becomes one GitHubError line."""
        import requests
        from github import GithubException

        try:
            return fn()
        except GitHubError:
            raise
        except GithubException as exc:
            if missing_ok and status_of(exc) == 404:
                return None  # type: ignore[return-value]
            raise explain(exc, what) from exc
        except RetryAfterTooLong as exc:
            raise GitHubError(f"cannot {what}: {exc}") from exc
        except (OSError, requests.exceptions.RequestException) as exc:
            # retries exhausted: timeouts, connection refused or reset
            raise GitHubError(
                f"GitHub API failed to {what} after retries: "
                f"{transport_problem(exc, 'MLGATE_GITHUB_TIMEOUT')}"
            ) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # PyGithub parsing a body that is not JSON, or JSON of the wrong shape
            raise BadAnswer(
                f"GitHub's answer to {what} is not the API's shape (not JSON, or JSON without "
                "the expected fields: a proxy's error page?)"
            ) from exc

    # -- who are we -----------------------------------------------------------------------
    def own_login(self) -> str:
        """The token's user. A workflow's GITHUB_TOKEN is an installation token: GET /user
        answers 403 and its comments are authored by github-actions[bot]."""
        if self._login is None:
            from github import GithubException

            def login() -> str:
                try:
                    return _text(self.gh.get_user().login, "GET /user", "login")
                except GithubException as exc:
                    if status_of(exc) != 403:
                        raise
                    return BOT_LOGIN

            self._login = self._call("identify the token's user", login)
        return self._login

    def _is_own(self, comment: Comment) -> bool:
        login = self.own_login()
        if comment.login != login:
            return False
        return comment.kind == "Bot" if login.endswith("[bot]") else comment.kind != "Bot"

    # -- finding the PR -------------------------------------------------------------------
    def _pr(self, pr: Any, what: str) -> PullRequest:
        return PullRequest(
            _int(pr.number, what, "number"),
            _sha(pr.head.sha, what),
            _text(pr.base.ref, what, "base ref"),
            _url(pr.html_url, what),
        )

    def find_pr(self, target: Target) -> PullRequest | None:
        if target.pr_number is not None and not target.needs_lookup:
            return PullRequest(target.pr_number, target.head_sha, target.base_ref or "", "")

        def by_commit() -> list[PullRequest]:
            commit = self.repo.get_commit(target.head_sha)
            what = "list the commit's pull requests"
            return [self._pr(p, what) for p in commit.get_pulls() if p.state == "open"]

        prs = self._call("list the commit's pull requests", by_commit)
        if not prs and target.head_ref:
            owner = (target.head_repository or self.repository).split("/")[0]
            what = "find the PR by head branch"
            prs = self._call(
                what,
                lambda: [
                    self._pr(p, what)
                    for p in self.repo.get_pulls(state="open", head=f"{owner}:{target.head_ref}")
                ],
            )
        return prs[0] if prs else None

    def current_head(self, number: int) -> str:
        what = f"read PR #{number}"
        return self._call(what, lambda: _sha(self.repo.get_pull(number).head.sha, what))

    # -- the sticky comment ---------------------------------------------------------------
    def _comment(self, c: Any, what: str) -> Comment:
        user = c.user
        return Comment(
            _int(c.id, what, "id"),
            c.body if isinstance(c.body, str) else "",
            _text(user.login, what, "user") if user is not None else "",
            str(user.type) if user is not None else "",
            _url(c.html_url, what),
            str(c.node_id or ""),
            c,
        )

    def own_comments(self, number: int, comment_id: str) -> list[Comment]:
        """Our comments on the PR with this marker id, oldest first, from every page: the
        body must START with the marker and the author must be the token's own identity."""
        what = f"list the comments of PR #{number}"
        comments = self._call(
            what,
            lambda: [self._comment(c, what) for c in self.repo.get_issue(number).get_comments()],
        )
        found = []
        for comment in comments:
            marker = parse_marker(comment.body)
            if marker and marker.comment_id == comment_id and self._is_own(comment):
                found.append(comment)
        return sorted(found, key=lambda c: c.id)

    def _stale(self, number: int, head_sha: str) -> bool:
        current = self.current_head(number)
        if current != head_sha:
            self.log(
                f"PR #{number} head is now {current[:7]}, this run is for {head_sha[:7]}: "
                "not updating the comment (a newer run will)"
            )
            return True
        return False

    def _edit(self, comment: Comment, body: str) -> str | None:
        """The comment's URL once it holds `body`; None when it was deleted since it was
        listed (the edit answers 404): then a new one is posted, never nothing (issue 20)."""
        from github import GithubException

        def edit() -> bool:
            try:
                comment.obj.edit(body)
            except GithubException as exc:
                if status_of(exc) == 404:
                    return False
                raise
            if comment.obj.body != body:  # PyGithub keeps the old body when the answer has none
                raise BadAnswer("GitHub's answer to update the comment has no body")
            return True

        if not self._call("update the comment", edit):
            self.log(f"comment {comment.html_url} was deleted before it could be updated")
            return None
        return comment.html_url

    def _delete(self, comment: Comment) -> None:
        try:
            self._call("delete a duplicate comment", comment.obj.delete)
        except GitHubError as exc:
            self.log(f"could not delete duplicate comment {comment.html_url}: {exc}")

    def upsert_comment(
        self, number: int, body: str, *, comment_id: str, head_sha: str, mode: str
    ) -> str | None:
        """Create or update the one comment; returns its URL, or None when skipped as stale.

        Two runs for one PR may interleave (two pushes in quick succession): the PR's head is
        read again right before each write, so an older run never overwrites a newer one's
        comment, and two comments created at once are merged into the oldest."""
        existing = self.own_comments(number, comment_id)
        if self._stale(number, head_sha):
            return None
        while mode == "update" and existing:
            url = self._edit(existing.pop(0), body)
            if url is None:
                continue  # deleted meanwhile: the next one, else a new comment
            for extra in existing:
                self._delete(extra)
            self.log(f"updated comment {url}")
            return url
        what = f"post the comment on PR #{number}"
        created = self._call(
            what, lambda: self._comment(self.repo.get_issue(number).create_comment(body), what)
        )
        self.log(f"posted comment {created.html_url}")
        if mode == "update":
            try:
                return self._dedupe(number, body, comment_id, head_sha, created)
            except GitHubError as exc:
                exc.comment_url = created.html_url  # posted: still the comment-url output
                raise
        for old in existing:
            try:
                self._call(
                    "minimize the old comment", functools.partial(old.obj.minimize, "OUTDATED")
                )
            except GitHubError as exc:
                self.log(f"could not minimize an old comment: {exc}")
        return created.html_url

    def _dedupe(
        self, number: int, body: str, comment_id: str, head_sha: str, created: Comment
    ) -> str:
        """Another run created one at the same time: keep the oldest, give it our body."""
        ours = self.own_comments(number, comment_id)
        if len(ours) < 2 or ours[0].id == created.id:
            return created.html_url
        keep = ours[0]
        if not self._stale(number, head_sha) and self._edit(keep, body) is None:
            return created.html_url  # the older one is gone: ours stays
        self._delete(created)
        self.log(f"merged a concurrent duplicate into comment {keep.html_url}")
        return keep.html_url

    # -- the merge gate -------------------------------------------------------------------
    def set_status(
        self, sha: str, *, passed: bool, description: str, context: str, target_url: str | None
    ) -> None:
        desc = one_line(description, STATUS_DESCRIPTION_LIMIT)
        kwargs: dict[str, Any] = {
            "state": "success" if passed else "failure",
            "description": desc,
            "context": context,
        }
        if target_url:
            kwargs["target_url"] = target_url
        what = "set the commit status"
        self._call(
            what,
            lambda: _int(self.repo.get_commit(sha).create_status(**kwargs).id, what, "id"),
        )
        self.log(f"status {context}: {kwargs['state']} on {sha[:7]}: {desc}")

    def create_check_run(
        self, sha: str, *, passed: bool, title: str, summary: str, name: str, url: str | None
    ) -> None:
        kwargs: dict[str, Any] = {
            "name": name,
            "head_sha": sha,
            "status": "completed",
            "conclusion": "success" if passed else "failure",
            "output": {"title": one_line(title, 1000), "summary": summary},
        }
        if url:
            kwargs["details_url"] = url
        what = "create the check run"
        self._call(what, lambda: _int(self.repo.create_check_run(**kwargs).id, what, "id"))
        self.log(f"check run {name}: {kwargs['conclusion']} on {sha[:7]}")
