"""The one way mlgate runs a command it does not trust: the training, the base's training, pip.

A pull request's training may start `server &`, `nohup ... &`, `setsid ... &` or a double fork,
and each of those keeps the output pipe open after the command exits: reading to EOF then waits
for them, past `timeout-minutes` too. It may read stdin, print one line of 300 MB, or be
cancelled with the job. So a command runs:

- in its own session and process group, with stdin closed (`/dev/null`) and a token in its
  environment (`MLGATE_RUN_TOKEN`) by which mlgate finds every process it started, however it
  left the group;
- read without blocking against a deadline (`timeout`), and at most `GRACE_SECONDS` after the
  command itself exits: then mlgate stops reading, kills what is left (the group, every process
  carrying the token or holding the pipe) and says so in the output;
- with `on_quiet` called when no line came for `heartbeat` seconds (again every `heartbeat`
  seconds of silence), so the job log shows a long silent `dvc pull` or training is alive;
- with each line cut at `LINE_CHARS` characters (in the log too) and a tail of at most
  `TAIL_LINES` lines and `TAIL_CHARS` characters kept;
- interrupted by SIGTERM/SIGINT (see `mlgate.interrupt`): the processes are killed, and the
  output so far travels with the `Interrupted` exception.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import os
import re
import selectors
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlgate.interrupt import Interrupted, ignored
from mlgate.log import HEARTBEAT_SECONDS

TAIL_LINES = 40
TAIL_CHARS = 10_000
LINE_CHARS = 1_000
GRACE_SECONDS = 2.0  # reading goes on this long after the command exits (its last output)
KILL_GRACE_SECONDS = 3.0  # between SIGTERM and SIGKILL
TIMEOUT_EXIT = 124  # what `timeout(1)` returns for a command it stopped
TOKEN_VARIABLE = "MLGATE_RUN_TOKEN"  # noqa: S105 - a variable name, not a secret
_READ = 1 << 16
_LINE_END = re.compile(r"\r\n|\r|\n")

OnLine = Callable[[str], str]  # a line of output -> the line as it is kept (e.g. redacted)
OnQuiet = Callable[[float], None]  # seconds since the command started, after a silence


@dataclass(frozen=True)
class Finished:
    code: int
    tail: str  # the last lines of output, capped (lines, characters, each line)
    seconds: float
    timed_out: bool = False
    killed: tuple[str, ...] = ()  # processes left running that mlgate killed: "123 (sleep)"


class _Lines:
    """Output bytes -> lines, each cut at LINE_CHARS; the tail kept; each line handed on."""

    def __init__(self, on_line: OnLine) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.partial = ""
        self.dropped = 0  # characters of the current line beyond LINE_CHARS
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.on_line = on_line
        self.pending_cr = False
        self.quiet: _Quiet | None = None

    def feed(self, data: bytes, *, final: bool = False) -> None:
        if self.quiet is not None:
            self.quiet.heard()
        text = self.decoder.decode(data, final=final)
        if self.pending_cr and text.startswith("\n"):
            text = text[1:]
        self.pending_cr = text.endswith("\r")
        pieces = _LINE_END.split(text)
        for piece in pieces[:-1]:
            self._add(piece)
            self._emit()
        self._add(pieces[-1])
        if final and (self.partial or self.dropped):
            self._emit()

    def _add(self, piece: str) -> None:
        room = LINE_CHARS - len(self.partial)
        if len(piece) > room:
            self.dropped += len(piece) - max(room, 0)
            piece = piece[: max(room, 0)]
        self.partial += piece

    def _emit(self) -> None:
        line = self.partial
        if self.dropped:
            line += f" … [{self.dropped:,} more characters cut by mlgate]"
        self.partial, self.dropped = "", 0
        self.tail.append(self.on_line(line))

    def add_line(self, line: str) -> None:
        """A line of mlgate's own (why it stopped reading)."""
        self.tail.append(self.on_line(line))

    def text(self) -> str:
        return cap_tail("\n".join(self.tail))


