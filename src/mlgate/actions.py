"""The GitHub Actions runtime: the event (pure: payload -> what to report on), file commands.

`target_from_event()` decides from the payload alone; for `push` and `workflow_run` events the
PR must be looked up through the API (by commit, then by head branch), which the GitHub adapter
does with the `Target` this returns.
"""

from __future__ import annotations

import dataclasses
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.errors import UsageError, WriteError
from mlgate.github import events
from mlgate.hosts import CIContext, Host, Target
from mlgate.limits import SUMMARY_LIMIT
from mlgate.log import Log
from mlgate.metrics import decode_json
from mlgate.settings import ClientLimits, Settings

__all__ = ["Context", "Target", "load", "target_from_event"]

Redactor = Callable[[str], str]
_OUTSIDE = (
    "GITHUB_REPOSITORY is not set: `mlgate run` is the action's entry point; "
    "use `mlgate report` outside GitHub Actions, or `mlgate run --host github|gitlab` in "
    "another CI (docs/ci.md)"
)
EVENT_LIMIT = 25 * 1024 * 1024  # GitHub's webhook payloads are capped at 25 MB


@dataclass(frozen=True)
class Context:
    """GitHub Actions' CI context (`mlgate.hosts.CIContext`): the event payload and runner files."""

    event_name: str
    payload: Mapping[str, Any]
    repository: str
    sha: str
    api_url: str
    server_url: str
    run_id: str | None
    workspace: Path
    step_summary: Path | None
    output: Path | None
    base_ref: str | None
    limits: ClientLimits = dataclasses.field(default_factory=ClientLimits)

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> Context:
        name = env.get("GITHUB_EVENT_NAME", "")
        if not env.get("GITHUB_REPOSITORY") and not env.get("GITHUB_EVENT_PATH"):
            raise UsageError(_OUTSIDE)
        payload = _read_event(env.get("GITHUB_EVENT_PATH"), name)
        repo_meta = payload.get("repository")
        repository = env.get("GITHUB_REPOSITORY") or (
            repo_meta.get("full_name", "") if isinstance(repo_meta, dict) else ""
        )
        if not repository:
            raise UsageError(_OUTSIDE)
        sha = env.get("GITHUB_SHA", "")
        if sha and not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
            raise UsageError(f"GITHUB_SHA: expected a commit sha, got {sha[:50]!r}")
        workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
        if not workspace.is_dir():
            raise UsageError(f"GITHUB_WORKSPACE: {workspace} is not a directory")
        return cls(
            event_name=name,
            payload=payload,
            repository=events.check_repository(
                "GITHUB_REPOSITORY" if env.get("GITHUB_REPOSITORY") else "repository.full_name",
                str(repository),
            ),
            sha=sha,
            api_url=events.check_url(
                "GITHUB_API_URL", env.get("GITHUB_API_URL") or "https://api.github.com"
            ),
            server_url=events.check_url(
                "GITHUB_SERVER_URL", env.get("GITHUB_SERVER_URL") or "https://github.com"
            ),
            run_id=env.get("GITHUB_RUN_ID") if (env.get("GITHUB_RUN_ID") or "").isdigit() else None,
            workspace=workspace,
            step_summary=Path(env["GITHUB_STEP_SUMMARY"])
            if env.get("GITHUB_STEP_SUMMARY")
            else None,
            output=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            base_ref=env.get("GITHUB_BASE_REF") or None,
            limits=ClientLimits.from_environ(env, "GITHUB"),
        )

    # -- mlgate.hosts.CIContext ------------------------------------------------------------
    @property
    def host_name(self) -> str:
        return "GitHub"

    @property
    def change_word(self) -> str:
        return "pull request"

    @property
    def change_abbr(self) -> str:
        return "PR"

    @property
    def meta_key(self) -> str:
        return "github"

    def target(self) -> Target:
        return target_from_event(self)

    def token(self, settings: Settings) -> str | None:
        return settings.github_token

    def no_token(self) -> str:
        return "no GitHub token (input `github-token`): the report is in the job summary only"

    def write_summary(self, markdown: str, redact: Redactor, log: Log) -> None:
        write_summary(self.step_summary, markdown, redact)

    def append_summary(self, text: str, redact: Redactor) -> None:
        append_summary(self.step_summary, text, redact)

    def write_outputs(self, values: Mapping[str, str], redact: Redactor) -> None:
        write_outputs(self.output, values, redact)

    def after_report(self, result: Mapping[str, Any], out_dir: Path, log: Log) -> None:
        return None

    def build_host(self, settings: Settings, token: str, log: Log) -> Host:
        # here, not at the top: PyGithub loads only in a job that publishes (start-up time)
        from mlgate.github import host as github_host

        site = github_host.Site(
            api_url=self.api_url,
            server_url=self.server_url,
            repository=self.repository,
            run_url=self.run_url,
            check_run=settings.check_run,
            assets_branch=settings.assets_branch,
        )
        return github_host.build(site, token, log, self.limits)


