"""Every GitHub fault on every call mlgate makes (issue 12, items 1 and 5), injected through the
fake GitHub server: the outcome is exit 3 with one clear line after retries (or recovery), the
report stays in the job summary, every output is written (an empty `comment-url`), and a later
run leaves exactly one mlgate comment.

Stage two (`mlgate publish` on a hand-made bundle) is used for the matrix because it makes every
call a publish makes without training; a few cases run the whole `mlgate run` too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.fake_github import FakeGitHub, State, workflow_run_payload, write_bundle
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    bot_comments,
    github,
)

SHA = "ab" * 20  # the PR's head; publishing needs no repository, so none is made (speed)

# (method, path pattern) of every request a first publish makes (a fresh PR, no assets branch)
FIRST = [
    ("GET", r"/commits/[0-9a-f]+/pulls$"),
    ("GET", r"^/user$"),
    ("GET", r"/issues/7/comments$"),
    ("GET", r"/pulls/7$"),
    ("POST", r"/issues/7/comments$"),
    ("POST", r"/git/blobs$"),
    ("GET", r"/git/refs?/heads/mlgate-assets$"),
    ("POST", r"/git/trees$"),
    ("POST", r"/git/commits$"),
    ("POST", r"/git/refs$"),
    ("POST", r"/statuses/[0-9a-f]+$"),
]
# ... and those only a second publish makes (the comment and the assets branch exist); the base
# tree is passed by sha (PyGithub's lazy object is never fetched), so GET git/trees is not made
SECOND = [
    ("PATCH", r"/issues/comments/\d+$"),
    ("GET", r"/git/commits/[0-9a-f]+$"),
    ("PATCH", r"/git/refs/heads/mlgate-assets$"),
]
FAULTS: dict[str, dict[str, Any]] = {
    "500": {"status": 500},
    "502": {"status": 502, "message": "Bad Gateway"},
    "503": {"status": 503, "message": "Service Unavailable"},
    "401": {"status": 401, "message": "Bad credentials"},
    "404": {"status": 404, "message": "Not Found"},
    "422": {"status": 422, "message": "Validation Failed"},
    "429-retry-after-3600": {"status": 429, "headers": {"Retry-After": "3600"}},
    "403-secondary-rate-limit": {
        "status": 403,
        "message": "You have exceeded a secondary rate limit",
        "headers": {"Retry-After": "3600"},
    },
    "reset": {"status": 0, "kind": "reset"},
    "slow": {"status": 200, "kind": "slow", "delay": 1.5},
    "html": {"status": 200, "kind": "html"},
    "shape": {"status": 200, "kind": "shape"},
}
# the assets branch not existing is how a first run learns to create it
NOT_A_FAULT = {(r"/git/refs?/heads/mlgate-assets$", "404")}


def inject(state: State, method: str, pattern: str, fault: dict[str, Any], times: int) -> None:
    status = fault["status"]
    if fault.get("kind") in ("html", "shape") and method == "POST":
        status = 201  # a "successful" creation with a body that is not the API's
    state.fail(
        method,
        pattern,
        status,
        times=times,
        message=fault.get("message", "Server Error"),
        headers=fault.get("headers"),
        kind=fault.get("kind", "status"),
        delay=fault.get("delay", 3.0),
    )


@pytest.fixture
def runner(  # type: ignore[no-untyped-def]
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, events
) -> Runner:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    github.state.add_pull(7, SHA, head_ref="feature")
    return Runner(Repo(workspace), github, tmp_path, monkeypatch, capsys, events)


def publish(runner: Runner, bundle: Path, **inputs: str) -> int:
    payload = workflow_run_payload(runner.events("workflow_run.completed.json"), SHA)
    runner.env(runner._write("wr.json", payload), event_name="workflow_run", **inputs)
    runner.monkeypatch.setenv("MLGATE_GITHUB_RETRIES", "1")
    runner.monkeypatch.setenv("MLGATE_GITHUB_TIMEOUT", "1")
    return runner.run("publish", "--bundle", str(bundle))


def assert_failed_cleanly(runner: Runner, bundle: Path, pattern: str = "") -> None:
    errors = [line for line in runner.err.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, runner.err
    assert "GitHub" in errors[0], errors[0]
    assert "Traceback" not in runner.err and "None" not in runner.err
    out = runner.outputs()
    # issue 20: `comment-url` is written whenever a comment exists, and the status is set
    # whenever there is a verdict, whatever else failed
    comments = bot_comments(runner.github.state)
    if comments and "/comments" not in pattern:
        assert out["comment-url"].endswith(f"#issuecomment-{comments[-1]['id']}"), out
    else:
        assert out["comment-url"] == ""
    if "/statuses" not in pattern and "/check-runs" not in pattern:
        assert [s["sha"] for s in runner.github.state.statuses] == [SHA] * len(
            runner.github.state.statuses
        ) and runner.github.state.statuses, runner.err
    assert out["passed"] == "true"
    assert out["report-path"] == str(bundle / "report.md")
    assert json.loads(out["result-json"])["passed"] is True
    assert "Gates" in runner.summary.read_text()  # the report is in the job summary


def assert_one_comment_after_a_clean_run(runner: Runner, bundle: Path, **inputs: str) -> None:
    runner.github.state.faults.clear()
    assert publish(runner, bundle, **inputs) == 0, runner.err
    [comment] = bot_comments(runner.github.state)
    assert runner.outputs()["comment-url"].endswith(f"#issuecomment-{comment['id']}")


@pytest.fixture
def bundle(runner: Runner, tmp_path: Path) -> Path:
    return write_bundle(tmp_path / "bundle", head_sha=SHA)


CASES = [
    pytest.param(m, p, name, id=f"{m} {p.strip('^$')} {name}")
    for m, p in FIRST
    for name in FAULTS
    if (p, name) not in NOT_A_FAULT and name not in ("502", "503")  # same path as 500
]


@pytest.mark.parametrize(("method", "pattern", "fault"), CASES)
def test_a_persistent_fault_on_a_first_run_is_exit_3(
    runner: Runner, bundle: Path, method: str, pattern: str, fault: str
) -> None:
    inject(runner.github.state, method, pattern, FAULTS[fault], times=99)
    assert publish(runner, bundle) == 3, runner.err
    assert_failed_cleanly(runner, bundle, pattern)
    assert len(bot_comments(runner.github.state)) <= 1
    assert_one_comment_after_a_clean_run(runner, bundle)


@pytest.mark.parametrize(
    ("method", "pattern", "fault"),
    [
        pytest.param(m, p, name, id=f"{m} {p.strip('^$')} {name}")
        for m, p in SECOND
        for name in FAULTS
        # a 404 on the comment's edit is a comment deleted meanwhile: a new one is posted
        # (issue 20, tests/integration/test_no_green_by_accident.py)
        if name not in ("502", "503") and not (m == "PATCH" and "comments" in p and name == "404")
    ],
)
def test_a_persistent_fault_on_a_second_run_is_exit_3(
    runner: Runner, bundle: Path, method: str, pattern: str, fault: str
) -> None:
    assert publish(runner, bundle) == 0, runner.err
    inject(runner.github.state, method, pattern, FAULTS[fault], times=99)
    assert publish(runner, bundle) == 3, runner.err
    assert_failed_cleanly(runner, bundle, pattern)
    assert_one_comment_after_a_clean_run(runner, bundle)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_fault_on_the_check_run_is_exit_3(runner: Runner, bundle: Path, fault: str) -> None:
    inject(runner.github.state, "POST", r"/check-runs$", FAULTS[fault], times=99)
    assert publish(runner, bundle, check_run="true") == 3, runner.err
    assert_failed_cleanly(runner, bundle, "/check-runs")
    assert_one_comment_after_a_clean_run(runner, bundle, check_run="true")
    assert runner.github.state.check_runs


@pytest.mark.parametrize(("method", "pattern"), FIRST)
@pytest.mark.parametrize("fault", ["502", "503", "reset", "slow"])
def test_a_transient_fault_is_retried_and_recovers(
    runner: Runner, bundle: Path, method: str, pattern: str, fault: str
) -> None:
    inject(runner.github.state, method, pattern, FAULTS[fault], times=1)
    assert publish(runner, bundle) == 0, runner.err
    [comment] = bot_comments(runner.github.state)
    [status] = runner.github.state.statuses
    assert status["sha"] == SHA
    assert runner.outputs()["comment-url"].endswith(str(comment["id"]))


def test_retry_after_within_the_cap_is_honoured_and_over_it_fails_at_once(
    runner: Runner, bundle: Path
) -> None:
    runner.monkeypatch.setenv("MLGATE_RETRY_AFTER_MAX", "1")
    state = runner.github.state
    inject(state, "POST", r"/statuses/", {"status": 429, "headers": {"Retry-After": "1"}}, 1)
    assert publish(runner, bundle) == 0, runner.err
    inject(state, "POST", r"/statuses/", {"status": 429, "headers": {"Retry-After": "2"}}, 1)
    assert publish(runner, bundle) == 3
    assert "GitHub asked to wait 2 s before retrying (Retry-After), more than the 1 s" in (
        runner.err
    )
    assert [r for r in state.requests if r[0] == "POST" and "/statuses/" in r[1]].__len__() == 3


def test_a_gate_failure_keeps_exit_1_when_github_fails(runner: Runner, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", head_sha=SHA, passed=False)
    inject(runner.github.state, "POST", r"/statuses/", FAULTS["500"], times=99)
    assert publish(runner, bundle) == 1
    assert runner.outputs()["passed"] == "false"
