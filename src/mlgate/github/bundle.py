"""Bundles (a report directory written by `mlgate run`), read as hostile input.

In the fork-safe setup, stage two holds a write token and publishes what stage one (the PR's own
code) wrote. So a bundle read with `hostile=True`:
- opens report.md and result.json without following symlinks, within size limits, as UTF-8;
- checks result.json against a schema (pydantic), the message naming the key path;
- keeps only images referenced as `plots/...` that stay inside the bundle (no `..`, no absolute
  path, no symlink on the way) and whose bytes are PNG or JPEG (an SVG can carry scripts and
  links: refused); any other image reference becomes a visible note;
- recomputes the verdict from the gate results (a `passed: true` beside a failed gate fails);
- makes every text field (name, verdict, gate names) inert before it reaches the comment or the
  status description, and the report's Markdown through `render.sanitize` (the sanitizer of user
  templates too): raw HTML other than a few layout tags, markers, @-mentions, remote images and
  links off this repository are neutralized.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as PydanticError

from mlgate.errors import InputError
from mlgate.log import neutralize
from mlgate.metrics import decode_json
from mlgate.regular import NotRegular, read_regular
from mlgate.render import sanitize
from mlgate.render.caps import published_kind
from mlgate.render.escape import md

REPORT_LIMIT = 8 * 1024 * 1024
RESULT_LIMIT = 16 * 1024 * 1024
IMAGE_LIMIT = 10 * 1024 * 1024
IMAGES_MAX = 200
# `![alt](target)`; the alt text may hold backslash-escaped brackets (render.escape.md)
IMAGE = re.compile(r"!\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)")


class _Gate(BaseModel):
    model_config = ConfigDict(extra="allow")
    metric: StrictStr
    outcome: Literal["pass", "fail", "warn", "skip"]
    passed: StrictBool
    message: StrictStr = ""


class _GitHub(BaseModel):
    model_config = ConfigDict(extra="allow")
    repository: StrictStr | None = None
    pr_number: StrictInt | None = Field(default=None, ge=1)
    head_sha: StrictStr | None = Field(default=None, pattern=r"^([0-9a-f]{40}|[0-9a-f]{64})$")
    name: StrictStr | None = Field(default=None, max_length=200)


class _Result(BaseModel):
    model_config = ConfigDict(extra="allow")
    passed: StrictBool
    verdict: StrictStr = ""
    gates: list[_Gate]
    github: _GitHub | None = None


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate_result(data: object, where: str) -> dict[str, Any]:
    """Check result.json's shape; one line naming the key path on the first problem."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
    try:
        _Result.model_validate(data)
    except PydanticError as exc:
        err = exc.errors()[0]
        got = neutralize(repr(err.get("input")))[:60]
        raise InputError(
            f"{where}: {_key_path(tuple(err['loc']))}: {err['msg'].lower()}, got {got} "
            "(a bundle is what `mlgate run` writes; do not edit it)"
        ) from exc
    return data


def _read_regular(path: Path, limit: int) -> bytes:
    """A file's bytes, refusing symlinks, non-regular files and oversized files."""
    try:
        return read_regular(path, limit, follow=False)
    except NotRegular as exc:
        raise InputError(f"{path}: {exc.why}; a bundle holds regular files only") from exc


def confined_image(root: Path, rel: str) -> tuple[bytes | None, str]:
    """(bytes, "") for an image inside the bundle, else (None, why it is refused)."""
    if not rel.startswith("plots/") or "\\" in rel or any(ord(c) < 32 for c in rel):
        return None, "not a file under plots/"
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts) or rel.startswith("/"):
        return None, "path leaves the bundle"
    current = root
    for part in parts:
        current = current / part
        try:
            info = current.lstat()
        except OSError:
            return None, "no such file in the bundle"
        if stat.S_ISLNK(info.st_mode):
            return None, "a symlink"
    try:
        data = _read_regular(current, IMAGE_LIMIT)
    except InputError as exc:
        return None, str(exc).split(": ", 1)[-1]
    if published_kind(data) is None:  # the one image check, shared with rendering
        return None, "not a PNG or JPEG image"
    return data, ""


