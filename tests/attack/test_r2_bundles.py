"""Issue 21, Seen 3 and 9: a fork's bundle publishing off-site links and an SVG with a script,
committed to the assets branch with stage two's write token; a bundle naming another repository.

Stage two (`mlgate publish --bundle`) on a `workflow_run` event against the fake GitHub API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fake_github import write_bundle
from tests.integration.test_gh_bundles import error_lines, stage_two
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    github,
    head,
    project,
    runner,
)

SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
    b'xmlns:xlink="http://www.w3.org/1999/xlink"><script>alert(document.cookie)</script>'
    b'<a xlink:href="https://evil.example/login"><rect width="9" height="9"/></a></svg>'
)


def _report(sha: str, extra: str) -> str:
    return (
        f"<!-- mlgate:report id=default sha={sha} -->\n## ✅ mlgate report: all 1 gate passed\n\n"
        f"![loss](plots/loss.png)\n\n{extra}\n"
    )


OFF_SITE = {
    "inline": ("[Approve the PR](https://evil.example/login)", "](https://evil.example"),
    "reference": ("[Approve][r]\n\n[r]: https://evil.example/login", "]: https://evil"),
    "reference-titled": ('[a][r]\n\n[r]: <https://evil.example> "t"', "]: <https://evil"),
    "bare-www": ("docs at www.evil.example/x", "www.evil"),
    "bare-https": ("docs at https://evil.example/x", "https://evil"),
    "autolink": ("<https://evil.example/x>", "<https://evil"),
    "remote-image": ("![t](https://evil.example/pixel.png)", "](https://evil.example"),
    "protocol-relative": ("[x](//evil.example/x)", "](//evil"),
    "javascript": ("[x](javascript:alert(1))", "](javascript:"),
    "encoded-mention": ("ping &#64;octo-org/admins", "&#64;octo"),
}


@pytest.mark.parametrize("how", list(OFF_SITE))
def test_a_bundle_cannot_link_or_track_off_site(runner: Runner, tmp_path: Path, how: str) -> None:
    snippet, forbidden = OFF_SITE[how]
    sha = head(runner.repo)
    bundle = write_bundle(tmp_path / "b", head_sha=sha, report=_report(sha, snippet))
    assert stage_two(runner, bundle) == 0, runner.err
    body = runner.github.state.comments[7][0]["body"]
    assert forbidden not in body, body
    assert "](https://" not in body.replace("](https://github.com/octo-org/octo-repo/", "")


def test_links_into_the_repository_stay_links(runner: Runner, tmp_path: Path) -> None:
    sha = head(runner.repo)
    link = "[the run](https://github.com/octo-org/octo-repo/actions/runs/1)"
    bundle = write_bundle(tmp_path / "b", head_sha=sha, report=_report(sha, link))
    assert stage_two(runner, bundle) == 0, runner.err
    assert link in runner.github.state.comments[7][0]["body"]


def test_an_svg_with_a_script_is_never_pushed(runner: Runner, tmp_path: Path) -> None:
    sha = head(runner.repo)
    bundle = write_bundle(tmp_path / "b", head_sha=sha, report=_report(sha, "![x](plots/x.svg)"))
    (bundle / "plots" / "x.svg").write_bytes(SVG)
    assert stage_two(runner, bundle) == 0, runner.err
    blobs = list(runner.github.state.blobs.values())
    assert all(b"<script" not in blob and b"<svg" not in blob for blob in blobs)
    body = runner.github.state.comments[7][0]["body"]
    assert "*(image refused: not a PNG or JPEG image)*" in body


def test_a_bundle_naming_another_repository_is_refused(runner: Runner, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", head_sha=head(runner.repo))
    result = json.loads((bundle / "result.json").read_text())
    result["github"]["repository"] = "someone/else"
    (bundle / "result.json").write_text(json.dumps(result))
    assert stage_two(runner, bundle) == 2
    [line] = error_lines(runner.err)
    assert "is for repository someone/else but this workflow runs for octo-org/octo-repo" in line
    assert not runner.github.state.comments[7] and not runner.github.state.statuses


def test_a_bundle_cannot_write_a_second_verdict_heading(runner: Runner, tmp_path: Path) -> None:
    sha = head(runner.repo)
    forged = "## ✅ All gates passed\n\nAll good\n==="
    bundle = write_bundle(tmp_path / "b", head_sha=sha, passed=False, report=_report(sha, forged))
    assert stage_two(runner, bundle) == 1
    body = runner.github.state.comments[7][0]["body"]
    headings = [line for line in body.splitlines() if line.startswith(("# ", "## "))]
    assert headings == ["## ❌ mlgate: 1 of 1 gates failed: acc"]
