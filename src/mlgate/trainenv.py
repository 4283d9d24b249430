"""The training's Python environment: its own virtual environment inside the action's image, the
job's own Python everywhere else.

mlgate's packages in the image are pinned (docker/requirements.lock), and a project pinned to
`pandas<3` or `numpy<2` must still train there. So in the image (which names the environment's
place in `MLGATE_TRAINING_VENV`, relative to the workspace) the training gets a virtual
environment of its own, created in the job under the workspace, where `actions/cache` can keep
it, with the project's requirements installed into it and nothing of mlgate's. Training
commands, DVC stages and the base's training find its `python` first (`training_environ`);
mlgate itself, and the git and DVC it runs, stay in mlgate's environment.

Outside the image (a laptop, the in-job action, a GitLab job with `pip install mlgate`) the
training uses the job's own Python; a `requirements` input given explicitly is installed there.

A requirements file pip cannot install is a failed training (pip's output in the report) and
one line naming the requirement pip could not resolve (`problem`), then exit 2.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlgate import outdir, proc, redact
from mlgate.errors import UsageError
from mlgate.log import Log
from mlgate.report import Training
from mlgate.settings import Settings

VENV_VARIABLE = "MLGATE_TRAINING_VENV"  # set by the action's image: where the environment goes
ACTIVE_VARIABLE = "MLGATE_TRAINING_ENV"  # set once it is ready: the environment the training uses
STAMP = ".mlgate-env.json"
MAX_REQUIREMENTS_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Prepared:
    """The environment the training uses (None: the job's own), or why it could not be made."""

    venv: Path | None = None
    failure: Training | None = None  # pip's (or venv's) run, for the report
    problem: str = ""  # one line: what pip could not install, and the fix


def training_environ(base: Mapping[str, str]) -> dict[str, str]:
    """The environment for a training process: the training's own virtual environment first on
    PATH, as `activate` would set it, once `prepare` made one; else `base` as it is."""
    env = dict(base)
    venv = env.get(ACTIVE_VARIABLE)
    if not venv:
        return env
    env["PATH"] = os.pathsep.join(p for p in (str(Path(venv) / "bin"), env.get("PATH")) if p)
    env["VIRTUAL_ENV"] = venv
    env.pop("PYTHONHOME", None)
    return env


def requirements_file(settings: Settings, root: Path) -> Path | None:
    """The requirements input, or requirements.txt when present (inside the image only): a
    regular file of the repository, never a link (pip echoes lines it cannot parse)."""
    name = settings.requirements or "requirements.txt"
    file = root / name
    if not settings.requirements and (not os.environ.get(VENV_VARIABLE) or not file.exists()):
        return None  # the job's own Python: its packages are the job's to install
    if not file.is_file() or file.is_symlink():
        why = "is a symbolic link" if file.is_symlink() else "not found"
        raise UsageError(f"{name}: requirements file {why} (input `requirements`)")
    if not file.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"{name}: the requirements file lies outside the repository")
    if file.stat().st_size > MAX_REQUIREMENTS_BYTES:
        raise UsageError(f"{name}: larger than {MAX_REQUIREMENTS_BYTES:,} bytes")
    return file


def prepare(settings: Settings, *, root: Path, workspace: Path, log: Log) -> Prepared:
    """Make the training's environment ready; on success, mark it active in `os.environ` (read
    by `training_environ`) for this run's trainings, the base's included. Only the training's
    processes get its PATH: mlgate's own git and DVC never run what the requirements installed."""
    place = os.environ.get(VENV_VARIABLE)
    file = requirements_file(settings, root)
    cache = workspace / ".cache" / "pip"  # in the workspace: `actions/cache` can keep it
    if not place:
        if file is None:
            return Prepared()
        return _pip_install([sys.executable], file, root=root, cache=cache, log=log)
    venv = _confined(workspace, workspace / place)
    stamp = _stamp(file)
    made = Prepared()
    if _stamp_of(venv) == stamp:  # pip then only checks (files the requirements include)
        log(f"training environment {place}: reused (same Python and requirements)")
    else:
        made = _create(venv, place, log)
        if venv.is_relative_to(workspace):  # .cache/mlgate/: never committed by `git add -A`
            outdir.ignore_all(venv.parent)
    if made.failure is None and file is not None:
        made = _pip_install([str(venv / "bin" / "python")], file, root=root, cache=cache, log=log)
    if made.failure is not None:
        (venv / STAMP).unlink(missing_ok=True)
        return made
    (venv / STAMP).write_text(json.dumps(stamp) + "\n")
    os.environ[ACTIVE_VARIABLE] = str(venv)
    return Prepared(venv=venv)


