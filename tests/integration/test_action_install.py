"""mlgate as users install it (issue 24, items 1 and 2): the wheel built from this repository,
installed into a fresh virtual environment, run from another directory; and the in-job action
(in-job/action.yml) run as the runner runs a composite action (tests/composite.py), installing
into the job's own Python and publishing to the fake GitHub.

The fresh environment's dependencies come from the package index as for any user (this is the
one test that needs it, as the container test does for the image)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

from mlgate import __version__
from tests import composite
from tests.fake_github import runner_environment
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    INSTALLATION,
    Runner,
    github,
    head,
    project,
    runner,
)
from tests.wheels import make_wheel

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
IN_JOB = ROOT / "in-job"
PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
# what a checkout accumulates: none of it may reach the wheel
LITTER = [
    "examples/demo-project/data/train.csv",
    "examples/demo-project/model/model.pkl",
    "examples/demo-project/metrics.json",
    "examples/demo-project/dvc.lock",
    "examples/demo-project/.dvc/cache/files/md5/ab/cdef",
    "examples/demo-project/plots/roc.json",
    "examples/demo-project/src/__pycache__/train.cpython-311.pyc",
    "src/mlgate/__pycache__/cli.cpython-311.pyc",
    "src/mlgate/.mypy_cache/x.json",
    ".pytest_cache/v/cache/lastfailed",
    ".cache/pip/http/x",
]


def tracked(prefix: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", prefix], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [p for p in out.decode().split("\0") if p]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built (offline, hatchling from the test environment) from a copy of the tracked files
    with a checkout's litter added."""
    tree = tmp_path_factory.mktemp("checkout")
    for rel in tracked("."):
        if (ROOT / rel).is_file():
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, tree / rel)
    for rel in LITTER:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text("litter")
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [*PIP_WHEEL, "-w", str(dist), str(tree)],
        check=True,
        capture_output=True,
    )
    [built] = dist.glob("mlgate-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with nothing but the wheel and its `demo` extra: built once per
    test run and shared by the xdist workers (the documented FileLock pattern), since installing
    dvc, scikit-learn, pandas and matplotlib is most of this module's time."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent / f"fresh-venv-{run}" if run else base / "fresh-venv"
    shared.mkdir(parents=True, exist_ok=True)
    venv = shared / "venv"
    with FileLock(str(shared / "lock")):
        if not (shared / "complete").is_file():
            _install_fresh(venv, wheel)
            (shared / "complete").write_text("ok\n")
    return venv


def _install_fresh(venv: Path, wheel: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    proc = subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--disable-pip-version-check",
            "-q",
            "--no-compile",  # bytecode of ~120 packages: 20 s of CPU; imports compile their own
            f"{wheel}[demo]",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def clean_env(venv: Path) -> dict[str, str]:
    """A shell of a user who activated the fresh environment: nothing of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}/usr/local/bin:/usr/bin:/bin"
    return env


def test_the_wheel_holds_the_package_and_the_demo_and_nothing_else(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    info = f"mlgate-{__version__}.dist-info/"
    assert wheel.name == f"mlgate-{__version__}-py3-none-any.whl"
    assert [n for n in names if not n.startswith(("mlgate/", info))] == []
    assert [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "cache/" in n] == []
    demo = sorted(n.removeprefix("mlgate/_demo_project/") for n in names if "_demo_project" in n)
    expected = sorted(
        p.removeprefix("examples/demo-project/") for p in tracked("examples/demo-project")
    )
    assert demo == expected
    package = sorted(n for n in names if n.startswith("mlgate/") and "_demo_project" not in n)
    assert package == sorted(p.removeprefix("src/") for p in tracked("src/mlgate"))


def test_the_installed_wheel_runs_the_demo_and_reports_from_any_directory(
    fresh: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    mlgate = str(fresh / "bin" / "mlgate")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [mlgate, *args],
            check=False,
            cwd=elsewhere,
            env=clean_env(fresh),
            capture_output=True,
            text=True,
        )

    assert run("--version").stdout == f"mlgate {__version__}\n"
    demo = run("demo", "--out", "demo-report", "--keep")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "mlgate demo: the PR FAILED its gates: 2 of 4 gates failed" in demo.stdout
    report = (elsewhere / "demo-report" / "report.md").read_text()
    assert "## ❌ mlgate report: 2 of 4 gates failed" in report
    assert (elsewhere / "demo-report" / "plots").is_dir()
    # the demo's project, trained by the wheel's DVC with the fresh environment's scikit-learn
    kept = next(
        line for line in demo.stderr.splitlines() + demo.stdout.splitlines() if "kept at" in line
    )
    project = Path(kept.split("kept at ")[1].strip())
    again = run("report", "-C", str(project), "--base", "main", "--out", str(tmp_path / "r"))
    assert again.returncode == 1, again.stdout + again.stderr  # the demo's PR fails its gates
    assert "2 of 4 gates failed" in (tmp_path / "r" / "report.md").read_text()
    shutil.rmtree(project.parent, ignore_errors=True)
    outside = run("run")
    assert outside.returncode == 2
    assert "use `mlgate report` outside GitHub Actions" in outside.stderr
    assert "Traceback" not in outside.stderr


# --- the in-job action --------------------------------------------------------------------


def test_the_in_job_actions_inputs_and_outputs_are_the_container_actions() -> None:
    container = yaml.safe_load((ROOT / "action.yml").read_text())
    in_job = yaml.safe_load((IN_JOB / "action.yml").read_text())
    assert in_job["inputs"] == container["inputs"]
    assert {k: v["description"] for k, v in in_job["outputs"].items()} == {
        k: v["description"] for k, v in container["outputs"].items()
    }
    assert in_job["runs"]["using"] == "composite"
    [install, run] = in_job["runs"]["steps"]
    # every input reaches `mlgate run` as the runner gives it to the container (INPUT_<NAME>)
    assert {k: v for k, v in run["env"].items() if k.startswith("INPUT_")} == {
        f"INPUT_{name.upper().replace('-', '_')}": f"${{{{ inputs.{name} }}}}"
        for name in container["inputs"]
    }
    for name in container["outputs"]:
        assert in_job["outputs"][name]["value"] == f"${{{{ steps.{run['id']}.outputs.{name} }}}}"
    assert install["env"]["MLGATE_VERSION"] == __version__


@pytest.fixture
def job(
    runner: Runner, fresh: Path, wheel: Path, tmp_path: Path
) -> Callable[..., composite.Result]:
    """The in-job action in a job whose Python (first on PATH, as actions/setup-python leaves
    it) is the fresh environment; mlgate installed from the wheel instead of the index."""
    runner.repo.write(".gitignore", "mlgate-report/\n")
    runner.repo.commit("ignore the report")
    runner.github.state.add_pull(7, head(runner.repo), head_ref="feature")

    def call(
        token: str = INSTALLATION, extra: dict[str, str] | None = None, **inputs: str
    ) -> composite.Result:
        event = runner.pr_event()
        env = clean_env(fresh) | runner_environment(
            runner.github,
            token=token,
            event_name="pull_request",
            event_path=str(event),
            workspace=str(runner.repo.path),
            output=str(tmp_path / "unused"),
            summary=str(tmp_path / "summary.md"),
        )
        env.pop("GITHUB_TOKEN", None)  # the action's input, not the job's variable, carries it
        env["MLGATE_INSTALL"] = str(wheel)
        env.update(extra or {})
        steps = tmp_path / "steps"
        steps.mkdir(exist_ok=True)
        return composite.run(
            IN_JOB, inputs=inputs, env=env, cwd=runner.repo.path, token=token, tmp=steps
        )

    return call


def test_the_in_job_action_trains_with_the_jobs_python_and_publishes(
    job: Callable[..., composite.Result], runner: Runner, fresh: Path, tmp_path: Path
) -> None:
    # a `requirements` input, in-job, goes into the job's own Python (offline: a local wheel)
    make_wheel(tmp_path / "wheels", "beta", "2.0")
    runner.repo.write("requirements-train.txt", "beta==2.0\n")
    runner.repo.commit("the training's requirements")
    runner.github.state.add_pull(7, head(runner.repo), head_ref="feature")
    result = job(
        extra={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "wheels")},
        run="python -c 'import sys, beta; print(\"trained with\", sys.prefix, beta.__version__)'",
        requirements="requirements-train.txt",
    )
    assert result.code == 0, result.log
    assert result.steps_run == ["install", "run"]
    assert f"trained with {fresh} 2.0" in result.log
    [comment] = runner.github.state.comments[7]
    assert "all 1 gate passed" in comment["body"]
    assert f"trained with {fresh} 2.0" in comment["body"]
    [status] = runner.github.state.statuses
    assert (status["sha"], status["state"]) == (head(runner.repo), "success")
    assert result.outputs["passed"] == "true"
    assert result.outputs["comment-url"].endswith(f"#issuecomment-{comment['id']}")
    assert Path(result.outputs["report-path"]).is_file()


def test_the_in_job_action_without_a_token_behaves_as_the_container(
    job: Callable[..., composite.Result], runner: Runner
) -> None:
    result = job(token="", **{"github-token": ""})
    # the container action: the same inputs as INPUT_* variables, `mlgate run` in-process
    runner.env(runner.pr_event(), token="", **{"github_token": ""})
    runner.monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code = runner.run()
    warning = (
        "::warning::no GitHub token (input `github-token`): the report is in the job summary only"
    )
    assert (result.code, code) == (0, 0), result.log + runner.err
    assert warning in result.log and warning in runner.err
    assert result.outputs["passed"] == runner.outputs()["passed"] == "true"
    assert result.outputs["comment-url"] == runner.outputs()["comment-url"] == ""
    assert runner.github.state.comments[7] == [] and runner.github.state.statuses == []


def fake_python(tmp_path: Path, version: str) -> Path:
    exe = tmp_path / f"python{version}"
    exe.write_text(f"#!/bin/sh\necho {version}\n")
    exe.chmod(0o755)
    return exe


@pytest.mark.parametrize("version", ["3.9", "3.10", "2.7"])
def test_the_in_job_action_on_an_unsupported_python_says_which_are_supported(
    tmp_path: Path, version: str
) -> None:
    python = fake_python(tmp_path, version)
    env = {"PATH": os.environ["PATH"], "MLGATE_PYTHON": str(python)}
    result = composite.run(IN_JOB, inputs={}, env=env, cwd=tmp_path, tmp=tmp_path)
    assert (result.code, result.steps_run) == (2, ["install"])
    assert result.log.splitlines() == [
        f"::error title=mlgate::this job's Python is {version} ({python}); mlgate supports Python "
        '3.11, 3.12 and 3.13: add actions/setup-python with python-version: "3.12" before mlgate, '
        "or set MLGATE_PYTHON to such an interpreter"
    ]


def test_the_supported_versions_are_the_packages() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    said = (IN_JOB / "install.sh").read_text()
    classifiers = sorted(
        set(re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject))
    )
    assert f'SUPPORTED="{", ".join(classifiers[:-1])} and {classifiers[-1]}"' in said
    assert f'requires-python = ">={classifiers[0]}"' in pyproject
