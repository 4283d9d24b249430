"""What a comment opens with (issue 25): a one-line headline (the verdict and the worst
regression) and the line naming what was compared, its commits and the CI run linked. Pure.

The links come from the CI's own environment (`WebLinks.from_environ`), never from the PR's
content; a local report has none and shows plain shas.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from mlgate.gatekinds.scalar import fmt
from mlgate.metrics import is_number
from mlgate.render.escape import md
from mlgate.report import Report
from mlgate.rules import GateResult, worst

HEADLINE_CHARS = 90  # one line of an H2 in a 960 px comment; the gates table says the rest
TITLE_CHARS = 40
TITLE_MIN = 16  # "mlgate report", the default, is never cut
_URL = re.compile(r"https?://[^\s()<>\[\]\"'`\\]+")
_SHA = re.compile(r"[0-9a-f]{7,64}")


@dataclass(frozen=True)
class WebLinks:
    """Where the CI shows a commit (`commit` + sha) and this run; empty outside CI."""

    commit: str = ""
    run: str = ""
    run_label: str = "workflow run"

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> WebLinks:
        """GitHub Actions: `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/commit/` and
        `.../actions/runs/$GITHUB_RUN_ID`; GitLab CI: `$CI_PROJECT_URL/-/commit/` (else
        `$CI_SERVER_URL/$CI_PROJECT_PATH`) and
        `$CI_JOB_URL` (else `$CI_PIPELINE_URL`). Anything that is not a plain web address is
        left out rather than linked."""
        if env.get("GITLAB_CI", "").lower() == "true":
            server, path = env.get("CI_SERVER_URL", "").rstrip("/"), env.get("CI_PROJECT_PATH", "")
            project = _url(
                env.get("CI_PROJECT_URL") or (f"{server}/{path}" if server and path else "")
            )
            run = _url(env.get("CI_JOB_URL", "")) or _url(env.get("CI_PIPELINE_URL", ""))
            label = "CI job" if _url(env.get("CI_JOB_URL", "")) else "pipeline"
            return cls(f"{project}/-/commit/" if project else "", run, label)
        if env.get("GITHUB_ACTIONS", "").lower() == "true" and env.get("GITHUB_REPOSITORY"):
            server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
            repo = _url(f"{server}/{env['GITHUB_REPOSITORY']}")
            if not repo or not re.fullmatch(r"[\w.-]+/[\w.-]+", env["GITHUB_REPOSITORY"]):
                return cls()
            run_id = env.get("GITHUB_RUN_ID", "")
            run = f"{repo}/actions/runs/{run_id}" if run_id.isdigit() else ""
            return cls(f"{repo}/commit/", run)
        return cls()


def _url(text: str) -> str:
    text = text.strip().rstrip("/")
    return text if _URL.fullmatch(text) else ""


def sha_text(sha: str | None, links: WebLinks) -> str:
    """A commit's short sha, linked to the commit where the CI shows it."""
    if not sha:
        return ""
    short = md(sha[:7])
    if links.commit and _SHA.fullmatch(sha):
        return f"[{short}]({links.commit}{sha})"
    return short


def compared_line(report: Report, links: WebLinks) -> str:
    """`Compared **head** (sha) with base **main** (sha) · [workflow run](url)`."""
    head = f" ({sha_text(report.head_sha, links)})" if report.head_sha else ""
    base = f" ({sha_text(report.base_sha, links)})" if report.base_sha else ""
    text = f"Compared **{md(report.head_label)}**{head} with base **{md(report.base_ref)}**{base}"
    if links.run:
        text += f" · [{links.run_label}]({links.run})"
    return text + "."


def regression(result: GateResult) -> str:
    """A gate that failed by moving: `acc 0.912 → 0.881 (-3.4%)`; any other failure (missing,
    stale, a noise-aware kind's test) by its own message, which says why."""
    old, new = result.old, result.new
    name = result.metric.rsplit(":", 1)[-1]
    moved = result.message.startswith((f"{name} fell ", f"{name} rose "))
    if moved and is_number(old) and is_number(new):
        base, head = float(old), float(new)  # type: ignore[arg-type]
        if math.isfinite(base) and math.isfinite(head):
            pct = f" ({(head - base) / abs(base) * 100:+.1f}%)" if base else ""
            return f"{name} {fmt(base)} → {fmt(head)}{pct}"
    return result.message


def headline_text(report: Report) -> str:
    """The headline's words, unescaped, at most HEADLINE_CHARS: the title, the verdict and,
    when gates failed, the worst regression in place of the full sentence. The title gives
    way first: the verdict is what the line is for."""
    failed = report.failed_gates
    training_failed = report.training is not None and report.training.exit_code != 0
    summary = report.verdict
    if failed and not training_failed:
        worst_one = worst(failed)
        assert worst_one is not None
        noun = "gate" if len(report.gates) == 1 else "gates"
        summary = f"{len(failed)} of {len(report.gates)} {noun} failed: {regression(worst_one)}"
    room = max(TITLE_MIN, HEADLINE_CHARS - 2 - len(summary))
    title = _cut(report.title, min(TITLE_CHARS, room))
    return _cut(f"{title}: {summary}", HEADLINE_CHARS)


def headline(report: Report) -> str:
    """The H2 line: `## ❌ title: 1 of 3 gates failed: acc 0.912 → 0.881 (-3.4%)`."""
    return f"## {'✅' if report.passed else '❌'} {md(headline_text(report))}"


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
