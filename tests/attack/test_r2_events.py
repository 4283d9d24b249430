"""Issue 21, Seen 4: `run:` (or `repro:`) on `pull_request_target` or `workflow_run` executes the
PR checkout's code with a write token and the repository's secrets. Refused with exit 2 and the
reason unless `trusted-checkout: true` says the workflow checks out only trusted code.

`mlgate run` against the fake GitHub API with the runner's environment; the "training" would
leave a file behind if it ran."""

from __future__ import annotations

import pytest

from tests.fake_github import workflow_run_payload
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    github,
    head,
    project,
    runner,
)

PWNED = "touch pwned"


def _event(runner: Runner, name: str) -> None:
    if name == "workflow_run":
        payload = workflow_run_payload(
            runner.events("workflow_run.completed.json"), head(runner.repo)
        )
        runner.env(runner._write("wr.json", payload), event_name=name, run=PWNED)
    else:
        runner.env(runner.pr_event(), event_name=name, run=PWNED)


@pytest.mark.parametrize("event", ["pull_request_target", "workflow_run"])
@pytest.mark.parametrize("how", ["run", "repro"])
def test_training_on_a_privileged_event_is_refused(runner: Runner, event: str, how: str) -> None:
    _event(runner, event)
    if how == "repro":
        runner.monkeypatch.delenv("INPUT_RUN")
        runner.monkeypatch.setenv("INPUT_REPRO", "true")
    assert runner.run() == 2
    assert not (runner.repo.path / "pwned").exists()
    errors = [line for line in runner.err.splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert f"input `{how}` on a {event} event" in errors[0]
    assert "trusted-checkout: true" in errors[0]
    assert not runner.github.state.comments[7] and not runner.github.state.statuses


def test_a_workflow_that_says_it_checks_out_trusted_code_may_train(runner: Runner) -> None:
    _event(runner, "pull_request_target")
    runner.monkeypatch.setenv("INPUT_TRUSTED-CHECKOUT", "true")
    assert runner.run() == 0, runner.err
    assert (runner.repo.path / "pwned").exists()


def test_reporting_on_committed_results_under_pull_request_target_still_works(
    runner: Runner,
) -> None:
    runner.env(runner.pr_event(), event_name="pull_request_target")
    assert runner.run() == 0, runner.err
    assert len(runner.github.state.comments[7]) == 1
