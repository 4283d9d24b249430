"""Event payload -> target, on the real webhook payloads in tests/data."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlgate.actions import Context, target_from_event, write_outputs


def ctx(name: str, payload: dict[str, Any], sha: str = "f" * 40) -> Context:
    return Context(
        event_name=name,
        payload=payload,
        repository="Codertocat/Hello-World",
        sha=sha,
        api_url="https://api.github.com",
        server_url="https://github.com",
        run_id="1",
        workspace=Path(),
        step_summary=None,
        output=None,
        base_ref=None,
    )


def test_pull_request_uses_the_head_sha_not_the_merge_commit(
    events: Callable[[str], dict[str, Any]],
) -> None:
    t = target_from_event(ctx("pull_request", events("pull_request.opened.json")))
    assert t.pr_number == 2
    assert t.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    assert t.base_ref == "master" and t.head_ref == "changes"
    assert not t.needs_lookup and not t.is_fork


def test_workflow_run_with_prs_and_without(events: Callable[[str], dict[str, Any]]) -> None:
    with_prs = target_from_event(
        ctx("workflow_run", events("workflow_run.completed.with-pull-requests.json"))
    )
    assert with_prs.pr_number == 2 and with_prs.base_ref == "master"
    assert with_prs.head_sha == "3484a3fb816e0859fd6e1cea078d76385ff50625"
    fork = target_from_event(ctx("workflow_run", events("workflow_run.completed.json")))
    assert fork.pr_number is None and fork.needs_lookup and fork.head_ref


def test_push_needs_a_lookup(events: Callable[[str], dict[str, Any]]) -> None:
    t = target_from_event(ctx("push", events("push.json")))
    assert t.needs_lookup and t.pr_number is None


def test_outputs_are_delimited_so_any_value_is_safe(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(
        out, {"result-json": '{"a": "x\\ny"}\nsecond line', "passed": "true"}, lambda t: t
    )
    text = out.read_text()
    assert text.startswith("result-json<<mlgate_")
    assert "passed<<mlgate_" in text and "\ntrue\n" in text


def test_stage_durations_run_from_start_line_to_next() -> None:
    from mlgate.training.command import stage_durations

    lines = [
        (0.0, "Running stage 'prepare':"),
        (0.5, "> python prepare.py"),
        (2.0, "Running stage 'train':"),
        (2.1, "Stage 'evaluate' didn't change, skipping"),
    ]
    assert stage_durations(lines, end=7.0) == {"prepare": 2.0, "train": 5.0}
