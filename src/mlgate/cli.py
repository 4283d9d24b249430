"""Command line: argparse, `main(argv) -> int`, one error handler mapping errors to exit codes.

Heavy libraries (DVC, matplotlib, pandas, PyGithub) are imported by the subcommands that use
them, never here, so that `mlgate --help` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlgate import __version__, interrupt
from mlgate.clihelp import (
    DESCRIPTIONS,
    EXIT_CODES,
    RUN_DESCRIPTION,
    RUN_ENVIRONMENT,
    SUMMARIES,
)
from mlgate.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_USAGE, MlgateError
from mlgate.log import Log
from mlgate.redact import from_environ
from mlgate.settings import Settings

EPILOG = EXIT_CODES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line and exit 2, as every other bad input
        self.exit(EXIT_USAGE, f"mlgate: error: {message} (see `{self.prog} --help`)\n")


def _common(p: argparse.ArgumentParser, *, base: bool = True) -> None:
    p.add_argument("-C", "--working-directory", metavar="DIR", help="the repository (default: .)")
    if base:
        p.add_argument(
            "--base",
            metavar="REF",
            help="base revision (default: .mlgate.yml `base:`, "
            "else the remote's HEAD branch, else main)",
        )
    p.add_argument("--config", metavar="FILE", help="config file (default: .mlgate.yml)")
    p.add_argument("--metrics", metavar="FILE", action="append", help="a metrics file (repeat)")
    p.add_argument(
        "--params-file",
        dest="params",
        metavar="FILE",
        action="append",
        help="a params file (repeat)",
    )


def _baseline_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--base-run",
        choices=["auto", "always", "never"],
        help="train the base in a separate worktree when it holds no results (default: auto)",
    )
    p.add_argument(
        "--results-branch", metavar="BRANCH", help="results stored per commit (mlgate-results)"
    )
    p.add_argument(
        "--results-depth",
        metavar="N",
        help="look this many commits before the base for stored results (default: 20)",
    )


def _any_ci_flags(p: argparse.ArgumentParser) -> None:
    """Any other CI (Jenkins, CircleCI, a shell): where to post (mlgate.anyci, docs/ci.md)."""
    g = p.add_argument_group("any other CI (Jenkins, CircleCI, Buildkite, a shell): docs/ci.md")
    g.add_argument("--host", choices=["github", "gitlab"], help="where to post (MLGATE_HOST)")
    g.add_argument(
        "--repo", dest="repository", metavar="R", help="owner/name, or a GitLab project path or id"
    )
    g.add_argument("--pr", metavar="N", help="the pull/merge request number (MLGATE_PR)")
    g.add_argument(
        "--sha", dest="head_sha", metavar="SHA", help="its head commit (MLGATE_HEAD_SHA)"
    )
    g.add_argument("--base-ref", metavar="B", help="its base branch (MLGATE_BASE_REF)")
    g.add_argument(
        "--token-env", metavar="VAR", help="the variable holding the token (default MLGATE_TOKEN)"
    )
    g.add_argument("--api-url", metavar="URL", help="the host's API (GitHub Enterprise, GitLab)")
    g.add_argument("--run-url", metavar="URL", help="this build's page, linked from the status")


def _diff_flags(p: argparse.ArgumentParser) -> None:
    _common(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument(
        "--json",
        dest="fmt",
        action="store_const",
        const="json",
        help="DVC's JSON shape: {path: {metric: {old, new, diff}}}",
    )
    fmt.add_argument("--md", dest="fmt", action="store_const", const="md", help="a Markdown table")
    p.add_argument("--all", action="store_true", help="include unchanged values")
    p.add_argument(
        "--params", dest="diff_params", action="store_true", help="diff params instead of metrics"
    )


def _report_flags(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument(
        "--out", dest="report_dir", metavar="DIR", help="output dir (default: mlgate-report)"
    )
    p.add_argument(
        "--project",
        dest="projects",
        metavar="DIR",
        action="append",
        help="a DVC project directory to report on, in one report with the others (repeat)",
    )
    p.add_argument("--repro", action="store_true", help="run `dvc repro` first")
    p.add_argument("--command", dest="run", metavar="CMD", help="run this training command first")
    p.add_argument("--push", action="store_true", help="after --repro, push outputs and run-cache")
    p.add_argument(
        "--timeout-minutes",
        metavar="N",
        help="stop the training after N minutes (its process group is killed; default: none)",
    )
    p.add_argument(
        "--plots",
        choices=["assets", "summary", "mermaid", "off"],
        help="how charts are shown (mermaid: inline, no images)",
    )
    _baseline_flags(p)


def _record_flags(p: argparse.ArgumentParser) -> None:
    _common(p, base=False)  # record files results under HEAD; it compares with nothing
    p.add_argument("--repro", action="store_true", help="run `dvc repro` first")
    p.add_argument("--command", dest="run", metavar="CMD", help="run this training command first")
    p.add_argument(
        "--timeout-minutes", metavar="N", help="stop the training after N minutes (default: none)"
    )
    p.add_argument(
        "--results-branch", metavar="BRANCH", help="default: mlgate-results (an orphan branch)"
    )
    p.add_argument(
        "--push",
        dest="push_results",
        action="store_true",
        help="push the results branch to origin afterwards",
    )


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="mlgate",
        description="Diff ML metrics against the base branch, "
        "report on the pull request, gate the merge.",
        epilog=EPILOG,
    )
    top.add_argument("--version", action="version", version=f"mlgate {__version__}")
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        options = {"description": DESCRIPTIONS[name], "epilog": EPILOG, **kwargs}
        made: argparse.ArgumentParser = sub.add_parser(name, help=SUMMARIES[name], **options)
        return made

    _diff_flags(command("diff"))
    _report_flags(command("report"))
    run = command(
        "run",
        description=RUN_DESCRIPTION,
        epilog=RUN_ENVIRONMENT,  # its layout kept: one variable group a line
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _any_ci_flags(run)
    command("publish").add_argument(
        "--bundle",
        action="append",
        required=True,
        metavar="DIR",
        help="a bundle directory written by `mlgate run` (repeat to merge)",
    )
    _record_flags(command("record"))
    p = command("demo")
    p.add_argument("--out", metavar="DIR", default="mlgate-demo", help="default: ./mlgate-demo")
    p.add_argument("--keep", action="store_true", help="keep the throwaway project (printed)")
    return top


def _settings(args: argparse.Namespace) -> Settings:
    names = (
        "working_directory",
        "base",
        "config",
        "metrics",
        "params",
        "projects",
        "report_dir",
        "run",
        "repro",
        "push",
        "plots",
        "timeout_minutes",
        "base_run",
        "results_branch",
        "results_depth",
    )
    raw = {n.replace("_", "-"): getattr(args, n) for n in names if getattr(args, n, None)}
    return Settings.from_mapping(raw)


def dispatch(args: argparse.Namespace, log: Log) -> int:
    if args.command == "demo":
        from mlgate.commands import demo

        return demo.main(Path(args.out), log, keep=args.keep)
    if args.command == "run":
        from mlgate import anyci
        from mlgate.commands import run

        flags = {name: getattr(args, name, None) for name in anyci.FIELDS}
        return run.main(anyci.with_flags(os.environ, flags), log)
    if args.command == "publish":
        from mlgate.commands import publish

        return publish.main(os.environ, log, [Path(b) for b in args.bundle])
    settings = _settings(args)
    root = settings.working_directory.resolve()
    if not root.is_dir():
        raise MlgateError(f"{settings.working_directory}: no such directory (--working-directory)")
    if args.command == "diff":
        from mlgate.commands import diff

        return diff.main(
            settings,
            log,
            root=root,
            fmt=args.fmt or "table",
            include_unchanged=args.all,
            params=args.diff_params,
        )
    if args.command == "record":
        from mlgate.commands import record

        return record.main(settings, log, root=root, push=args.push_results)
    from mlgate.commands import report

    return report.main(settings, log, root=root)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    log = Log(
        actions=os.environ.get("GITHUB_ACTIONS") == "true",
        sections=os.environ.get("GITLAB_CI") == "true",  # collapsible sections in the job log
        redact=from_environ(os.environ),
    )
    try:
        with interrupt.handled():  # SIGTERM/SIGINT: the training is stopped, what is known kept
            return dispatch(args, log)
    except MlgateError as exc:
        log.error(str(exc))
        return exc.exit_code
    except interrupt.Interrupted as exc:
        with interrupt.ignored():  # the runner's next signal must not cut the report short
            where = write_interrupted(args, exc)
        log.error(f"{exc}{': ' + where if where else ''}", title="mlgate was interrupted")
        return exc.exit_code
    except KeyboardInterrupt:
        log("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line here, the traceback where the user finds it
        import traceback  # here, not at start-up: tempfile and traceback cost `diff` 10 ms

        path = crash_log(args, traceback.format_exc())
        first = from_environ(os.environ)((str(exc).splitlines() or [""])[0][:200])
        log.error(
            f"internal error ({type(exc).__name__}: {first}); this is a bug in mlgate. "
            f"Traceback: {path}; please attach it to an issue."
        )
        return EXIT_BUG


def _report_dir(args: argparse.Namespace) -> Path | None:
    """The report directory this command writes to, when it can be known without failing."""
    found = _report_location(args)
    return found[1] if found else None


def _report_location(args: argparse.Namespace) -> tuple[Path, Path] | None:
    """(the repository, the report directory) of this command, when known without failing."""
    try:
        if args.command == "demo":
            out = Path(args.out).resolve()
            return out.parent, out
        if args.command == "run":
            env_settings = Settings.from_environ(os.environ)
            workspace = Path(os.environ.get("GITHUB_WORKSPACE") or ".")
            root = workspace.resolve() / env_settings.working_directory
            return root, root / env_settings.report_dir
        if args.command == "report":
            cli_settings = _settings(args)
            root = cli_settings.working_directory.resolve()
            return root, root / cli_settings.report_dir
    except MlgateError:
        return None
    return None


def write_interrupted(args: argparse.Namespace, exc: interrupt.Interrupted) -> str:
    """What is known when a signal stops the run: the report directory's report.md and
    result.json ("training interrupted", its output tail) and the job summary. Never raises."""
    from mlgate import outdir, stopped

    redact = from_environ(os.environ)
    text = redact(stopped.markdown(exc))
    written: list[str] = []
    found = _report_location(args)
    if found is not None and args.command in ("run", "report") and exc.command is not None:
        root, out_dir = found
        result = {"passed": False, "verdict": f"{exc} during training", "gates": []}
        with contextlib.suppress(OSError, MlgateError):
            outdir.prepare(out_dir, root=root)
            outdir.write_text(out_dir, "report.md", text)
            outdir.write_text(out_dir, "result.json", json.dumps(result, indent=2) + "\n")
            written.append(f"report in {out_dir}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with contextlib.suppress(OSError), Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(text)
            written.append("the job summary")
    return " and ".join(written)


def crash_log(args: argparse.Namespace, text: str) -> str:
    """Write a bug's traceback (secrets redacted) into the report directory when mlgate made
    one, else the current directory, and into the job summary when there is one: inside the
    action's container `/tmp` vanishes with the container."""
    from mlgate import outdir

    text = from_environ(os.environ)(text)
    report_dir = _report_dir(args)
    where = ""
    try:
        if report_dir is not None and outdir.is_report_dir(report_dir):
            where = str(outdir.write_text(report_dir, "mlgate-crash.log", text))
        else:
            name = f"mlgate-crash-{os.getpid()}.log"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            with os.fdopen(os.open(name, flags, 0o644), "w", encoding="utf-8") as fh:
                fh.write(text)
            where = str(Path.cwd() / name)
    except OSError:  # a read-only working directory: the summary still gets it
        import tempfile

        fd, where = tempfile.mkstemp(prefix="mlgate-crash-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        fence = text.replace("```", "'''")
        with contextlib.suppress(OSError), Path(summary).open("a", encoding="utf-8") as fh:
            fh.write(
                "\n<details><summary>mlgate stopped on a bug: traceback</summary>\n\n"
                f"```text\n{fence}\n```\n\n</details>\n"
            )
        where += " and the job summary"
    return where


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
