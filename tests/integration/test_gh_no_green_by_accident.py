"""Issue 20 on GitHub: the action run as a runner would (`mlgate run`, a real event payload, the
fake GitHub API on 127.0.0.1). A base with no results fails the merge gate; a push to the base
branch records its results through the Git Data API, and the next pull request compares with
them; a comment deleted before its edit is posted again; the status is set and `comment-url`
written whatever else failed. Each failed on main at 696d4d1."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.fake_github import export_branch
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    bot_comments,
    github,
    project,
    runner,
)

pytestmark = pytest.mark.slow
TRAIN = (
    "python -c \"import json, pathlib; pathlib.Path('metrics.json').write_text("
    "json.dumps({'r2': float(pathlib.Path('quality').read_text())}))\"\n"
)
CONFIG = "metrics: [metrics.json]\ngates:\n  - metric: r2\n    max_drop: 0.05\n"


def push_event(runner: Runner, branch: str, sha: str) -> Path:
    payload = runner.events("push.json")
    payload["ref"], payload["after"] = f"refs/heads/{branch}", sha
    payload["repository"]["full_name"] = runner.github.state.full_name
    payload["repository"]["default_branch"] = "main"
    return runner._write("push.json", payload)


@pytest.fixture
def trained(runner: Runner, tmp_path: Path) -> Repo:
    """A project trained in CI that commits no results, with an `origin` to fetch from."""
    work = runner.repo
    work.git("checkout", "--quiet", "main")
    for name in ("metrics.json", "loss.csv", "dvc.yaml"):
        work.git("rm", "--quiet", "--ignore-unmatch", name)
    work.write("train.sh", TRAIN)
    work.write("quality", "0.78")
    work.write(".gitignore", "metrics.json\nmlgate-report/\n.cache/\n")
    work.write(".mlgate.yml", CONFIG)
    work.commit("main: trained in CI, nothing committed")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(work.path), str(origin)], check=True)
    work.git("remote", "add", "origin", str(origin))
    work.git("fetch", "--quiet", "origin")
    return work


def pr(runner: Runner, work: Repo, quality: str) -> str:
    work.git("checkout", "--quiet", "-B", "feature", "main")
    work.write("quality", quality)
    sha = work.commit("the PR's model")
    runner.github.state.add_pull(7, sha, head_ref="feature")
    work.run("sh", "train.sh")  # the workflow's own training step, before mlgate (no `run:`)
    return sha


def test_seen_1_a_pr_whose_base_has_no_results_fails_the_merge_gate(
    runner: Runner, trained: Repo
) -> None:
    sha = pr(runner, trained, "0.31")
    runner.env(runner.pr_event(sha=sha))
    assert runner.run() == 1, runner.err
    [status] = runner.github.state.statuses
    assert (status["sha"], status["state"]) == (sha, "failure")
    assert status["description"].startswith("1 of 1 gate failed: r2: no baseline: base main")
    errors = [line for line in runner.err.splitlines() if line.startswith("::error")]
    assert any("no baseline" in line and "push: branches" in line for line in errors), errors
    [comment] = bot_comments(runner.github.state)
    assert "no baseline" in comment["body"] and "is new" not in comment["body"]


def test_seen_1_a_push_to_the_base_branch_records_its_results_for_the_next_pr(
    runner: Runner, trained: Repo, tmp_path: Path
) -> None:
    state = runner.github.state
    origin = tmp_path / "origin.git"
    # a push to another branch reports as ever: nothing is recorded
    runner.env(
        push_event(runner, "feature", runner.repo.git("rev-parse", "HEAD").strip()),
        event_name="push",
    )
    runner.run()
    assert "heads/mlgate-results" not in state.refs
    reported = len(state.statuses)

    first = trained.git("rev-parse", "HEAD").strip()
    runner.env(push_event(runner, "main", first), event_name="push", run="sh train.sh")
    assert runner.run() == 0, runner.err
    assert f"mlgate: recorded the results of {first[:7]} (metrics.json) on mlgate-results" in (
        runner.err
    )
    assert json.loads(runner.outputs()["result-json"])["metrics"] == {"metrics.json": {"r2": 0.78}}
    assert len(state.statuses) == reported  # a push to the base compares nothing
    assert not any(state.comments.values())

    trained.write("quality", "0.80")
    second = trained.commit("main: a better model")
    trained.git("push", "--quiet", "origin", "main")
    runner.env(push_event(runner, "main", second), event_name="push", run="sh train.sh")
    assert runner.run() == 0, runner.err
    tip = state.refs["heads/mlgate-results"]
    assert state.commits[tip]["parents"], "the second entry is a fast-forward of the first"
    export_branch(state, "mlgate-results", origin)  # what a clone of the repository gets
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "mlgate-results"],
        cwd=origin,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(listed) == sorted(
        f"{sha}/{name}" for sha in (first, second) for name in ("result.json", "files/metrics.json")
    )

    sha = pr(runner, trained, "0.31")
    runner.env(runner.pr_event(sha=sha))
    assert runner.run() == 1, runner.err
    result = json.loads(runner.outputs()["result-json"])
    assert result["baseline"]["kind"] == "stored"
    assert result["gates"][0]["message"].startswith("r2 fell 0.49 (61.3%) from 0.8 to 0.31")
    assert state.statuses[-1]["state"] == "failure"


def test_seen_7_a_comment_deleted_before_its_edit_is_posted_again(runner: Runner) -> None:
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    [old] = bot_comments(runner.github.state)
    runner.github.state.vanish.add(old["id"])  # deleted by someone while the next run works
    assert runner.run() == 0, runner.err
    [new] = bot_comments(runner.github.state)
    assert new["id"] != old["id"]
    assert runner.outputs()["comment-url"].endswith(f"#issuecomment-{new['id']}")
    assert [s["state"] for s in runner.github.state.statuses] == ["success", "success"]
    assert f"comment {old['id']}" not in runner.err or "was deleted" in runner.err


def test_seen_7_a_failed_status_keeps_the_comment_url(runner: Runner) -> None:
    runner.env(runner.pr_event())
    runner.monkeypatch.setenv("MLGATE_GITHUB_RETRIES", "1")
    runner.github.state.fail("POST", r"/statuses/", 500, times=99)
    assert runner.run() == 3, runner.err
    [comment] = bot_comments(runner.github.state)
    assert runner.outputs()["comment-url"].endswith(f"#issuecomment-{comment['id']}")
    assert runner.outputs()["passed"] == "true"


def test_seen_7_the_status_is_set_when_the_comment_fails(runner: Runner) -> None:
    runner.env(runner.pr_event())
    runner.monkeypatch.setenv("MLGATE_GITHUB_RETRIES", "1")
    runner.github.state.fail("POST", r"/issues/7/comments$", 500, times=99)
    assert runner.run() == 3, runner.err
    assert bot_comments(runner.github.state) == []
    [status] = runner.github.state.statuses
    assert status["state"] == "success"
    assert runner.outputs()["comment-url"] == ""


def test_a_push_without_a_token_or_metrics_says_what_is_missing(
    runner: Runner, trained: Repo
) -> None:
    sha = trained.git("rev-parse", "HEAD").strip()
    runner.env(push_event(runner, "main", sha), event_name="push")  # no `run`: nothing trained
    assert runner.run() == 2
    assert "nothing to record: no metrics found in the workspace" in runner.err
    assert "heads/mlgate-results" not in runner.github.state.refs
