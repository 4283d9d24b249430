"""Any CI (Jenkins, CircleCI, Buildkite, a plain shell): the third CI context (`CIContext`).

`mlgate run --host github|gitlab --repo R --pr N --sha SHA [--base-ref B] [--token-env VAR]`
posts to a GitHub pull request or a GitLab merge request from wherever it runs, as
`cml comment create` does. The CLI turns its flags into the `MLGATE_*` variables of `FIELDS`
(a flag wins over a variable); where ours are unset, a few variables the CI sets itself are read
(Jenkins' multibranch `CHANGE_ID`, CircleCI's `CIRCLE_PULL_REQUEST`, Buildkite's
`BUILDKITE_PULL_REQUEST`...). A piece missing is one line naming its flag and variable (exit 2),
before any training. The action's inputs are `MLGATE_<INPUT>` variables, as on GitLab.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate import actions
from mlgate.errors import UsageError
from mlgate.github import events
from mlgate.gitlab.ci import GITHUB_ONLY, KNOBS, GitLabContext
from mlgate.hosts import Target
from mlgate.redact import Redactor
from mlgate.settings import Settings, clean_base
from mlgate.sources.git import Git

if TYPE_CHECKING:
    from mlgate.hosts import CIContext, Host
    from mlgate.log import Log

HOST_VARIABLE = "MLGATE_HOST"
# field -> (flag, our variable, variables other CIs set, read when ours is unset)
FIELDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "host": ("--host", HOST_VARIABLE, ()),
    "repository": ("--repo", "MLGATE_REPOSITORY", ()),
    "pr": ("--pr", "MLGATE_PR", ("CHANGE_ID", "CIRCLE_PULL_REQUEST", "BUILDKITE_PULL_REQUEST")),
    # no Jenkins variable: its GIT_COMMIT is a merge commit with the default PR strategy
    "head_sha": ("--sha", "MLGATE_HEAD_SHA", ("CIRCLE_SHA1", "BUILDKITE_COMMIT")),
    "base_ref": (
        "--base-ref",
        "MLGATE_BASE_REF",
        ("CHANGE_TARGET", "BUILDKITE_PULL_REQUEST_BASE_BRANCH"),
    ),
    "token_env": ("--token-env", "MLGATE_TOKEN_ENV", ()),
    "api_url": ("--api-url", "MLGATE_API_URL", ()),
    "run_url": (
        "--run-url",
        "MLGATE_RUN_URL",
        ("BUILD_URL", "CIRCLE_BUILD_URL", "BUILDKITE_BUILD_URL"),
    ),
}
OWN = {var.removeprefix("MLGATE_") for _flag, var, _others in FIELDS.values()} | {"TOKEN"}
HOSTS = ("github", "gitlab")
DEFAULT_API = {"github": "https://api.github.com", "gitlab": "https://gitlab.com/api/v4"}
API_VARIABLE = {"github": "GITHUB_API_URL", "gitlab": "CI_API_V4_URL"}  # their CI's habit
TOKENS = {  # where the token is looked for, after --token-env
    "github": ("MLGATE_TOKEN", "MLGATE_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"),
    "gitlab": ("MLGATE_TOKEN", "MLGATE_GITLAB_TOKEN", "GITLAB_TOKEN"),
}
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_GITLAB_PROJECT = re.compile(r"\d+|[\w.-]+(?:/[\w.-]+)+")
_CIRCLE_PR = re.compile(r"https?://[^/\s]+/([\w.-]+/[\w.-]+)/pull/(\d+)")


def selected(env: Mapping[str, str]) -> bool:
    """`mlgate run` was given a host, or a piece only this context reads (then the missing
    host is the error): the generic context, whatever CI this is."""
    return any((env.get(var) or "").strip() for _flag, var, _o in FIELDS.values())


def with_flags(env: Mapping[str, str], flags: Mapping[str, str | None]) -> dict[str, str]:
    """The environment with `mlgate run`'s flags (field -> value) as our variables: flags win."""
    given = {FIELDS[name][1]: value for name, value in flags.items() if value}
    return {**env, **given}


def _value(env: Mapping[str, str], field: str) -> tuple[str, str] | None:
    """(the variable it came from, its value), ours first, then the CIs' own."""
    _flag, ours, others = FIELDS[field]
    for var in (ours, *others):
        value = (env.get(var) or "").strip()
        if value and not (var == "BUILDKITE_PULL_REQUEST" and value == "false"):
            return var, value
    return None


def _missing(field: str, what: str) -> UsageError:
    flag, var, others = FIELDS[field]
    also = f" (read when set: {', '.join(others)})" if others else ""
    return UsageError(f"no {what}: pass {flag} or set {var}{also} (docs/ci.md)")


