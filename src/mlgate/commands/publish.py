"""`mlgate publish --bundle DIR...`: post saved reports (fork-safe stage two, matrix jobs).

A bundle is the report directory `mlgate run` writes: report.md, result.json (with the PR number
and head sha under `github`), and plots/. Several bundles merge into one comment with a section
each and one combined status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlgate.actions import Context, Target, target_from_event, write_outputs, write_summary
from mlgate.errors import GitHubError, InputError, UsageError, gate_exit
from mlgate.log import Log
from mlgate.render.fit import CHECK_RUN_LIMIT, COMMENT_LIMIT, fit
from mlgate.render.markdown import marker
from mlgate.settings import Settings

_IMAGE = re.compile(r"!\[([^\]]*)\]\((plots/[^)\s]+)\)")


@dataclass(frozen=True)
class Bundle:
    name: str
    path: Path
    markdown: str
    result: Mapping[str, Any]
    mermaid: str | None = None  # the report with inline charts, for when images cannot be pushed

    @property
    def passed(self) -> bool:
        return bool(self.result.get("passed"))

    @property
    def meta(self) -> Mapping[str, Any]:
        meta = self.result.get("github")
        return meta if isinstance(meta, Mapping) else {}

    def images(self) -> list[str]:
        return sorted({m.group(2) for m in _IMAGE.finditer(self.markdown)})


def load_bundle(path: Path) -> Bundle:
    report, result = path / "report.md", path / "result.json"
    if not report.is_file() or not result.is_file():
        raise InputError(
            f"{path}: not a bundle (needs report.md and result.json from `mlgate run`)"
        )
    try:
        data = json.loads(result.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{result}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    name = str((data.get("github") or {}).get("name") or path.name)
    alt = path / "report.mermaid.md"
    return Bundle(
        name,
        path,
        report.read_text(encoding="utf-8"),
        data,
        alt.read_text(encoding="utf-8") if alt.is_file() else None,
    )


def strip_images(markdown: str, why: str) -> str:
    return _IMAGE.sub(lambda m: f"*({m.group(1)}: {why})*", markdown)


def link_images(markdown: str, urls: Mapping[str, str]) -> str:
    return _IMAGE.sub(lambda m: f"![{m.group(1)}]({urls.get(m.group(2), m.group(2))})", markdown)


def _body_without_marker(markdown: str) -> str:
    return "\n".join(line for line in markdown.splitlines() if not line.startswith("<!-- mlgate:"))


def combine(bundles: Sequence[Bundle], comment_id: str, head_sha: str) -> tuple[str, bool, str]:
    """One comment for several bundles: a combined verdict, then a section per bundle."""
    if len(bundles) == 1:
        b = bundles[0]
        return b.markdown, b.passed, str(b.result.get("verdict", ""))
    failed = [b for b in bundles if not b.passed]
    passed = not failed
    verdict = (
        f"all {len(bundles)} reports passed"
        if passed
        else f"{len(failed)} of {len(bundles)} reports failed: "
        + "; ".join(f"{b.name}: {b.result.get('verdict', '')}" for b in failed)
    )
    icon = "✅" if passed else "❌"
    parts = [marker(comment_id, head_sha), f"## {icon} mlgate: {verdict}", ""]
    for b in bundles:
        body = _body_without_marker(b.markdown).replace("\n## ", "\n### ", 1)
        body = re.sub(r"^## ", "### ", body.lstrip(), count=1)
        parts += [
            f"<details{' open' if not b.passed else ''}><summary><b>{b.name}</b></summary>",
            "",
            body.replace("\n### ", "\n#### "),
            "",
            "</details>",
            "",
        ]
    return "\n".join(parts), passed, verdict


@dataclass(frozen=True)
class Outcome:
    comment_url: str | None
    published: bool
    message: str = ""
    body: str | None = None  # the full report as published (hosted image links), for the summary


def publish(
    bundles: Sequence[Bundle],
    *,
    settings: Settings,
    ctx: Context,
    target: Target,
    log: Log,
    gh: Any = None,
) -> Outcome:
    """Post the comment, images and status. Raises GitHubError (Forbidden on 403)."""
    from mlgate.github import client
    from mlgate.github.publisher import Forbidden, Publisher

    if not settings.github_token:
        return Outcome(None, False, "no GitHub token: the report is in the job summary only")
    gh = gh or client.build(ctx.api_url, settings.github_token)
    pub = Publisher(gh, ctx.repository, log)
    head_sha = str(bundles[0].meta.get("head_sha") or target.head_sha)
    number = bundles[0].meta.get("pr_number") or target.pr_number
    pr = None
    with log.group("Finding the pull request"):
        if number is not None:
            pr_target = Target(ctx.repository, head_sha, int(number), target.base_ref)
            pr = pub.find_pr(pr_target)
        else:
            pr = pub.find_pr(target)
        if pr is None:
            log("no open pull request for this commit: the report is in the job summary only")
    markdown, passed, verdict = combine(bundles, settings.comment_id, head_sha)
    body = markdown
    with log.group("Images"):
        if settings.plots == "assets" and pr is not None:
            files = [
                (_asset_key(b, rel, len(bundles)), b.path / rel)
                for b in bundles
                for rel in b.images()
                if (b.path / rel).is_file()
            ]
            try:
                urls = pub.publish_assets(
                    files,
                    branch=settings.assets_branch,
                    prefix=f"pr-{pr.number}/{head_sha}",
                    server_url=ctx.server_url,
                )
                linked = [
                    replace(b, markdown=link_images(b.markdown, _linked(b, urls, len(bundles))))
                    for b in bundles
                ]
                body = combine(linked, settings.comment_id, head_sha)[0]
            except Forbidden as exc:
                log(f"cannot push images ({exc}); falling back to inline Mermaid charts")
                inline = [replace(b, markdown=b.mermaid) if b.mermaid else b for b in bundles]
                body = strip_images(
                    combine(inline, settings.comment_id, head_sha)[0],
                    "image not published: the token lacks `contents: write`",
                )
        elif settings.plots in ("summary", "off"):
            body = strip_images(markdown, "image in the job summary's report artifact")
    comment_url = None
    if pr is not None and settings.comment != "off":
        with log.group("Comment"):
            fitted = fit(body, COMMENT_LIMIT, ctx.run_url)
            comment_url = pub.upsert_comment(
                pr.number,
                fitted,
                comment_id=settings.comment_id,
                head_sha=head_sha,
                mode=settings.comment,
            )
    with log.group("Merge gate"):
        line = verdict.splitlines()[0] if verdict else ("passed" if passed else "failed")
        if settings.check_run:
            pub.create_check_run(
                head_sha,
                passed=passed,
                title=line,
                summary=fit(body, CHECK_RUN_LIMIT, ctx.run_url),
                name=settings.status_context,
                url=ctx.run_url,
            )
        else:
            pub.set_status(
                head_sha,
                passed=passed,
                description=line,
                context=settings.status_context,
                target_url=ctx.run_url,
            )
    return Outcome(comment_url, True, body=body)


def _linked(bundle: Bundle, urls: Mapping[str, str], count: int) -> dict[str, str]:
    keys = {rel: _asset_key(bundle, rel, count) for rel in bundle.images()}
    return {rel: urls[key] for rel, key in keys.items() if key in urls}


def _asset_key(bundle: Bundle, rel: str, count: int) -> str:
    """Where a bundle's image goes on the assets branch: per bundle when several are merged."""
    return f"{bundle.name}/{rel}" if count > 1 else rel


