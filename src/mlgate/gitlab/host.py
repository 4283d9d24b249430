"""GitLab behind the host seam (`mlgate.hosts.Host`), with python-gitlab.

The one python-gitlab client is built in `build()`: the API from CI_API_V4_URL (self-managed
instances alike), a requests session retrying 5xx and 429 with backoff and a capped
`Retry-After` (`mlgate.hostapi`). Every API access goes through `mlgate.hostapi.Api.call`,
which turns whatever the transport or the answer does into one `GitLabError` line (exit 3).
The one report note is `mlgate.sticky`'s algorithm over this module's note primitives.
Built from plain values (`Project`): this module knows nothing of the CI that found them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import gitlab
import requests
from gitlab.exceptions import GitlabError
from requests.adapters import HTTPAdapter

from mlgate import sticky
from mlgate.errors import GitLabError, ReadOnlyToken
from mlgate.gitlab import SETUP_HINT
from mlgate.hostapi import Api, CappedRetry, answered, retry_policy
from mlgate.hosts import Change, Target, one_line
from mlgate.log import Log
from mlgate.settings import ClientLimits
from mlgate.sticky import Note, Words

NOTE_LIMIT = 1_000_000  # GitLab refuses a note body over 1,000,000 characters (400)
DESCRIPTION_LIMIT = 255  # a commit status's description column


class Forbidden(GitLabError, ReadOnlyToken):
    """403: the token lacks the `api` scope or the role. Unlike a GitHub fork PR's token this is
    a set-up mistake, so the job fails (exit 3) after the report is in the log."""

    fatal = True


class GitLabRetry(CappedRetry):
    host = "GitLab"


@dataclass(frozen=True)
class Project:
    """Where to publish on GitLab: plain values from the CI's variables."""

    api_url: str
    project_id: int | str  # an id, or a `group/name` path (any CI names it so)
    mr_iid: int
    source_branch: str | None = None
    same_project: bool = True  # the MR's source branch is in this project (not a fork)


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "response_code", None)
    return status if isinstance(status, int) else None


