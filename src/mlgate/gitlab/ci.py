"""GitLab CI's context (`mlgate.hosts.CIContext`): the `CI_*` variables a runner sets.

Only merge-request pipelines are reported on (`CI_PIPELINE_SOURCE=merge_request_event`, with
`CI_MERGE_REQUEST_IID`). The head is the MR's source commit: in a merged-results pipeline
`CI_COMMIT_SHA` is a merge commit GitLab made, and the source branch's commit is in
`CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`. Settings come from `MLGATE_<INPUT>` variables (the
action's inputs upper-cased, `-` as `_`: `MLGATE_METRICS`, `MLGATE_RUN`, `MLGATE_PLOTS`...);
the token from `MLGATE_GITLAB_TOKEN` (or `GITLAB_TOKEN`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate import outdir
from mlgate.errors import UsageError
from mlgate.gitlab import SETUP_HINT
from mlgate.hosts import CIContext, Host, Target
from mlgate.log import Log
from mlgate.settings import ClientLimits, Settings

Redactor = Callable[[str], str]
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+")
GITHUB_ONLY = ("github_token", "check_run", "assets_branch", "bundles", "trusted_checkout")
# MLGATE_* variables that are not inputs: limits of the API clients, the token, the example's image
KNOBS = {
    "GITLAB_TOKEN",
    "GITLAB_RETRIES",
    "GITLAB_BACKOFF",
    "GITLAB_TIMEOUT",
    "GITHUB_RETRIES",
    "GITHUB_BACKOFF",
    "GITHUB_TIMEOUT",
    "RETRY_AFTER_MAX",
    "WRITE_INTERVAL",
    "CONSTRAINTS",
    "IMAGE",
    "TRAINING_VENV",  # the image's: where the training's own environment goes (mlgate.trainenv)
    "TRAINING_ENV",
}
REPORT_SECTION = "mlgate report (also in the job's artifacts)"
METRICS_REPORT = "metrics.txt"  # GitLab's `artifacts:reports:metrics` format: `name value` lines
_OUTSIDE = (
    "{name} is not set: with GITLAB_CI=true `mlgate run` reads the variables a GitLab runner "
    "sets for a merge-request pipeline; run it in a GitLab CI job, or `mlgate report` locally"
)


def _required(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise UsageError(_OUTSIDE.format(name=name))
    return value


def _url(env: Mapping[str, str], name: str) -> str:
    value = _required(env, name).rstrip("/")
    if not _URL.fullmatch(value):
        raise UsageError(f"{name}: expected an http(s) URL, got {value[:80]!r}")
    return value


def settings_from_environ(env: Mapping[str, str]) -> Settings:
    """The action's inputs as `MLGATE_<NAME>` variables; GitHub-only inputs are refused."""
    fields = {f.name for f in dataclasses.fields(Settings)}
    raw: dict[str, str] = {}
    for var, value in env.items():
        if not var.startswith("MLGATE_"):
            continue
        name = var[len("MLGATE_") :].lower()
        if name in GITHUB_ONLY and value.strip():
            raise UsageError(
                f"{var}: `{name.replace('_', '-')}` is a GitHub Actions input; "
                "GitLab CI does not use it (see examples/gitlab/.gitlab-ci.yml)"
            )
        if name in fields:
            raw[name.replace("_", "-")] = value
    return Settings.from_mapping(raw)