def _confined(workspace: Path, venv: Path) -> Path:
    """The environment's directory, refused when a link on the way could lead it elsewhere."""
    if not venv.is_relative_to(workspace):
        return venv  # an absolute place the image chose, out of the repository's reach
    here = workspace
    for part in venv.relative_to(workspace).parts:
        here = here / part
        if here.is_symlink() or part == "..":
            raise UsageError(
                f"{venv.relative_to(workspace)}: {here.relative_to(workspace)} is a symbolic link "
                "or leads out of the workspace; the training environment must be a directory "
                "of its own (remove it from the repository)"
            )
    return venv


def _stamp(file: Path | None) -> dict[str, str]:
    """What the environment was made from: the interpreter and the requirements' bytes."""
    digest = hashlib.sha256(file.read_bytes()).hexdigest() if file is not None else ""
    return {
        "python": sys.version,
        "base": os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
        "requirements": digest,
    }


def _stamp_of(venv: Path) -> dict[str, str] | None:
    try:
        doc = json.loads((venv / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if not (venv / "bin" / "python").exists():  # a restored cache whose interpreter is gone
        return None
    return doc if isinstance(doc, dict) else None


def _create(venv: Path, place: str, log: Log) -> Prepared:
    if venv.exists():  # made from other requirements or another Python: start clean
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    return _step(
        [sys.executable, "-m", "venv", str(venv)],
        f"Creating the training environment {place}",
        cwd=venv.parent,
        log=log,
    )


def _pip_install(python: list[str], file: Path, *, root: Path, cache: Path, log: Log) -> Prepared:
    name = file.relative_to(root).as_posix() if file.is_relative_to(root) else str(file)
    cmd = [*python, "-m", "pip", "install", "--disable-pip-version-check", "-r", name]
    made = _step(
        [*cmd, "--cache-dir", str(cache)],
        f"Installing {name}",
        cwd=root,
        log=log,
        shown=f"pip install -r {name}",
        file=name,
    )
    outdir.ignore_all(cache)  # pip's cache in the workspace, .cache/pip/: not for git either
    return made


def _step(
    cmd: list[str], title: str, *, cwd: Path, log: Log, shown: str = "", file: str = ""
) -> Prepared:
    """Run one set-up command; its failure is a failed training for the report."""
    started = time.monotonic()
    # pip runs the requirements' own build code (a setup.py): through mlgate's one process
    # runner (`mlgate.proc`), so it cannot hang the job or outlive it (issue 21)
    seen: collections.deque[str] = collections.deque(maxlen=2_000)
    lines = redact.LineRedactor(redact.from_environ(os.environ))

    def keep(line: str) -> str:
        line = lines(line)
        log(line)
        seen.append(line)
        return line

    with log.group(title) as phase:
        done = proc.run(
            cmd, cwd=cwd, on_line=keep, env=os.environ, on_quiet=log.still_running(title)
        )
        phase.done(f"exit code {done.code}")
    if done.code == 0:
        return Prepared()
    output = "\n".join(seen)
    failure = Training(
        shown or " ".join(cmd),
        done.code,
        seconds=time.monotonic() - started,
        output_tail=done.tail,
    )
    if file:
        problem = f"{file}: pip could not install {unresolved(output)}; fix or relax it"
    else:
        last = (done.tail.splitlines() or ["no output"])[-1]
        problem = f"{title} failed (exit {done.code}): {last}"
    return Prepared(failure=failure, problem=problem)


_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
_CONFLICT = re.compile(r"^\s*(The user requested \S+|\S+ \S+ depends on \S+)", re.M)
_INVALID = re.compile(r"Invalid requirement: ('[^']*'|\S+)")
_BUILD = re.compile(r"Failed (?:building wheel for|to build) (\S+)")
_COLLECTING = re.compile(r"^Collecting (\S+)", re.M)


def unresolved(output: str) -> str:
    """What pip could not install, named from its output (pure): the requirement no version
    satisfies, the conflicting pins, an invalid line, or the package that failed to build."""
    if m := _NOT_FOUND.search(output):
        return f"{m.group(1)} (no version on the package index matches)"
    if "conflicting dependencies" in output or "ResolutionImpossible" in output:
        why = [c.strip().rstrip(";") for c in _CONFLICT.findall(output)]
        return "conflicting pins: " + ("; ".join(dict.fromkeys(why)) or "see pip's output")
    if m := _INVALID.search(output):
        return f"{m.group(1)} (not a valid requirement)"
    if m := _BUILD.search(output):
        return f"{m.group(1).strip('()')} (it failed to build)"
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    collecting = _COLLECTING.findall(output)
    if collecting:
        return f"{collecting[-1]} ({(errors or ['see pip output'])[-1].removeprefix('ERROR: ')})"
    return errors[-1].removeprefix("ERROR: ") if errors else "a requirement (see pip's output)"
