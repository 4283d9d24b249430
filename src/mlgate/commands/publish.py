"""`mlgate publish --bundle DIR...`: post saved reports (fork-safe stage two, matrix jobs).

A bundle is the report directory `mlgate run` writes: report.md, result.json (with the PR number
and head sha under `github`), and plots/. Several bundles merge into one comment with a section
each and one combined status. Bundles given here were written by code this job does not trust:
they are read as hostile input (see `mlgate.github.bundle`), the commit and PR come from the
event GitHub sent, never from the bundle, and the bundle's claims must agree with them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlgate import plan as plan_mod
from mlgate import redact as redact_mod
from mlgate.actions import Context, target_from_event, write_outputs, write_summary
from mlgate.errors import HostError, MlgateError, ReadOnlyToken, UsageError, run_exit
from mlgate.github.bundle import IMAGE, Bundle, confined_image, load_bundle, plain
from mlgate.hosts import Change, CIContext, Host, Target
from mlgate.log import Log
from mlgate.marker import format_marker, strip_markers
from mlgate.plan import Plan
from mlgate.redact import Redactor
from mlgate.render.escape import md
from mlgate.render.fit import fit
from mlgate.settings import Settings

__all__ = ["Bundle", "load_bundle", "main", "publish", "strip_images"]


def strip_images(markdown: str, why: str) -> str:
    return IMAGE.sub(lambda m: f"*({m.group(1)}: {why})*", markdown)


def link_images(markdown: str, urls: Mapping[str, str]) -> str:
    return IMAGE.sub(lambda m: f"![{m.group(1)}]({urls.get(m.group(2), m.group(2))})", markdown)


def combine(bundles: Sequence[Bundle], comment_id: str, head_sha: str) -> tuple[str, bool, str]:
    """One comment: a trusted single report as it is; otherwise mlgate's own marker and
    verdict first (recomputed, never the bundle's heading), then a section per bundle."""
    if len(bundles) == 1 and not bundles[0].hostile:
        b = bundles[0]
        return b.markdown, b.passed, b.verdict
    failed = [b for b in bundles if not b.passed]
    passed = not failed
    if len(bundles) == 1:
        verdict = bundles[0].verdict
    elif passed:
        verdict = f"all {len(bundles)} reports passed"
    else:
        verdict = f"{len(failed)} of {len(bundles)} reports failed: " + "; ".join(
            f"{plain(b.name, 40)}: {b.verdict}" for b in failed
        )
    icon = "✅" if passed else "❌"
    parts = [format_marker(comment_id, head_sha), f"## {icon} mlgate: {md(verdict)}", ""]
    for b in bundles:
        body = re.sub(r"^#+ ", "### ", strip_markers(b.markdown).lstrip(), count=1)
        if len(bundles) == 1:
            parts += [body, ""]
            continue
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
    # the first host call that failed; the others were still made (the status is set whenever
    # there is a verdict, the comment's URL is kept whenever there is a comment: issue 20)
    failure: HostError | None = None


def _images(bundle: Bundle) -> dict[str, bytes]:
    if bundle.hostile:
        return bundle.images
    found = {}
    for rel in bundle.image_refs():
        data, _why = confined_image(bundle.path, rel)
        if data is not None:
            found[rel] = data
    return found


def publish(
    bundles: Sequence[Bundle],
    *,
    settings: Settings,
    ctx: CIContext,
    target: Target,
    log: Log,
    host: Host | None = None,
    redact: Redactor = lambda text: text,
    plan: Plan | None = None,
) -> Outcome:
    """Post the note, images and status through the host seam. A host call that fails does
    not stop the others: the status is set whenever there is a verdict, and the first failure
    comes back in `Outcome.failure` (ReadOnlyToken when the token cannot write). Raises
    UsageError when a hostile bundle names another change request than the CI's."""
    token = ctx.token(settings)
    if host is None:
        if not token:
            return Outcome(None, False, ctx.no_token())
        try:
            host = ctx.build_host(settings, token, log)
        except HostError as exc:  # building the client: nothing was posted
            return Outcome(None, False, failure=exc)
    plan = plan or plan_mod.decide(settings, can_publish=True)
    hostile = any(b.hostile for b in bundles)
    head_sha = (
        target.head_sha if hostile else str(bundles[0].meta.get("head_sha") or target.head_sha)
    )
    post = _Posting(host, settings, ctx, plan, head_sha, log, redact)
    markdown, passed, verdict = combine(bundles, settings.comment_id, head_sha)
    with log.group(f"Finding the {ctx.change_word}") as phase:
        change = post.find(bundles, target, hostile=hostile)
        phase.done(f"{ctx.change_abbr} #{change.number}" if change else "none found")
    with log.group("Images") as phase:
        body = redact(post.body(bundles, markdown, change))
        phase.done(f"{len(IMAGE.findall(body))} image(s) in the comment (plots: {settings.plots})")
    comment_url = None
    if change is not None and plan.comment:
        with log.group("Comment") as phase:
            comment_url = post.comment(change, body)
            phase.done(comment_url or "not posted")
    with log.group("Merge gate") as phase:
        if state := post.gate(passed, verdict, body):
            phase.done(state)
    for later in post.failures[1:]:  # the first is the job's error line; the others are said too
        log(f"also: {later}")
    failure = post.failures[0] if post.failures else None
    return Outcome(comment_url, True, body=body, failure=failure)


@dataclass
class _Posting:
    """One publishing: its steps, and the host calls that failed (the others still made)."""

    host: Host
    settings: Settings
    ctx: CIContext
    plan: Plan
    head_sha: str
    log: Log
    redact: Redactor
    failures: list[HostError] = field(default_factory=list)

    def find(self, bundles: Sequence[Bundle], target: Target, *, hostile: bool) -> Change | None:
        try:
            change = _find_change(bundles, self.host, target, self.head_sha, hostile=hostile)
        except HostError as exc:
            self.failures.append(exc)
            return None
        if change is None:
            word = self.ctx.change_word
            self.log(f"no open {word} for this commit: the report is in the job summary only")
        return change

    def body(self, bundles: Sequence[Bundle], markdown: str, change: Change | None) -> str:
        """The note's body: images hosted (else inline charts), or stripped, as planned."""
        if self.plan.upload_images and change is not None:
            return _with_images(
                bundles,
                self.host,
                change=change,
                head_sha=self.head_sha,
                comment_id=self.settings.comment_id,
                log=self.log,
                failures=self.failures,
            )
        if self.plan.strip_images:
            return strip_images(markdown, "image in the job summary's report artifact")
        return markdown

    def comment(self, change: Change, body: str) -> str | None:
        try:
            return self.host.upsert_report(
                change,
                fit(body, self.host.comment_limit, self.ctx.run_url),
                comment_id=self.settings.comment_id,
                head_sha=self.head_sha,
                mode=self.settings.comment,
            )
        except HostError as exc:
            self.failures.append(exc)
            return exc.comment_url  # posted before the failure: still its URL

    def gate(self, passed: bool, verdict: str, body: str) -> str | None:
        """Set the commit status; what was set, for the log (None when the call failed)."""
        line = self.redact(plain(verdict.splitlines()[0] if verdict else "", 140))
        line = line or ("passed" if passed else "failed")
        try:
            self.host.set_status(
                self.head_sha,
                passed=passed,
                description=line,
                summary=body,
                context=self.settings.status_context,
                target_url=self.ctx.run_url,
            )
        except HostError as exc:
            self.failures.append(exc)
            return None
        state = "passed" if passed else "failed"
        return f"{self.settings.status_context}: {state} on {self.head_sha[:7]}"


def _find_change(
    bundles: Sequence[Bundle], host: Host, target: Target, head_sha: str, *, hostile: bool
) -> Change | None:
    if hostile:  # the PR from the CI's event (or a lookup by its commit), not the bundle
        change = host.find_change(target)
        claimed = bundles[0].meta.get("pr_number")
        if change is not None and claimed is not None and claimed != change.number:
            raise UsageError(
                f"bundle is for PR #{claimed} but the triggering run's commit "
                f"{head_sha[:7]} belongs to PR #{change.number}: refusing to publish it"
            )
        return change
    number = bundles[0].meta.get("pr_number") or target.pr_number
    lookup = Target(target.repository, head_sha, int(number), target.base_ref) if number else target
    return host.find_change(lookup)


def _with_images(
    bundles: Sequence[Bundle],
    host: Host,
    *,
    change: Change,
    head_sha: str,
    comment_id: str,
    log: Log,
    failures: list[HostError],
) -> str:
    """The combined report with its images hosted, else with inline Mermaid charts."""
    keys = [_asset_keys(b, _images(b), len(bundles)) for b in bundles]
    files = [(key, data) for k in keys for key, data in k.values()]
    try:
        urls = host.host_images(files, change=change, head_sha=head_sha) if files else {}
    except ReadOnlyToken as exc:
        if exc.fatal:
            failures.append(exc)
        log(f"cannot push images ({exc}); falling back to inline Mermaid charts")
        urls = None
    except HostError as exc:
        failures.append(exc)
        urls = None
    if urls is not None:
        linked = [
            replace(b, markdown=link_images(b.markdown, _linked(k, urls)))
            for b, k in zip(bundles, keys, strict=True)
        ]
        return combine(linked, comment_id, head_sha)[0]
    inline = [replace(b, markdown=alt) if (alt := b.inline_markdown()) else b for b in bundles]
    return strip_images(combine(inline, comment_id, head_sha)[0], host.images_hint)


def _linked(keys: Mapping[str, tuple[str, bytes]], urls: Mapping[str, str]) -> dict[str, str]:
    return {rel: urls[key] for rel, (key, _data) in keys.items() if key in urls}


def _asset_keys(
    bundle: Bundle, images: Mapping[str, bytes], count: int
) -> dict[str, tuple[str, bytes]]:
    """rel -> (where the image goes on the assets branch, its bytes). Named by its bytes,
    never by a name from the pull request (a file name can carry a secret the training knew);
    per bundle when several are merged."""
    prefix = ""
    if count > 1:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", bundle.path.name).strip(".-") or "bundle"
        prefix = f"{name}/"
    return {
        rel: (f"{prefix}plots/{hashlib.sha256(data).hexdigest()[:24]}{_suffix(data)}", data)
        for rel, data in images.items()
    }


def _suffix(data: bytes) -> str:
    return ".jpg" if data.startswith(b"\xff\xd8\xff") else ".png"


def _check_claims(bundles: Sequence[Bundle], target: Target) -> None:
    for b in bundles:  # like the PR number: a bundle names this repository or none
        claimed_repo = b.meta.get("repository")
        if claimed_repo is not None and str(claimed_repo).lower() != target.repository.lower():
            raise UsageError(
                f"bundle {plain(b.name, 40)} is for repository {plain(str(claimed_repo), 80)} but "
                f"this workflow runs for {target.repository}: refusing to publish it"
            )
    heads = {str(b.meta.get("head_sha")) for b in bundles}
    if len(heads) > 1:
        raise UsageError(
            f"bundles are for different commits ({', '.join(sorted(h[:7] for h in heads))}); "
            "publish one PR's bundles together"
        )
    claimed = str(bundles[0].meta.get("head_sha") or "")
    if claimed and target.head_sha and claimed != target.head_sha:
        # The bundle was written by the PR's own (untrusted) code; the commit comes from GitHub.
        raise UsageError(
            f"bundle is for commit {claimed[:7]} but the triggering run was for "
            f"{target.head_sha[:7]}: download the artifact of this workflow_run (run-id)"
        )
    numbers = {int(n) for b in bundles if (n := b.meta.get("pr_number")) is not None}
    if target.pr_number is not None and numbers and numbers != {target.pr_number}:
        raise UsageError(
            f"bundle is for PR #{min(numbers)} but the triggering event is for PR "
            f"#{target.pr_number}: refusing to publish it"
        )


def main(
    env: Mapping[str, str], log: Log, bundle_dirs: Sequence[Path], *, host: Host | None = None
) -> int:
    """Stage two on GitHub Actions (`workflow_run`): the commit and PR come from the event."""
    settings = Settings.from_environ(env)
    log.mask(settings.github_token)
    redact = redact_mod.from_environ(env, extra=[settings.github_token])
    ctx = Context.from_environ(env)
    target = target_from_event(ctx)
    own = [f"{ctx.server_url}/{ctx.repository}"]  # links into this repository stay links
    bundles = [load_bundle(p, hostile=True, links=own) for p in bundle_dirs]
    _check_claims(bundles, target)
    markdown, passed, _verdict = combine(bundles, settings.comment_id, target.head_sha)
    write_summary(ctx.step_summary, strip_images(markdown, "image in the report artifact"), redact)
    outputs = {
        "passed": str(passed).lower(),
        "report-path": str(bundles[0].path / "report.md"),
        "result-json": json.dumps(
            {
                "passed": passed,
                "bundles": [
                    {"name": b.name, "passed": b.passed, "verdict": b.verdict} for b in bundles
                ],
            },
            separators=(",", ":"),
        ),
    }
    try:
        outcome = publish(
            bundles, settings=settings, ctx=ctx, target=target, log=log, host=host, redact=redact
        )
    except MlgateError:
        write_outputs(ctx.output, {**outputs, "comment-url": ""}, redact)
        raise
    if outcome.body:
        write_summary(ctx.step_summary, outcome.body, redact)
    say_failure(outcome.failure, log)
    write_outputs(ctx.output, {**outputs, "comment-url": outcome.comment_url or ""}, redact)
    return run_exit(passed, enforce=settings.fail_on_regression, failure=outcome.failure)


def say_failure(exc: HostError | None, log: Log) -> None:
    """The host failure, as the job's one error line (the exit code is `errors.run_exit`'s)."""
    if exc is not None:
        log.error(str(exc), title="mlgate could not publish")
