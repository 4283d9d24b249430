"""The release (issue 24, item 4): scripts/check_release.py refuses a tag that the package or
either action disagrees with, and .github/workflows/release.yml runs it before anything is built,
publishes by trusted publishing and moves the major tag last. actionlint runs on the workflow in
test_action_files.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlgate import __version__

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_release.py"
FILES = ["src/mlgate/__init__.py", "pyproject.toml", "action.yml", "in-job/action.yml"]
TAG = f"v{__version__}"


def check(root: Path, tag: str, output: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"} | ({"GITHUB_OUTPUT": str(output)} if output else {})
    return subprocess.run(
        [sys.executable, str(SCRIPT), tag, "--root", str(root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_the_repository_agrees_with_its_own_version(tree: Path) -> None:
    out = tree / "github_output"
    proc = check(tree, TAG, out)
    assert proc.returncode == 0, proc.stdout
    major = __version__.split(".")[0]
    assert out.read_text() == f"version={__version__}\nmajor=v{major}\n"


def test_a_tag_the_files_do_not_name_is_refused_file_by_file(tree: Path) -> None:
    proc = check(tree, "v99.0.0")
    assert proc.returncode == 1
    errors = [line for line in proc.stdout.splitlines() if line.startswith("::error::")]
    assert [e.removeprefix("::error::").split(" ")[0] for e in errors] == [
        "src/mlgate/__init__.py",
        "action.yml",
        "in-job/action.yml",
    ]
    assert all(e.endswith(f"{__version__}, the tag says 99.0.0") for e in errors)


@pytest.mark.parametrize(
    ("rel", "old", "new", "where"),
    [
        ("src/mlgate/__init__.py", f'"{__version__}"', '"9.9.9"', "__version__: 9.9.9"),
        ("action.yml", f"mlgate:v{__version__}", "mlgate:v9.9.9", "image"),
        ("action.yml", f"docker://ghcr.io/mlgate/mlgate:v{__version__}", "Dockerfile", "image"),
        ("in-job/action.yml", f'MLGATE_VERSION: "{__version__}"', 'MLGATE_VERSION: "9"', "9,"),
        ("pyproject.toml", 'dynamic = ["version"]', 'version = "9.9.9"', "pyproject.toml"),
    ],
    ids=["package", "image tag", "image built per job", "in-job", "static version"],
)
def test_one_file_bumped_alone_stops_the_release(
    tree: Path, rel: str, old: str, new: str, where: str
) -> None:
    text = (tree / rel).read_text()
    assert old in text
    (tree / rel).write_text(text.replace(old, new))
    proc = check(tree, TAG)
    assert proc.returncode == 1
    [error] = [line for line in proc.stdout.splitlines() if line.startswith("::error::")]
    assert rel in error and where in error


@pytest.mark.parametrize("tag", ["0.1.0", "v1", "v1.2", "v1.2.3-rc1", "latest"])
def test_only_version_tags_release(tree: Path, tag: str) -> None:
    proc = check(tree, tag)
    assert proc.returncode == 1
    assert "not a release tag (vMAJOR.MINOR.PATCH)" in proc.stdout


def test_the_workflow_checks_first_publishes_trusted_and_moves_the_major_tag_last() -> None:
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    on = wf[True]  # YAML 1.1 reads the key `on` as true
    assert on["push"]["tags"] == ["v[0-9]+.[0-9]+.[0-9]+"]
    jobs = wf["jobs"]
    [step] = [s for s in jobs["check"]["steps"] if s.get("id") == "versions"]
    assert step["run"] == 'python scripts/check_release.py "$GITHUB_REF_NAME"'

    def needs(job: str) -> set[str]:
        direct = jobs[job].get("needs", [])
        direct = [direct] if isinstance(direct, str) else direct
        return set(direct).union(*(needs(j) for j in direct))

    for job in ("dist", "image", "pypi", "major-tag"):
        assert "check" in needs(job), job
    assert {"pypi", "image"} <= needs("major-tag")
    pypi = jobs["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}  # trusted publishing, no stored token
    assert any(s.get("uses", "").startswith("pypa/gh-action-pypi-publish") for s in pypi["steps"])
    assert not any("password" in s.get("with", {}) for s in pypi["steps"])
    image = next(s for s in jobs["image"]["steps"] if "build-push" in s.get("uses", ""))
    assert "${{ github.ref_name }}" in image["with"]["tags"]
    assert "${{ needs.check.outputs.major }}" in image["with"]["tags"]
    assert jobs["deps-image"]["outputs"]["image"] in "${{ steps.tag.outputs.image }}"
