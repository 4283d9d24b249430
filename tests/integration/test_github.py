"""`mlgate run` and `mlgate publish` against the fake GitHub API, driven as a runner would:
a real event payload file, the runner's environment variables, GITHUB_OUTPUT and the summary."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main
from tests.conftest import Repo
from tests.fake_github import (
    MERGE_SHA,
    FakeGitHub,
    State,
    Token,
    pull_request_payload,
    runner_environment,
)

INSTALLATION = "ghs_installation_token_0123456789"
USER = "ghp_user_token_0123456789"
FORK = "ghs_fork_read_only_token"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    state = State(
        tokens={
            INSTALLATION: Token("github-actions[bot]"),
            USER: Token("octocat", installation=False),
            FORK: Token("github-actions[bot]", read_only=True),
        }
    )
    server = FakeGitHub(state).start()
    yield server
    server.stop()


@pytest.fixture
def project(repo: Repo) -> Repo:
    repo.write(
        "dvc.yaml",
        "metrics:\n  - metrics.json\nplots:\n  - loss.csv:\n      x: epoch\n      y: loss\n",
    )
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.01\n")
    repo.write("metrics.json", {"acc": 0.90, "loss": 0.3})
    repo.write("loss.csv", "epoch,loss\n0,1.0\n1,0.6\n2,0.4\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("metrics.json", {"acc": 0.91, "loss": 0.28})
    repo.write("loss.csv", "epoch,loss\n0,0.9\n1,0.5\n2,0.3\n")
    repo.commit("better model")
    return repo


def head(repo: Repo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


class Runner:
    """Runs `mlgate run`/`publish` in-process with the environment a runner would set."""

    def __init__(
        self,
        repo: Repo,
        github: FakeGitHub,
        tmp: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        events: Callable[[str], dict[str, Any]],
    ) -> None:
        self.repo, self.github, self.tmp = repo, github, tmp
        self.monkeypatch, self.capsys, self.events = monkeypatch, capsys, events
        self.err = ""

    def pr_event(
        self,
        number: int = 7,
        sha: str | None = None,
        base: str = "main",
        head_repo: str | None = None,
    ) -> Path:
        payload = pull_request_payload(
            self.events("pull_request.synchronize.json"),
            self.github.state,
            number=number,
            head_sha=sha or head(self.repo),
            head_ref="feature",
            base=base,
            head_repo=head_repo,
        )
        return self._write("event.json", payload)

    def _write(self, name: str, payload: dict[str, Any]) -> Path:
        path = self.tmp / name
        path.write_text(json.dumps(payload))
        return path

    def env(
        self,
        event: Path,
        event_name: str = "pull_request",
        token: str = INSTALLATION,
        **inputs: str,
    ) -> None:
        self.summary = self.tmp / "summary.md"
        self.output = self.tmp / "output.txt"
        self.output.write_text("")
        values = runner_environment(
            self.github,
            token=token,
            event_name=event_name,
            event_path=str(event),
            workspace=str(self.repo.path),
            output=str(self.output),
            summary=str(self.summary),
        )
        for key, value in values.items():
            self.monkeypatch.setenv(key, value)
        for key, value in inputs.items():
            self.monkeypatch.setenv(f"INPUT_{key.upper().replace('_', '-')}", value)

    def run(self, *argv: str) -> int:
        self.monkeypatch.chdir(self.repo.path)
        code = main(list(argv) or ["run"])
        captured = self.capsys.readouterr()
        self.err = captured.err + captured.out
        return code

    def outputs(self) -> dict[str, str]:
        text = self.output.read_text()
        return {
            m.group(1): m.group(3)
            for m in re.finditer(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, re.S | re.M)
        }


@pytest.fixture
def runner(
    project: Repo,
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    events: Callable[[str], dict[str, Any]],
) -> Runner:
    github.state.add_pull(7, head(project), head_ref="feature")
    return Runner(project, github, tmp_path, monkeypatch, capsys, events)


def bot_comments(state: State, number: int = 7) -> list[dict[str, Any]]:
    return [c for c in state.comments[number] if c["login"] == "github-actions[bot]"]


def test_first_run_creates_one_comment_and_a_status_on_the_head_sha(runner: Runner) -> None:
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    state = runner.github.state
    [comment] = state.comments[7]
    sha = head(runner.repo)
    assert comment["body"].startswith(f"<!-- mlgate:report id=default sha={sha} -->")
    assert "## ✅ mlgate report: all 1 gate passed" in comment["body"]
    [status] = state.statuses
    assert status["sha"] == sha != MERGE_SHA
    assert status["state"] == "success" and status["context"] == "mlgate"
    assert status["target_url"] == "https://github.com/octo-org/octo-repo/actions/runs/4242"
    out = runner.outputs()
    assert out["passed"] == "true"
    assert out["comment-url"].endswith(f"#issuecomment-{comment['id']}")
    assert json.loads(out["result-json"])["github"]["pr_number"] == 7
    assert Path(out["report-path"]).is_file()
    assert "all 1 gate passed" in runner.summary.read_text()
    assert "::group::" in runner.err and "::add-mask::" in runner.err
    assert INSTALLATION not in runner.err.replace(f"::add-mask::{INSTALLATION}", "")


def test_second_run_updates_the_same_comment(runner: Runner) -> None:
    runner.env(runner.pr_event())
    assert runner.run() == 0
    first = dict(runner.github.state.comments[7][0])
    runner.repo.write("metrics.json", {"acc": 0.95, "loss": 0.2})
    assert runner.run() == 0
    [comment] = runner.github.state.comments[7]
    assert comment["id"] == first["id"]
    assert comment["body"] != first["body"] and "0.95" in comment["body"]


def test_own_comment_is_found_among_100_on_several_pages(runner: Runner) -> None:
    state = runner.github.state
    for i in range(60):
        state.add_comment(7, f"comment {i}", "someone")
    ours = state.add_comment(
        7, f"<!-- mlgate:report id=default sha={head(runner.repo)} -->\nold", "github-actions[bot]"
    )
    for i in range(40):
        state.add_comment(7, f"later {i}", "someone")
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    assert len(state.comments[7]) == 101
    assert ours["body"] != "old" and "mlgate report" in ours["body"]
    assert ("GET", "/repos/octo-org/octo-repo/issues/7/comments") in state.requests


def test_another_users_comment_with_the_marker_is_not_touched(runner: Runner) -> None:
    state = runner.github.state
    theirs = state.add_comment(7, "<!-- mlgate:report id=default -->\nforged", "mallory")
    runner.env(runner.pr_event())
    assert runner.run() == 0
    assert theirs["body"] == "<!-- mlgate:report id=default -->\nforged"
    assert len(bot_comments(state)) == 1


def test_a_user_token_recognises_its_own_login(runner: Runner) -> None:
    runner.env(runner.pr_event(), token=USER)
    assert runner.run() == 0
    assert runner.github.state.comments[7][0]["login"] == "octocat"
    assert runner.run() == 0
    assert len(runner.github.state.comments[7]) == 1


def test_a_stale_run_does_not_overwrite_a_newer_comment(runner: Runner) -> None:
    state = runner.github.state
    runner.env(runner.pr_event())
    assert runner.run() == 0
    body = state.comments[7][0]["body"]
    state.pulls[7]["head_sha"] = "e" * 40  # the PR moved on while this run was training
    runner.repo.write("metrics.json", {"acc": 0.5})
    runner.run()
    assert state.comments[7][0]["body"] == body
    assert "not updating the comment" in runner.err


def test_comment_ids_keep_separate_comments(runner: Runner) -> None:
    runner.env(runner.pr_event())
    assert runner.run() == 0
    runner.env(runner.pr_event(), comment_id="nightly")
    assert runner.run() == 0
    assert len(runner.github.state.comments[7]) == 2


def test_comment_new_posts_and_minimizes_the_old_one(runner: Runner) -> None:
    runner.env(runner.pr_event())
    assert runner.run() == 0
    old = runner.github.state.comments[7][0]
    runner.env(runner.pr_event(), comment="new")
    assert runner.run() == 0
    assert len(runner.github.state.comments[7]) == 2
    assert old["node_id"] in runner.github.state.minimized


def test_a_regression_fails_the_status_and_exits_1(runner: Runner) -> None:
    runner.repo.write("metrics.json", {"acc": 0.80, "loss": 0.3})
    runner.env(runner.pr_event())
    assert runner.run() == 1
    [status] = runner.github.state.statuses
    assert status["state"] == "failure"
    assert status["description"].startswith("1 of 1 gate failed: acc fell 0.1")
    assert len(status["description"]) <= 140
    assert "::error title=mlgate gate failed" in runner.err
    runner.env(runner.pr_event(), fail_on_regression="false")
    assert runner.run() == 0


def test_check_run_instead_of_status(runner: Runner) -> None:
    runner.env(runner.pr_event(), check_run="true")
    assert runner.run() == 0
    [check] = runner.github.state.check_runs
    assert check["conclusion"] == "success" and check["head_sha"] == head(runner.repo)
    assert "mlgate report" in check["output"]["summary"]
    assert not runner.github.state.statuses


def test_forced_502_then_success_recovers(runner: Runner) -> None:
    runner.github.state.fail("POST", r"/issues/7/comments$", 502, message="Bad Gateway")
    runner.github.state.fail("GET", r"/pulls/7$", 503, message="Unavailable")
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    assert len(runner.github.state.comments[7]) == 1


def test_429_with_retry_after_is_honoured(runner: Runner) -> None:
    runner.github.state.fail(
        "POST", r"/statuses/", 429, message="rate limited", headers={"Retry-After": "1"}
    )
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    assert len(runner.github.state.statuses) == 1


def test_persistent_5xx_is_exit_3_after_the_report_is_written(runner: Runner) -> None:
    runner.github.state.fail("POST", r"/statuses/", 500, times=50)
    runner.env(runner.pr_event())
    assert runner.run() == 3
    assert "::error title=mlgate could not publish::GitHub API failed" in runner.err
    assert (runner.repo.path / "mlgate-report" / "report.md").is_file()
    assert "mlgate report" in runner.summary.read_text()


def test_forced_403_on_comments_degrades_to_the_summary(runner: Runner) -> None:
    runner.github.state.fail(
        "POST",
        r"/issues/7/comments$",
        403,
        times=5,
        message="Resource not accessible by integration",
    )
    runner.env(runner.pr_event())
    assert runner.run() == 0
    assert runner.github.state.comments[7] == []
    summary = runner.summary.read_text()
    assert "mlgate report" in summary
    assert "could not post to the PR" in summary
    assert "permissions: {contents: write, pull-requests: write, statuses: write}" in runner.err


def test_fork_pr_read_only_token_says_what_to_add(runner: Runner) -> None:
    runner.env(runner.pr_event(head_repo="someone/fork"), token=FORK)
    assert runner.run() == 0
    assert "Resource not accessible by integration" in runner.err
    assert "fork-safe" in runner.err and "mlgate publish --bundle" in runner.err
    bundle = json.loads((runner.repo.path / "mlgate-report" / "result.json").read_text())
    assert bundle["github"]["pr_number"] == 7
    assert bundle["github"]["head_sha"] == head(runner.repo)


def test_images_are_pushed_to_an_orphan_branch_and_linked_by_commit(runner: Runner) -> None:
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    state = runner.github.state
    body = state.comments[7][0]["body"]
    links = re.findall(
        r"!\[[^\]]*\]\((https://github.com/octo-org/octo-repo/blob/([0-9a-f]{40})/"
        r"([^?)]+)\?raw=true)\)",
        body,
    )
    assert len(links) == 2  # the loss curve and the metric summary
    assert state.refs["heads/mlgate-assets"] == links[0][1]
    # named by their bytes on the branch (issue 21: no name from the PR reaches it)
    local = {p.read_bytes() for p in (runner.repo.path / "mlgate-report" / "plots").iterdir()}
    for _url, commit, path in links:
        assert path.startswith(f"pr-7/{head(runner.repo)}/plots/")
        assert state.file_at(commit, path) in local
    assert state.commits[links[0][1]]["parents"] == []  # orphan branch
    assert links[0][0] in runner.summary.read_text()  # the job summary shows the images too
    # a second push builds on the branch instead of replacing it
    runner.repo.write("loss.csv", "epoch,loss\n0,0.8\n1,0.4\n2,0.2\n")
    assert runner.run() == 0
    new_commit = state.refs["heads/mlgate-assets"]
    assert state.commits[new_commit]["parents"] == [links[0][1]]
    assert state.file_at(new_commit, links[0][2]) is not None  # old comment's images remain


def test_without_contents_write_charts_fall_back_to_mermaid(runner: Runner) -> None:
    runner.github.state.fail(
        "POST", r"/git/blobs$", 403, times=5, message="Resource not accessible by integration"
    )
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    body = runner.github.state.comments[7][0]["body"]
    assert "```mermaid\nxychart-beta" in body
    assert "falling back to inline Mermaid charts" in runner.err


def test_plots_summary_mode_uploads_nothing(runner: Runner) -> None:
    runner.env(runner.pr_event(), plots="summary")
    assert runner.run() == 0
    assert not runner.github.state.blobs
    assert "image in the job summary" in runner.github.state.comments[7][0]["body"]


def test_huge_report_is_fitted_under_the_comment_limit(runner: Runner) -> None:
    runner.repo.write(
        "metrics.json",
        # the comment shows 50 metric rows (issue 17): names of 5,000 characters make it huge
        {"acc": 0.91, **{f"class_{i:04d}_" + "k" * 5000: i / 5000 for i in range(200)}},
    )
    runner.env(runner.pr_event(), plots="off")
    assert runner.run() == 0, runner.err
    full = (runner.repo.path / "mlgate-report" / "report.md").read_text()
    assert len(full) > 200_000
    body = runner.github.state.comments[7][0]["body"]
    assert len(body) <= 65_536
    assert "## ✅ mlgate report" in body and "### Gates" in body
    assert "Shortened to fit" in body and "actions/runs/4242" in body


def test_no_pr_for_a_push_reports_to_the_summary_only(runner: Runner) -> None:
    payload = runner.events("push.json")
    payload["after"] = "d" * 40
    payload["ref"] = "refs/heads/unrelated"
    event = runner._write("push.json", payload)
    runner.env(event, event_name="push")
    assert runner.run() == 0, runner.err
    assert "no open pull request" in runner.err
    assert runner.github.state.comments[7] == []
    assert "mlgate report" in runner.summary.read_text()


def test_push_event_finds_the_pr_by_commit(runner: Runner) -> None:
    payload = runner.events("push.json")
    payload["after"] = head(runner.repo)
    payload["ref"] = "refs/heads/feature"
    runner.env(runner._write("push.json", payload), event_name="push", base="main")
    assert runner.run() == 0, runner.err
    assert len(runner.github.state.comments[7]) == 1


def test_fork_workflow_run_finds_the_pr_by_head_branch(runner: Runner) -> None:
    state = runner.github.state
    state.pulls[7]["head_repo"] = "someone/fork"  # not associated with the commit, as for forks
    payload = runner.events("workflow_run.completed.json")
    wr = payload["workflow_run"]
    assert wr["pull_requests"] == []
    wr["head_sha"] = head(runner.repo)
    wr["head_branch"] = "feature"
    wr["head_repository"]["full_name"] = "someone/fork"
    runner.env(runner._write("wr.json", payload), event_name="workflow_run", base="main")
    assert runner.run() == 0, runner.err
    assert len(state.comments[7]) == 1


def test_two_stage_fork_flow_and_matrix_bundles_merge(runner: Runner, tmp_path: Path) -> None:
    # Stage one, once per matrix job, on the fork's read-only token: bundles only.
    bundles = []
    for name, acc in (("model-a", 0.91), ("model-b", 0.85)):
        runner.repo.write("metrics.json", {"acc": acc, "loss": 0.3})
        runner.env(
            runner.pr_event(head_repo="someone/fork"),
            token=FORK,
            report_dir=str(tmp_path / name),
            fail_on_regression="false",
        )
        assert runner.run() == 0
        bundles.append(tmp_path / name)
    assert not runner.github.state.comments[7]
    # Stage two, trusted workflow_run: one comment, one combined status.
    payload = runner.events("workflow_run.completed.json")
    payload["workflow_run"]["head_sha"] = head(runner.repo)
    runner.env(
        runner._write("wr.json", payload), event_name="workflow_run", fail_on_regression="true"
    )
    code = runner.run("publish", "--bundle", str(bundles[0]), "--bundle", str(bundles[1]))
    assert code == 1, runner.err  # model-b regressed
    [comment] = runner.github.state.comments[7]
    body = comment["body"]
    assert "1 of 2 reports failed: model-b" in body
    assert (
        "<summary><b>model-a</b></summary>" in body and "<summary><b>model-b</b></summary>" in body
    )
    assert body.count("](https://github.com/octo-org/octo-repo/blob/") == 4
    [status] = runner.github.state.statuses
    assert status["state"] == "failure" and status["sha"] == head(runner.repo)


def test_publish_refuses_a_bundle_for_another_commit_than_the_run(
    runner: Runner, tmp_path: Path
) -> None:
    runner.env(runner.pr_event(), token=FORK, report_dir=str(tmp_path / "b"))
    assert runner.run() == 0
    payload = runner.events("workflow_run.completed.json")
    payload["workflow_run"]["head_sha"] = "c" * 40  # GitHub says the run was for another commit
    runner.env(runner._write("wr.json", payload), event_name="workflow_run")
    assert runner.run("publish", "--bundle", str(tmp_path / "b")) == 2
    assert "the triggering run was for ccccccc" in runner.err
    assert not runner.github.state.comments[7] and not runner.github.state.statuses


def test_publish_rejects_a_directory_that_is_not_a_bundle(runner: Runner, tmp_path: Path) -> None:
    runner.env(runner.pr_event())
    assert runner.run("publish", "--bundle", str(tmp_path)) == 2
    assert "not a bundle" in runner.err


def test_a_missing_working_directory_is_exit_2(runner: Runner) -> None:
    runner.env(runner.pr_event(), working_directory="models/nope")
    assert runner.run() == 2
    assert "models/nope: no such directory in the workspace (input `working-directory`)" in (
        runner.err
    )


def test_run_outside_actions_says_to_use_report(runner: Runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    runner.env(runner.pr_event())
    monkeypatch.delenv("GITHUB_REPOSITORY")
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    assert runner.run() == 2
    assert "use `mlgate report` outside GitHub Actions" in runner.err
