"""Any CI's context (issue 24, item 5): pieces from flags or MLGATE_* variables, the CIs' own
variables where cheap, and each missing piece one line naming its flag and variable (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlgate import anyci, hosts
from mlgate.cli import main
from mlgate.errors import EXIT_USAGE, UsageError

SHA = "a" * 40
FULL = {
    "MLGATE_HOST": "github",
    "MLGATE_REPOSITORY": "octo-org/octo-repo",
    "MLGATE_PR": "7",
    "MLGATE_HEAD_SHA": SHA,
    "MLGATE_BASE_REF": "main",
    "MLGATE_TOKEN": "ghp_token_for_tests_0123456789",
}


def test_the_pieces_from_mlgate_variables() -> None:
    ctx = anyci.AnyCIContext.from_environ(FULL)
    assert ctx.target() == hosts.Target("octo-org/octo-repo", SHA, pr_number=7, base_ref="main")
    assert ctx.api_url == "https://api.github.com" and ctx.change_abbr == "PR"
    assert "ghp_token" not in repr(ctx)  # the token stays out of reprs and tracebacks
    assert hosts.module_for(FULL) == "mlgate.anyci"
    # given explicitly, it wins over the CI this runs in
    assert hosts.module_for({**FULL, "GITHUB_ACTIONS": "true"}) == "mlgate.anyci"
    assert hosts.module_for({"GITLAB_CI": "true", "MLGATE_RUN": "x"}) == "mlgate.gitlab.ci"


def test_flags_win_over_variables() -> None:
    env = anyci.with_flags(FULL, {"pr": "9", "host": None, "token_env": "JENKINS_GH"})
    assert env["MLGATE_PR"] == "9" and env["MLGATE_HOST"] == "github"
    with pytest.raises(UsageError, match=r"^MLGATE_TOKEN_ENV: the variable JENKINS_GH it names"):
        anyci.AnyCIContext.from_environ(env)
    ctx = anyci.AnyCIContext.from_environ({**env, "JENKINS_GH": "ghp_from_jenkins_credentials"})
    assert ctx.api_token == "ghp_from_jenkins_credentials" and ctx.pr == 9


def test_circleci_jenkins_and_buildkite_variables_are_read_when_ours_are_unset() -> None:
    circle = {
        "MLGATE_HOST": "github",
        "MLGATE_TOKEN": "t" * 20,
        "CIRCLE_PULL_REQUEST": "https://github.com/octo-org/octo-repo/pull/12",
        "CIRCLE_SHA1": SHA,
        "CIRCLE_BUILD_URL": "https://circleci.com/gh/octo-org/octo-repo/34",
    }
    ctx = anyci.AnyCIContext.from_environ(circle)
    assert (ctx.repository, ctx.pr, ctx.head_sha) == ("octo-org/octo-repo", 12, SHA)
    assert ctx.run_url == "https://circleci.com/gh/octo-org/octo-repo/34"
    jenkins = {
        **{k: v for k, v in FULL.items() if k not in ("MLGATE_PR", "MLGATE_BASE_REF")},
        "CHANGE_ID": "5",
        "CHANGE_TARGET": "develop",
        "BUILD_URL": "https://jenkins.example/job/model/PR-5/3/",
    }
    ctx = anyci.AnyCIContext.from_environ(jenkins)
    assert (ctx.pr, ctx.base_ref, ctx.run_url) == (5, "develop", jenkins["BUILD_URL"])
    buildkite = {**jenkins, "BUILDKITE_PULL_REQUEST": "false"}
    del buildkite["CHANGE_ID"]
    with pytest.raises(
        UsageError, match="no pull/merge request number: pass --pr or set MLGATE_PR"
    ):
        anyci.AnyCIContext.from_environ(buildkite)  # Buildkite's "false": not a pull request


def test_a_gitlab_project_path_or_id_and_its_api() -> None:
    env = {**FULL, "MLGATE_HOST": "gitlab", "MLGATE_REPOSITORY": "group/sub/model"}
    ctx = anyci.AnyCIContext.from_environ(env)
    assert ctx.gitlab_context().project_id == "group/sub/model"
    assert ctx.api_url == "https://gitlab.com/api/v4" and ctx.change_abbr == "MR"
    ctx = anyci.AnyCIContext.from_environ({**env, "MLGATE_REPOSITORY": "42"})
    assert ctx.gitlab_context().project_id == 42
    assert anyci.server_url("gitlab", "https://git.example/api/v4") == "https://git.example"
    assert anyci.server_url("github", "https://ghe.example/api/v3") == "https://ghe.example"


@pytest.mark.parametrize(
    ("drop", "changes", "text"),
    [
        ("MLGATE_HOST", {"MLGATE_PR": "7"}, "no host: pass --host or set MLGATE_HOST"),
        ("", {"MLGATE_HOST": "bitbucket"}, "--host/MLGATE_HOST: expected github or gitlab"),
        ("MLGATE_REPOSITORY", {}, "no repository (owner/name): pass --repo or set MLGATE_REPO"),
        ("MLGATE_PR", {}, "no pull/merge request number: pass --pr or set MLGATE_PR (read wh"),
        ("", {"MLGATE_PR": "seven"}, "MLGATE_PR: expected a pull/merge request number"),
        ("MLGATE_HEAD_SHA", {}, "no head commit sha: pass --sha or set MLGATE_HEAD_SHA"),
        ("", {"MLGATE_HEAD_SHA": "HEAD"}, "MLGATE_HEAD_SHA: expected a 40-character commit"),
        ("MLGATE_TOKEN", {}, "no github token: pass --token-env VAR (the variable holding it)"),
        ("", {"MLGATE_REPOSITORY": "just-a-name"}, "MLGATE_REPOSITORY: expected owner/name"),
        ("", {"MLGATE_BASE_REF": "a b"}, "MLGATE_BASE_REF"),
        ("", {"MLGATE_RUN_URL": "jenkins"}, "MLGATE_RUN_URL: expected an http(s) URL"),
        ("", {"MLGATE_CHECK_RUN": "true", "MLGATE_HOST": "gitlab"}, "MLGATE_CHECK_RUN: `check"),
    ],
)
def test_a_missing_or_bad_piece_is_one_line_naming_it_and_exit_2(
    drop: str,
    changes: dict[str, str],
    text: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # not a repository: the pieces are checked, not the commit
    for var in list(os.environ):
        if var.startswith(("GITHUB_", "GITLAB_", "MLGATE_", "CI", "CHANGE_", "BUILD")):
            monkeypatch.delenv(var)
    env = {k: v for k, v in {**FULL, **changes}.items() if k != drop}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["run"]) == EXIT_USAGE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and text in err[0], err
    assert "Traceback" not in err[0]


def test_the_sha_must_be_the_commit_checked_out_or_a_parent_of_its_merge(tmp_path: Path) -> None:
    """A probe of the finished work posted a green status for `--sha bbbb...`, a commit the job
    never evaluated: the sha is the checked-out commit, or a parent of a merge commit the CI made
    (Jenkins' default strategy)."""
    import subprocess

    from mlgate.sources.git import Git

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "base")
    base = git("rev-parse", "HEAD")
    git("checkout", "-q", "-b", "pr")
    git("commit", "-q", "--allow-empty", "-m", "pr")
    pr = git("rev-parse", "HEAD")
    anyci.evaluated(pr, Git(tmp_path))  # the checked-out commit
    with pytest.raises(UsageError, match="is not the checked-out commit"):
        anyci.evaluated("b" * 40, Git(tmp_path))
    git("checkout", "-q", "main")
    git("commit", "-q", "--allow-empty", "-m", "main moves")
    git("merge", "-q", "--no-ff", "--no-edit", "pr")
    anyci.evaluated(pr, Git(tmp_path))  # the PR's head is a parent of the CI's merge commit
    with pytest.raises(UsageError, match="is not the checked-out commit"):
        anyci.evaluated(base, Git(tmp_path))
