"""`mlgate demo`: the whole flow on the bundled example, with no GitHub and no network.

Builds a throwaway git + DVC project from the bundled example, commits a baseline on `main`, makes
a PR branch that changes a hyperparameter, runs the pipeline on both, and writes the PR's report.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from mlgate import proc
from mlgate.commands import report
from mlgate.errors import DvcError, UsageError
from mlgate.log import Log
from mlgate.reportfiles import write
from mlgate.settings import Settings
from mlgate.training.command import dvc_command

PR_BRANCH = "pr/shallower-trees"
PR_CHANGE = ("max_depth: 6", "max_depth: 2")
# The PR also changes the training data: one feature scaled up, a tenth of the rows dropped.
PR_DATA_CHANGES = (
    ("scale_mean_radius: 1.0", "scale_mean_radius: 1.3"),
    ("drop_fraction: 0.0", "drop_fraction: 0.1"),
)


def example_dir() -> Path:
    """The example project: package data in a wheel, `examples/` in a source checkout."""
    packaged = Path(str(resources.files("mlgate"))) / "_demo_project"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[3] / "examples" / "demo-project"
    if source.is_dir():
        return source
    raise UsageError("the bundled example project is missing from this installation")


def _env() -> dict[str, str]:
    # The pipeline's `python` must be this environment's (it has scikit-learn and pandas).
    bindir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "GIT_AUTHOR_NAME": "mlgate demo",
        "GIT_AUTHOR_EMAIL": "demo@mlgate.invalid",
        "GIT_COMMITTER_NAME": "mlgate demo",
        "GIT_COMMITTER_EMAIL": "demo@mlgate.invalid",
        "DVC_NO_ANALYTICS": "1",
    }


def _output(cmd: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run one step through mlgate's process runner: its exit code and output lines."""
    output: list[str] = []

    def keep(line: str) -> str:
        output.append(line)
        return line

    return proc.run(cmd, cwd=cwd, on_line=keep, env=_env()).code, output


def _sh(cmd: list[str], cwd: Path, log: Log) -> list[str]:
    """Run one step; show DVC's stage lines, and everything only when the step fails."""
    log("$ " + " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)))
    code, output = _output(cmd, cwd)
    for line in output:
        if code != 0 or line.startswith("Running stage"):
            log("  " + line)
    if code != 0:
        raise DvcError(f"demo step failed (exit {code}): {' '.join(cmd)}")
    return output


def build_project(project: Path, log: Log) -> None:
    shutil.copytree(
        example_dir(),
        project,
        ignore=shutil.ignore_patterns(
            "data", "model", "__pycache__", "metrics.json", "plots", "mlgate-report"
        ),
    )
    dvc = dvc_command()
    with log.group("Baseline on main"):
        _sh(["git", "init", "--quiet", "--initial-branch=main"], project, log)
        _sh([*dvc, "init", "--quiet"], project, log)
        _sh([*dvc, "config", "core.analytics", "false"], project, log)
        _sh([*dvc, "repro"], project, log)
        _sh(["git", "add", "-A"], project, log)
        _sh(["git", "commit", "--quiet", "-m", "Baseline model"], project, log)
    with log.group(f"PR branch {PR_BRANCH}: {PR_CHANGE[0]} -> {PR_CHANGE[1]}"):
        _sh(["git", "checkout", "--quiet", "-b", PR_BRANCH], project, log)
        params = project / "params.yaml"
        text = params.read_text()
        for old, new in (PR_CHANGE, *PR_DATA_CHANGES):
            text = text.replace(old, new)
        params.write_text(text)
        _sh([*dvc, "repro"], project, log)
        _sh(["git", "commit", "--quiet", "-am", "Shallower trees"], project, log)


def main(out: Path, log: Log, *, keep: bool = False) -> int:
    if importlib.util.find_spec("sklearn") is None:
        raise UsageError("the demo trains a scikit-learn model: pip install 'mlgate[demo]'")
    out = out.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="mlgate-demo-"))
    project = workdir / "project"
    try:
        build_project(project, log)
        settings = Settings(base="main", report_dir=out)
        code, output = _output(["git", "rev-parse", "HEAD"], project)
        if code != 0 or not output:
            raise DvcError(f"demo: git rev-parse HEAD failed (exit {code})")
        head = output[0].strip()
        produced = report.produce(
            settings, root=project, log=log, out_dir=out, head_sha=head, head_label=PR_BRANCH
        )
        path = write(produced)
    finally:
        if keep:
            log(f"project kept at {project}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    rep = produced.report
    print(f"\nmlgate demo: the PR {'PASSED' if rep.passed else 'FAILED'} its gates: {rep.verdict}")
    print(f"report:  {path}")
    print(f"preview: {out / 'report.html'}")
    print(f"result:  {out / 'result.json'}")
    # The demo succeeded in showing the flow whatever the verdict, so it exits 0.
    return 0
