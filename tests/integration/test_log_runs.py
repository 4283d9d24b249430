"""The job log of whole runs (issue 25, item 4): `mlgate run` with base training never nests
GitHub groups and says what each phase did; a silent command gets a heartbeat line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlgate import proc
from mlgate.cli import main
from tests.conftest import Repo
from tests.fake_github import FakeGitHub, State, Token, pull_request_payload, runner_environment
from tests.integration.test_baselines_bad_input import project
from tests.unit.test_log_phases import group_depths

TOKEN = "ghs_installation_token_log"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub(State(tokens={TOKEN: Token("github-actions[bot]")})).start()
    yield server
    server.stop()


def test_a_whole_run_with_base_training_never_nests_groups(
    tmp_path: Path,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    events: Callable[[str], dict[str, Any]],
) -> None:
    monkeypatch.setenv("MARKER", str(tmp_path / "marker.log"))
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
    captured = capsys.readouterr()
    lines = (captured.err + captured.out).splitlines()
    assert code == 1, lines
    group_depths(lines)  # before the fix: `::group::Training` inside `::group::Reading ...`
    groups = [line for line in lines if line.startswith("::group::")]
    assert "::group::Reading metrics and params › Base training: main (" in "\n".join(groups)
    assert any(g.endswith("› Training: sh train.sh") for g in groups), groups
    said = [line for line in lines if not line.startswith("::") and line.endswith(" s)")]
    assert len([s for s in said if s.startswith("Training: sh train.sh: exit code 0")]) == 2
    base = [s for s in said if s.startswith("Base training: main (")]
    assert len(base) == 1 and "): exit code 0; 1 file(s) kept (" in base[0], said
    assert any(s.startswith("Reading metrics and params: base main (") for s in said), said
    assert any(s.startswith("Rendering plots: 1 chart(s) drawn") for s in said), said
    assert any(s.startswith("Merge gate: mlgate: failed on ") for s in said), said
    (status,) = github.state.statuses
    assert status["sha"] == sha


def test_a_silent_command_gets_a_heartbeat_and_a_chatty_one_none(tmp_path: Path) -> None:
    beats: list[float] = []
    done = proc.run(
        [sys.executable, "-c", "import time; time.sleep(1.2); print('finished')"],
        cwd=tmp_path,
        on_line=lambda line: line,
        env=dict(os.environ),
        on_quiet=beats.append,
        heartbeat=0.2,
    )
    assert done.code == 0 and done.tail == "finished"  # the heartbeat is not in the tail
    assert len(beats) >= 3, beats
    assert beats == sorted(beats) and 0.15 < beats[0] < 1.2
    chatty: list[float] = []
    proc.run(
        [sys.executable, "-c", "import time\nfor i in range(12): print(i); time.sleep(0.05)"],
        cwd=tmp_path,
        on_line=lambda line: line,
        env=dict(os.environ),
        on_quiet=chatty.append,
        heartbeat=0.4,
    )
    assert chatty == []


def test_the_heartbeat_line_in_the_log_says_what_runs_and_for_how_long(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlgate.log import Log

    log = Log()
    proc.run(
        ["sleep", "0.7"],
        cwd=tmp_path,
        on_line=lambda line: line,
        env=dict(os.environ),
        on_quiet=log.still_running("sleep 0.7"),
        heartbeat=0.3,
    )
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith("… still running after 0.") for line in err), err
    assert err[0].endswith(" s: sleep 0.7")
