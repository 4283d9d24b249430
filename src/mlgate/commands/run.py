"""`mlgate run`: the CI entry point. Reads the CI's environment (GitHub Actions or GitLab CI,
through `mlgate.hosts`), trains if asked, writes the report (disk and job summary first), then
publishes the note and the merge gate through the host seam.

Whatever happens after the report is written, GITHUB_OUTPUT gets `passed`, `report-path`,
`result-json` and `comment-url` (empty when nothing was posted), and on the way out what the
run created in the workspace is given back to the workspace's owner.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path

from mlgate import hosts, results, trainenv
from mlgate import redact as redact_mod
from mlgate.actions import Context, give_to_owner
from mlgate.commands import publish as publish_cmd
from mlgate.commands import record as record_cmd
from mlgate.commands import report
from mlgate.errors import EXIT_USAGE, HostError, ReadOnlyToken, UsageError, gate_exit
from mlgate.governing import read_config
from mlgate.hosts import CIContext, Host, ResultsStore, Target
from mlgate.log import Log, neutralize
from mlgate.redact import Redactor
from mlgate.settings import Settings
from mlgate.sources.git import Git


def main(env: Mapping[str, str], log: Log, *, host: Host | None = None) -> int:
    try:
        settings, ci = hosts.load(env, log)  # GitHub Actions or GitLab CI, from the environment
        if settings.bundles:  # stage two of the fork-safe setup, or a matrix's final job
            if not isinstance(ci, Context):
                raise UsageError(
                    f"input `bundles` (mlgate publish) is for GitHub Actions' two-stage setup; "
                    f"on {ci.host_name} run `mlgate run` in the merge-request pipeline"
                )
            return publish_cmd.main(
                env, log, [ci.workspace / b for b in settings.bundles], host=host
            )
        return _run(env, log, settings, ci, host)
    finally:  # on success, on failure, on bad input: later steps must own their workspace
        if env.get("GITHUB_WORKSPACE"):
            give_to_owner(Path(env["GITHUB_WORKSPACE"]), log)


def _run(
    env: Mapping[str, str], log: Log, settings: Settings, ctx: CIContext, host: Host | None
) -> int:
    token = ctx.token(settings)
    redact = redact_mod.from_environ(env, extra=[token])
    target = ctx.target()
    root = hosts.working_root(ctx.workspace, settings.working_directory)
    base_branch = recorded_branch(target, settings, root)
    if base_branch is not None:
        return _record(log, settings, ctx, host, root=root, branch=base_branch, redact=redact)
    if settings.base is None and target.base_ref:
        settings = settings.replace(base=target.base_ref)
    out_dir = root / settings.report_dir  # an absolute report-dir stays as it is

    training, setup = None, trainenv.Prepared()
    if settings.run or settings.repro:
        from mlgate.commands import train

        setup = trainenv.prepare(settings, root=root, workspace=ctx.workspace, log=log)
        training = setup.failure or train.run_training(settings, root=root, log=log)
    produced = report.produce(
        settings,
        root=root,
        log=log,
        out_dir=out_dir,
        head_sha=target.head_sha,
        head_label=target.head_ref,
        training=training,
        with_mermaid=settings.plots == "assets",
        movable=True,
    )
    out_dir = produced.out_dir  # elsewhere when the report directory could not be written
    produced.result[ctx.meta_key] = {
        "repository": ctx.repository,
        "pr_number": target.pr_number,
        "head_sha": target.head_sha,
        "base_ref": target.base_ref,
        "run_url": ctx.run_url,
        "event": ctx.event_name,
    }
    # Defence in depth: the report is redacted upstream too; the bundle, the summary, the
    # outputs and the comment never carry a secret of this environment.
    produced = dataclasses.replace(
        produced,
        markdown=redact(produced.markdown),
        mermaid_markdown=redact(produced.mermaid_markdown) if produced.mermaid_markdown else None,
        result=redact_mod.redact_json(produced.result, redact),
    )
    # Nothing is lost: the report is on disk and in the job summary before any API call.
    path = report.write(produced)
    ctx.after_report(produced.result, out_dir, log)
    bundle = publish_cmd.load_bundle(out_dir)
    ctx.write_summary(  # with the full table when the comment shows only its top rows
        report.summary_markdown(
            produced,
            publish_cmd.strip_images(
                produced.mermaid_markdown or produced.markdown, "image in the report directory"
            ),
        ),
        redact,
        log,
    )
    report.print_gate_summary(produced.report, log)
    passed = produced.report.passed
    outputs = {
        "passed": str(passed).lower(),
        "report-path": str(path),
        "result-json": json.dumps(produced.result, separators=(",", ":")),
    }
    gate_code = gate_exit(passed, enforce=settings.fail_on_regression)
    if setup.problem:  # pip's output is in the report; the one line says what to fix
        log.error(setup.problem)
        gate_code = EXIT_USAGE
    code, comment_url = gate_code, ""
    try:
        if not token and host is None:
            log.warning(ctx.no_token())
            return code
        try:
            outcome = publish_cmd.publish(
                [bundle],
                settings=settings,
                ctx=ctx,
                target=target,
                log=log,
                host=host,
                redact=redact,
            )
        except HostError as exc:  # building the client: nothing was posted
            outcome = publish_cmd.Outcome(None, False, failure=exc)
        if outcome.body:  # now with hosted image links, not "image in the report directory"
            ctx.write_summary(report.summary_markdown(produced, outcome.body), redact, log)
        comment_url = outcome.comment_url or ""  # whenever a comment exists
        if outcome.failure is not None:
            if isinstance(outcome.failure, ReadOnlyToken):
                # A fork PR's read-only token: the report stays in the summary; say what to add.
                ctx.append_summary(
                    f"\n> ⚠️ mlgate could not post to the {ctx.change_abbr}: {outcome.failure}\n",
                    redact,
                )
            code = publish_cmd.failure_code(outcome.failure, gate_code, log)
        return code
    finally:
        ctx.write_outputs({**outputs, "comment-url": comment_url}, redact)


def recorded_branch(target: Target, settings: Settings, root: Path) -> str | None:
    """The base branch, when this run is a push to it: then the run records the commit's
    results on the results branch for later pull requests, and reports nothing (issue 20).
    The base is the `base` input, else `.mlgate.yml` `base:`, else the repository's default
    branch as the event names it."""
    pushed = target.pushed_branch
    if not pushed or set(target.head_sha) == {"0"}:  # not a push, or a deleted branch
        return None
    base = settings.base or read_config(root, settings).base or target.default_branch
    return pushed if pushed == base else None


def _record(
    log: Log,
    settings: Settings,
    ctx: CIContext,
    host: Host | None,
    *,
    root: Path,
    branch: str,
    redact: Redactor,
) -> int:
    """A push to the base branch: train if asked, then commit this commit's results to the
    results branch through the host's API (no clone, no push rights needed)."""
    git = Git(root, log)
    sha = git.rev_parse("HEAD")
    if sha is None:
        raise UsageError("nothing to record: the checkout has no commit")
    log(
        f"push to the base branch {branch}: recording the results of {sha[:7]} on "
        f"{settings.results_branch} for later pull requests (nothing is compared)"
    )
    if settings.run or settings.repro:
        setup = trainenv.prepare(settings, root=root, workspace=ctx.workspace, log=log)
        if setup.failure is not None:  # pip's output is in the log above
            why = setup.problem or "the training's requirements could not be installed"
            raise UsageError(f"{why}; nothing was recorded")
    command = record_cmd.train(settings, root=root, log=log)
    files, doc = record_cmd.collect(settings, git, root=root, log=log, sha=sha, command=command)
    token = ctx.token(settings)
    if host is None:
        if not token:
            raise UsageError(f"{ctx.no_token()}; recording the base's results needs it")
        host = ctx.build_host(settings, token, log)
    if not isinstance(host, ResultsStore):
        raise UsageError(
            f"recording results on a push is not available on {ctx.host_name}: run "
            "`mlgate record --push` in a job on the base branch"
        )
    entry = results.entry_contents(files, doc)
    commit = host.store_results(
        [(f"{sha}/{p}", d) for p, d in sorted(entry.items())],
        branch=settings.results_branch,
        message=f"mlgate: results of {sha}",
    )
    line = (
        f"mlgate: recorded the results of {sha[:7]} ({', '.join(sorted(files))}) on "
        f"{settings.results_branch} ({commit[:7]}): pull requests based on it compare with them"
    )
    print(neutralize(line))
    ctx.write_summary(f"{line}\n", redact, log)
    ctx.write_outputs(
        {"passed": "true", "report-path": "", "result-json": json.dumps(doc), "comment-url": ""},
        redact,
    )
    return 0
