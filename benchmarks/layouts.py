"""mlgate against DVC on the conformance suites' layouts, side by side (`make bench`).

For each layout: `mlgate diff --json` vs `dvc metrics diff --json`, and `mlgate report` vs the
three DVC diff commands (metrics, params, plots) run one after the other. A project in a
subdirectory is run as CI runs it: mlgate from the top of the clone with `-C DIR`, DVC in DIR.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from timing import BIN, ENV, median_interleaved

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.update({k: v for k, v in ENV.items() if k.startswith(("GIT_", "DVC_"))})
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"  # the stages' `python`

from tests.integration import test_conformance as conf  # noqa: E402 - after sys.path
from tests.integration import test_conformance_projects as projects  # noqa: E402

AT_ROOT = ("git_tracked", "directory_output", "remote_only", "dvclive", "foreach")


def at_root(name: str, tmp: Path) -> tuple[Path, str]:
    path = tmp / "repo"
    if name == "remote_only":
        path.mkdir()
        repo = conf.Repo(path)
    else:
        repo = conf.new_repo(path)
    conf.LAYOUTS[name](repo)
    return path, "."


def in_project(name: str, fetch: bool = False) -> Callable[[str, Path], tuple[Path, str]]:
    """A layout of test_conformance_projects; with `fetch`, the base's objects are fetched
    into the clone's local cache first (no remote read, no DVC import for the base)."""

    def build(_name: str, tmp: Path) -> tuple[Path, str]:
        clone, dirs = projects.LAYOUTS[name](tmp)
        if fetch:
            conf.Repo(clone.path / dirs[0]).dvc("fetch", "--quiet", "--all-branches")
        return clone.path, dirs[0]

    return build


LAYOUTS: dict[str, Callable[[str, Path], tuple[Path, str]]] = {
    **dict.fromkeys(AT_ROOT, at_root),
    "subdirectory proj/, base only in the remote": in_project("subdirectory"),
    "subdirectory proj/, base in the local cache": in_project("subdirectory", fetch=True),
    "subrepo proj/ (foreach), base only in the remote": in_project("subrepo"),
}


def compare(top: Path, directory: str, out: Path) -> dict[str, float]:
    dvc, mlgate = str(BIN / "dvc"), str(BIN / "mlgate")
    where = ["-C", directory]
    three = [
        "sh",
        "-c",
        f"cd {directory} && {dvc} metrics diff main --json >/dev/null && {dvc} params diff main "
        f"--json >/dev/null && {dvc} plots diff main --json -o {out}/dvc_plots >/dev/null",
    ]
    t = median_interleaved(
        {
            "mlgate diff": [mlgate, "diff", *where, "--base", "main", "--json"],
            "dvc metrics diff": ["sh", "-c", f"cd {directory} && {dvc} metrics diff main --json"],
            "mlgate report": [mlgate, "report", *where, "--base", "main", "--out", str(out)],
            "dvc x3": three,
        },
        cwd=top,
    )
    return {
        **t,
        "diff ratio": t["mlgate diff"] / t["dvc metrics diff"],
        "report ratio": t["mlgate report"] / t["dvc x3"],
    }


def layouts() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, build in LAYOUTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            top, directory = build(name, Path(tmp))
            out[name] = compare(top, directory, Path(tmp) / "out")
    return out


def table(results: dict[str, dict[str, float]]) -> str:
    """The table of docs/benchmarks.md: the two ratios per layout."""
    lines = ["| layout | diff ratio | report ratio |", "|---|---|---|"]
    for name, row in results.items():
        lines.append(f"| {name} | {row['diff ratio']:.2f} | {row['report ratio']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":  # the layouts alone: python benchmarks/layouts.py
    found = layouts()
    print(json.dumps(found, indent=2))
    print(table(found))
