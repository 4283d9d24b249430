"""A composite action run the way the GitHub runner runs one (no runner can run here): its
inputs with their defaults, each step's `env:` and `run:` with `${{ }}` expressions evaluated,
`shell: bash` as `bash --noprofile --norc -eo pipefail`, GITHUB_ACTION_PATH and a GITHUB_OUTPUT
file per step, the steps after a failing one skipped, and the action's outputs from its steps'.

Only the expressions the runner would evaluate for our file are supported (`inputs.*`,
`steps.*.outputs.*`, `github.token`, `github.action_path`); any other is an error, so the test
fails rather than run something the runner would not."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
_HEREDOC = re.compile(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", re.S | re.M)
_PLAIN = re.compile(r"^([\w-]+)=(.*)$", re.M)


@dataclass
class Result:
    code: int
    log: str
    outputs: dict[str, str] = field(default_factory=dict)
    steps_run: list[str] = field(default_factory=list)


def read_outputs(path: Path) -> dict[str, str]:
    text = path.read_text() if path.exists() else ""
    out = {m.group(1): m.group(3) for m in _HEREDOC.finditer(text)}
    rest = _HEREDOC.sub("", text)
    out.update({m.group(1): m.group(2) for m in _PLAIN.finditer(rest)})
    return out


def run(
    action_dir: Path,
    *,
    inputs: dict[str, str],
    env: dict[str, str],
    cwd: Path,
    token: str = "",
    tmp: Path,
) -> Result:
    action: dict[str, Any] = yaml.safe_load((action_dir / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    unknown = set(inputs) - set(action["inputs"])
    assert not unknown, f"inputs the action does not declare: {unknown}"
    steps: dict[str, dict[str, str]] = {}
    github = {"token": token, "action_path": str(action_dir)}

    def evaluate(text: str, values: dict[str, str]) -> str:
        def one(m: re.Match[str]) -> str:
            expr = m.group(1)
            if expr.startswith("inputs."):
                return values[expr.removeprefix("inputs.")]
            if m2 := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
                return steps.get(m2.group(1), {}).get(m2.group(2), "")
            if expr.startswith("github."):
                return github[expr.removeprefix("github.")]
            raise AssertionError(f"expression the test runner does not evaluate: {expr}")

        return _EXPR.sub(one, str(text))

    values: dict[str, str] = {}
    for name, spec in action["inputs"].items():
        values[name] = inputs.get(name, evaluate(str(spec.get("default", "")), {}))
    log, code, ran = [], 0, []
    for i, step in enumerate(action["runs"]["steps"]):
        assert step.get("shell") == "bash", "each run step names its shell"
        sid = step.get("id", f"step{i}")
        output = tmp / f"output-{sid}"
        output.write_text("")
        step_env = {k: evaluate(v, values) for k, v in step.get("env", {}).items()}
        script = tmp / f"step-{sid}.sh"
        script.write_text(evaluate(step["run"], values))
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env={
                **env,
                **step_env,
                "GITHUB_ACTION_PATH": str(action_dir),
                "GITHUB_OUTPUT": str(output),
            },
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        ran.append(sid)
        log.append(proc.stdout + proc.stderr)
        steps[sid] = read_outputs(output)
        if proc.returncode != 0:
            code = proc.returncode
            break
    outputs = {name: evaluate(spec["value"], values) for name, spec in action["outputs"].items()}
    return Result(code, "".join(log), outputs, ran)
