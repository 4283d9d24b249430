"""The DVC adapter: the local cache, fetching base objects from a remote, and `dvc repro`.

DVC itself is imported only here, and only inside the functions that need it, so that commands
which never touch a remote (and `mlgate --help`) do not pay for importing it.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from mlgate.sources.pipeline import LockedOut
from mlgate.sources.revision import FileRead

Log = Callable[[str], None]


def _config(root: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    for name in ("config", "config.local"):
        file = root / ".dvc" / name
        if file.is_file():
            with contextlib.suppress(configparser.Error):
                parser.read_string(file.read_text(encoding="utf-8"), str(file))
    return parser


def cache_dir(root: Path) -> Path:
    configured = _config(root).get("cache", "dir", fallback=None)
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else (root / ".dvc" / path).resolve()
    return root / ".dvc" / "cache"


def has_remote(root: Path) -> bool:
    return any(
        s.startswith("'remote ") or s.startswith("remote ") for s in _config(root).sections()
    )


def cache_reader(root: Path) -> Callable[[str], bytes | None]:
    base = cache_dir(root)

    def read(md5: str) -> bytes | None:
        if not md5 or md5.endswith(".dir"):
            return None
        for candidate in (
            base / "files" / "md5" / md5[:2] / md5[2:],  # DVC 3
            base / md5[:2] / md5[2:],  # DVC 2
        ):
            if candidate.is_file():
                return candidate.read_bytes()
        return None

    return read


@contextlib.contextmanager
def _quiet_dvc() -> Iterator[None]:
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def remote_fetcher(
    root: Path, log: Log
) -> Callable[[str, Mapping[str, LockedOut]], dict[str, FileRead]]:
    """Fetch just the base revision's objects the report needs from the DVC remote."""
    read = cache_reader(root)

    def fetch(rev: str, outs: Mapping[str, LockedOut]) -> dict[str, FileRead]:
        if not has_remote(root):
            why = "DVC-cached at base, not in the local cache, and no DVC remote is configured"
            return {p: FileRead(None, why) for p in outs}
        log(f"fetching {len(outs)} base file(s) from the DVC remote: {', '.join(outs)}")
        error: str | None = None
        try:
            from dvc.repo import Repo

            with _quiet_dvc(), Repo(str(root)) as repo:
                repo.fetch(targets=list(outs), revs=[rev], workspace=False)
        except Exception as exc:  # DVC raises many types; the report row carries the reason
            error = f"fetch from the DVC remote failed: {_one_line(exc)}"
        result: dict[str, FileRead] = {}
        for path, locked in outs.items():
            data = read(locked.md5)
            if data is not None:
                result[path] = FileRead(data)
            else:
                result[path] = FileRead(
                    None, error or f"object {locked.md5[:8]} is missing from the DVC remote"
                )
        return result

    return fetch


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
