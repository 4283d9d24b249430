"""A user template rendered in a child process that is killed at the budget (issue 21).

The sandbox's budget (`render.sandbox`) is checked between calls, so one C-level operation runs
as long as it likes: a huge power, a string repetition, `str()` of a list nested by doubling
(`{% set a = [a, a] %}` fifty times). The operators the sandbox can see are bounded there; for
everything else the render runs in a forked child with an address-space limit, and the parent
kills it when the time budget is over. What comes back is the text, or the one-line error the
child would have raised (ConfigError, RenderLimitError). Where `fork` does not exist, the render
runs in-process with the sandbox's budget alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import time
import warnings
from collections.abc import Callable

from mlgate import limits
from mlgate.errors import ConfigError, MlgateError
from mlgate.render.sandbox import RenderLimitError

KILL_AFTER = limits.MAX_RENDER_SECONDS + 2.0  # the child's own budget says why first
_READ = 1 << 16


def run(render: Callable[[], str]) -> str:
    """`render()` in a child process; its text, or its ConfigError/RenderLimitError raised here."""
    if not hasattr(os, "fork"):
        return render()
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12 warns when forking a process with threads: the child only renders and
        # writes to a pipe, it takes no lock another thread may hold
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(render, write_end)
    os.close(write_end)
    try:
        data, killed = _collect(read_end, pid)
    except BaseException:  # a signal (the job cancelled): the child must not outlive us
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        raise
    finally:
        os.close(read_end)
    return _result(data, killed)


def _child(render: Callable[[], str], fd: int) -> None:
    code = 0
    try:
        _limit_memory()
        with contextlib.suppress(ValueError):  # the parent's signal handlers are not ours
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            payload = {"text": render()}
        except RenderLimitError as exc:
            payload = {"limit": str(exc)}
        except MlgateError as exc:
            payload = {"config": str(exc)}
        except MemoryError:
            payload = {"limit": _memory_message()}
        data = json.dumps(payload).encode("utf-8", "surrogatepass")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:  # nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def _limit_memory() -> None:
    """The child's address space: what it has now, plus the render's memory budget."""
    try:
        import resource  # POSIX only

        with open("/proc/self/statm", encoding="ascii") as fh:  # noqa: PTH123 - cheap, once
            size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + limits.MAX_RENDER_MEMORY * 2, -1))
    except (OSError, ValueError, ImportError):
        return


def _memory_message() -> str:
    return (
        f"rendering used more than {limits.human_bytes(limits.MAX_RENDER_MEMORY)} of memory, "
        "mlgate's limit"
    )


def _collect(fd: int, pid: int) -> tuple[bytes, bool]:
    """The child's output, read until it closes the pipe or the deadline kills it."""
    deadline = time.monotonic() + KILL_AFTER
    chunks: list[bytes] = []
    size = 0
    killed = False
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or size > limits.MAX_RENDER_BYTES * 8:
                killed = True
                break
            if not sel.select(min(left, 0.5)):
                continue
            chunk = os.read(fd, _READ)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if killed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return b"".join(chunks), killed


def _result(data: bytes, killed: bool) -> str:
    if killed:
        raise RenderLimitError(
            f"rendering took longer than mlgate's limit of {limits.MAX_RENDER_SECONDS:g} s "
            "(one operation that never returned); the renderer was stopped"
        )
    try:
        payload = json.loads(data.decode("utf-8", "surrogatepass"))
    except (ValueError, UnicodeDecodeError):
        # the child died without a word: out of memory in C code, or a crash
        raise RenderLimitError(_memory_message() + " (the renderer was stopped)") from None
    if "text" in payload:
        return str(payload["text"])
    if "limit" in payload:
        raise RenderLimitError(str(payload["limit"]))
    raise ConfigError(str(payload["config"]))
