"""Check that a release tag, the package and both actions name one version.

Usage: python scripts/check_release.py TAG [--root DIR]
Run by .github/workflows/release.yml before anything is built or published. A tag `vX.Y.Z`
must match `__version__` in src/mlgate/__init__.py (the package's version: pyproject.toml reads
it from there), the image the container action runs (action.yml `docker://...:vX.Y.Z`) and the
version the in-job action installs (in-job/action.yml `MLGATE_VERSION`). Prints one line per
disagreement and exits 1; on success writes `version` and `major` (`vX`, the tag to move) to
GITHUB_OUTPUT when set. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from pathlib import Path

TAG = re.compile(r"v(\d+)\.(\d+)\.(\d+)")
IMAGE = re.compile(r"^\s+image:\s*['\"]?docker://ghcr\.io/[\w.-]+/mlgate:v(\S+?)['\"]?\s*$", re.M)
INSTALLS = re.compile(r"^\s+MLGATE_VERSION:\s*['\"]?([^'\"\s#]+)", re.M)
DUNDER = re.compile(r"^__version__ = ['\"]([^'\"]+)['\"]", re.M)


def versions(root: Path) -> dict[str, str | None]:
    """Each place that names the version -> the version it names (None: none found)."""
    found: dict[str, str | None] = {}
    init = DUNDER.search((root / "src/mlgate/__init__.py").read_text())
    found["src/mlgate/__init__.py __version__"] = init.group(1) if init else None
    project = tomllib.loads((root / "pyproject.toml").read_text())
    static = project["project"].get("version")
    source = project.get("tool", {}).get("hatch", {}).get("version", {}).get("path")
    if static is not None or source != "src/mlgate/__init__.py":
        found["pyproject.toml version"] = static
    image = IMAGE.search((root / "action.yml").read_text())
    found["action.yml image (docker://ghcr.io/OWNER/mlgate:vX.Y.Z)"] = (
        image.group(1) if image else None
    )
    installs = INSTALLS.search((root / "in-job/action.yml").read_text())
    found["in-job/action.yml MLGATE_VERSION"] = installs.group(1) if installs else None
    return found


def check(tag: str, root: Path) -> tuple[list[str], str]:
    """(the disagreements, one line each; the version)."""
    m = TAG.fullmatch(tag)
    if not m:
        return [f"{tag}: not a release tag (vMAJOR.MINOR.PATCH)"], ""
    version = tag[1:]
    problems = [
        f"{where}: {named or 'not found'}, the tag says {version}"
        for where, named in versions(root).items()
        if named != version
    ]
    return problems, version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    problems, version = check(args.tag, args.root)
    for line in problems:
        print(f"::error::{line}")
    if problems:
        print(f"{args.tag}: {len(problems)} place(s) disagree; bump them together and tag again")
        return 1
    print(f"{args.tag}: the package, the action's image and the in-job action are {version}")
    if out := os.environ.get("GITHUB_OUTPUT"):
        with Path(out).open("a") as fh:
            fh.write(f"version={version}\nmajor=v{version.split('.')[0]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
