"""The host seam: what `mlgate run` and `mlgate publish` need from a code host and its CI.

The commands talk to a `Host` (the change request, the one report note, the status on the head
commit, images) and a `CIContext` (the CI runner's variables or event payload: what to report
on, where the job's log, summary and outputs go). Neither protocol names a client library:
PyGithub stays in `mlgate.github`, python-gitlab in `mlgate.gitlab`.

A host is picked from the environment by `load()`: `GITHUB_ACTIONS` -> GitHub Actions
(`mlgate.actions`), `GITLAB_CI` -> GitLab CI (`mlgate.gitlab.ci`); first of all, `MLGATE_HOST`
(or another piece `mlgate run --host ...` takes) -> any other CI (`mlgate.anyci`).

A third host is two files and one line in `HOSTS` below: its CI context (a `CIContext` and
`load`, reading the CI's variables) and its host (a `Host`, built from plain values, that
offers the note primitives of `mlgate.sticky.NoteHost` and names its client library's error
in a `mlgate.hostapi.Api`). The sticky note's algorithm (`mlgate.sticky`), the capped retry
and the transport's explanation (`mlgate.hostapi`) are written once, above every host.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from mlgate.errors import UsageError
from mlgate.log import Log, neutralize
from mlgate.settings import Settings

Redactor = Callable[[str], str]

# environment variable set by the CI -> the module whose `load(env, log)` reads that CI
HOSTS: dict[str, str] = {
    "GITHUB_ACTIONS": "mlgate.actions",
    "GITLAB_CI": "mlgate.gitlab.ci",
}
DEFAULT = "mlgate.actions"
# `mlgate run --host ... --repo ... --pr ...` in any CI (mlgate.anyci.FIELDS: flags become these)
ANY_CI_VARIABLES = (
    "MLGATE_HOST",
    "MLGATE_REPOSITORY",
    "MLGATE_PR",
    "MLGATE_HEAD_SHA",
)  # GitHub Actions: what `mlgate run` was first written for


@dataclass(frozen=True)
class Target:
    """What to report on: the change request (if known), and the commit whose status is the
    merge gate (the change's own head, never a merge commit the CI made)."""

    repository: str
    head_sha: str
    pr_number: int | None = None
    base_ref: str | None = None
    base_sha: str | None = None
    head_ref: str | None = None
    head_repository: str | None = None
    needs_lookup: bool = False  # push / workflow_run: find the PR through the API
    # a push to a branch (its name), and the repository's default branch: a push to the base
    # branch records that commit's results instead of reporting (issue 20)
    pushed_branch: str | None = None
    default_branch: str | None = None

    @property
    def is_fork(self) -> bool:
        return bool(self.head_repository) and self.head_repository != self.repository


@dataclass(frozen=True)
class Change:
    """A pull request or merge request as the host answered it."""

    number: int
    head_sha: str
    base_ref: str
    url: str


class Host(Protocol):
    """A code host's API, behind one client built in the host's module.

    Every method raises `mlgate.errors.HostError` (one line, exit 3) when the API fails after
    retries, or `ReadOnlyToken` when the token can read but cannot write.
    """

    name: str  # "GitHub", for messages
    comment_limit: int  # the longest note/comment body the host accepts, in characters
    images_hint: str  # shown where an image could not be hosted

    def find_change(self, target: Target) -> Change | None:
        """The open change request for the target (None: no open one; the job log says so)."""
        ...

    def upsert_report(
        self, change: Change, body: str, *, comment_id: str, head_sha: str, mode: str
    ) -> str | None:
        """Create or edit the one report note whose body starts with the marker and whose
        author is the token's own identity; None when skipped because the change's head moved
        on since `head_sha` (a newer run owns the note). A host writes this as one call of
        `mlgate.sticky.upsert` over its note primitives (`mlgate.sticky.NoteHost`)."""
        ...

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
        """The merge gate: the status named `context` on the head commit `sha`."""
        ...

    def host_images(
        self, files: Sequence[tuple[str, bytes]], *, change: Change, head_sha: str
    ) -> dict[str, str] | None:
        """Upload images (already read and checked); rel path -> URL for the note, or None
        when this host cannot host images (the note then carries Mermaid charts)."""
        ...


@runtime_checkable
class ResultsStore(Protocol):
    """A host that can keep each base-branch commit's results on a branch of the repository
    itself (GitHub: through the Git Data API), so no job needs a clone with push rights."""

    def store_results(
        self, files: Sequence[tuple[str, bytes]], *, branch: str, message: str
    ) -> str:
        """Commit `files` (paths from the branch's root) on top of `branch`; the commit's sha."""
        ...


class CIContext(Protocol):
    """The CI job: where the report goes besides the note, and what it reports on."""

    @property
    def host_name(self) -> str:
        """ "GitHub" / "GitLab", for messages."""
        ...

    @property
    def change_word(self) -> str:
        """ "pull request" / "merge request"."""
        ...

    @property
    def change_abbr(self) -> str:
        """ "PR" / "MR"."""
        ...

    @property
    def meta_key(self) -> str:
        """result.json's key for the CI facts ("github" / "gitlab")."""
        ...

    @property
    def workspace(self) -> Path: ...

    @property
    def event_name(self) -> str: ...

    @property
    def repository(self) -> str: ...

    @property
    def run_url(self) -> str | None: ...

    @property
    def step_summary(self) -> Path | None: ...

    def target(self) -> Target: ...

    def token(self, settings: Settings) -> str | None: ...

    def no_token(self) -> str:
        """One line: what to create so mlgate can post (the report is in the log/artifacts)."""
        ...

    def write_summary(self, markdown: str, redact: Redactor, log: Log) -> None: ...

    def append_summary(self, text: str, redact: Redactor) -> None: ...

    def write_outputs(self, values: Mapping[str, str], redact: Redactor) -> None: ...

    def after_report(self, result: Mapping[str, Any], out_dir: Path, log: Log) -> None:
        """Host-specific files beside the bundle (GitLab's metrics report)."""
        ...

    def build_host(self, settings: Settings, token: str, log: Log) -> Host: ...


CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI")


def in_ci(env: Mapping[str, str]) -> bool:
    """This process runs in a CI job (GitHub Actions, GitLab CI, or any CI that sets `CI`):
    there the base branch's gates apply; outside, a local run applies the working tree's."""
    return any(env.get(name, "").strip().lower() in ("true", "1", "yes") for name in CI_VARIABLES)


def module_for(env: Mapping[str, str]) -> str:
    if any((env.get(var) or "").strip() for var in ANY_CI_VARIABLES):  # given: wins
        return "mlgate.anyci"
    for variable, module in HOSTS.items():
        if env.get(variable, "").lower() == "true":
            return module
    return DEFAULT


def load(env: Mapping[str, str], log: Log) -> tuple[Settings, CIContext]:
    """The settings and CI context of the CI this process runs in (UsageError if unusable)."""
    module = importlib.import_module(module_for(env))
    loaded: tuple[Settings, CIContext] = module.load(env, log)
    return loaded


def working_root(workspace: Path, working_directory: Path) -> Path:
    """The project directory: `working-directory` inside the CI workspace, or a UsageError that
    says what is wrong with it (a symbolic link leading out is not "a missing base ref")."""
    root = (workspace / working_directory).resolve()
    if not root.is_relative_to(workspace.resolve()):
        raise UsageError(
            f"{working_directory}: leads outside the workspace (to {root}) "
            "(input `working-directory`); give a directory of the repository, not a link out"
        )
    if not root.is_dir():
        raise UsageError(
            f"{working_directory}: no such directory in the workspace (input `working-directory`)"
        )
    return root


def repository_url(env: Mapping[str, str]) -> str | None:
    """The web address of the repository this CI job runs for (links there stay on-site)."""
    if env.get("GITLAB_CI", "").lower() == "true":
        return env.get("CI_PROJECT_URL") or None
    if env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        return f"{server.rstrip('/')}/{env['GITHUB_REPOSITORY']}"
    return None


def one_line(text: object, limit: int = 200) -> str:
    """An API's message as one neutral line for the log and the report."""
    line = " ".join(neutralize(str(text)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def transport_problem(exc: BaseException, timeout_setting: str) -> str:
    """A short cause for a transport failure (requests nests urllib3's reason deep inside)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        e = todo.pop()
        seen.append(e)
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        todo += [
            r for r in (getattr(e, "reason", None), e.__cause__) if isinstance(r, BaseException)
        ]
    names = " ".join(type(e).__name__ for e in seen) + " " + " ".join(str(e) for e in seen)
    if "Timeout" in names or "timed out" in names:
        return f"no answer within the timeout ({timeout_setting}, default 30 s)"
    if "Reset" in names or "reset by peer" in names or "RemoteDisconnected" in names:
        return "the connection was reset"
    if "Refused" in names or "refused" in names:
        return "the connection was refused"
    if "ResponseError" in names and "too many" in names:
        return "the server kept answering with errors"
    return one_line(exc, 160)


class RetryAfterTooLong(Exception):
    """A host asked to wait longer than mlgate's cap before retrying (`Retry-After`): the call
    fails at once (exit 3) instead of hanging the job."""

    def __init__(self, host: str, seconds: float, cap: float) -> None:
        super().__init__(
            f"{host} asked to wait {seconds:.0f} s before retrying (Retry-After), more than the "
            f"{cap:.0f} s mlgate waits; re-run the job later"
        )
        self.seconds = seconds