def _required(env: Mapping[str, str], field: str, what: str) -> tuple[str, str]:
    found = _value(env, field)
    if found is None:
        raise _missing(field, what)
    return found


def _pr(env: Mapping[str, str]) -> tuple[int, str | None]:
    """The change number, and the repository when CircleCI's PR URL names it."""
    var, value = _required(env, "pr", "pull/merge request number")
    repo = None
    if var == "CIRCLE_PULL_REQUEST":
        m = _CIRCLE_PR.fullmatch(value)
        if m is None:
            raise UsageError(f"{var}: expected a pull request URL, got {value[:80]!r}")
        repo, value = m.group(1), m.group(2)
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"{var}: expected a pull/merge request number, got {value[:40]!r}")
    return int(value), repo


def _repository(env: Mapping[str, str], host: str, from_pr: str | None) -> str:
    found = _value(env, "repository")
    if found is None and from_pr is None:
        owner, name = env.get("CIRCLE_PROJECT_USERNAME"), env.get("CIRCLE_PROJECT_REPONAME")
        from_pr = f"{owner}/{name}" if owner and name else None
    var, value = found or ("CIRCLE_PULL_REQUEST", from_pr or "")
    if not value:
        kind = "owner/name" if host == "github" else "project path or id"
        raise _missing("repository", f"repository ({kind})")
    if host == "github":
        return events.check_repository(var, value)
    if not _GITLAB_PROJECT.fullmatch(value):
        raise UsageError(f"{var}: expected a GitLab project path (group/name) or id, got {value!r}")
    return value


def _token(env: Mapping[str, str], host: str) -> str:
    """The token, from the variable --token-env names, else the usual ones: never a flag's
    value, which `ps` and the CI's log would show."""
    named = _value(env, "token_env")
    if named is not None:
        var = named[1]
        token = (env.get(var) or "").strip()
        if not token:
            raise UsageError(f"{named[0]}: the variable {var} it names is not set or empty")
        return token
    for var in TOKENS[host]:
        if (env.get(var) or "").strip():
            return env[var].strip()
    raise UsageError(
        f"no {host} token: pass --token-env VAR (the variable holding it) or set "
        f"{' or '.join(TOKENS[host][:2])} (docs/ci.md)"
    )


def _url(env: Mapping[str, str], host: str) -> str:
    found = _value(env, "api_url")
    if found is None and env.get(API_VARIABLE[host]):
        found = (API_VARIABLE[host], env[API_VARIABLE[host]])
    var, value = found or ("MLGATE_API_URL", DEFAULT_API[host])
    return events.check_url(var, value)


def server_url(host: str, api_url: str) -> str:
    """The web address beside the API: api.github.com -> github.com, `/api/v3` (GitHub
    Enterprise) and `/api/v4` (GitLab) taken off."""
    if api_url == DEFAULT_API["github"]:
        return "https://github.com"
    return api_url.removesuffix("/api/v4" if host == "gitlab" else "/api/v3")