class _Quiet:
    """The heartbeat: `on_quiet(seconds since start)` after every `interval` s without output."""

    def __init__(self, on_quiet: OnQuiet, interval: float, started: float) -> None:
        self.on_quiet, self.interval, self.started = on_quiet, interval, started
        self.last = started

    def heard(self) -> None:
        self.last = time.monotonic()

    def check(self, now: float) -> float:
        """Call the heartbeat if due; the seconds until the next one is due."""
        if now - self.last >= self.interval:
            self.on_quiet(now - self.started)
            self.last = now
        return max(0.0, self.last + self.interval - now)


def cap_tail(text: str, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last `lines` lines of `text`, at most `chars` characters, cut at a line start."""
    kept = text.splitlines()[-lines:]
    out = "\n".join(kept)
    if len(out) <= chars:
        return out
    cut = out[-chars:]
    return "… [earlier output cut by mlgate]\n" + cut[cut.find("\n") + 1 :]


# --- finding and killing what the command left behind ------------------------------------------
def _pipe_inode(fd: int) -> int:
    return os.fstat(fd).st_ino


def _holders(token: str, inode: int | None) -> dict[int, str]:
    """pid -> name of every process (but this one) carrying `token` in its environment or
    holding the pipe `inode` open. Linux's /proc; elsewhere nothing is found."""
    found: dict[int, str] = {}
    me = os.getpid()
    needle = f"{TOKEN_VARIABLE}={token}".encode()
    pipe = f"pipe:[{inode}]"
    try:
        entries = [p.name for p in Path("/proc").iterdir()]
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        if _carries(pid, needle) or (inode is not None and _holds(pid, pipe)):
            found[pid] = _name(pid)
    return found


def _carries(pid: int, needle: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:  # noqa: PTH123 - many small reads
            return needle in fh.read().split(b"\0")
    except OSError:
        return False


def _holds(pid: int, pipe: str) -> bool:
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if str(fd.readlink()) == pipe:
                return True
    return False


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:  # noqa: PTH123
            return fh.read().strip()[:40]
    except OSError:
        return "?"


def _alive(pid: int) -> bool:
    """Running (a zombie has finished: it only waits for its parent to read its status)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:  # noqa: PTH123
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _signal_all(pgid: int, pids: Sequence[int], sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pgid, sig)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def kill_all(proc: subprocess.Popen[bytes], token: str, inode: int | None) -> tuple[str, ...]:
    """SIGTERM to the command's group and every process it left anywhere, SIGKILL to what is
    still running after KILL_GRACE_SECONDS. Returns the processes found, as "pid (name)"."""
    found = _holders(token, inode)
    if proc.poll() is None:
        found.setdefault(proc.pid, _name(proc.pid))
    _signal_all(proc.pid, list(found), signal.SIGTERM)
    stop = time.monotonic() + KILL_GRACE_SECONDS
    while time.monotonic() < stop:
        proc.poll()  # reap the leader, so it does not count as running
        again = _holders(token, inode)
        found.update(again)
        if not any(_alive(pid) for pid in again) and proc.poll() is not None:
            break
        time.sleep(0.05)
    else:  # SIGKILL, again while anything is found: a process may fork as it dies
        stop = time.monotonic() + KILL_GRACE_SECONDS
        while time.monotonic() < stop:
            left = _holders(token, inode)
            found.update(left)
            _signal_all(proc.pid, list(left), signal.SIGKILL)
            proc.poll()
            if not any(_alive(pid) for pid in left):
                break
            time.sleep(0.05)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=KILL_GRACE_SECONDS)
    return tuple(f"{pid} ({name})" for pid, name in sorted(found.items()))


# --- running -------------------------------------------------------------------------------------
def run(
    cmd: Sequence[str] | str,
    *,
    cwd: Path,
    on_line: OnLine,
    shell: bool = False,
    timeout: float | None = None,
    env: Mapping[str, str],
    grace: float = GRACE_SECONDS,
    on_quiet: OnQuiet | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> Finished:
    """Run `cmd` in the environment `env` (the caller's to choose: the training's, or mlgate's);
    `on_line` gets every output line (cut at LINE_CHARS) as it comes, then mlgate's own lines
    saying why it stopped, and returns the line to keep in the tail (redacted); `on_quiet` (the
    log's heartbeat, never in the tail) after each `heartbeat` s of silence. Raises
    `Interrupted` (with the output so far) on SIGTERM/SIGINT, after killing every process the
    command started."""
    token = uuid.uuid4().hex
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        shell=shell,  # the user's own command line, run by a shell as a workflow step would be
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**env, "PYTHONUNBUFFERED": "1", TOKEN_VARIABLE: token},
        start_new_session=True,  # its own session and group: a signal to mlgate is not its own
    )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    inode = _pipe_inode(fd)
    lines = _Lines(on_line)
    if on_quiet is not None:
        lines.quiet = _Quiet(on_quiet, heartbeat, started)
    deadline = started + timeout if timeout is not None else None
    try:
        state = _read(proc, fd, lines, deadline, grace)
    except (Interrupted, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        with ignored():  # the runner's next signal must not cut the killing short
            stopped = kill_all(proc, token, inode)
        lines.feed(b"", final=True)
        name = signal.Signals(signum).name
        lines.add_line(f"mlgate: {name} received: the command was stopped ({_count(stopped)})")
        proc.stdout.close()
        raise Interrupted(signum, lines.text()) from exc
    killed = _leftovers(proc, token, inode, state)
    proc.stdout.close()
    lines.feed(b"", final=True)
    code = _said(proc.wait(), lines, state, killed, timeout=timeout, grace=grace)
    return Finished(code, lines.text(), time.monotonic() - started, state == "timeout", killed)


def _leftovers(
    proc: subprocess.Popen[bytes], token: str, inode: int, state: str
) -> tuple[str, ...]:
    """Kill what the command left: everything when reading stopped early; else (the pipe
    closed and the command exited) whatever detached and still carries the token."""
    if state != "eof" or proc.poll() is None:
        return kill_all(proc, token, inode)
    return kill_all(proc, token, None) if _holders(token, None) else ()


def _said(
    code: int,
    lines: _Lines,
    state: str,
    killed: Sequence[str],
    *,
    timeout: float | None,
    grace: float,
) -> int:
    """The exit code to report, and mlgate's own last line saying why it stopped reading."""
    if state == "timeout":
        minutes = (timeout or 0) / 60
        lines.add_line(
            f"mlgate: stopped after {minutes:g} minutes (timeout-minutes); process group killed"
            f" ({_count(killed)})"
        )
        return TIMEOUT_EXIT
    if killed:
        lines.add_line(
            f"mlgate: the command exited with code {code} but left processes running"
            f"{' and holding its output' if state == 'held' else ''}; stopped reading "
            f"{grace:g} s after it exited; {_count(killed)}"
        )
    return code


def _count(killed: Sequence[str]) -> str:
    if not killed:
        return "no process was left"
    shown = ", ".join(killed[:5]) + (f" and {len(killed) - 5} more" if len(killed) > 5 else "")
    return f"killed {len(killed)} process{'es' if len(killed) > 1 else ''}: {shown}"


def _read(
    proc: subprocess.Popen[bytes], fd: int, lines: _Lines, deadline: float | None, grace: float
) -> str:
    """Read until EOF ("eof"), the deadline ("timeout"), or `grace` seconds after the command
    exited with its output still held open ("held")."""
    os.set_blocking(fd, False)
    exited: float | None = None
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return "timeout"
            if exited is None and proc.poll() is not None:
                exited = now
            if exited is not None and now - exited >= grace:
                return "held"
            wait = 0.25 if exited is None else max(0.0, min(0.25, exited + grace - now))
            if lines.quiet is not None:
                wait = min(wait, lines.quiet.check(now))
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - now))
            if not sel.select(wait):
                continue
            try:
                data = os.read(fd, _READ)
            except BlockingIOError:
                continue
            if not data:
                return _wait_exit(proc, deadline, lines.quiet)
            lines.feed(data)


def _wait_exit(
    proc: subprocess.Popen[bytes], deadline: float | None, quiet: _Quiet | None = None
) -> str:
    """The output is closed; the command itself may still run (`exec >&-; sleep 600`)."""
    while proc.poll() is None:
        if deadline is not None and time.monotonic() >= deadline:
            return "timeout"
        if quiet is not None:
            quiet.check(time.monotonic())
        time.sleep(0.05)
    return "eof"
