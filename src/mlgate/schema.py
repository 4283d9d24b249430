"""The shape checks every strict parser of a file shares (`.mlgate.yml`, its `data:` rules, DVC's
`dvc.yaml`/`dvc.lock`): one-line errors naming the file, the key path and what was found. Pure.

A config the user writes fails with ConfigError; a DVC file (`*_at`) with InputError, whose
messages name the value's type as DVC users read it."""

from __future__ import annotations

import difflib
import json
import math
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from mlgate.errors import ConfigError, InputError


def fail(source: str, where: str, problem: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {problem}")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest known name, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(raw: Mapping[str, Any], allowed: tuple[str, ...], source: str, where: str) -> None:
    unknown = [str(k) for k in raw if k not in allowed]
    if unknown:
        raise fail(
            source,
            where,
            f"unknown key {unknown[0]!r}{did_you_mean(unknown[0], allowed)}; accepted keys: "
            f"{', '.join(allowed)}",
        )


def shown(value: Any) -> str:
    """A value as the user wrote it, in one short line: `"abc"`, `5`, `a list`, `a mapping`."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() < 64 else "a very large integer"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 60 else text[:57] + '…"'
    return repr(value)[:60]


def number(value: Any, source: str, where: str, *, non_negative: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(source, where, f"expected a number, got {shown(value)}")
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise fail(source, where, "expected a number within ±1.8e308, got a larger integer")
    if not math.isfinite(value):
        raise fail(source, where, f"expected a finite number, got {shown(value)}")
    if non_negative and value < 0:
        raise fail(source, where, f"expected a number >= 0, got {shown(value)}")
    return float(value)


def choice(value: Any, choices: tuple[str, ...], default: str, source: str, where: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or value not in choices:
        raise fail(source, where, f"expected one of {', '.join(choices)}, got {shown(value)}")
    return value


# --- DVC files: `dvc.yaml: stages.train.params[0]: expected a list, got str 'x'` ---------
def at(source: str, *keys: object) -> str:
    """`dvc.yaml: stages.train.params[0]`: the file and the key path, as in .mlgate.yml errors."""
    path = ""
    for key in keys:
        path += f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
    return f"{source}: {path}" if path else source


def mapping_at(value: Any, source: str, *keys: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{at(source, *keys)}: expected a mapping, got {described(value)}")
    return value


def list_at(value: Any, source: str, *keys: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{at(source, *keys)}: expected a list, got {described(value)}")
    return value


def described(value: Any) -> str:
    """A value with its type, in one short line: `str 'abc'`."""
    return f"{type(value).__name__} {value!r}"[:80]


def text_at(value: Any, source: str, *keys: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{at(source, *keys)}: expected a path, got {described(value)}")
    return str(value)
