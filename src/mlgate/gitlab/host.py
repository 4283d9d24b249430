"""GitLab behind the host seam (`mlgate.hosts.Host`), with python-gitlab.

The one python-gitlab client is built in `build()`: the API from CI_API_V4_URL (self-managed
instances alike), a requests session retrying 5xx and 429 with backoff and a capped
`Retry-After`. Every API access goes through `GitLabHost._call`, which turns whatever the
transport or the answer does into one `GitLabError` line (exit 3).

Limits (environment variables, for tests and unusual runners): `MLGATE_GITLAB_RETRIES` (5),
`MLGATE_GITLAB_BACKOFF` (1.0 s), `MLGATE_GITLAB_TIMEOUT` (30 s), `MLGATE_RETRY_AFTER_MAX` (60 s).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, TypeVar

from urllib3.util.retry import Retry

from mlgate.errors import GitLabError, ReadOnlyToken
from mlgate.gitlab.ci import SETUP_HINT, GitLabContext
from mlgate.hosts import Change, RetryAfterTooLong, Target, one_line, transport_problem
from mlgate.log import Log
from mlgate.marker import parse_marker
from mlgate.settings import Settings

T = TypeVar("T")
NOTE_LIMIT = 1_000_000  # GitLab refuses a note body over 1,000,000 characters (400)
DESCRIPTION_LIMIT = 255  # a commit status's description column
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class Forbidden(GitLabError, ReadOnlyToken):
    """403: the token lacks the `api` scope or the role. Unlike a GitHub fork PR's token this is
    a set-up mistake, so the job fails (exit 3) after the report is in the log."""

    fatal = True


class CappedRetry(Retry):
    """urllib3's Retry whose `Retry-After` waits are capped: over the cap, give up at once."""

    def __init__(self, *, retry_after_max: float = 60.0, **kwargs: Any) -> None:
        self.retry_after_cap = retry_after_max
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> CappedRetry:
        kw["retry_after_max"] = self.retry_after_cap
        return super().new(**kw)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        if seconds is not None and seconds > self.retry_after_cap:
            raise RetryAfterTooLong("GitLab", seconds, self.retry_after_cap)
        return seconds


def explain(exc: Any, what: str, ctx: GitLabContext) -> GitLabError:
    status = getattr(exc, "response_code", None)
    text = one_line(getattr(exc, "error_message", None) or exc)
    if status == 401:
        return GitLabError(
            f"GitLab rejected the token (401: {text}) trying to {what}: check the "
            "MLGATE_GITLAB_TOKEN variable (an expired or revoked token, or one of another "
            "GitLab instance)"
        )
    if status == 403:
        return Forbidden(f"GitLab refused to {what} (403: {text}): {SETUP_HINT}")
    if status == 404:
        return GitLabError(
            f"GitLab answered 404 (not found) trying to {what}: project {ctx.project_id} or "
            f"merge request !{ctx.mr_iid} does not exist, or the token cannot see it "
            "(a project access token of another project?)"
        )
    if status is None:
        return GitLabError(f"GitLab's answer to {what} is not the API's shape ({text})")
    return GitLabError(f"GitLab API failed to {what} ({status}: {text})")


def _sha(value: object, what: str) -> str:
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        raise GitLabError(f"GitLab's answer to {what} has no valid sha: not the API's shape")
    return value


