"""`mlgate run`: the action's entry point. Reads the Actions environment, trains if asked,
writes the report (disk and job summary first), then publishes the comment and the merge gate.

Whatever happens after the report is written, GITHUB_OUTPUT gets `passed`, `report-path`,
`result-json` and `comment-url` (empty when nothing was posted), and on the way out what the
run created in the workspace is given back to the workspace's owner.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlgate import redact as redact_mod
from mlgate.actions import (
    Context,
    append_summary,
    give_to_owner,
    target_from_event,
    write_outputs,
    write_summary,
)
from mlgate.commands import publish as publish_cmd
from mlgate.commands import report
from mlgate.errors import GitHubError, UsageError, gate_exit
from mlgate.github.publisher import Forbidden
from mlgate.log import Log
from mlgate.redact import Redactor
from mlgate.settings import Settings


def redact_tree(value: Any, redact: Redactor) -> Any:
    """Every string of a JSON-like value redacted (result.json, outputs)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): redact_tree(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(v, redact) for v in value]
    return value


def main(env: Mapping[str, str], log: Log, *, gh: object = None) -> int:
    try:
        settings = Settings.from_environ(env)
        log.mask(settings.github_token)
        ctx = Context.from_environ(env)
        if settings.bundles:  # stage two of the fork-safe setup, or a matrix's final job
            return publish_cmd.main(env, log, [ctx.workspace / b for b in settings.bundles], gh=gh)
        return _run(env, log, settings, ctx, gh)
    finally:  # on success, on failure, on bad input: later steps must own their workspace
        if env.get("GITHUB_WORKSPACE"):
            give_to_owner(Path(env["GITHUB_WORKSPACE"]), log)


def _run(env: Mapping[str, str], log: Log, settings: Settings, ctx: Context, gh: object) -> int:
    redact = redact_mod.from_environ(env, extra=[settings.github_token])
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
    # Defence in depth: the report is redacted upstream too; the bundle, the summary, the
    # outputs and the comment never carry a secret of this environment.
    produced = dataclasses.replace(
        produced,
        markdown=redact(produced.markdown),
        mermaid_markdown=redact(produced.mermaid_markdown) if produced.mermaid_markdown else None,
        result=redact_tree(produced.result, redact),
    )
    # Nothing is lost: the report is on disk and in the job summary before any API call.
    path = report.write(produced)
    bundle = publish_cmd.load_bundle(out_dir)
    write_summary(
        ctx.step_summary,
        publish_cmd.strip_images(
            produced.mermaid_markdown or produced.markdown, "image in the report directory"
        ),
        redact,
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
    try:
        if not settings.github_token:
            log.warning(
                "no GitHub token (input `github-token`): the report is in the job summary only"
            )
            return code
        try:
            outcome = publish_cmd.publish(
                [bundle], settings=settings, ctx=ctx, target=target, log=log, gh=gh, redact=redact
            )
        except Forbidden as exc:
            # A fork PR's read-only token: the report stays in the summary; say what to add.
            log.error(str(exc), title="mlgate could not publish")
            append_summary(
                ctx.step_summary, f"\n> ⚠️ mlgate could not post to the PR: {exc}\n", redact
            )
        except GitHubError as exc:
            log.error(str(exc), title="mlgate could not publish")
            code = gate_code or exc.exit_code
        else:
            if outcome.body:  # now with hosted image links, not "image in the report directory"
                write_summary(ctx.step_summary, outcome.body, redact)
            comment_url = outcome.comment_url or ""
        return code
    finally:
        write_outputs(ctx.output, {**outputs, "comment-url": comment_url}, redact)
