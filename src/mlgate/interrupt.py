"""SIGTERM and SIGINT: the job is being cancelled. Raised as `Interrupted` in the main thread, so
the process runner can kill the training's processes and what is known can still be written
(`mlgate.stopped`).

GitHub Actions cancels a step with SIGINT, then SIGTERM 7.5 s later, then SIGKILL; GitLab and
`timeout(1)` send SIGTERM. mlgate exits 130 (SIGINT) or 143 (SIGTERM), as a shell reports it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Interrupted(BaseException):
    """A signal asked mlgate to stop. A BaseException, as KeyboardInterrupt: no `except
    Exception` on the way may swallow it. `output` is the interrupted command's tail, if any."""

    def __init__(self, signum: int, output: str = "", command: str | None = None) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.output = output
        self.command = command

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """While inside, SIGTERM and SIGINT raise `Interrupted` (only the main thread can set
    handlers; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def ignored() -> Iterator[None]:
    """SIGTERM and SIGINT ignored while inside (writing what is known after a first one)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
