"""examples/gitlab/.gitlab-ci.yml: valid against the GitLab CI schema that check-jsonschema
vendors (offline: `--builtin-schema vendor.gitlab-ci`), and wired the way mlgate's GitLab
support expects (merge-request pipelines, the image's entrypoint cleared, artifacts kept)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from mlgate.gitlab.ci import METRICS_REPORT
from mlgate.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gitlab" / ".gitlab-ci.yml"


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.gitlab-ci",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_example_is_valid_gitlab_ci() -> None:
    proc = check(EXAMPLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / ".gitlab-ci.yml"
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["mlgate"]["artifacts"]["when"] = "sometimes"  # not one of on_success/on_failure/always
    broken.write_text(yaml.safe_dump(doc))
    proc = check(broken)
    assert proc.returncode != 0 and "when" in proc.stdout + proc.stderr


def test_example_runs_in_merge_request_pipelines_and_keeps_the_report() -> None:
    job = yaml.safe_load(EXAMPLE.read_text())["mlgate"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert job["image"]["entrypoint"] == [""]
    assert job["script"] == ["mlgate run"]
    report_dir = str(Settings().report_dir)
    assert job["artifacts"]["when"] == "always"
    assert f"{report_dir}/" in job["artifacts"]["paths"]
    assert job["artifacts"]["reports"]["metrics"] == f"{report_dir}/{METRICS_REPORT}"
    # inputs as MLGATE_<INPUT>: each one a real setting, accepted by the GitLab context
    from mlgate.gitlab.ci import settings_from_environ

    inputs = {k: str(v) for k, v in job["variables"].items() if k.startswith("MLGATE_")}
    settings = settings_from_environ(inputs)
    assert settings.repro is True and settings.plots == "assets"
    # the token is a masked CI/CD variable of the project, never written in the file
    assert "MLGATE_GITLAB_TOKEN" not in job["variables"]


def test_the_example_offers_pip_install_in_the_users_own_image() -> None:
    doc = yaml.safe_load(EXAMPLE.read_text())
    container, own = doc["mlgate"], doc[".mlgate-in-your-image"]  # hidden: renamed to choose it
    for key in ("stage", "rules", "variables", "cache", "artifacts"):
        assert own[key] == container[key], key
    assert own["script"] == ["pip install -r requirements.txt mlgate", "mlgate run"]
    assert "MLGATE_IMAGE" not in str(own["image"])
    assert ".cache/" in container["cache"]["paths"]  # the training's environment, kept
