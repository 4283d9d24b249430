"""`mlgate run` from any CI (issue 24, item 5): a plain shell with no GITHUB_*, GITLAB_* or
CI_* variable (as Jenkins, CircleCI or Buildkite run it) posts the comment and the status to
the right pull request / merge request and head commit, against the fake GitHub and GitLab
APIs (real HTTP servers on 127.0.0.1). `mlgate` runs as a separate process here."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import Repo
from tests.fake_github import FakeGitHub, Token
from tests.fake_github import State as GitHubState
from tests.fake_gitlab import PROJECT_PATH, FakeGitLab, User
from tests.fake_gitlab import State as GitLabState

GH_TOKEN = "ghp_jenkins_credential_0123456789"
GL_TOKEN = "glpat-circleci-context-0123456789"
BOT = User(77, "project_42_bot_abc")
RUN_URL = "https://jenkins.example/job/model/job/PR-7/3/"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub(GitHubState(tokens={GH_TOKEN: Token("jenkins-bot")})).start()
    yield server
    server.stop()


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    server = FakeGitLab(GitLabState(tokens={GL_TOKEN: BOT})).start()
    yield server
    server.stop()


@pytest.fixture
def project(repo: Repo) -> Repo:
    repo.write(
        ".mlgate.yml", "metrics: [metrics.json]\ngates:\n  - metric: acc\n    max_drop: 0.01\n"
    )
    repo.write("metrics.json", {"acc": 0.90})
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("metrics.json", {"acc": 0.85})
    repo.commit("worse model")
    return repo


def shell(repo: Repo, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """A plain shell's environment: PATH and HOME, and what the CI job's script sets."""
    env = {"PATH": os.environ["PATH"], "HOME": str(repo.path.parent), **variables}
    assert not any(k.startswith(("GITHUB_", "GITLAB_", "CI_")) or k == "CI" for k in env)
    return subprocess.run(
        [sys.executable, "-m", "mlgate", "run", *args],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_jenkins_posts_to_the_github_pull_request_with_flags(
    project: Repo, github: FakeGitHub
) -> None:
    sha = project.git("rev-parse", "HEAD").strip()
    github.state.add_pull(7, sha, head_ref="feature")
    github.state.add_pull(8, "b" * 40, head_ref="other")  # another PR: untouched
    done = shell(
        project,
        *("--host", "github", "--repo", "octo-org/octo-repo", "--pr", "7", "--sha", sha),
        *("--base-ref", "main", "--token-env", "JENKINS_GH", "--api-url", github.url),
        *("--run-url", RUN_URL),
        JENKINS_GH=GH_TOKEN,
        MLGATE_GITHUB_BACKOFF="0",
        MLGATE_WRITE_INTERVAL="0",
    )
    assert done.returncode == 1, done.stderr  # the gate failed: acc fell 0.05
    (comment,) = github.state.comments[7]
    assert comment["body"].startswith(f"<!-- mlgate:report id=default sha={sha} -->")
    assert "acc fell 0.05" in comment["body"] and github.state.comments[8] == []
    (status,) = github.state.statuses
    assert (status["sha"], status["state"], status["context"]) == (sha, "failure", "mlgate")
    assert status["target_url"] == RUN_URL
    assert GH_TOKEN not in done.stderr + done.stdout + comment["body"]
    assert (project.path / "mlgate-report" / "report.md").is_file()
    assert "report: " in done.stderr and "Traceback" not in done.stderr


def test_a_shell_posts_to_the_gitlab_merge_request_with_variables(
    project: Repo, gitlab: FakeGitLab
) -> None:
    sha = project.git("rev-parse", "HEAD").strip()
    gitlab.state.add_mr(7, sha)
    done = shell(
        project,
        MLGATE_HOST="gitlab",
        MLGATE_REPOSITORY=PROJECT_PATH,
        MLGATE_PR="7",
        MLGATE_HEAD_SHA=sha,
        MLGATE_BASE_REF="main",
        MLGATE_TOKEN=GL_TOKEN,
        MLGATE_API_URL=f"{gitlab.url}/api/v4",
        MLGATE_FAIL_ON_REGRESSION="false",  # an input, as on GitLab CI
        MLGATE_GITLAB_BACKOFF="0",
    )
    assert done.returncode == 0, done.stderr  # the regression is reported, not enforced
    (note,) = gitlab.state.notes[7]
    assert note["author"] is BOT and f"sha={sha}" in note["body"] and "acc fell" in note["body"]
    (status,) = gitlab.state.statuses
    assert (status["sha"], status["status"], status["name"]) == (sha, "failed", "mlgate")
    assert GL_TOKEN not in done.stderr + done.stdout + note["body"]


def test_a_missing_piece_stops_before_anything_runs(project: Repo, github: FakeGitHub) -> None:
    done = shell(project, "--host", "github", "--repo", "octo-org/octo-repo", "--pr", "7")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: no head commit sha: pass --sha or set MLGATE_HEAD_SHA (read when set: "
        "CIRCLE_SHA1, BUILDKITE_COMMIT) (docs/ci.md)"
    )
    assert not (project.path / "mlgate-report").exists() and github.state.requests == []