def load(env: Mapping[str, str], log: Log) -> tuple[Settings, CIContext]:
    """`mlgate.hosts.load` for GitHub Actions: inputs from `INPUT_*`, then the event."""
    settings = Settings.from_environ(env)
    log.mask(settings.github_token)
    ctx = Context.from_environ(env)
    refuse_untrusted_code(settings, ctx.event_name)
    return settings, ctx


# Events whose job holds a write token and the repository's secrets while a pull request's code
# may be checked out: running it there is a "pwn request" (`issue_comment`: a "/train" ChatOps
# command on a PR runs the default branch's workflow with a write token too).
PRIVILEGED_EVENTS = ("pull_request_target", "workflow_run", "issue_comment")


def refuse_untrusted_code(settings: Settings, event_name: str) -> None:
    """`run`/`repro` on a privileged event: exit 2 with the reason, unless `trusted-checkout`."""
    if event_name not in PRIVILEGED_EVENTS or settings.trusted_checkout:
        return
    if settings.run or settings.repro:
        what = "`run`" if settings.run else "`repro`"
        raise UsageError(
            f"input {what} on a {event_name} event: this job holds a write token and the "
            f"repository's secrets, and {what} would execute whatever is checked out, the pull "
            "request's code included; train in a `pull_request` workflow (the two-stage setup "
            "in docs/security.md), or set `trusted-checkout: true` if this workflow checks out "
            "only trusted code"
        )


def _read_event(path: str | None, name: str) -> dict[str, Any]:
    """The event payload: a JSON object in UTF-8, or a one-line usage error."""
    if not path:
        if name in events.MODELS:
            raise UsageError(f"GITHUB_EVENT_PATH is not set for a {name} event")
        return {}
    where = f"GITHUB_EVENT_PATH {path}"
    try:
        with Path(path).open("rb") as fh:
            raw = fh.read(EVENT_LIMIT + 1)
    except OSError as exc:
        raise UsageError(f"{where}: cannot read the event ({exc.strerror or exc})") from exc
    if len(raw) > EVENT_LIMIT:
        raise UsageError(f"{where}: larger than {EVENT_LIMIT} bytes, not a GitHub event")
    payload = decode_json(raw, where, UsageError)
    if not isinstance(payload, dict):
        raise UsageError(f"{where}: expected a JSON object, got {type(payload).__name__}")
    return payload


