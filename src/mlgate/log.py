"""Log lines to stderr; inside GitHub Actions, as workflow commands (groups, errors, masks)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TextIO


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts (escapeData)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


class Log:
    def __init__(self, *, actions: bool = False, stream: TextIO | None = None) -> None:
        self.actions = actions
        self.stream = stream

    def _out(self) -> TextIO:
        return self.stream or sys.stderr

    def __call__(self, message: str) -> None:
        print(message, file=self._out(), flush=True)

    def error(self, message: str, title: str | None = None) -> None:
        if self.actions:
            props = f" title={_escape_data(title)}" if title else ""
            self(f"::error{props}::{_escape_data(message)}")
        else:
            self(f"error: {message}")

    def warning(self, message: str) -> None:
        self(f"::warning::{_escape_data(message)}" if self.actions else f"warning: {message}")

    def mask(self, secret: str | None) -> None:
        if self.actions and secret:
            self(f"::add-mask::{secret}")

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        if self.actions:  # outside Actions a header line would only be noise
            self(f"::group::{title}")
        try:
            yield
        finally:
            if self.actions:
                self("::endgroup::")
