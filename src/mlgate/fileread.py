"""What reading one file at one revision gives: its bytes, or why there are none. Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileRead:
    data: bytes | None
    error: str | None = None  # why data is None, in words for the report
    absent: bool = False  # the revision does not have the file at all (not an error)