@dataclass(frozen=True)
class Bundle:
    name: str
    path: Path
    markdown: str
    result: Mapping[str, Any]
    mermaid: str | None = None  # the report with inline charts, for when images cannot be pushed
    hostile: bool = False
    images: dict[str, bytes] = field(default_factory=dict)  # rel -> checked bytes
    refused: dict[str, str] = field(default_factory=dict)  # rel -> why

    @property
    def gates(self) -> list[Mapping[str, Any]]:
        gates = self.result.get("gates")
        return [g for g in gates if isinstance(g, Mapping)] if isinstance(gates, list) else []

    @property
    def failed_gates(self) -> list[Mapping[str, Any]]:
        return [g for g in self.gates if g.get("outcome") == "fail" or g.get("passed") is False]

    @property
    def passed(self) -> bool:
        """Recomputed from the gates; the `passed` flag can only make it fail (fail closed)."""
        return not self.failed_gates and self.result.get("passed") is True

    @property
    def verdict(self) -> str:
        """Plain text. From a trusted bundle its own line; from a hostile one, recomputed."""
        if not self.hostile:
            return str(self.result.get("verdict", ""))
        total, failed = len(self.gates), self.failed_gates
        if failed:
            names = ", ".join(plain(str(g.get("metric", "?")), 40) for g in failed[:5])
            return f"{len(failed)} of {total} gates failed: {names}"
        if not self.passed:
            return "failed (the bundle says so)"
        return f"all {total} gates passed" if total else "no gates failed"

    @property
    def meta(self) -> Mapping[str, Any]:
        meta = self.result.get("github")
        return meta if isinstance(meta, Mapping) else {}

    def image_refs(self) -> list[str]:
        return sorted({m.group(2) for m in IMAGE.finditer(self.markdown)})


def plain(text: str, limit: int = 100) -> str:
    """Untrusted text for plain-text places (status description, check title): one line."""
    line = " ".join(neutralize(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def load_bundle(path: Path, *, hostile: bool = False, links: Sequence[str] = ()) -> Bundle:
    """A bundle; `hostile` (stage two): checked, and its Markdown made inert, links kept only
    when relative or under one of `links` (the repository's own URL)."""
    report, result = path / "report.md", path / "result.json"
    if not path.is_dir() or not report.exists() or not result.exists():
        raise InputError(
            f"{path}: not a bundle (needs report.md and result.json from `mlgate run`)"
        )
    raw_result = _read_regular(result, RESULT_LIMIT)
    raw_report = _read_regular(report, REPORT_LIMIT)
    data = decode_json(raw_result, str(result))
    data = validate_result(data, str(result))
    try:
        markdown = raw_report.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{report}: not UTF-8 text (byte {exc.start})") from exc
    alt_path = path / "report.mermaid.md"
    mermaid = None
    if alt_path.exists() or alt_path.is_symlink():
        try:
            mermaid = _read_regular(alt_path, REPORT_LIMIT).decode("utf-8")
        except (InputError, UnicodeDecodeError):
            if not hostile:
                raise
    meta = data.get("github") or {}
    name = str(meta.get("name") or path.name)
    bundle = Bundle(name, path, markdown, data, mermaid, hostile)
    if not hostile:
        return bundle
    return _checked(bundle, links)


def _checked(bundle: Bundle, links: Sequence[str]) -> Bundle:
    images: dict[str, bytes] = {}
    refused: dict[str, str] = {}
    root = bundle.path
    for rel in bundle.image_refs()[:IMAGES_MAX]:
        data, why = confined_image(root, rel)
        if data is None:
            refused[rel] = why
        else:
            images[rel] = data

    def keep(markdown: str) -> str:
        def one(m: re.Match[str]) -> str:
            rel = m.group(2)
            if rel in images:
                return m.group(0)
            return f"*(image refused: {md(refused.get(rel, 'not a file of the bundle'))})*"

        return sanitize.markdown(IMAGE.sub(one, markdown), links=links, demote_headings=True)

    return Bundle(
        md(bundle.name)[:200],
        bundle.path,
        keep(bundle.markdown),
        bundle.result,
        keep(bundle.mermaid) if bundle.mermaid else None,
        True,
        images,
        refused,
    )