@dataclass(frozen=True)
class AnyCIContext:
    host: str  # "github" | "gitlab"
    repository: str
    pr: int
    head_sha: str
    base_ref: str | None
    api_url: str
    run_url: str | None
    workspace: Path
    api_token: str = dataclasses.field(repr=False)  # the token, whichever the host
    _seen: dict[str, Path] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> AnyCIContext:
        host = _required(env, "host", "host")[1].lower()
        if host not in HOSTS:
            raise UsageError(f"--host/{HOST_VARIABLE}: expected github or gitlab, got {host!r}")
        pr, from_pr = _pr(env)
        var, sha = _required(env, "head_sha", "head commit sha")
        if not _SHA.fullmatch(sha.lower()):
            raise UsageError(f"{var}: expected a 40-character commit sha, got {sha[:50]!r}")
        base = _value(env, "base_ref")
        run = _value(env, "run_url")
        return cls(
            host=host,
            repository=_repository(env, host, from_pr),
            pr=pr,
            head_sha=sha.lower(),
            base_ref=clean_base(base[1], base[0]) if base else None,
            api_url=_url(env, host),
            run_url=run[1] if run and events.check_url(*run) else None,  # as given: a link
            workspace=Path(),
            api_token=_token(env, host),
        )

    # -- mlgate.hosts.CIContext ---------------------------------------------------------------
    @property
    def host_name(self) -> str:
        return "GitHub" if self.host == "github" else "GitLab"

    @property
    def change_word(self) -> str:
        return "pull request" if self.host == "github" else "merge request"

    @property
    def change_abbr(self) -> str:
        return "PR" if self.host == "github" else "MR"

    @property
    def meta_key(self) -> str:
        return self.host

    @property
    def event_name(self) -> str:
        return "any-ci"

    @property
    def step_summary(self) -> Path | None:
        return None

    def target(self) -> Target:
        return Target(self.repository, self.head_sha, pr_number=self.pr, base_ref=self.base_ref)

    def token(self, settings: Settings) -> str | None:
        return self.api_token

    def no_token(self) -> str:
        return f"no {self.host_name} token (--token-env): the report is on disk only"

    def write_summary(self, markdown: str, redact: Redactor, log: Log) -> None:
        """No job summary here: the log says once where the report is (archive it)."""
        out = self._seen.pop("out_dir", None)
        if out is not None:
            log(f"report: {out / 'report.md'} (keep {out} as the build's artifact)")

    def append_summary(self, text: str, redact: Redactor) -> None:
        return None  # the same line is in the log, as an error

    def write_outputs(self, values: Mapping[str, str], redact: Redactor) -> None:
        return None  # result.json in the report directory has the same

    def after_report(self, result: Mapping[str, Any], out_dir: Path, log: Log) -> None:
        self._seen["out_dir"] = out_dir

    def build_host(self, settings: Settings, token: str, log: Log) -> Host:
        """The host's own context builds it (its client library loads only when posting)."""
        if self.host == "github":
            return self.github_context().build_host(settings, token, log)
        return self.gitlab_context().build_host(settings, token, log)

    def github_context(self) -> actions.Context:
        return actions.Context(
            event_name=self.event_name,
            payload={},
            repository=self.repository,
            sha=self.head_sha,
            api_url=self.api_url,
            server_url=server_url("github", self.api_url),
            run_id=None,
            workspace=self.workspace,
            step_summary=None,
            output=None,
            base_ref=self.base_ref,
        )

    def gitlab_context(self) -> GitLabContext:
        project = self.repository
        return GitLabContext(
            project_id=int(project) if project.isdigit() else project,
            repository=project,
            mr_iid=self.pr,
            head_sha=self.head_sha,
            commit_sha=self.head_sha,
            base_ref=self.base_ref,
            base_sha=None,
            source_branch=None,  # no ref on the status: GitLab finds the commit itself
            same_project=True,
            api_url=self.api_url,
            server_url=server_url("gitlab", self.api_url),
            job_url=self.run_url,
            event_name=self.event_name,
            workspace=self.workspace,
            gitlab_token=self.api_token,
        )


def settings_from_environ(env: Mapping[str, str], host: str) -> Settings:
    """The inputs as `MLGATE_<INPUT>` variables; those of GitHub Actions only are refused."""
    refused = GITHUB_ONLY if host == "gitlab" else ("bundles",)
    fields = {f.name for f in dataclasses.fields(Settings)} - {"github_token"}
    raw: dict[str, str] = {}
    for var, value in env.items():
        name = var.removeprefix("MLGATE_").lower()
        if not var.startswith("MLGATE_") or name not in fields or not value.strip():
            continue
        if name in refused:
            raise UsageError(
                f"{var}: `{name.replace('_', '-')}` is for GitHub Actions; "
                f"`mlgate run --host {host}` does not use it (docs/ci.md)"
            )
        raw[name.replace("_", "-")] = value
    return Settings.from_mapping(raw)


def unknown_variables(env: Mapping[str, str]) -> list[str]:
    fields = {f.name.upper() for f in dataclasses.fields(Settings)}
    known = fields | KNOBS | OWN
    return sorted(v for v in env if v.startswith("MLGATE_") and v[len("MLGATE_") :] not in known)


def evaluated(sha: str, git: Git) -> None:
    """`--sha` must be the commit checked out here (or, where the CI checked out a merge commit
    it made, one of that commit's parents): a status and a comment are about what was evaluated,
    never about a commit mlgate did not see."""
    head = git.rev_parse("HEAD")
    if head is None or sha == head:
        return  # no repository here: reading it fails later, with its own message
    parents = git.run("rev-parse", "HEAD^@", check=False).split()
    if sha not in parents:
        raise UsageError(
            f"--sha/MLGATE_HEAD_SHA {sha[:12]} is not the checked-out commit {head[:12]}: "
            "pass the sha of the commit this job evaluates (docs/ci.md)"
        )


def load(env: Mapping[str, str], log: Log) -> tuple[Settings, CIContext]:
    """`mlgate.hosts.load` for any CI: the context first (a missing piece stops everything)."""
    ctx = AnyCIContext.from_environ(env)
    log.mask(ctx.api_token)
    evaluated(ctx.head_sha, Git(ctx.workspace))
    for var in unknown_variables(env):
        log.warning(f"{var} is not an mlgate input: ignored (inputs are MLGATE_<INPUT>)")
    settings = settings_from_environ(env, ctx.host)
    # the token is a secret of the report's redaction wherever it came from (--token-env)
    return settings.replace(github_token=ctx.api_token), ctx