class GitLabHost:
    name = "GitLab"
    comment_limit = NOTE_LIMIT
    images_hint = "image not published: the token cannot upload to the project"
    words = Words(note="note", run="pipeline")

    def __init__(self, gl: Any, project: Project, log: Log) -> None:
        self.gl, self.where, self.log = gl, project, log
        self._user_id: int | None = None
        self.api = Api(
            name="GitLab",
            timeout_setting="MLGATE_GITLAB_TIMEOUT",
            library_error=GitlabError,
            explain=self.explain,
            status=_status,
            error=GitLabError,
            bad_answer=GitLabError,
        )
        # lazy: no request; every access goes through api.call
        self.project = gl.projects.get(project.project_id, lazy=True)

    def explain(self, exc: Exception, what: str) -> GitLabError:
        status = _status(exc)
        text = one_line(getattr(exc, "error_message", None) or exc)
        said = answered(status, text)
        if status == 401:
            return GitLabError(
                f"GitLab rejected the token ({said}) trying to {what}: check the "
                "MLGATE_GITLAB_TOKEN variable (an expired or revoked token, or one of another "
                "GitLab instance)"
            )
        if status == 403:
            return Forbidden(f"GitLab refused to {what} ({said}): {SETUP_HINT}")
        if status == 404:
            return GitLabError(
                f"GitLab answered 404 (not found) trying to {what}: project "
                f"{self.where.project_id} or merge request !{self.where.mr_iid} does not exist, "
                "or the token cannot see it (a project access token of another project?)"
            )
        if status is None:
            return GitLabError(f"GitLab's answer to {what} is not the API's shape ({text})")
        return GitLabError(f"GitLab API failed to {what} ({said})")

    # -- who are we -----------------------------------------------------------------------
    def own_user_id(self) -> int:
        """The token's own user (GET /user): a project access token has a bot user of its own."""
        if self._user_id is None:

            def whoami() -> int:
                self.gl.auth()
                return self.api.number(self.gl.user.id, "GET /user", "id")

            self._user_id = self.api.call("identify the token's user", whoami)
        return self._user_id

    # -- the merge request ----------------------------------------------------------------
    def _mr(self, iid: int) -> Any:
        return self.api.call(
            f"read merge request !{iid}", lambda: self.project.mergerequests.get(iid)
        )

    def find_change(self, target: Target) -> Change | None:
        iid = target.pr_number if target.pr_number is not None else self.where.mr_iid
        what = f"read merge request !{iid}"
        mr = self._mr(iid)

        def change() -> Change:
            state = str(getattr(mr, "state", "opened"))
            if state != "opened":
                self.log(f"merge request !{iid} is {state}: reporting on it all the same")
            return Change(iid, self.api.sha(mr.sha, what), str(mr.target_branch), str(mr.web_url))

        return self.api.call(what, change)

    # -- the note primitives (mlgate.sticky.NoteHost) -------------------------------------
    def change_label(self, number: int) -> str:
        return f"merge request !{number}"

    def current_head(self, number: int) -> str:
        what = f"read merge request !{number}"
        mr = self._mr(number)
        return self.api.call(what, lambda: self.api.sha(mr.sha, what))

    def _note(self, change: Change, n: Any, what: str) -> tuple[Note, Any, bool]:
        nid = self.api.number(n.id, what, "id")
        url = f"{change.url}#note_{nid}" if change.url else f"note {nid}"
        body = n.body if isinstance(n.body, str) else ""
        author = getattr(n, "author", None)
        author_id = author.get("id") if isinstance(author, dict) else None
        return Note(nid, body, url, f"note {nid}", n), author_id, bool(getattr(n, "system", False))

    def own_notes(self, change: Change) -> list[Note]:
        me = self.own_user_id()
        what = f"list the notes of merge request !{change.number}"
        mr = self.project.mergerequests.get(change.number, lazy=True)
        notes = self.api.call(
            what,
            lambda: [
                self._note(change, n, what)
                for n in mr.notes.list(get_all=True, sort="asc", order_by="created_at")
            ],
        )
        return [note for note, author, system in notes if author == me and not system]

    def create_note(self, change: Change, body: str) -> Note:
        what = f"post the note on merge request !{change.number}"
        mr = self.project.mergerequests.get(change.number, lazy=True)
        created = self.api.call(what, lambda: mr.notes.create({"body": body}))
        return self.api.call(what, lambda: self._note(change, created, what))[0]

    def edit_note(self, note: Note, body: str) -> bool:
        def edit() -> bool:
            note.handle.body = body
            try:
                note.handle.save()
            except self.api.library_error as exc:
                if _status(exc) == 404:
                    return False
                raise
            if note.handle.body != body:
                raise GitLabError("GitLab's answer to update the note has another body")
            return True

        return self.api.call("update the note", edit)

    def delete_note(self, note: Note) -> None:
        self.api.call("delete a duplicate note", note.handle.delete)

    def hide_note(self, note: Note) -> bool:
        return False  # GitLab cannot minimize a note: older ones are kept

    def upsert_report(
        self, change: Change, body: str, *, comment_id: str, head_sha: str, mode: str
    ) -> str | None:
        return sticky.upsert(
            self, change, body, comment_id=comment_id, head_sha=head_sha, mode=mode
        )

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
        if self.where.source_branch and self.where.same_project:
            # a fork's branch is not a ref of this project: GitLab then finds the commit itself
            data["ref"] = self.where.source_branch
        commit = self.project.commits.get(sha, lazy=True)
        what = "set the commit status"
        self.api.call(what, lambda: self.api.number(commit.statuses.create(data).id, what, "id"))
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

            urls[rel] = self.api.call(what, upload)
        if urls:
            self.log(f"uploaded {len(urls)} image(s) to project {self.where.project_id}")
        return urls


def build(project: Project, token: str, log: Log, limits: ClientLimits) -> GitLabHost:
    """The one place the python-gitlab client is built."""
    session = requests.Session()
    adapter = HTTPAdapter(
        max_retries=GitLabRetry(
            **retry_policy(limits),
            allowed_methods=None,  # a 502 from a proxy: the write did not reach GitLab
            respect_retry_after_header=True,
        )
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    gl = gitlab.Gitlab(
        url=project.api_url.removesuffix("/api/v4"),
        private_token=token,
        session=session,
        timeout=limits.timeout,
        per_page=100,
        user_agent="mlgate",
        retry_transient_errors=False,  # the session retries, with the Retry-After cap
        keep_base_url=True,  # pagination links of an instance behind a proxy
    )
    return GitLabHost(gl, project, log)
