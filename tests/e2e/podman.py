"""Podman as this workplace allows it (as root): runc, host network, no pulls, and a
containers.conf with `default_ulimits = []`. Builds the stand-in base image from Debian packages
(debootstrap), cached in podman's storage and as a tarball between runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

# The dependency image's default base (docker/deps.Dockerfile `ARG PYTHON_IMAGE`).
BASE_TAG = "docker.io/library/python:3.11-slim-bookworm"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlgate-e2e"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
PACKAGES = "python3,python3-venv,python-is-python3,git,ca-certificates"


def conf() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "containers.conf"
    path.write_text("[containers]\ndefault_ulimits = []\n")
    return path


def env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(conf())}


def podman(
    *args: str, check: bool = True, timeout: float = 1800, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        ["podman", "--runtime", "runc", *args],
        env=env(),
        input=input,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"podman {args[0]} failed ({proc.returncode}):\n"
            f"{proc.stdout.decode(errors='replace')[-3000:]}\n"
            f"{proc.stderr.decode(errors='replace')[-3000:]}"
        )
    return proc


def why_not_usable() -> str | None:
    """None when podman can build and run here; otherwise the reason, for the skip message."""
    if os.environ.get("MLGATE_SKIP_CONTAINER"):
        return "MLGATE_SKIP_CONTAINER is set"
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (.ci/setup installs it as root)"
    if os.geteuid() != 0:
        return "podman builds here need root"
    try:
        podman("info", timeout=120)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return f"podman cannot run: {str(exc).splitlines()[0]}"
    return None


def image_exists(tag: str) -> bool:
    return podman("image", "exists", tag, check=False).returncode == 0


def ensure_standin_base() -> str:
    """Tag a Debian (bookworm) root filesystem with python3 and git as the Dockerfile's FROM."""
    if image_exists(BASE_TAG):
        return BASE_TAG
    tarball = CACHE / "standin-rootfs-v2.tar"
    if not tarball.exists():
        if shutil.which("debootstrap") is None:
            raise RuntimeError("debootstrap is not installed (.ci/setup installs it)")
        with tempfile.TemporaryDirectory(prefix="standin-") as tmp:
            root = Path(tmp) / "rootfs"
            subprocess.run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={PACKAGES}",
                    "bookworm",
                    str(root),
                    DEBIAN_MIRROR,
                ],
                check=True,
                capture_output=True,
                timeout=1500,
            )
            # What the official slim images leave out too: docs, man pages, locales, apt caches.
            for sub in (
                "usr/share/doc",
                "usr/share/man",
                "usr/share/info",
                "usr/share/locale",
                "var/cache/apt",
                "var/lib/apt/lists",
            ):
                shutil.rmtree(root / sub, ignore_errors=True)
            partial = tarball.with_suffix(".partial")
            subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
            partial.rename(tarball)
    podman("import", "--change", 'CMD ["python3"]', str(tarball), BASE_TAG)
    return BASE_TAG


def host_pip_mounts() -> list[str]:
    """The host's CA bundle and pip configuration, so pip in a build reaches the same index."""
    mounts = []
    for path in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pip.conf", "/etc/xdg/pip"):
        if Path(path).exists():
            mounts += ["-v", f"{path}:{path}:ro"]
    return mounts


def build(context: Path, dockerfile: str, tag: str, build_args: Sequence[str] = ()) -> float:
    import time

    start = time.monotonic()
    args = [
        "build",
        "--network",
        "host",
        "--pull=never",
        "-f",
        dockerfile,
        "-t",
        tag,
        *host_pip_mounts(),
    ]
    for arg in build_args:
        args += ["--build-arg", arg]
    podman(*args, str(context))
    return time.monotonic() - start


def image_size(tag: str) -> int:
    out = podman("image", "inspect", "--format", "{{.Size}}", tag).stdout.decode().strip()
    return int(out)