def _int(value: object, what: str, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise GitLabError(f"GitLab's answer to {what} has no {field}: not the API's shape")
    return value


@dataclass(frozen=True)
class Note:
    id: int
    body: str
    author_id: int | None
    system: bool
    obj: Any  # the python-gitlab object, only ever used inside `_call`


class GitLabHost:
    name = "GitLab"
    comment_limit = NOTE_LIMIT
    images_hint = "image not published: the token cannot upload to the project"

    def __init__(self, gl: Any, ctx: GitLabContext, log: Log) -> None:
        self.gl, self.ctx, self.log = gl, ctx, log
        self._user_id: int | None = None
        # lazy: no request; every access goes through _call
        self.project = gl.projects.get(ctx.project_id, lazy=True)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one API access; every way it can fail becomes one GitLabError line."""
        import requests
        from gitlab.exceptions import GitlabError

        try:
            return fn()
        except GitLabError:
            raise
        except GitlabError as exc:
            raise explain(exc, what, self.ctx) from exc
        except RetryAfterTooLong as exc:
            raise GitLabError(f"cannot {what}: {exc}") from exc
        except (OSError, requests.exceptions.RequestException) as exc:
            raise GitLabError(
                f"GitLab API failed to {what} after retries: "
                f"{transport_problem(exc, 'MLGATE_GITLAB_TIMEOUT')}"
            ) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GitLabError(
                f"GitLab's answer to {what} is not the API's shape (not JSON, or JSON without "
                "the expected fields: a proxy's error page?)"
            ) from exc

    # -- who are we -----------------------------------------------------------------------
    def own_user_id(self) -> int:
        """The token's own user (GET /user): a project access token has a bot user of its own."""
        if self._user_id is None:

            def whoami() -> int:
                self.gl.auth()
                return _int(self.gl.user.id, "GET /user", "id")

            self._user_id = self._call("identify the token's user", whoami)
        return self._user_id

    # -- the merge request ----------------------------------------------------------------
    def _mr(self, iid: int) -> Any:
        return self._call(f"read merge request !{iid}", lambda: self.project.mergerequests.get(iid))

    def current_head(self, iid: int) -> str:
        what = f"read merge request !{iid}"
        mr = self._mr(iid)
        return self._call(what, lambda: _sha(mr.sha, what))

    def find_change(self, target: Target) -> Change | None:
        iid = target.pr_number if target.pr_number is not None else self.ctx.mr_iid
        what = f"read merge request !{iid}"
        mr = self._mr(iid)

        def change() -> Change:
            state = str(getattr(mr, "state", "opened"))
            if state != "opened":
                self.log(f"merge request !{iid} is {state}: reporting on it all the same")
            return Change(iid, _sha(mr.sha, what), str(mr.target_branch), str(mr.web_url))

        return self._call(what, change)

    # -- the one report note --------------------------------------------------------------
    def own_notes(self, iid: int, comment_id: str) -> list[Note]:
        """Our notes with this marker id, oldest first, from every page: the body must START
        with the marker and the author must be the token's own user; system notes never."""
        me = self.own_user_id()
        what = f"list the notes of merge request !{iid}"
        mr = self.project.mergerequests.get(iid, lazy=True)

        def notes() -> list[Note]:
            found = []
            for n in mr.notes.list(get_all=True, sort="asc", order_by="created_at"):
                author = getattr(n, "author", None)
                found.append(
                    Note(
                        _int(n.id, what, "id"),
                        n.body if isinstance(n.body, str) else "",
                        author.get("id") if isinstance(author, dict) else None,
                        bool(getattr(n, "system", False)),
                        n,
                    )
                )
            return found

        ours = []
        for note in self._call(what, notes):
            marker = parse_marker(note.body)
            mine = note.author_id == me and not note.system
            if marker and marker.comment_id == comment_id and mine:
                ours.append(note)
        return sorted(ours, key=lambda n: n.id)

    def _url(self, change: Change, note_id: int) -> str:
        return f"{change.url}#note_{note_id}" if change.url else f"note {note_id}"

    def _stale(self, iid: int, head_sha: str) -> bool:
        current = self.current_head(iid)
        if current != head_sha:
            self.log(
                f"merge request !{iid} head is now {current[:7]}, this pipeline is for "
                f"{head_sha[:7]}: not updating the note (a newer pipeline will)"
            )
            return True
        return False

    def _edit(self, note: Note, body: str) -> bool:
        """False when the note was deleted since it was listed (the edit answers 404): then a
        new one is posted, never nothing (issue 20)."""
        from gitlab.exceptions import GitlabError

        def edit() -> bool:
            note.obj.body = body
            try:
                note.obj.save()
            except GitlabError as exc:
                if getattr(exc, "response_code", None) == 404:
                    return False
                raise
            if note.obj.body != body:
                raise GitLabError("GitLab's answer to update the note has another body")
            return True

        if not self._call("update the note", edit):
            self.log(f"note {note.id} was deleted before it could be updated")
            return False
        return True

    def _delete(self, note: Note) -> None:
        try:
            self._call("delete a duplicate note", note.obj.delete)
        except GitLabError as exc:
            self.log(f"could not delete duplicate note {note.id}: {exc}")

    def upsert_report(
        self, change: Change, body: str, *, comment_id: str, head_sha: str, mode: str
    ) -> str | None:
        iid = change.number
        existing = self.own_notes(iid, comment_id)
        if self._stale(iid, head_sha):
            return None
        while mode == "update" and existing:
            note = existing.pop(0)
            if not self._edit(note, body):
                continue  # deleted meanwhile: the next one, else a new note
            for extra in existing:
                self._delete(extra)
            url = self._url(change, note.id)
            self.log(f"updated note {url}")
            return url
        what = f"post the note on merge request !{iid}"
        mr = self.project.mergerequests.get(iid, lazy=True)
        created = self._call(what, lambda: _int(mr.notes.create({"body": body}).id, what, "id"))
        url = self._url(change, created)
        self.log(f"posted note {url}")
        if mode != "update":
            if existing:
                self.log(f"{len(existing)} older report note(s) kept (comment: new)")
            return url
        try:
            return self._dedupe(change, body, comment_id, head_sha, created)
        except GitLabError as exc:
            exc.comment_url = url  # posted: still the comment-url output
            raise

    def _dedupe(
        self, change: Change, body: str, comment_id: str, head_sha: str, created: int
    ) -> str:
        """Another pipeline created a note at the same time: keep the oldest, with our body."""
        iid = change.number
        url = self._url(change, created)
        ours = self.own_notes(iid, comment_id)
        if len(ours) < 2 or ours[0].id == created:
            return url
        keep = ours[0]
        if not self._stale(iid, head_sha) and not self._edit(keep, body):
            return url  # the older one is gone: ours stays
        for note in ours[1:]:
            if note.id == created:
                self._delete(note)
        url = self._url(change, keep.id)
        self.log(f"merged a concurrent duplicate into note {url}")
        return url

    # -- the merge gate -------------------------------------------------------------------
    def set_status(
        self,
        sha: str,
        *,
        passed: bool,
        description: str,
        summary: str,
        context: str,
        target_url: str | None,
    ) -> None:
        data: dict[str, Any] = {
            "state": "success" if passed else "failed",
            "name": context,
            "description": one_line(description, DESCRIPTION_LIMIT),
        }
        if target_url:
            data["target_url"] = target_url
        if self.ctx.source_branch and self.ctx.same_project:
            # a fork's branch is not a ref of this project: GitLab then finds the commit itself
            data["ref"] = self.ctx.source_branch
        commit = self.project.commits.get(sha, lazy=True)
        what = "set the commit status"
        self._call(what, lambda: _int(commit.statuses.create(data).id, what, "id"))
        self.log(f"status {context}: {data['state']} on {sha[:7]}: {data['description']}")

    # -- images as project uploads (private projects stay private) ------------------------
    def host_images(
        self, files: Sequence[tuple[str, bytes]], *, change: Change, head_sha: str
    ) -> dict[str, str] | None:
        urls = {}
        for rel, data in files:
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", PurePosixPath(rel).name).strip(".-")
            what = f"upload image {name}"

            def upload(name: str = name, data: bytes = data, what: str = what) -> str:
                # python-gitlab's `project.upload` encodes a lazy project's path twice
                # (`group%252Fname`): its own request, with the path encoded once
                answer: Mapping[str, Any] = self.gl.http_post(
                    f"/projects/{self.project.encoded_id}/uploads",
                    files={"file": (name or "plot.png", data)},
                )
                url = answer.get("url")
                if not isinstance(url, str) or not re.fullmatch(r"/uploads/[\w./-]+", url):
                    raise GitLabError(f"GitLab's answer to {what} has no upload url")
                return url

            urls[rel] = self._call(what, upload)
        if urls:
            self.log(f"uploaded {len(urls)} image(s) to project {self.ctx.project_id}")
        return urls


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError:
        return default
    return value if value >= 0 else default


def build(
    ctx: GitLabContext,
    settings: Settings,
    token: str,
    log: Log,
    env: Mapping[str, str] | None = None,
) -> GitLabHost:
    """The one place the python-gitlab client is built."""
    import gitlab
    import requests
    from requests.adapters import HTTPAdapter

    env = os.environ if env is None else env
    cap = _number(env, "MLGATE_RETRY_AFTER_MAX", 60.0)
    retry = CappedRetry(
        total=int(_number(env, "MLGATE_GITLAB_RETRIES", 5)),
        backoff_factor=_number(env, "MLGATE_GITLAB_BACKOFF", 1.0),
        backoff_max=cap,
        status_forcelist=[*range(500, 600), 429],
        allowed_methods=None,  # a 502 from a proxy: the write did not reach GitLab
        respect_retry_after_header=True,
        retry_after_max=cap,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    gl = gitlab.Gitlab(
        url=ctx.api_url.removesuffix("/api/v4"),
        private_token=token,
        session=session,
        timeout=max(1.0, _number(env, "MLGATE_GITLAB_TIMEOUT", 30.0)),
        per_page=100,
        user_agent="mlgate",
        retry_transient_errors=False,  # the session retries, with the Retry-After cap
        keep_base_url=True,  # pagination links of an instance behind a proxy
    )
    return GitLabHost(gl, ctx, log)
