"""Log lines to stderr; inside GitHub Actions, as workflow commands (groups, errors, masks).

Every line mlgate prints may carry text from the repository (metric names, paths, a training
log), and the runner obeys any stdout/stderr line that starts with `::` (or holds `##[`, the old
syntax). So `Log` neutralizes every line it prints: terminal escape sequences and control
characters are removed, a line that would start a workflow command is prefixed, and `##[` is
broken. Only the methods that emit mlgate's own commands (`error`, `warning`, `mask`, `group`)
write `::` at a line start, with their data escaped as GitHub's toolkit does.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from mlgate.redact import Redactor

# what an adapter needs of a log: one line out (a `Log`, or `print` in a test)
LogLine = Callable[[str], None]

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, the C1 CSI.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Control characters other than tab and newline (CR is a line break to the runner: see below).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\r\n|\r|[\u2028\u2029\x85]")
# What the runner takes for a command: `::name...` after leading whitespace, `##[` anywhere.
_COMMAND_START = re.compile(r"^(\s*)::")
UNTRUSTED_PREFIX = "| "


def neutralize(text: str) -> str:
    """Text safe to print in a workflow log: no escape codes, no line can start a command."""
    text = _ANSI.sub("", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = text.replace("##[", "#\u200b#[")
    return "\n".join(
        UNTRUSTED_PREFIX + line if _COMMAND_START.match(line) else line for line in text.split("\n")
    )


def escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts (escapeData)
    text = _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n")).replace("\r", "\n"))
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    # toolkit's escapeProperty: also `:` and `,`, which end a property
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Log:
    def __init__(
        self,
        *,
        actions: bool = False,
        stream: TextIO | None = None,
        redact: Redactor | None = None,
    ) -> None:
        self.actions = actions
        self.stream = stream
        # every line may carry a name from the PR, which a training can make a secret it read
        self.redact = redact or (lambda text: text)

    def _out(self) -> TextIO:
        return self.stream or sys.stderr

    def __call__(self, message: str) -> None:
        """Print text that may come from the repository: it can never become a command."""
        self._write(neutralize(self.redact(str(message))))

    def _write(self, line: str) -> None:
        print(line, file=self._out(), flush=True)

    def _command(self, name: str, data: str, **props: str) -> None:
        """One of mlgate's own workflow commands; data and properties escaped."""
        props = {k: self.redact(v) for k, v in props.items() if v}
        text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
        self._write(f"::{name}{' ' + text if text else ''}::{escape_data(self.redact(data))}")

    def error(self, message: str, title: str | None = None) -> None:
        if self.actions:
            self._command("error", message, title=title or "")
        else:
            self(f"error: {message}")

    def warning(self, message: str) -> None:
        if self.actions:
            self._command("warning", message)
        else:
            self(f"warning: {message}")

    def mask(self, secret: str | None) -> None:
        if self.actions and secret:
            for line in secret.splitlines():  # the runner masks one line per command
                if line.strip():
                    self._write(f"::add-mask::{escape_data(line)}")

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        if self.actions:  # outside Actions a header line would only be noise
            self._command("group", title)
        try:
            yield
        finally:
            if self.actions:
                self._write("::endgroup::")
