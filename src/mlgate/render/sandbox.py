"""Where a user's template comes from and what it may do: inside the repository, in a budget.

A template named in `.mlgate.yml` is part of the pull request, so it is hostile input:

- it is loaded only from inside the repository (no absolute path, no `..`, no symlink out, not
  under `.git/` or `.dvc/`, a template suffix only), and `{% include %}`/`{% extends %}` reach
  only mlgate's own templates and the user template's own directory, by the same rules;
- it renders in Jinja2's `SandboxedEnvironment` with constant folding off (so nothing is computed
  while compiling) and a budget checked at every call, attribute, operator and filter: time,
  output size and memory growth. Over budget, `RenderLimitError`; the caller then renders the
  default report and shows the error in it.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from mlgate import limits
from mlgate.errors import ConfigError
from mlgate.regular import NotRegular, read_regular

TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".md", ".tmpl", ".txt")
_FORBIDDEN_DIRS = {".git", ".dvc"}
_BIG_WIDTH = re.compile(r"\d{7,}")  # a format width or precision of a million or more
_MAX_ARG = 1_000_000
MAX_INTEGER_BITS = 100_000  # about 30,000 digits: more than any report needs


class RenderLimitError(jinja2.TemplateError):
    """The template went over mlgate's time, size or memory budget."""


class TemplateRefused(jinja2.TemplateError):
    """The template names a file mlgate may not read."""


def _rss() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:  # noqa: PTH123 - hot path, cheap
            return int(fh.read().split()[1]) * 4096
    except (OSError, ValueError, IndexError):
        return 0


class Budget:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last_mem_check = self.started
        self.rss0 = _rss()

    def check(self) -> None:
        now = time.monotonic()
        if now - self.started > limits.MAX_RENDER_SECONDS:
            raise RenderLimitError(
                f"rendering took longer than mlgate's limit of {limits.MAX_RENDER_SECONDS:g} s"
            )
        if now - self.last_mem_check > 0.02:
            self.last_mem_check = now
            rss = _rss()
            if self.rss0 and rss - self.rss0 > limits.MAX_RENDER_MEMORY:
                raise RenderLimitError(
                    "rendering used more than "
                    f"{limits.human_bytes(limits.MAX_RENDER_MEMORY)} of memory, mlgate's limit"
                )

    @staticmethod
    def check_size(size: int) -> None:
        if size > limits.MAX_RENDER_BYTES:
            raise RenderLimitError(
                f"the template produced more than {limits.human_bytes(limits.MAX_RENDER_BYTES)}, "
                "mlgate's limit"
            )


class BudgetedSandbox(SandboxedEnvironment):
    """The sandbox, with the budget checked wherever a template can spend time or memory."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(optimized=False, **kwargs)
        self.budget = Budget()
        # lipsum(n) builds n paragraphs inside one call, before the budget can look
        self.globals.pop("lipsum", None)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        self.budget.check()
        name = getattr(__obj, "__name__", "")
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if name in {"center", "ljust", "rjust", "zfill", "expandtabs", "format"} or (
            isinstance(__obj, type) and issubclass(__obj, str)
        ):
            _check_args(args, kwargs)
        if isinstance(owner, str):  # a method of a string: `"{:9999999}".format(x)`, replace, join
            if name in {"format", "format_map"} and _BIG_WIDTH.search(owner):
                raise RenderLimitError(
                    "a format width of a million or more is above mlgate's limit"
                )
            if name in {"format", "format_map"}:
                _check_format(owner, "{", args[0] if name == "format_map" and args else args)
            _check_growth(name, (owner, *args))
        result = super().call(__context, __obj, *args, **kwargs)
        _check_result(result)
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.budget.check()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.budget.check()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.budget.check()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int):
                    Budget.check_size(len(seq) * n)
        elif operator == "%" and isinstance(left, str):
            if _BIG_WIDTH.search(left):
                raise RenderLimitError(
                    "a format width of a million or more is above mlgate's limit"
                )
            _check_format(left, "%", right if isinstance(right, tuple) else (right,))
        _check_integer(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        _check_result(result)
        return result


def _check_integer(operator: str, left: Any, right: Any) -> None:
    """Refuse, before the C call, an integer result over MAX_INTEGER_BITS: `(9 ** 9999) **
    10000` is one operation that runs for minutes, and no budget between calls can stop it."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return
    if operator == "**" and right > 10_000:
        raise RenderLimitError(f"the power {right} is above mlgate's limit of 10,000")
    if operator == "**" and right > 0 and abs(left) > 1:
        bits = left.bit_length() * right
    elif operator == "*":
        bits = left.bit_length() + right.bit_length()
    else:
        return
    if bits > MAX_INTEGER_BITS:
        raise RenderLimitError(
            f"an integer of about {bits:,} bits is above mlgate's limit of {MAX_INTEGER_BITS:,}"
        )


