"""GitHub's API for publishing, with PyGithub: find the PR, the note primitives of the sticky
comment (`mlgate.sticky` holds the algorithm), the merge-gate status or check run.

Everything here talks to the API through a PyGithub client passed in (built in `client.py`).
PyGithub's objects are lazy: reading an attribute can make a request. So every access to a
PyGithub object happens inside `_call` (`mlgate.hostapi.Api.call`), which maps whatever the
transport or the answer does to one `GitHubError` line, and returns plain, checked values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from github import GithubException

from mlgate.errors import GitHubError, ReadOnlyToken
from mlgate.hostapi import Api, answered
from mlgate.hosts import Change, RetryAfterTooLong, Target, one_line
from mlgate.sticky import Note, Words

Log = Callable[[str], None]
T = TypeVar("T")
BOT_LOGIN = "github-actions[bot]"
STATUS_DESCRIPTION_LIMIT = 140

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
    said = answered(status, text)
    if status == 401:
        return GitHubError(
            f"GitHub rejected the token ({said}) trying to {what}: check the `github-token` "
            "input (an expired or revoked token, or a secret that is not set)"
        )
    if status == 403 and "GitHub App" in text:  # a personal token on the Checks API
        return GitHubError(
            f"GitHub refused to {what} ({said}): check runs take a GitHub App's token, "
            "such as the workflow's own GITHUB_TOKEN with `permissions: checks: write`, never "
            "a personal access token; pass the workflow's token or drop `check-run: true`"
        )
    if status == 403 and not isinstance(exc, RetryAfterTooLong) and "rate limit" not in text:
        return Forbidden(f"GitHub refused to {what} ({said}); {PERMISSION_HINT}")
    if status == 404:
        return GitHubError(
            f"GitHub answered 404 (not found) trying to {what}: the pull request, ref or "
            "repository does not exist, or the token cannot see it"
        )
    if status == 422:
        return GitHubError(f"GitHub refused the request to {what} ({said})")
    if status in (403, 429):
        return GitHubError(f"GitHub rate-limited the request to {what} ({said})")
    return GitHubError(f"GitHub API failed to {what} ({answered(status, text)})")


API = Api(
    name="GitHub",
    timeout_setting="MLGATE_GITHUB_TIMEOUT",
    library_error=GithubException,
    explain=explain,
    status=status_of,
    error=GitHubError,
    bad_answer=BadAnswer,
)
_text, _int, _sha = API.text, API.number, API.sha


def _url(value: object, what: str) -> str:
    url = _text(value, what, "html_url")
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        raise BadAnswer(f"GitHub's answer to {what} has no valid html_url: not the API's shape")
    return url


@dataclass(frozen=True)
class PullRequest:
    number: int
    head_sha: str
    base_ref: str
    html_url: str


class Publisher:
    """The PyGithub client for one repository; also the `mlgate.sticky.NoteHost` of its PRs."""

    words = Words(note="comment", run="run")

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
        return API.call(what, fn, missing_ok=missing_ok)

    # -- who are we -----------------------------------------------------------------------
    def own_login(self) -> str:
        """The token's user. A workflow's GITHUB_TOKEN is an installation token: GET /user
        answers 403 and its comments are authored by github-actions[bot]."""
        if self._login is None:

            def login() -> str:
                try:
                    return _text(self.gh.get_user().login, "GET /user", "login")
                except GithubException as exc:
                    if status_of(exc) != 403:
                        raise
                    return BOT_LOGIN

            self._login = self._call("identify the token's user", login)
        return self._login

    def _is_own(self, login: str, kind: str) -> bool:
        mine = self.own_login()
        if login != mine:
            return False
        return kind == "Bot" if mine.endswith("[bot]") else kind != "Bot"

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

    # -- the note primitives (mlgate.sticky.NoteHost) -------------------------------------
    def change_label(self, number: int) -> str:
        return f"PR #{number}"

    def current_head(self, number: int) -> str:
        what = f"read PR #{number}"
        return self._call(what, lambda: _sha(self.repo.get_pull(number).head.sha, what))

    def _note(self, c: Any, what: str) -> tuple[Note, str, str]:
        user = c.user
        url = _url(c.html_url, what)
        note = Note(
            _int(c.id, what, "id"),
            c.body if isinstance(c.body, str) else "",
            url,
            f"comment {url}",
            c,
        )
        login = _text(user.login, what, "user") if user is not None else ""
        return note, login, str(user.type) if user is not None else ""

    def own_notes(self, change: Change) -> list[Note]:
        number = change.number
        what = f"list the comments of PR #{number}"
        comments = self._call(
            what,
            lambda: [self._note(c, what) for c in self.repo.get_issue(number).get_comments()],
        )
        return [note for note, login, kind in comments if self._is_own(login, kind)]

    def create_note(self, change: Change, body: str) -> Note:
        what = f"post the comment on PR #{change.number}"
        return self._call(
            what, lambda: self._note(self.repo.get_issue(change.number).create_comment(body), what)
        )[0]

    def edit_note(self, note: Note, body: str) -> bool:
        def edit() -> bool:
            try:
                note.handle.edit(body)
            except GithubException as exc:
                if status_of(exc) == 404:
                    return False
                raise
            if note.handle.body != body:  # PyGithub keeps the old body when the answer has none
                raise BadAnswer("GitHub's answer to update the comment has no body")
            return True

        return self._call("update the comment", edit)

    def delete_note(self, note: Note) -> None:
        self._call("delete a duplicate comment", note.handle.delete)

    def hide_note(self, note: Note) -> bool:
        self._call("minimize the old comment", functools.partial(note.handle.minimize, "OUTDATED"))
        return True

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
