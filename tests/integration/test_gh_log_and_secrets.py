"""What `mlgate run` prints, writes and posts, against the fake GitHub API:
- names from the repository cannot start workflow commands in the log (issue 11, item 5);
- secrets of the environment printed by the training never reach the comment, the summary, the
  outputs or the bundle (issue 11, item 3, the publishing side);
- the sticky comment is found by the marker at the very start of the body and by the token's
  own identity only (issue 11, item 6)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.integration.test_github import (  # noqa: F401  (fixtures)
    INSTALLATION,
    USER,
    Runner,
    bot_comments,
    github,
    head,
    project,
    runner,
)

EVIL = {
    "acc": 0.91,
    "loss\n::stop-commands::pwnd": 0.3,
    "f1\n::error file=.github/workflows/ci.yml,line=1::owned": 0.5,
    "x\r::set-output name=passed::true": 0.1,
    "\x1b[2K##[warning]legacy": 0.2,
}
OWN = re.compile(r"^::(add-mask|group|endgroup|error|warning)( title=[^:]*)?::")


def test_metric_names_cannot_start_workflow_commands(runner: Runner) -> None:
    base = {k: v - 0.01 for k, v in EVIL.items()}
    runner.repo.git("checkout", "--quiet", "main")
    runner.repo.write("metrics.json", base)  # type: ignore[arg-type]
    runner.repo.write(
        ".mlgate.yml", "gates:\n  - metric: '*'\n    direction: higher\n    max_drop: 0.5\n"
    )
    runner.repo.commit("names")
    runner.repo.git("checkout", "--quiet", "feature")
    runner.repo.write(
        ".mlgate.yml", "gates:\n  - metric: '*'\n    direction: higher\n    max_drop: 0.5\n"
    )
    runner.repo.write("metrics.json", EVIL)  # type: ignore[arg-type]
    # plots off: matplotlib warns about a CR glyph in a name (an error under pytest's filters)
    runner.env(runner.pr_event(), plots="off")
    assert runner.run() == 0, runner.err
    assert "stop-commands" in runner.err  # the names were printed ...
    for line in runner.err.splitlines():  # ... but no line is a command mlgate did not mean
        if line.lstrip().startswith("::"):
            assert OWN.match(line), line
        assert "##[" not in line and "\x1b" not in line and "\r" not in line
    assert "| ::stop-commands::pwnd" in runner.err  # shown, prefixed, inert


def test_a_token_printed_by_the_training_reaches_nothing_written(runner: Runner) -> None:
    secret = "s3cr3t-model-registry-value-42"
    runner.monkeypatch.setenv("MODEL_REGISTRY_TOKEN", secret)
    runner.monkeypatch.setenv("GITHUB_TOKEN", INSTALLATION)
    command = (
        f"{sys.executable} -c \"import os; print(os.environ['MODEL_REGISTRY_TOKEN']); "
        "print(os.environ.get('GITHUB_TOKEN', 'unset'))\""
    )
    runner.env(runner.pr_event(), run=command)
    assert runner.run() == 0, runner.err
    [comment] = runner.github.state.comments[7]
    report_dir = runner.repo.path / "mlgate-report"
    written = {
        "comment": comment["body"],
        "summary": runner.summary.read_text(),
        "outputs": runner.output.read_text(),
        "status": str(runner.github.state.statuses),
        **{p.name: p.read_text() for p in report_dir.glob("*.*") if p.suffix in (".md", ".json")},
    }
    for where, text in written.items():
        assert secret not in text, where
        assert INSTALLATION not in text, where
    assert "***" in comment["body"]  # the training tail is there, redacted


def test_a_quoted_marker_never_matches(runner: Runner) -> None:
    state = runner.github.state
    marker = f"<!-- mlgate:report id=default sha={head(runner.repo)} -->"
    quoting = state.add_comment(7, f"Our bot says:\n{marker}\nold", "github-actions[bot]")
    indented = state.add_comment(7, f" {marker}\nold", "github-actions[bot]")
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    assert quoting["body"].endswith("old") and indented["body"].endswith("old")
    assert len(bot_comments(state)) == 3
    [ours] = [c for c in bot_comments(state) if c["body"].startswith(marker)]
    assert runner.outputs()["comment-url"].endswith(str(ours["id"]))


def test_a_user_token_does_not_take_over_a_bot_comment(runner: Runner) -> None:
    state = runner.github.state
    marker = f"<!-- mlgate:report id=default sha={head(runner.repo)} -->"
    bot = state.add_comment(7, f"{marker}\nbot's", "github-actions[bot]")
    runner.env(runner.pr_event(), token=USER)
    assert runner.run() == 0, runner.err
    assert bot["body"].endswith("bot's")
    assert [c["login"] for c in state.comments[7]] == ["github-actions[bot]", "octocat"]


def test_the_marker_id_separates_comments_only_at_the_start(runner: Runner, tmp_path: Path) -> None:
    state = runner.github.state
    nightly = state.add_comment(
        7, "<!-- mlgate:report id=nightly -->\nnightly report", "github-actions[bot]"
    )
    runner.env(runner.pr_event())
    assert runner.run() == 0
    assert nightly["body"].endswith("nightly report")
    assert len(state.comments[7]) == 2