def _check_format(fmt: str, kind: str, values: Any) -> None:
    """Refuse a format whose result would be over the size budget: every field may repeat a
    long value or a width passed as an argument (`"%*d" % (999999, 1)`, `"{0}{0}".format(s)`)."""
    items = list(values.values()) if isinstance(values, dict) else list(values)
    widest = max((abs(v) for v in items if isinstance(v, int)), default=0)
    longest = max((len(v) for v in items if isinstance(v, str | list | tuple)), default=0)
    fields = fmt.count(kind)
    Budget.check_size(len(fmt) + fields * (widest + longest))


def _check_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and abs(value) > _MAX_ARG:
            raise RenderLimitError(f"the argument {value} is above mlgate's limit of {_MAX_ARG:,}")
        if isinstance(value, str) and _BIG_WIDTH.search(value):
            raise RenderLimitError("a format width of a million or more is above mlgate's limit")


def _check_growth(name: str, args: tuple[Any, ...]) -> None:
    """Refuse, before the call, what one C call could blow up: `s.replace("", big)`,
    `big_sep.join(many)`, `s|indent(big_text)`."""
    size = 0
    if name == "replace" and len(args) >= 3 and all(isinstance(a, str) for a in args[:3]):
        value, old, new = args[:3]
        hits = value.count(old) if old else len(value) + 1
        size = len(value) + hits * max(0, len(new) - len(old))
    elif name == "join" and len(args) >= 2:
        first, second = args[0], args[1]
        # the filter is join(items, sep); the string method is sep.join(items)
        items, sep = (second, first) if isinstance(first, str) else (first, second)
        if isinstance(sep, str) and isinstance(items, list | tuple | str):
            size = len(items) * len(sep)
    elif name == "indent" and len(args) >= 2 and isinstance(args[1], str | int):
        width = len(args[1]) if isinstance(args[1], str) else args[1]
        size = str(args[0]).count("\n") * width
    elif name == "translate" and len(args) >= 2 and isinstance(args[1], dict):
        longest = max((len(v) for v in args[1].values() if isinstance(v, str)), default=1)
        size = len(str(args[0])) * longest
    Budget.check_size(size)


def _check_result(value: Any) -> None:
    if isinstance(value, str | list | tuple | bytes):
        Budget.check_size(len(value))


