"""Two runs for one PR at once (two pushes in quick succession), interleaved through the fake
GitHub server (issue 12, item 6): one comment at the end, showing the newer head; each commit
keeps its own status.

The runs are real `mlgate publish` processes (stage two on each push's bundle); the fake holds one
request of the older run until the newer run has finished, which is the worst interleaving.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_github import (
    FakeGitHub,
    State,
    Token,
    runner_environment,
    workflow_run_payload,
    write_bundle,
)

TOKEN = "ghs_race_installation_token"
OLD, NEW = "a1" * 20, "b2" * 20


@pytest.fixture
def server() -> FakeGitHub:
    state = State(tokens={TOKEN: Token("github-actions[bot]")})
    state.add_pull(7, OLD, head_ref="feature")
    fake = FakeGitHub(state).start()
    yield fake  # type: ignore[misc]
    fake.stop()


def start(server: FakeGitHub, tmp: Path, sha: str, events: dict[str, object]) -> subprocess.Popen:  # type: ignore[type-arg]
    run = tmp / sha[:4]
    run.mkdir()
    bundle = write_bundle(run / "bundle", head_sha=sha)
    event = run / "event.json"
    event.write_text(json.dumps(workflow_run_payload(events, sha)))
    env = runner_environment(
        server,
        token=TOKEN,
        event_name="workflow_run",
        event_path=str(event),
        workspace=str(run),
        output=str(run / "output"),
        summary=str(run / "summary"),
    )
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("INPUT_")}, **env}
    return subprocess.Popen(
        [sys.executable, "-m", "mlgate.cli", "publish", "--bundle", str(bundle)],
        env=env,
        cwd=run,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc: subprocess.Popen) -> str:  # type: ignore[type-arg]
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return out


@pytest.mark.parametrize(
    ("method", "pattern"),
    [
        # the older run is held just before it reads the PR's head for its write ...
        ("GET", r"/pulls/7$"),
        # ... or after that check, with its new comment on the wire (two comments at once)
        ("POST", r"/issues/7/comments$"),
    ],
    ids=["held-before-the-head-check", "held-while-creating"],
)
def test_two_pushes_leave_one_comment_for_the_newer_head(
    server: FakeGitHub,
    tmp_path: Path,
    events,  # type: ignore[no-untyped-def]
    method: str,
    pattern: str,
) -> None:
    state = server.state
    template = events("workflow_run.completed.json")
    hold = state.hold(method, pattern)
    older = start(server, tmp_path, OLD, template)
    assert hold.arrived.wait(60), "the older run never reached the held request"
    state.pulls[7]["head_sha"] = NEW  # the second push
    finish(start(server, tmp_path, NEW, template))
    hold.release.set()
    log = finish(older)
    [comment] = state.comments[7]
    assert comment["body"].startswith(f"<!-- mlgate:report id=default sha={NEW} -->")
    assert {s["sha"]: s["state"] for s in state.statuses} == {OLD: "success", NEW: "success"}
    assert "not updating the comment" in log or "merged a concurrent duplicate" in log


def test_two_runs_for_the_same_head_at_once_leave_one_comment(
    server: FakeGitHub,
    tmp_path: Path,
    events,  # type: ignore[no-untyped-def]
) -> None:
    state = server.state
    template = events("workflow_run.completed.json")
    hold = state.hold("POST", r"/issues/7/comments$")
    first = start(server, tmp_path, OLD, template)
    assert hold.arrived.wait(60)
    (tmp_path / "again").mkdir()
    second = start(server, tmp_path / "again", OLD, template)
    finish(second)
    hold.release.set()
    finish(first)
    [comment] = state.comments[7]
    assert comment["body"].startswith(f"<!-- mlgate:report id=default sha={OLD} -->")
