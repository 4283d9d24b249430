"""Log lines to stderr; inside GitHub Actions, as workflow commands (groups, errors, masks);
inside GitLab CI, with collapsible sections.

Every line mlgate prints may carry text from the repository (metric names, paths, a training
log), and the runner obeys any stdout/stderr line that starts with `::` (or holds `##[`, the old
syntax). So `Log` neutralizes every line it prints: terminal escape sequences and control
characters are removed, a line that would start a workflow command is prefixed, and `##[` is
broken. Only the methods that emit mlgate's own commands (`error`, `warning`, `mask`, `group`)
write `::` at a line start, with their data escaped as GitHub's toolkit does.

Phases (`group()`) are never nested in the log: GitHub does not nest groups (a `::group::`
inside another ends nothing, and the `::endgroup::` that follows is stray), so a phase opened
inside another ends the outer one's group, opens its own (titled `outer › inner`), and the outer
one's group opens again ("(continued)") only if it prints anything more; a group opens with
its phase's first line, so none is empty. A phase that calls
`done()` says what it did, with its time, in one line after its group: visible when collapsed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sys
import threading
import time
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
HEARTBEAT_SECONDS = 30.0  # a silent phase gets a line this often (see mlgate.proc for commands)
_ESC = "\x1b[0K"  # GitLab's section markers: https://docs.gitlab.com/ci/jobs/job_logs/


def elapsed(seconds: float) -> str:
    """`4.2 s`, `2 min 05 s`, `1 h 02 min`: a time a reader takes in at a glance."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def still_running(say: LogLine, what: str) -> Callable[[float], None]:
    """The heartbeat of a command silent for a while (DVC hides its progress without a
    terminal; a training may print nothing for minutes): alive, and for how long."""
    short = what if len(what) <= 80 else what[:79] + "…"
    return lambda seconds: say(f"… still running after {elapsed(seconds)}: {short}")


@contextlib.contextmanager
def ticking(say: LogLine, what: str, interval: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """The heartbeat of work done in this process that prints nothing meanwhile (DVC
    reading the base's outputs from its remote): a line every `interval` seconds."""
    stop, started = threading.Event(), time.monotonic()
    beat = still_running(say, what)

    def tick() -> None:
        while not stop.wait(interval):
            beat(time.monotonic() - started)

    thread = threading.Thread(target=tick, name="mlgate-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@dataclasses.dataclass
class Phase:
    """One phase of the log (`Log.group`); `done(text)` says what it did when it ends."""

    title: str
    shown: str  # the title in the log: `outer › inner` when opened inside another phase
    started: float
    said: str | None = None
    opened: bool = False  # its group was opened (it printed something)

    def done(self, text: str) -> None:
        self.said = text


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
        sections: bool = False,
    ) -> None:
        self.actions = actions
        self.stream = stream
        # every line may carry a name from the PR, which a training can make a secret it read
        self.redact = redact or (lambda text: text)
        self.sections = sections  # GitLab CI: collapsible sections instead of groups
        self._phases: list[Phase] = []  # the phases entered, outermost first
        self._open: str | None = None  # the group (GitHub) or section name (GitLab) now open
        self._count = 0
        self._lock = threading.Lock()  # a heartbeat thread prints too (`ticking`)

    def _out(self) -> TextIO:
        return self.stream or sys.stderr

    def __call__(self, message: str) -> None:
        """Print text that may come from the repository: it can never become a command."""
        self._write(neutralize(self.redact(str(message))))

    def _write(self, line: str) -> None:
        """A line inside the current phase: its group opens with its first line (a phase that
        prints nothing has its summary line only), again if a nested phase closed it."""
        if self._phases and self._open is None:
            phase = self._phases[-1]
            self._begin(f"{phase.shown} (continued)" if phase.opened else phase.shown)
            phase.opened = True
        self._emit(line)

    def _emit(self, line: str) -> None:
        with self._lock:
            print(line, file=self._out(), flush=True)

    def _command(self, name: str, data: str, **props: str) -> None:
        """One of mlgate's own workflow commands; data and properties escaped."""
        props = {k: self.redact(v) for k, v in props.items() if v}
        text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
        self._emit(f"::{name}{' ' + text if text else ''}::{escape_data(self.redact(data))}")

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
                    self._emit(f"::add-mask::{escape_data(line)}")

    def still_running(self, what: str) -> Callable[[float], None]:
        return still_running(self, what)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[Phase]:
        """A phase of the job: a collapsed group (GitHub) or section (GitLab), never nested."""
        parent = self._phases[-1] if self._phases else None
        phase = Phase(title, f"{parent.title} › {title}" if parent else title, time.monotonic())
        self._end()  # the outer phase's group ends here: groups do not nest
        self._phases.append(phase)
        try:
            yield phase
        finally:
            self._end()
            self._phases.pop()
            if phase.said is not None:  # after the group, so it shows when the group is closed
                line = f"{title}: {phase.said} ({elapsed(time.monotonic() - phase.started)})"
                self._emit(neutralize(self.redact(line)))

    def _begin(self, title: str) -> None:
        if self.actions:  # outside a CI a header line would only be noise
            self._command("group", title)
            self._open = "group"
        elif self.sections:
            self._count += 1
            self._open = f"mlgate_{self._count}"
            text = " ".join(neutralize(self.redact(title)).split())
            start = f"section_start:{int(time.time())}:{self._open}[collapsed=true]"
            self._emit(f"{_ESC}{start}\r{_ESC}{text}")
        else:
            self._open = "plain"

    def _end(self) -> None:
        if self._open is None:
            return
        if self.actions:
            self._emit("::endgroup::")
        elif self.sections:
            self._emit(f"{_ESC}section_end:{int(time.time())}:{self._open}\r{_ESC}")
        self._open = None
