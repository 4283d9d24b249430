"""Issue 14 through the action: `mlgate run` on a pull_request event (the real payload, the
runner's variables, every input of action.yml at its default) trains the base in a worktree,
and the one comment and the status say so. The fake GitHub API is a real HTTP server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main
from tests.conftest import Repo
from tests.fake_github import FakeGitHub, State, Token, pull_request_payload, runner_environment
from tests.integration.test_baselines_bad_input import project

TOKEN = "ghs_installation_token_baselines"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub(State(tokens={TOKEN: Token("github-actions[bot]")})).start()
    yield server
    server.stop()


def test_the_action_trains_the_base_and_says_so_in_the_comment(
    tmp_path: Path,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    events: Callable[[str], dict[str, Any]],
) -> None:
    marker = tmp_path / "marker.log"
    monkeypatch.setenv("MARKER", str(marker))
    r: Repo = project(tmp_path)
    sha = r.git("rev-parse", "HEAD").strip()
    github.state.add_pull(7, sha, head_ref="pr")
    event = tmp_path / "event.json"
    payload = pull_request_payload(
        events("pull_request.synchronize.json"), github.state, number=7, head_sha=sha, head_ref="pr"
    )
    event.write_text(json.dumps(payload))
    env = runner_environment(
        github,
        token=TOKEN,
        event_name="pull_request",
        event_path=str(event),
        workspace=str(r.path),
        output=str(tmp_path / "output.txt"),
        summary=str(tmp_path / "summary.md"),
    )
    env.update({"INPUT_RUN": "sh train.sh", "INPUT_PLOTS": "summary"})
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(r.path)

    code = main(["run"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert len(marker.read_text().splitlines()) == 2  # head, then the base in its worktree
    (comment,) = github.state.comments[7]
    assert "stores no results: it was trained in this job with 'sh train.sh'" in comment["body"]
    assert "Accuracy fell 0.1 \\(11.1%\\) from 0.9 to 0.8" in comment["body"]
    (status,) = github.state.statuses
    assert status["state"] == "failure" and status["sha"] == sha
    assert "trained in this job" in err  # and the log says so
