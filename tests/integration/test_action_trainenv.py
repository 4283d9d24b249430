"""The training's own environment, as the action's image sets it up (issue 24, item 3): the
requirements go into a virtual environment made in the job under the workspace, not into
mlgate's; `run` commands and DVC stages find its `python` first; a requirements file pip cannot
install is exit 2 with one line naming the requirement and pip's output in the report.

Offline and real: pip installs tiny wheels made on disk (`--no-index --find-links`); the
package `tabulate` 0.1.0 stands for a pin that conflicts with mlgate's own (`tabulate>=0.9`)."""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata
from pathlib import Path

import pytest
import tabulate

from mlgate.trainenv import ACTIVE_VARIABLE, VENV_VARIABLE
from tests.conftest import Repo
from tests.integration.test_github import Runner, github, head, runner  # noqa: F401  (fixtures)
from tests.wheels import make_wheel

pytestmark = pytest.mark.slow

TRAIN = """\
import json, sys
import tabulate
print("training saw tabulate", tabulate.__version__, "in", sys.prefix)
json.dump({"acc": 0.91}, open("metrics.json", "w"))
"""
RUN = "python -c 'import sys; print(\"run saw\", sys.prefix)' && dvc repro"
PLACE = ".cache/mlgate/venv"


@pytest.fixture
def wheels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    found = tmp_path / "wheels"
    make_wheel(found, "tabulate", "0.1.0")
    make_wheel(found, "alpha", "1.0", requires=("beta>=2",))
    make_wheel(found, "beta", "1.0")
    make_wheel(found, "beta", "2.0")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(found))
    monkeypatch.setenv(VENV_VARIABLE, PLACE)  # as the action's image sets it
    return found


@pytest.fixture
def project(repo: Repo, wheels: Path) -> Repo:
    """A DVC stage whose script imports `tabulate`; a PR that changes the script. (Replaces
    test_github's `project` under its `runner` fixture.)"""
    repo.write(".gitignore", ".cache/\n")
    repo.write(
        "dvc.yaml",
        "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py]\n"
        "    metrics:\n      - metrics.json:\n          cache: false\n",
    )
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.01\n")
    repo.write("train.py", TRAIN.replace("0.91", "0.90"))
    repo.write("metrics.json", {"acc": 0.90})
    repo.write("requirements.txt", "tabulate==0.1.0\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("train.py", TRAIN)
    repo.commit("better model")
    return repo


def report(runner: Runner) -> str:
    return (runner.repo.path / "mlgate-report" / "report.md").read_text()


def test_training_sees_its_own_pins_and_mlgate_keeps_its_own(runner: Runner) -> None:
    runner.env(runner.pr_event(), run=RUN)
    assert runner.run() == 0, runner.err
    venv = runner.repo.path / PLACE
    # the `run` command and the DVC stage both ran the environment's python
    assert f"run saw {venv}" in runner.err
    assert f"training saw tabulate 0.1.0 in {venv}" in runner.err
    [comment] = runner.github.state.comments[7]
    assert "training saw tabulate 0.1.0" in comment["body"]  # the version the training saw
    assert "all 1 gate passed" in comment["body"]
    assert metadata.version("tabulate") != "0.1.0"  # mlgate's own environment is untouched
    assert not list(Path(sys.prefix).glob("lib/python*/site-packages/tabulate-0.1.0.dist-info"))
    stamp = json.loads((venv / ".mlgate-env.json").read_text())
    assert stamp["python"] == sys.version
    # the next run (the environment restored by actions/cache) makes no new one; pip checks
    assert runner.run() == 0, runner.err
    assert f"training environment {PLACE}: reused" in runner.err
    assert "Creating the training environment" not in runner.err
    assert "Requirement already satisfied: tabulate==0.1.0" in runner.err
    # changed requirements: a fresh environment, nothing left of the last one
    marker = venv / "lib" / "left-over"
    marker.write_text("from the last requirements")
    runner.repo.write("requirements.txt", "tabulate==0.1.0\nbeta==2.0\n")
    assert runner.run() == 0, runner.err
    assert "Creating the training environment" in runner.err
    assert not marker.exists()


@pytest.mark.parametrize(
    ("requirements", "line"),
    [
        (
            "tabulate==9.9.9\n",
            "requirements.txt: pip could not install tabulate==9.9.9 (no version on the "
            "package index matches); fix or relax it",
        ),
        (
            "alpha==1.0\nbeta==1.0\n",
            "requirements.txt: pip could not install conflicting pins: The user requested "
            "beta==1.0; alpha 1.0 depends on beta>=2; fix or relax it",
        ),
    ],
    ids=["no such version", "conflicting pins"],
)
def test_an_uninstallable_requirements_file_is_exit_2_with_pips_output_in_the_report(
    runner: Runner, requirements: str, line: str
) -> None:
    runner.repo.write("requirements.txt", requirements)
    runner.repo.commit("pins nobody can meet")
    runner.github.state.add_pull(7, head(runner.repo), head_ref="feature")
    runner.env(runner.pr_event(), run=RUN)
    assert runner.run() == 2, runner.err
    errors = [x for x in runner.err.splitlines() if x.startswith("::error")]
    assert len(errors) == 1 and errors[0].endswith(line), runner.err
    assert "Traceback" not in runner.err and "training saw" not in runner.err
    text = report(runner)
    assert "## ❌ mlgate report: training failed \\(exit 1\\): pip install -r requirements" in text
    assert "❌ pip install -r requirements.txt failed with exit code 1" in text
    assert "ERROR: " in text  # pip's own words, in the report's output section
    [comment] = runner.github.state.comments[7]
    assert "pip install -r requirements.txt" in comment["body"]


def test_a_committed_link_cannot_move_the_environment(runner: Runner, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (runner.repo.path / ".cache").mkdir()
    os.symlink(outside, runner.repo.path / ".cache" / "mlgate")
    runner.env(runner.pr_event(), run=RUN)
    assert runner.run() == 2, runner.err
    assert ".cache/mlgate is a symbolic link" in runner.err
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("target", ["/etc/passwd", "requirements-real.txt"])
def test_a_requirements_file_that_is_a_link_is_refused(runner: Runner, target: str) -> None:
    (runner.repo.path / "requirements-real.txt").write_text("tabulate==0.1.0\n")
    (runner.repo.path / "requirements.txt").unlink()
    os.symlink(target, runner.repo.path / "requirements.txt")
    runner.env(runner.pr_event(), run=RUN)
    assert runner.run() == 2, runner.err
    assert "requirements.txt: requirements file is a symbolic link" in runner.err
    assert "root:" not in runner.err and "Installing" not in runner.err


def test_outside_the_image_the_training_uses_the_jobs_python(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(VENV_VARIABLE)
    runner.repo.write("train.py", TRAIN.replace("import tabulate", "import tabulate  # mlgate's"))
    runner.repo.commit("same")
    runner.github.state.add_pull(7, head(runner.repo), head_ref="feature")
    runner.env(runner.pr_event(), run=RUN)
    assert runner.run() == 0, runner.err
    assert f"training saw tabulate {tabulate.__version__} in {sys.prefix}" in runner.err
    assert "Installing" not in runner.err  # the job's packages are the job's to install
    assert not (runner.repo.path / ".cache" / "mlgate" / "venv").exists()
    assert not os.environ.get(ACTIVE_VARIABLE)
