"""The hidden marker that identifies mlgate's sticky comment: the one definition of its format.

`<!-- mlgate:report id=<comment-id> sha=<head sha> -->` as the very first line of the body. A
comment is mlgate's only when the body STARTS with a well-formed marker (a quote of it anywhere
else, as another bot or a reviewer might post, never matches) and its author is the token's own
identity (checked by the GitHub adapter). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "<!-- mlgate:report"
# comment-id: what settings accept (letters, digits, `-`, `_`, `.`); sha: 40 (or 64) hex digits.
_ID = r"[A-Za-z0-9._-]{1,100}"
_MARKER = re.compile(rf"<!-- mlgate:report id=({_ID})(?: sha=([0-9a-f]{{40}}|[0-9a-f]{{64}}))? -->")


@dataclass(frozen=True)
class Marker:
    comment_id: str
    head_sha: str | None


def format_marker(comment_id: str, head_sha: str | None) -> str:
    if not re.fullmatch(_ID, comment_id):
        raise ValueError(f"comment id {comment_id!r}: use letters, digits, '-', '_' or '.'")
    sha = (
        f" sha={head_sha}"
        if head_sha and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", head_sha)
        else ""
    )
    return f"{PREFIX} id={comment_id}{sha} -->"


def parse_marker(body: str | None) -> Marker | None:
    """The marker that opens `body` (on its first line), or None."""
    m = _MARKER.match(body or "")
    if m is None or (body or "")[m.end() : m.end() + 1] not in ("", "\n", "\r"):
        return None
    return Marker(m.group(1), m.group(2))


def split_marker(text: str) -> tuple[str, str]:
    """(the marker opening `text`, with its line break; the rest), or ("", text) without one."""
    m = _MARKER.match(text)
    if m is None or text[m.end() : m.end() + 1] not in ("", "\n", "\r"):
        return "", text
    end = m.end() + 1 if text[m.end() : m.end() + 1] else m.end()
    return text[:end], text[end:]


def strip_markers(text: str) -> str:
    """`text` without any line that is, or looks like, an mlgate marker (for embedding bodies)."""
    return "\n".join(line for line in text.split("\n") if PREFIX not in line)
