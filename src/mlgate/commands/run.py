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
from dataclasses import dataclass
from pathlib import Path

from mlgate import hosts, results, trainenv
from mlgate import plan as plan_mod
from mlgate import redact as redact_mod
from mlgate.actions import Context, give_to_owner
from mlgate.commands import publish as publish_cmd
from mlgate.commands import record as record_cmd
from mlgate.commands import report
from mlgate.errors import ReadOnlyToken, UsageError, run_exit
from mlgate.github.bundle import Bundle
from mlgate.governing import read_config
from mlgate.hosts import CIContext, Host, ResultsStore, Target
from mlgate.log import Log, neutralize
from mlgate.redact import Redactor
from mlgate.report import Training
from mlgate.reportfiles import Produced, summary_markdown, write
from mlgate.settings import Settings
from mlgate.sources.git import Git
from mlgate.training import command as train


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
    secrets = redact_mod.secret_values(env, extra=[settings.github_token, token])
    redact = redact_mod.redactor(secrets)
    target = ctx.target()
    root = hosts.working_root(ctx.workspace, settings.working_directory)
    base_branch = recorded_branch(target, settings, root)
    if base_branch is not None:
        return _record(log, settings, ctx, host, root=root, branch=base_branch, redact=redact)
    plan = plan_mod.decide(
        settings, base_ref=target.base_ref, can_publish=bool(token) or host is not None
    )
    settings = settings.replace(base=plan.base)
    setup, training = _train(settings, ctx, root, log)
    produced = report.produce(
        settings,
        root=root,
        log=log,
        out_dir=root / settings.report_dir,  # an absolute report-dir stays as it is
        head_sha=target.head_sha,
        head_label=target.head_ref,
        training=training,
        plan=plan,
        movable=True,
        secrets=secrets,
    )
    produced, bundle, outputs = _write(produced, ctx, target, log, redact)
    if setup.problem:  # pip's output is in the report; the one line says what to fix
        log.error(setup.problem)
    run = _Publishing(
        settings, plan, ctx, target, log, host, redact, usage_problem=bool(setup.problem)
    )
    return run.publish(produced, bundle, outputs)


def _train(
    settings: Settings, ctx: CIContext, root: Path, log: Log
) -> tuple[trainenv.Prepared, Training | None]:
    """The head's training, when one is set, in the training's own environment."""
    if not (settings.run or settings.repro):
        return trainenv.Prepared(), None
    setup = trainenv.prepare(settings, root=root, workspace=ctx.workspace, log=log)
    return setup, setup.failure or train.run_training(settings, root=root, log=log)


def _write(
    produced: Produced, ctx: CIContext, target: Target, log: Log, redact: Redactor
) -> tuple[Produced, Bundle, dict[str, str]]:
    """The report on disk and in the job summary before any API call; this run's own bundle
    (in memory, not read back from disk) and the step's outputs."""
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
    path = write(produced)
    out_dir = produced.out_dir  # elsewhere when the report directory could not be written
    ctx.after_report(produced.result, out_dir, log)
    inline = produced.inline_later
    bundle = Bundle(
        out_dir.name,
        out_dir,
        produced.markdown,
        produced.result,
        produced.mermaid_markdown,
        inline=(lambda: redact(inline())) if inline else None,
    )
    ctx.write_summary(  # with the full table when the comment shows only its top rows
        summary_markdown(
            produced,
            publish_cmd.strip_images(
                produced.mermaid_markdown or produced.markdown, "image in the report directory"
            ),
        ),
        redact,
        log,
    )
    report.print_gate_summary(produced.report, log)
    outputs = {
        "passed": str(produced.report.passed).lower(),
        "report-path": str(path),
        "result-json": json.dumps(produced.result, separators=(",", ":")),
    }
    return produced, bundle, outputs


@dataclass(frozen=True)
class _Publishing:
    settings: Settings
    plan: plan_mod.Plan
    ctx: CIContext
    target: Target
    log: Log
    host: Host | None
    redact: Redactor
    usage_problem: bool = False

    def publish(self, produced: Produced, bundle: Bundle, outputs: Mapping[str, str]) -> int:
        """The note, images and status; the exit code; the step's outputs whatever happens."""
        ctx, log, redact = self.ctx, self.log, self.redact
        passed = produced.report.passed
        enforce = self.settings.fail_on_regression
        failure, comment_url = None, ""
        try:
            if not self.plan.publish:
                log.warning(ctx.no_token())
                return run_exit(passed, enforce=enforce, usage_problem=self.usage_problem)
            outcome = publish_cmd.publish(
                [bundle],
                settings=self.settings,
                ctx=ctx,
                target=self.target,
                log=log,
                host=self.host,
                redact=redact,
                plan=self.plan,
            )
            if outcome.body:  # now with hosted image links, not "image in the report directory"
                ctx.write_summary(summary_markdown(produced, outcome.body), redact, log)
            comment_url = outcome.comment_url or ""  # whenever a comment exists
            failure = outcome.failure
            if isinstance(failure, ReadOnlyToken):
                # A fork PR's read-only token: the report stays in the summary; say what to add.
                ctx.append_summary(
                    f"\n> ⚠️ mlgate could not post to the {ctx.change_abbr}: {failure}\n", redact
                )
            publish_cmd.say_failure(failure, log)
            return run_exit(
                passed, enforce=enforce, usage_problem=self.usage_problem, failure=failure
            )
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