@dataclass(frozen=True)
class GitLabContext:
    project_id: int | str  # a path (group/name) from `mlgate run --host gitlab --repo`
    repository: str  # CI_PROJECT_PATH, for messages and result.json
    mr_iid: int
    head_sha: str
    commit_sha: str  # the pipeline's commit: a merge commit in merged-results pipelines
    base_ref: str | None
    base_sha: str | None
    source_branch: str | None
    same_project: bool  # the MR's source branch is in this project (not a fork)
    api_url: str
    server_url: str
    job_url: str | None
    event_name: str
    workspace: Path
    gitlab_token: str | None = dataclasses.field(default=None, repr=False)
    limits: ClientLimits = dataclasses.field(default_factory=ClientLimits)
    _printed: dict[str, bool] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> GitLabContext:
        project = _required(env, "CI_PROJECT_ID")
        if not project.isdigit():
            raise UsageError(f"CI_PROJECT_ID: expected a project id (digits), got {project[:40]!r}")
        api_url = _url(env, "CI_API_V4_URL")
        source = env.get("CI_PIPELINE_SOURCE", "")
        iid = (env.get("CI_MERGE_REQUEST_IID") or "").strip()
        if not iid:
            raise UsageError(
                f"not a merge-request pipeline (CI_PIPELINE_SOURCE={source or 'unset'}, no "
                "CI_MERGE_REQUEST_IID): run the mlgate job in merge-request pipelines only, "
                'with `rules: [{if: $CI_PIPELINE_SOURCE == "merge_request_event"}]` '
                "(examples/gitlab/.gitlab-ci.yml)"
            )
        if not iid.isdigit():
            raise UsageError(f"CI_MERGE_REQUEST_IID: expected a number, got {iid[:40]!r}")
        commit = _required(env, "CI_COMMIT_SHA")
        # merged-results pipelines: the source branch's own commit, not GitLab's merge commit
        head = (env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or "").strip() or commit
        for name, sha in (("CI_COMMIT_SHA", commit), ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", head)):
            if not _SHA.fullmatch(sha):
                raise UsageError(f"{name}: expected a commit sha, got {sha[:50]!r}")
        workspace = Path(env.get("CI_PROJECT_DIR") or ".")
        if not workspace.is_dir():
            raise UsageError(f"CI_PROJECT_DIR: {workspace} is not a directory")
        base_sha = (env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or "").strip() or None
        base_ref = (env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") or "").strip() or None
        job_url = (env.get("CI_JOB_URL") or "").strip()
        return cls(
            project_id=int(project),
            repository=(env.get("CI_PROJECT_PATH") or "").strip() or project,
            mr_iid=int(iid),
            head_sha=head,
            commit_sha=commit,
            base_ref=base_ref or (base_sha if base_sha and _SHA.fullmatch(base_sha) else None),
            base_sha=base_sha,
            source_branch=(env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or "").strip() or None,
            same_project=(env.get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID") or project) == project,
            api_url=api_url,
            server_url=(env.get("CI_SERVER_URL") or api_url.removesuffix("/api/v4")).rstrip("/"),
            job_url=job_url if _URL.fullmatch(job_url) else None,
            event_name=source,
            workspace=workspace,
            gitlab_token=(env.get("MLGATE_GITLAB_TOKEN") or env.get("GITLAB_TOKEN") or "").strip()
            or None,
            limits=ClientLimits.from_environ(env, "GITLAB"),
        )

    # -- mlgate.hosts.CIContext ---------------------------------------------------------------
    @property
    def host_name(self) -> str:
        return "GitLab"

    @property
    def change_word(self) -> str:
        return "merge request"

    @property
    def change_abbr(self) -> str:
        return "MR"

    @property
    def meta_key(self) -> str:
        return "gitlab"

    @property
    def run_url(self) -> str | None:
        return self.job_url

    @property
    def step_summary(self) -> Path | None:
        return None  # GitLab has no job summary: the report is in the log and the artifacts

    def target(self) -> Target:
        return Target(
            repository=self.repository,
            head_sha=self.head_sha,
            pr_number=self.mr_iid,
            base_ref=self.base_ref,
            base_sha=self.base_sha,
            head_ref=self.source_branch,
        )

    def token(self, settings: Settings) -> str | None:
        return self.gitlab_token

    def no_token(self) -> str:
        return f"no GitLab token: {SETUP_HINT}; the report is in this job's log and artifacts"

    def write_summary(self, markdown: str, redact: Redactor, log: Log) -> None:
        """The report into the job log, once (before any API call), in a collapsed section."""
        if self._printed.get("report"):
            return
        self._printed["report"] = True
        with log.group(REPORT_SECTION):
            log(redact(markdown))

    def append_summary(self, text: str, redact: Redactor) -> None:
        return None  # the same line is already in the job log, as an error

    def write_outputs(self, values: Mapping[str, str], redact: Redactor) -> None:
        return None  # no step outputs in GitLab: result.json in the artifacts has the same

    def after_report(self, result: Mapping[str, Any], out_dir: Path, log: Log) -> None:
        """GitLab's metrics report beside the bundle, for `artifacts:reports:metrics`."""
        lines = []
        for row in result.get("metrics") or []:
            if not isinstance(row, Mapping):
                continue
            value = row.get("new")
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value):
                continue
            name = re.sub(r"\s+", "_", f"{row.get('path')}:{row.get('metric')}")
            lines.append(f"{name} {value}")
        lines.append(f"mlgate_passed {1 if result.get('passed') else 0}")
        outdir.write_text(out_dir, METRICS_REPORT, "\n".join(lines) + "\n")  # no symlink follows

    def build_host(self, settings: Settings, token: str, log: Log) -> Host:
        # here, not at the top: python-gitlab loads only in a job that publishes (start-up time)
        from mlgate.gitlab import host as gitlab_host

        project = gitlab_host.Project(
            api_url=self.api_url,
            project_id=self.project_id,
            mr_iid=self.mr_iid,
            source_branch=self.source_branch,
            same_project=self.same_project,
        )
        return gitlab_host.build(project, token, log, self.limits)


def build(ctx: GitLabContext, settings: Settings, token: str, log: Log) -> Host:
    """The GitLab host for this pipeline (what `mlgate run` publishes through)."""
    return ctx.build_host(settings, token, log)


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    """MLGATE_* variables that are neither an input nor a known limit (a typo, most likely)."""
    fields = {f.name.upper() for f in dataclasses.fields(Settings)}
    return sorted(
        var
        for var in env
        if var.startswith("MLGATE_") and var[len("MLGATE_") :] not in fields | KNOBS
    )


def load(env: Mapping[str, str], log: Log) -> tuple[Settings, CIContext]:
    """`mlgate.hosts.load` for GitLab CI."""
    settings = settings_from_environ(env)
    for var in unknown_variables(env):
        log.warning(
            f"{var} is not an mlgate input: ignored (inputs are MLGATE_<INPUT>, see README)"
        )
    ctx = GitLabContext.from_environ(env)
    log.mask(ctx.gitlab_token)
    return settings, ctx