def target_from_event(ctx: Context) -> Target:
    """Pure: the event payload -> the target. Never the merge commit that GITHUB_SHA names.
    The payload is checked first (UsageError naming the key path)."""
    event = events.validate(ctx.event_name, ctx.payload, "event payload")
    if isinstance(event, events.PullRequestEvent):
        pr = event.pull_request
        return Target(
            repository=ctx.repository,
            head_sha=pr.head.sha,
            pr_number=pr.number,
            base_ref=pr.base.ref,
            base_sha=pr.base.sha,
            head_ref=pr.head.ref,
            head_repository=pr.head.repo.full_name if pr.head.repo else None,
        )
    if isinstance(event, events.WorkflowRunEvent):
        run = event.workflow_run
        head_repo = run.head_repository.full_name if run.head_repository else None
        if run.pull_requests:  # same-repository branches only; fork PRs come with an empty list
            first = run.pull_requests[0]
            return Target(
                repository=ctx.repository,
                head_sha=run.head_sha,
                pr_number=first.number,
                base_ref=first.base.ref,
                base_sha=first.base.sha,
                head_ref=first.head.ref,
                head_repository=head_repo,
            )
        return Target(
            repository=ctx.repository,
            head_sha=run.head_sha,
            head_ref=run.head_branch,
            head_repository=head_repo,
            needs_lookup=True,
        )
    if isinstance(event, events.PushEvent):
        branch = (
            event.ref.removeprefix("refs/heads/") if event.ref.startswith("refs/heads/") else None
        )
        return Target(
            repository=ctx.repository,
            head_sha=event.after or ctx.sha,
            head_ref=branch,
            needs_lookup=True,
            pushed_branch=branch,
            default_branch=event.repository.default_branch if event.repository else None,
        )
    return Target(repository=ctx.repository, head_sha=ctx.sha, needs_lookup=bool(ctx.sha))


def write_outputs(path: Path | None, values: Mapping[str, str], redact: Redactor) -> None:
    """Append `name<<DELIM` blocks to GITHUB_OUTPUT (safe for any value, multi-line too),
    with secrets redacted (a mask hides them in the log only, not in outputs)."""
    if path is None:
        return
    try:
        with path.open("a", encoding="utf-8") as fh:
            for name, value in values.items():
                delim = f"mlgate_{uuid.uuid4().hex}"
                fh.write(f"{name}<<{delim}\n{redact(value)}\n{delim}\n")
    except OSError as exc:  # the runner's file: its problem, said in one line (exit 3)
        raise WriteError(
            f"GITHUB_OUTPUT {path}: cannot write the step's outputs ({exc.strerror or exc}); "
            "later steps will not see `passed`, `comment-url` or `result-json`",
            environment=True,
        ) from exc


def write_summary(path: Path | None, markdown: str, redact: Redactor) -> None:
    """Replace this step's summary (the runner reads the file when the step ends)."""
    if path is None:
        return
    markdown = redact(markdown)
    data = markdown.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        cut = data[: SUMMARY_LIMIT - 200].decode("utf-8", errors="ignore")
        markdown = (
            cut + "\n\n…summary truncated at GitHub's 1 MiB limit; see the report artifact.\n"
        )
    try:
        path.write_text(markdown, encoding="utf-8")
    except OSError as exc:
        _summary_failed(path, exc)


def append_summary(path: Path | None, text: str, redact: Redactor) -> None:
    if path is not None:
        try:
            with path.open("a", encoding="utf-8") as fh:
                fh.write(redact(text))
        except OSError as exc:
            _summary_failed(path, exc)


def _summary_failed(path: Path, exc: OSError) -> None:
    """The job summary is a convenience: a runner file that cannot be written is a warning,
    and the run goes on (the report is on disk; the comment and status still come)."""
    Log(actions=True).warning(
        f"GITHUB_STEP_SUMMARY {path}: cannot write the job summary ({exc.strerror or exc}); "
        "the report is in the report directory"
    )


def give_to_owner(workspace: Path, log: Callable[[str], None], *, euid: int | None = None) -> int:
    """Give what this process (root, in the action's container) created under the workspace to
    the workspace's owner (the runner's user, uid 1001 on GitHub-hosted runners), so later
    steps and the next job's checkout can change and clean it. Does nothing when not root or
    when the workspace belongs to root. Symlinks are changed, never followed. Returns a count."""
    me = os.geteuid() if euid is None else euid
    try:
        info = workspace.stat()
    except OSError:
        return 0
    if me != 0 or info.st_uid == me:
        return 0
    count, failed = 0, 0
    for dirpath, dirnames, filenames in os.walk(workspace, followlinks=False):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            try:
                if path.lstat().st_uid == me:
                    os.lchown(path, info.st_uid, info.st_gid)
                    count += 1
            except OSError:
                failed += 1
    if failed:
        log(f"could not give {failed} file(s) in the workspace to uid {info.st_uid}")
    return count