def _guard_filter(env: BudgetedSandbox, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        env.budget.check()
        # the value (first argument, or after a passed environment/context) is data; the rest
        # are widths, counts and formats that could ask for gigabytes in one C call
        _check_args(args[2:] if name == "format" else args[1:], kwargs)
        _check_growth(name, args)
        if name == "format" and args and isinstance(args[0], str):
            if _BIG_WIDTH.search(args[0]):
                raise RenderLimitError(
                    "a format width of a million or more is above mlgate's limit"
                )
            _check_format(args[0], "%", args[1:] or tuple(kwargs.values()))
        result = func(*args, **kwargs)
        _check_result(result)
        return result

    return guarded


def guard_filters(env: BudgetedSandbox) -> None:
    for name, func in list(env.filters.items()):
        env.filters[name] = _guard_filter(env, name, func)


def render_within_budget(env: BudgetedSandbox, template: jinja2.Template, **ctx: Any) -> str:
    """Render chunk by chunk, stopping at the size budget; the budget's clock starts here."""
    env.budget = Budget()
    out: list[str] = []
    size = 0
    for chunk in template.generate(**ctx):
        size += len(chunk)
        Budget.check_size(size)
        env.budget.check()
        out.append(chunk)
    return "".join(out)


def _safe_parts(name: str) -> list[str] | None:
    path = PurePosixPath(name)
    if path.is_absolute() or "\\" in name or "\x00" in name:
        return None
    if any(p in ("..", ".", "") or p in _FORBIDDEN_DIRS for p in path.parts):
        return None
    if not name.lower().endswith(TEMPLATE_SUFFIXES):
        return None
    return list(path.parts)


def _inside(root: Path, file: Path) -> Path | None:
    real = file.resolve()
    root_real = root.resolve()
    if not real.is_relative_to(root_real):
        return None
    if any(p in _FORBIDDEN_DIRS for p in real.relative_to(root_real).parts):
        return None
    return real


class RepoLoader(jinja2.BaseLoader):
    """Templates from one directory of the repository, by mlgate's path rules."""

    def __init__(self, root: Path, directory: Path) -> None:
        self.root = root
        self.directory = directory

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        parts = _safe_parts(template)
        if parts is None:
            raise TemplateRefused(
                f"{template!r} is not a template mlgate may read (only files ending in "
                f"{', '.join(TEMPLATE_SUFFIXES)} inside the template's directory, "
                'or "mlgate/<name>")'
            )
        file = self.directory.joinpath(*parts)
        if not file.exists() and not file.is_symlink():
            raise jinja2.TemplateNotFound(template)
        real = _inside(self.root, file)
        if real is None or not real.is_file():
            raise TemplateRefused(f"{template!r} leads outside the repository (a symbolic link)")
        return _read(real, template), str(real), lambda: False


def _read(file: Path, shown: str) -> str:
    size = file.stat().st_size
    if size > limits.MAX_TEMPLATE_BYTES:
        raise TemplateRefused(
            f"{shown}: {limits.human_bytes(size)}, above mlgate's limit of "
            f"{limits.human_bytes(limits.MAX_TEMPLATE_BYTES)} for a template"
        )
    try:
        return read_regular(file, limits.MAX_TEMPLATE_BYTES).decode("utf-8")
    except NotRegular as exc:
        raise TemplateRefused(f"{shown}: {exc.why}") from exc
    except UnicodeDecodeError as exc:
        raise TemplateRefused(f"{shown}: not UTF-8 text") from exc


def resolve_user_template(root: Path, name: str, source: str) -> Path:
    """The repository file `template:` names, or a one-line ConfigError (exit 2) saying why not.

    `root` is the repository the caller reports on (in the action, the PR's checkout)."""
    where = f"{source} `template:`"
    if PurePosixPath(name).is_absolute() or Path(name).is_absolute():
        raise ConfigError(
            f"{name}: an absolute template path ({where}); give a path inside the repository, "
            "e.g. ci/report.md.j2"
        )
    parts = PurePosixPath(name).parts
    if ".." in parts:
        raise ConfigError(f"{name}: a template path may not contain `..` ({where})")
    if _safe_parts(name) is None:
        raise ConfigError(
            f"{name}: not a template mlgate may read ({where}); use a file ending in "
            f"{', '.join(TEMPLATE_SUFFIXES)} outside .git/ and .dvc/"
        )
    file = root.joinpath(*parts)
    if not file.exists() and not file.is_symlink():
        raise ConfigError(f"{name}: template not found ({where})")
    real = _inside(root, file)
    if real is None:
        raise ConfigError(f"{name}: a symbolic link leading outside the repository ({where})")
    if not real.is_file():
        raise ConfigError(f"{name}: not a file ({where})")
    size = real.stat().st_size
    if size > limits.MAX_TEMPLATE_BYTES:
        raise ConfigError(
            f"{name}: {limits.human_bytes(size)}, above mlgate's limit of "
            f"{limits.human_bytes(limits.MAX_TEMPLATE_BYTES)} for a template ({where})"
        )
    return file
