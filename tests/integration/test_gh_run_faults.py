"""`mlgate run` (the whole action) under GitHub faults: exit 3, the report kept on disk and in
the summary, every output written, and one comment after a clean re-run (issue 12, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_gh_faults import FAULTS, inject
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    bot_comments,
    github,
    project,
    runner,
)


@pytest.mark.parametrize(
    ("method", "pattern", "fault"),
    [
        ("POST", r"/issues/7/comments$", "html"),
        ("GET", r"/pulls/7$", "404"),
        ("GET", r"^/user$", "401"),
        ("POST", r"/git/blobs$", "reset"),
    ],
)
def test_mlgate_run_keeps_its_report_and_outputs(
    runner: Runner, method: str, pattern: str, fault: str
) -> None:
    inject(runner.github.state, method, pattern, FAULTS[fault], times=99)
    runner.env(runner.pr_event())
    runner.monkeypatch.setenv("MLGATE_GITHUB_RETRIES", "1")
    assert runner.run() == 3, runner.err
    out = runner.outputs()
    # issue 20: `comment-url` names the comment whenever one was posted, whatever failed after
    posted = bot_comments(runner.github.state)
    want = f"#issuecomment-{posted[0]['id']}" if posted else ""
    assert out["comment-url"].endswith(want) and bool(out["comment-url"]) == bool(posted)
    assert out["passed"] == "true"
    assert Path(out["report-path"]).is_file()
    assert json.loads(out["result-json"])["github"]["pr_number"] == 7
    assert "mlgate report" in runner.summary.read_text()
    assert "posted comment None" not in runner.err and "None" not in out["comment-url"]
    runner.github.state.faults.clear()
    assert runner.run() == 0, runner.err
    assert len(bot_comments(runner.github.state)) == 1
