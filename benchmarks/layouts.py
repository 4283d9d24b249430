"""mlgate against DVC on the conformance suites' layouts, side by side (`make bench`).

For each layout: `mlgate diff --json` vs `dvc metrics diff --json`, and `mlgate report` vs the
three DVC diff commands (metrics, params, plots) run one after the other. A project in a
subdirectory is run as CI runs it: mlgate from the top of the clone with `-C DIR`, DVC in DIR.
"""

from __future__ import annotations

import json
import os
import subprocess
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


def _sh(root: Path, *args: str) -> None:
    subprocess.run(args, cwd=root, env=ENV, check=True, capture_output=True)


def _project(tmp: Path, dvc_yaml: str, write: Callable[[Path, int], None]) -> Path:
    """A git + DVC project: `write(root, 0)` committed on main, `write(root, 1)` in the
    workspace."""
    root = tmp / "repo"
    root.mkdir()
    _sh(root, "git", "init", "-q", "-b", "main")
    _sh(root, str(BIN / "dvc"), "init", "-q")
    (root / "dvc.yaml").write_text(dvc_yaml)
    (root / "params.yaml").write_text("lr: 0.1\n")
    for rev in (0, 1):
        (root / "metrics.json").write_text(json.dumps({"acc": 0.9 + rev / 100, "loss": 0.2}))
        write(root, rev)
        if rev == 0:
            _sh(root, "git", "add", "-A")
            _sh(root, "git", "commit", "-qm", "base")
    return root


def one_plot(_name: str, tmp: Path) -> tuple[Path, str]:
    """Metrics, params and one line plot (200 points), git-tracked (issue 22: <= 0.5x)."""

    def write(root: Path, rev: int) -> None:
        rows = "\n".join(f"{i},{1 / (i + 1) + rev * 0.01:.5f}" for i in range(200))
        (root / "loss.csv").write_text("step,loss\n" + rows + "\n")

    yaml = (
        "metrics:\n  - metrics.json\nparams:\n  - params.yaml\n"
        "plots:\n  - loss.csv:\n      x: step\n      y: loss\n"
    )
    return _project(tmp, yaml, write), "."


IMAGES = 15


def image_directory(_name: str, tmp: Path) -> tuple[Path, str]:
    """Metrics, params and a directory of 15 PNG images (640x480) that all change at head
    (issue 22: <= 1.0x)."""
    import numpy as np
    from PIL import Image

    def write(root: Path, rev: int) -> None:
        (root / "images").mkdir(exist_ok=True)
        for i in range(IMAGES):
            rng = np.random.default_rng(i * 2 + rev)
            pixels = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
            img = Image.fromarray(pixels).resize((640, 480), Image.Resampling.NEAREST)
            img.save(root / "images" / f"sample{i:02}.png")

    yaml = "metrics:\n  - metrics.json\nparams:\n  - params.yaml\nplots:\n  - images\n"
    return _project(tmp, yaml, write), "."


REPORT_LAYOUTS: dict[str, Callable[[str, Path], tuple[Path, str]]] = {
    "one line plot": one_plot,
    f"image directory, {IMAGES} images a revision": image_directory,
}

LAYOUTS: dict[str, Callable[[str, Path], tuple[Path, str]]] = {
    **dict.fromkeys(AT_ROOT, at_root),
    "subdirectory proj/, base only in the remote": in_project("subdirectory"),
    "subdirectory proj/, base in the local cache": in_project("subdirectory", fetch=True),
    "subrepo proj/ (foreach), base only in the remote": in_project("subrepo"),
    **REPORT_LAYOUTS,
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


def layouts(
    chosen: dict[str, Callable[[str, Path], tuple[Path, str]]] = LAYOUTS,
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, build in chosen.items():
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


if __name__ == "__main__":  # the layouts alone: python benchmarks/layouts.py [plots]
    found = layouts(REPORT_LAYOUTS if sys.argv[1:] == ["plots"] else LAYOUTS)
    print(json.dumps(found, indent=2))
    print(table(found))
