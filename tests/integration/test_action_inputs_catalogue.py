"""A catalogue of bad action inputs (issue 12, items 1, 3 and 6 on the Actions side): event
payloads, the runner's environment, `action.yml` inputs and bundles. Each case runs the real CLI
(`mlgate run`, or `mlgate publish` for bundles) as the runner would, and must end with its exact
exit code and ONE `::error` line holding the given words, never a traceback, and without
touching the PR (no comment, no status)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fake_github import workflow_run_payload, write_bundle
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    github,
    head,
    project,
    runner,
)

Payload = dict[str, Any]


def pr(mutate: Callable[[Payload], None]) -> Callable[[Payload], None]:
    return mutate


def _del(path: str) -> Callable[[Payload], None]:
    def apply(p: Payload) -> None:
        *parents, last = path.split(".")
        node = p
        for key in parents:
            node = node[key]
        del node[last]

    return apply


def _set(path: str, value: Any) -> Callable[[Payload], None]:
    def apply(p: Payload) -> None:
        *parents, last = path.split(".")
        node = p
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value

    return apply


# (id, event name, payload change, expected words); all exit 2
PAYLOADS: list[tuple[str, str, Callable[[Payload], None], str]] = [
    (
        "pull_request without its object",
        "pull_request",
        _del("pull_request"),
        "pull_request event: pull_request: missing (the status would go on the merge commit)",
    ),
    (
        "pull_request_target without its object",
        "pull_request_target",
        _del("pull_request"),
        "pull_request_target event: pull_request: missing",
    ),
    ("no head", "pull_request", _del("pull_request.head"), "pull_request.head: missing"),
    ("no base", "pull_request", _del("pull_request.base"), "pull_request.base: missing"),
    (
        "number is text",
        "pull_request",
        _set("pull_request.number", "abc"),
        "pull_request.number: input should be a valid integer, got 'abc'",
    ),
    (
        "number is zero",
        "pull_request",
        _set("pull_request.number", 0),
        "pull_request.number: input should be greater than or equal to 1, got 0",
    ),
    (
        "head sha not a sha",
        "pull_request",
        _set("pull_request.head.sha", "main; rm -rf /"),
        "pull_request.head.sha: string should match pattern",
    ),
    (
        "head ref a number",
        "pull_request",
        _set("pull_request.head.ref", 5),
        "pull_request.head.ref: input should be a valid string, got 5",
    ),
    (
        "head is a list",
        "pull_request",
        _set("pull_request.head", []),
        "pull_request.head: input should be a valid dictionary",
    ),
    (
        "workflow_run without its object",
        "workflow_run",
        _del("workflow_run"),
        "workflow_run event: workflow_run: missing",
    ),
    (
        "workflow_run without head_sha",
        "workflow_run",
        _del("workflow_run.head_sha"),
        "workflow_run.head_sha: missing",
    ),
    (
        "workflow_run pull_requests not a list",
        "workflow_run",
        _set("workflow_run.pull_requests", {"number": 1}),
        "workflow_run.pull_requests: input should be a valid list",
    ),
    (
        "workflow_run pull request number text",
        "workflow_run",
        _set("workflow_run.pull_requests", [{"number": "x", "head": {}, "base": {}}]),
        "workflow_run.pull_requests[0].number: input should be a valid integer",
    ),
    (
        "push with a bad after",
        "push",
        _set("after", "HEAD~1"),
        "push event: after: string should match pattern",
    ),
]


def _event(runner: Runner, name: str, change: Callable[[Payload], None]) -> Path:
    if name.startswith("pull_request"):
        payload = json.loads(runner.pr_event().read_text())
    elif name == "workflow_run":
        payload = workflow_run_payload(
            runner.events("workflow_run.completed.json"), head(runner.repo)
        )
    else:
        payload = runner.events("push.json")
    change(payload)
    return runner._write("event.json", payload)


def check(runner: Runner, code: int, expected: int, words: str) -> None:
    assert code == expected, runner.err
    errors = [line for line in runner.err.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, runner.err
    assert words in errors[0], errors[0]
    assert "Traceback" not in runner.err and "bug in mlgate" not in runner.err
    assert not runner.github.state.comments[7] and not runner.github.state.statuses


@pytest.mark.parametrize(
    ("name", "change", "words"),
    [pytest.param(n, c, w, id=i) for i, n, c, w in PAYLOADS],
)
def test_bad_event_payload(
    runner: Runner, name: str, change: Callable[[Payload], None], words: str
) -> None:
    runner.env(_event(runner, name, change), event_name=name)
    check(runner, runner.run(), 2, words)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        pytest.param(b"{not json", "invalid JSON at line 1", id="not JSON"),
        pytest.param(b'{"a": "\xff\xfe"}', "not UTF-8 (byte 7)", id="not UTF-8"),
        pytest.param(b"[1, 2]", "expected a JSON object, got list", id="a list"),
        pytest.param(b"[" * 100_000, "JSON nested too deeply", id="nested 100000 deep"),
        pytest.param(b"", "invalid JSON at line 1", id="empty"),
    ],
)
def test_unreadable_event_file(runner: Runner, raw: bytes, words: str) -> None:
    event = runner.tmp / "event.json"
    event.write_bytes(raw)
    runner.env(event)
    check(runner, runner.run(), 2, words)


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("GITHUB_API_URL", "ftp://api.github.com", "GITHUB_API_URL: expected an http(s) URL"),
        ("GITHUB_API_URL", "api.github.com", "GITHUB_API_URL: expected an http(s) URL"),
        ("GITHUB_API_URL", "http://", "GITHUB_API_URL: expected an http(s) URL, got 'http://'"),
        ("GITHUB_SERVER_URL", "javascript:alert(1)", "GITHUB_SERVER_URL: expected an http(s)"),
        ("GITHUB_REPOSITORY", "just-a-name", "GITHUB_REPOSITORY: expected owner/name"),
        ("GITHUB_REPOSITORY", "a/b/c", "GITHUB_REPOSITORY: expected owner/name"),
        ("GITHUB_SHA", "not-a-sha", "GITHUB_SHA: expected a commit sha, got 'not-a-sha'"),
        ("GITHUB_WORKSPACE", "/nonexistent/ws", "GITHUB_WORKSPACE: /nonexistent/ws is not a dir"),
        ("GITHUB_EVENT_PATH", "/nonexistent/event.json", "cannot read the event (No such file"),
        ("GITHUB_EVENT_PATH", "", "GITHUB_EVENT_PATH is not set for a pull_request event"),
    ],
)
def test_bad_runner_environment(runner: Runner, variable: str, value: str, words: str) -> None:
    runner.env(runner.pr_event())
    runner.monkeypatch.setenv(variable, value)
    check(runner, runner.run(), 2, words)


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        ({"comment": "sometimes"}, "expected one of update, new, off, got 'sometimes'"),
        ({"plots": "pie"}, "expected one of assets, summary, mermaid, off, got 'pie'"),
        ({"fail_on_regression": "maybe"}, "expected true or false, got 'maybe'"),
        ({"check_run": "2"}, "expected true or false, got '2'"),
        ({"comment_id": "a b"}, "use letters, digits, '-', '_' or '.', got 'a b'"),
        ({"base": "--upload-pack=x"}, "is not a valid branch or git ref name"),
        ({"assets_branch": "a b"}, "is not a valid branch or git ref name"),
        ({"working_directory": "models/nope"}, "models/nope: no such directory in the workspace"),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else "",
)
def test_bad_action_input(runner: Runner, inputs: dict[str, str], words: str) -> None:
    runner.env(runner.pr_event(), **inputs)
    check(runner, runner.run(), 2, words)


def _bundle_cases() -> list[Any]:
    def result(change: Callable[[Payload], None]) -> Callable[[Path], None]:
        def apply(b: Path) -> None:
            data = json.loads((b / "result.json").read_text())
            change(data)
            (b / "result.json").write_text(json.dumps(data))

        return apply

    def text(name: str, data: bytes) -> Callable[[Path], None]:
        return lambda b: (b / name).write_bytes(data)

    def link(name: str, to: str) -> Callable[[Path], None]:
        def apply(b: Path) -> None:
            (b / name).unlink()
            (b / name).symlink_to(to)

        return apply

    cases = [
        ("result is a list", text("result.json", b"[]"), "expected a JSON object, got list"),
        ("result not JSON", text("result.json", b"{"), "result.json: invalid JSON at line 1"),
        ("report not UTF-8", text("report.md", b"\xc3\x28"), "report.md: not UTF-8 text"),
        ("result symlink", link("result.json", "/etc/hostname"), "cannot read (is a symlink)"),
        (
            "passed is text",
            result(_set("passed", "true")),
            "result.json: passed: input should be a valid boolean",
        ),
        (
            "gates not a list",
            result(_set("gates", {})),
            "result.json: gates: input should be a valid list",
        ),
        (
            "gate outcome unknown",
            result(_set("gates.0.outcome", "meh")),
            "result.json: gates[0].outcome: input should be 'pass', 'fail', 'warn' or 'skip'",
        ),
        (
            "pr number text",
            result(_set("github.pr_number", "7")),
            "result.json: github.pr_number: input should be a valid integer",
        ),
        (
            "head sha not a sha",
            result(_set("github.head_sha", "HEAD")),
            "result.json: github.head_sha: string should match pattern",
        ),
        (
            "another commit",
            result(_set("github.head_sha", "c" * 40)),
            "bundle is for commit ccccccc but the triggering run was for",
        ),
        (
            "another PR",
            result(_set("github.pr_number", 8)),
            "bundle is for PR #8 but the triggering event is for PR #7",
        ),
        ("not a bundle", lambda b: (b / "report.md").unlink(), "not a bundle (needs report.md"),
    ]
    return [pytest.param(c, w, id=i) for i, c, w in cases]


@pytest.mark.parametrize(("damage", "words"), _bundle_cases())
def test_bad_bundle(
    runner: Runner, tmp_path: Path, damage: Callable[[Path], None], words: str
) -> None:
    bundle = write_bundle(runner.repo.path / "bundle", head_sha=head(runner.repo))
    damage(bundle)
    # the matrix/final-job form: `mlgate run` with the `bundles` input, on the PR's event
    runner.env(runner.pr_event(), bundles="bundle")
    check(runner, runner.run(), 2, words)
    assert runner.outputs().get("comment-url", "") == ""
