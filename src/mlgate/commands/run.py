"""`mlgate run`: the action's entry point. Reads the Actions environment, trains if asked,
writes the report (disk and job summary first), then publishes the comment and the merge gate."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from mlgate.actions import Context, target_from_event, write_outputs, write_summary
from mlgate.commands import publish as publish_cmd
from mlgate.commands import report
from mlgate.errors import GitHubError, UsageError, gate_exit
from mlgate.github.publisher import Forbidden
from mlgate.log import Log
from mlgate.settings import Settings


def main(env: Mapping[str, str], log: Log, *, gh: object = None) -> int:
    settings = Settings.from_environ(env)
    if settings.bundles:  # stage two of the fork-safe setup, or a matrix's final job
        ctx = Context.from_environ(env)
        return publish_cmd.main(env, log, [ctx.workspace / b for b in settings.bundles])
    log.mask(settings.github_token)
    ctx = Context.from_environ(env)
    target = target_from_event(ctx)
    root = (ctx.workspace / settings.working_directory).resolve()
    if not root.is_dir():
        raise UsageError(
            f"{settings.working_directory}: no such directory in the workspace "
            "(input `working-directory`)"
        )
    if settings.base is None and target.base_ref:
        settings = settings.replace(base=target.base_ref)
    out_dir = root / settings.report_dir  # an absolute report-dir stays as it is

    training = None
    if settings.run or settings.repro:
        from mlgate.commands import train

        train.install_requirements(settings, root=root, workspace=ctx.workspace, log=log)
        training = train.run_training(settings, root=root, log=log)
    produced = report.produce(
        settings,
        root=root,
        log=log,
        out_dir=out_dir,
        head_sha=target.head_sha,
        head_label=target.head_ref,
        training=training,
        with_mermaid=settings.plots == "assets",
    )
    produced.result["github"] = {
        "repository": ctx.repository,
        "pr_number": target.pr_number,
        "head_sha": target.head_sha,
        "base_ref": target.base_ref,
        "run_url": ctx.run_url,
        "event": ctx.event_name,
    }
    # Nothing is lost: the report is on disk and in the job summary before any API call.
    path = report.write(produced)
    bundle = publish_cmd.load_bundle(out_dir)
    write_summary(
        ctx.step_summary,
        publish_cmd.strip_images(
            produced.mermaid_markdown or produced.markdown, "image in the report directory"
        ),
    )
    report.print_gate_summary(produced.report, log)
    passed = produced.report.passed
    outputs = {
        "passed": str(passed).lower(),
        "report-path": str(path),
        "result-json": json.dumps(produced.result, separators=(",", ":")),
    }
    gate_code = gate_exit(passed, enforce=settings.fail_on_regression)
    code, comment_url = gate_code, ""
    if not settings.github_token:
        log.warning("no GitHub token (input `github-token`): the report is in the job summary only")
    else:
        try:
            outcome = publish_cmd.publish(
                [bundle], settings=settings, ctx=ctx, target=target, log=log, gh=gh
            )
        except Forbidden as exc:
            # A fork PR's read-only token: the report stays in the summary; say what to add.
            log.error(str(exc), title="mlgate could not publish")
            _append_summary(ctx.step_summary, f"\n> ⚠️ mlgate could not post to the PR: {exc}\n")
        except GitHubError as exc:
            log.error(str(exc), title="mlgate could not publish")
            code = gate_code or exc.exit_code
        else:
            if outcome.body:  # now with hosted image links, not "image in the report directory"
                write_summary(ctx.step_summary, outcome.body)
            comment_url = outcome.comment_url or ""
    write_outputs(ctx.output, {**outputs, "comment-url": comment_url})
    return code


def _append_summary(path: Path | None, text: str) -> None:
    if path is not None:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(text)