def main(env: Mapping[str, str], log: Log, bundle_dirs: Sequence[Path]) -> int:
    settings = Settings.from_environ(env)
    log.mask(settings.github_token)
    ctx = Context.from_environ(env)
    bundles = [load_bundle(p) for p in bundle_dirs]
    heads = {str(b.meta.get("head_sha")) for b in bundles}
    if len(heads) > 1:
        raise UsageError(
            f"bundles are for different commits ({', '.join(sorted(heads))}); "
            "publish one PR's bundles together"
        )
    target = target_from_event(ctx)
    claimed = str(bundles[0].meta.get("head_sha") or "")
    if ctx.event_name == "workflow_run" and claimed and claimed != target.head_sha:
        # The bundle was written by the PR's own (untrusted) code; the commit comes from GitHub.
        raise UsageError(
            f"bundle is for commit {claimed[:7]} but the triggering run was for "
            f"{target.head_sha[:7]}: download the artifact of this workflow_run (run-id)"
        )
    markdown, passed, _verdict = combine(
        bundles, settings.comment_id, str(bundles[0].meta.get("head_sha") or target.head_sha)
    )
    write_summary(ctx.step_summary, strip_images(markdown, "image in the report artifact"))
    gate_code = gate_exit(passed, enforce=settings.fail_on_regression)
    try:
        outcome = publish(bundles, settings=settings, ctx=ctx, target=target, log=log)
    except GitHubError as exc:
        log.error(str(exc))
        write_outputs(ctx.output, {"passed": str(passed).lower(), "comment-url": ""})
        return gate_code or exc.exit_code
    if outcome.body:
        write_summary(ctx.step_summary, outcome.body)
    write_outputs(
        ctx.output, {"passed": str(passed).lower(), "comment-url": outcome.comment_url or ""}
    )
    return gate_code
