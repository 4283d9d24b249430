"""The GitHub Actions runtime: the event (pure: payload -> what to report on), file commands.

`target_from_event()` decides from the payload alone; for `push` and `workflow_run` events the
PR must be looked up through the API (by commit, then by head branch), which the GitHub adapter
does with the `Target` this returns.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.errors import UsageError

SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary over 1 MiB


@dataclass(frozen=True)
class Target:
    """What to report on: the PR (if known), and the commit whose status is the merge gate."""

    repository: str
    head_sha: str
    pr_number: int | None = None
    base_ref: str | None = None
    base_sha: str | None = None
    head_ref: str | None = None
    head_repository: str | None = None
    needs_lookup: bool = False  # push / workflow_run: find the PR through the API

    @property
    def is_fork(self) -> bool:
        return bool(self.head_repository) and self.head_repository != self.repository


@dataclass(frozen=True)
class Context:
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

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> Context:
        name = env.get("GITHUB_EVENT_NAME", "")
        path = env.get("GITHUB_EVENT_PATH")
        payload: Mapping[str, Any] = {}
        if path:
            try:
                payload = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise UsageError(f"GITHUB_EVENT_PATH {path}: cannot read the event: {exc}") from exc
        repository = env.get("GITHUB_REPOSITORY") or payload.get("repository", {}).get(
            "full_name", ""
        )
        if not repository:
            raise UsageError(
                "GITHUB_REPOSITORY is not set: `mlgate run` is the action's entry point; "
                "use `mlgate report` outside GitHub Actions"
            )
        return cls(
            event_name=name,
            payload=payload,
            repository=repository,
            sha=env.get("GITHUB_SHA", ""),
            api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            server_url=env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            run_id=env.get("GITHUB_RUN_ID"),
            workspace=Path(env.get("GITHUB_WORKSPACE", ".")),
            step_summary=Path(env["GITHUB_STEP_SUMMARY"])
            if env.get("GITHUB_STEP_SUMMARY")
            else None,
            output=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            base_ref=env.get("GITHUB_BASE_REF") or None,
        )


def target_from_event(ctx: Context) -> Target:
    """Pure: the event payload -> the target. Never the merge commit that GITHUB_SHA names."""
    p = ctx.payload
    if ctx.event_name in ("pull_request", "pull_request_target") and "pull_request" in p:
        pr = p["pull_request"]
        return Target(
            repository=ctx.repository,
            head_sha=pr["head"]["sha"],
            pr_number=int(pr["number"]),
            base_ref=pr["base"]["ref"],
            base_sha=pr["base"]["sha"],
            head_ref=pr["head"]["ref"],
            head_repository=(pr["head"].get("repo") or {}).get("full_name"),
        )
    if ctx.event_name == "workflow_run" and "workflow_run" in p:
        run = p["workflow_run"]
        prs = run.get("pull_requests") or []
        head_repo = (run.get("head_repository") or {}).get("full_name")
        if prs:  # same-repository branches only; fork PRs come with an empty list
            pr = prs[0]
            return Target(
                repository=ctx.repository,
                head_sha=run["head_sha"],
                pr_number=int(pr["number"]),
                base_ref=pr["base"]["ref"],
                base_sha=pr["base"]["sha"],
                head_ref=pr["head"]["ref"],
                head_repository=head_repo,
            )
        return Target(
            repository=ctx.repository,
            head_sha=run["head_sha"],
            head_ref=run.get("head_branch"),
            head_repository=head_repo,
            needs_lookup=True,
        )
    if ctx.event_name == "push":
        ref = str(p.get("ref", ""))
        return Target(
            repository=ctx.repository,
            head_sha=str(p.get("after") or ctx.sha),
            head_ref=ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None,
            needs_lookup=True,
        )
    return Target(repository=ctx.repository, head_sha=ctx.sha, needs_lookup=bool(ctx.sha))


def write_outputs(path: Path | None, values: Mapping[str, str]) -> None:
    """Append `name<<DELIM` blocks to GITHUB_OUTPUT (safe for any value, multi-line too)."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as fh:
        for name, value in values.items():
            delim = f"mlgate_{uuid.uuid4().hex}"
            fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")


def write_summary(path: Path | None, markdown: str) -> None:
    """Replace this step's summary (the runner reads the file when the step ends)."""
    if path is None:
        return
    data = markdown.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        cut = data[: SUMMARY_LIMIT - 200].decode("utf-8", errors="ignore")
        markdown = (
            cut + "\n\n…summary truncated at GitHub's 1 MiB limit; see the report artifact.\n"
        )
    path.write_text(markdown, encoding="utf-8")
