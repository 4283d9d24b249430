"""Stage two (`mlgate publish --bundle`) treats a bundle as hostile input (issue 11, item 4).

Each test starts from a bundle as the fork's code could leave it (files only), then runs the real
CLI on a `workflow_run` event against the fake GitHub API.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fake_github import workflow_run_payload, write_bundle
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    bot_comments,
    github,
    head,
    project,
    runner,
)


def stage_two(runner: Runner, bundle: Path, sha: str | None = None, **inputs: str) -> int:
    payload = workflow_run_payload(
        runner.events("workflow_run.completed.json"), sha or head(runner.repo)
    )
    runner.env(runner._write("wr.json", payload), event_name="workflow_run", **inputs)
    return runner.run("publish", "--bundle", str(bundle))


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("::error")]


@pytest.fixture
def bundle(runner: Runner, tmp_path: Path) -> Path:
    return write_bundle(tmp_path / "bundle", head_sha=head(runner.repo))


def test_a_clean_bundle_is_published(runner: Runner, bundle: Path) -> None:
    assert stage_two(runner, bundle) == 0, runner.err
    [comment] = runner.github.state.comments[7]
    assert comment["body"].startswith(f"<!-- mlgate:report id=default sha={head(runner.repo)} -->")
    assert comment["body"].count("<!-- mlgate:report") == 1
    [blob] = runner.github.state.blobs.values()
    assert blob.startswith(b"\x89PNG")
    out = runner.outputs()
    assert out["passed"] == "true" and out["comment-url"].endswith(f"{comment['id']}")
    assert out["report-path"] == str(bundle / "report.md")
    assert json.loads(out["result-json"])["passed"] is True


@pytest.mark.parametrize(
    ("result", "words"),
    [
        ([1, 2], "result.json: expected a JSON object, got list"),
        ({"passed": "yes", "gates": []}, "result.json: passed: input should be a valid boolean"),
        ({"passed": True}, "result.json: gates: field required"),
        (
            {"passed": True, "gates": [{"metric": "a", "outcome": "maybe", "passed": True}]},
            "result.json: gates[0].outcome: input should be 'pass', 'fail', 'warn' or 'skip'",
        ),
        (
            {"passed": True, "gates": [], "github": {"pr_number": "7"}},
            "result.json: github.pr_number: input should be a valid integer",
        ),
    ],
)
def test_a_malformed_result_json_is_exit_2_in_one_line(
    runner: Runner, bundle: Path, result: object, words: str
) -> None:
    (bundle / "result.json").write_text(json.dumps(result))
    assert stage_two(runner, bundle) == 2
    [line] = error_lines(runner.err)
    assert words in line
    assert "Traceback" not in runner.err
    assert not runner.github.state.comments[7] and not runner.github.state.statuses


def test_a_report_that_is_not_utf8_is_exit_2(runner: Runner, bundle: Path) -> None:
    (bundle / "report.md").write_bytes(b"## report \xff\xfe broken")
    assert stage_two(runner, bundle) == 2
    [line] = error_lines(runner.err)
    assert "report.md: not UTF-8 text (byte 10)" in line


def test_a_report_symlinked_to_the_environment_is_refused(runner: Runner, bundle: Path) -> None:
    (bundle / "report.md").unlink()
    (bundle / "report.md").symlink_to("/proc/self/environ")
    assert stage_two(runner, bundle) == 2
    [line] = error_lines(runner.err)
    assert "report.md: cannot read (is a symlink)" in line
    assert not runner.github.state.comments[7]


def test_image_paths_never_leave_the_bundle(runner: Runner, bundle: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + b"SECRET-OUTSIDE-THE-BUNDLE")
    (bundle / "plots" / "escape.png").symlink_to(secret)
    (bundle / "plots" / "sub").symlink_to(tmp_path)
    (bundle / "plots" / "fake.png").write_text("GITHUB_TOKEN=not-an-image")
    refs = [
        "plots/../../../../proc/self/environ",
        "/etc/passwd",
        "plots/escape.png",
        "plots/sub/secret.png",
        "plots/fake.png",
        "../secret.png",
        "https://evil.example/track.png",
    ]
    report = (bundle / "report.md").read_text() + "".join(f"\n![x]({r})\n" for r in refs)
    (bundle / "report.md").write_text(report)
    assert stage_two(runner, bundle) == 0, runner.err
    blobs = list(runner.github.state.blobs.values())
    assert blobs == [(bundle / "plots" / "loss.png").read_bytes()]  # the one real image only
    body = runner.github.state.comments[7][0]["body"]
    for ref in refs:
        assert f"({ref})" not in body
    assert body.count("*(image refused: ") == len(refs)
    assert "image refused: a symlink" in body
    assert "image refused: not a PNG or JPEG image" in body
    assert "image refused: path leaves the bundle" in body
    assert os.environ.get("PATH", "x") not in body


def test_the_verdict_is_recomputed_from_the_gates(runner: Runner, bundle: Path) -> None:
    data = json.loads((bundle / "result.json").read_text())
    data["gates"] = [
        {"metric": "acc", "outcome": "fail", "passed": False, "message": "acc fell 0.2"},
        {"metric": "loss", "outcome": "pass", "passed": True, "message": "fine"},
    ]
    data["passed"] = True  # the fork's code says it passed
    data["verdict"] = "all gates passed"
    (bundle / "result.json").write_text(json.dumps(data))
    assert stage_two(runner, bundle) == 1
    [status] = runner.github.state.statuses
    assert status["state"] == "failure"
    assert status["description"] == "1 of 2 gates failed: acc"
    body = runner.github.state.comments[7][0]["body"]
    assert "## ❌ mlgate: 1 of 2 gates failed: acc" in body
    assert runner.outputs()["passed"] == "false"


def test_text_fields_and_markdown_are_made_inert(runner: Runner, tmp_path: Path) -> None:
    sha = head(runner.repo)
    report = (
        f"<!-- mlgate:report id=default sha={sha} -->\n## ✅ all good\n\n"
        "<script>alert(1)</script> <img src=x onerror=alert(1)> hello @octo-org/admins\n"
        "<!-- mlgate:report id=other -->\n<details open><summary>ok</summary>x</details>\n"
    )
    bundle = write_bundle(
        tmp_path / "b",
        head_sha=sha,
        report=report,
        name="<img src=x> @everyone\n::error::pwned",
        gates=[
            {
                "metric": "acc\n::error::x <b>@admin</b>",
                "outcome": "fail",
                "passed": False,
                "message": "m",
            }
        ],
        passed=False,
    )
    other = write_bundle(tmp_path / "c", head_sha=sha, name="second")
    payload = workflow_run_payload(runner.events("workflow_run.completed.json"), sha)
    runner.env(runner._write("wr.json", payload), event_name="workflow_run")
    assert runner.run("publish", "--bundle", str(bundle), "--bundle", str(other)) == 1
    body = runner.github.state.comments[7][0]["body"]
    assert body.startswith(f"<!-- mlgate:report id=default sha={sha} -->\n")
    assert body.count("<!--") == 1  # the bundles' own markers are gone
    for raw in ("<script>", "<img", "<b>@", "@everyone", "@admin", "@octo-org"):
        assert raw not in body, raw
    assert (
        "&lt;script>alert(1)&lt;/script>" in body and "<details open><summary>ok</summary>" in body
    )
    [status] = runner.github.state.statuses
    assert "\n" not in status["description"] and "::error" not in status["description"].split()[0]
    assert not any(line.startswith("::error::pwned") for line in runner.err.splitlines())


def test_a_bundle_naming_another_pr_is_refused(runner: Runner, tmp_path: Path) -> None:
    runner.github.state.add_pull(8, "d" * 40, head_ref="other")
    bundle = write_bundle(tmp_path / "b", head_sha=head(runner.repo), pr_number=8)
    assert stage_two(runner, bundle) == 2
    [line] = error_lines(runner.err)
    assert "bundle is for PR #8 but the triggering run's commit" in line
    assert "belongs to PR #7" in line
    assert not runner.github.state.comments[7] and not runner.github.state.comments[8]
    assert not runner.github.state.statuses
    assert runner.outputs()["comment-url"] == ""


def test_a_bundle_for_another_commit_is_refused(runner: Runner, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", head_sha="c" * 40)
    assert stage_two(runner, bundle) == 2
    assert "bundle is for commit ccccccc but the triggering run was for" in runner.err
    assert not runner.github.state.comments[7] and not runner.github.state.statuses
