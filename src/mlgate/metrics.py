"""Parse metrics and params documents (JSON, YAML, TOML) and flatten them the way DVC does.

Pure: takes text, returns values. Nested mappings become dotted keys (`{"a": {"b": 1}}` ->
`a.b`). For metrics, like `dvc metrics show`, only numbers, booleans and strings are kept (lists
and nulls are dropped; at base a null is kept, to be told from an absent key); for params, like
`dvc params diff`, every leaf is kept and lists are shown as their text. YAML is read as DVC
reads it (YAML 1.2, `mlgate.safeyaml`).
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Mapping
from typing import Any

from mlgate import limits, safeyaml
from mlgate.errors import InputError, MlgateError

Scalar = bool | int | float | str | None
Flat = dict[str, Scalar]

FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}


def decode_json(raw: bytes, where: str, error: type[MlgateError] = InputError) -> Any:
    """JSON from bytes; `error` (an exit-2 class) names `where` and the problem in one line."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise error(f"{where}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise error(f"{where}: JSON nested too deeply") from exc


TEXT_HINT = (
    "a metrics file with another suffix (metrics.txt) is read as YAML: write one "
    "`name: value` per line, e.g. `Accuracy: 0.832`"
)


def _read_as_text(path: str) -> bool:
    """Any suffix but .json/.yaml/.yml/.toml: DVC (and mlgate) read it as YAML."""
    return not any(path.lower().endswith(suffix) for suffix in FORMATS)


def document_format(path: str) -> str:
    for suffix, kind in FORMATS.items():
        if path.lower().endswith(suffix):
            return kind
    # DVC reads any other suffix as YAML (a superset of JSON).
    return "yaml"


def parse_document(text: str | bytes, path: str) -> Any:
    """Parse one file's text by its suffix; InputError names the file and the problem.

    Used for metrics, params, dvc.yaml, dvc.lock and .mlgate.yml alike, so the limits of
    `mlgate.limits` (size, values, depth, YAML aliases, number range) apply to every one.
    """
    size = len(text)
    if size > limits.MAX_DOCUMENT_BYTES:
        raise InputError(
            f"{path}: file is {limits.human_bytes(size)}, above mlgate's limit of "
            f"{limits.human_bytes(limits.MAX_DOCUMENT_BYTES)} for a metrics, params or "
            "configuration file; write summary values only (plots take series)"
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    kind = document_format(path)
    try:
        if kind == "json":
            doc = json.loads(text)
        elif kind == "toml":
            import tomllib  # 4 ms at start-up (datetime, its regexes) for a file format seldom read

            try:
                doc = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"{path}: invalid TOML: {exc}") from exc
        else:
            doc = safeyaml.load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except safeyaml.LimitError as exc:
        raise InputError(f"{path}: {exc}") from exc
    except safeyaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = f"; {TEXT_HINT}" if _read_as_text(path) else ""
        raise InputError(f"{path}: invalid YAML{where}: {problem}{hint}") from exc
    except RecursionError as exc:
        raise InputError(
            f"{path}: nested too deeply to read (mlgate's limit is {limits.MAX_DEPTH} levels)"
        ) from exc
    except ValueError as exc:  # an integer longer than Python's 4,300-digit limit
        if "digits" in str(exc):
            raise InputError(
                f"{path}: an integer of more than 4,300 digits is beyond the range of a "
                "floating-point number (about 1.8e308); write it as a float"
            ) from exc
        raise InputError(f"{path}: a value cannot be read: {_first_line(exc)}") from exc
    _check_shape(doc, path)
    return doc


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


# Leaf types that are neither containers nor integers to range-check: skipped at once.
_PLAIN_LEAVES = frozenset({float, str, bool, type(None)})


def _check_shape(doc: Any, path: str) -> None:
    """Depth, value count and number range, walked without recursion (aliases counted expanded;
    the YAML loader already refused an expansion beyond the value limit)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > limits.MAX_DOCUMENT_VALUES:
            raise InputError(
                f"{path}: more than {limits.MAX_DOCUMENT_VALUES:,} values, above mlgate's limit "
                "for a metrics, params or configuration file; write summary values only"
            )
        if depth > limits.MAX_DEPTH:
            raise InputError(
                f"{path}: nested more than {limits.MAX_DEPTH} levels deep, above mlgate's limit"
            )
        kind = type(node)
        if kind in _PLAIN_LEAVES:  # most nodes: no ABC check (`isinstance(x, Mapping)` is slow)
            continue
        if kind is dict or isinstance(node, Mapping):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > limits.MAX_NUMBER:
            raise InputError(
                f"{path}: an integer of about {int(node.bit_length() * 0.30103) + 1} digits is "
                "beyond the range of a floating-point number (about 1.8e308); write it as a float"
            )


def _walk(doc: Mapping[Any, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in doc.items():
        name = f"{prefix}{key}"
        kind = type(value)
        if kind is dict or (kind not in _PLAIN_LEAVES and isinstance(value, Mapping)):
            _walk(value, f"{name}.", out)
        else:
            out[name] = value


def _require_mapping(doc: Any, path: str) -> Mapping[Any, Any]:
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        hint = f"; {TEXT_HINT}" if _read_as_text(path) else ""
        raise InputError(
            f"{path}: expected a mapping of names to values at the top level, "
            f"got {type(doc).__name__}{hint}"
        )
    return doc


def flatten_metrics(doc: Any, path: str, *, keep_null: bool = False) -> Flat:
    """Numbers, booleans and strings, as `dvc metrics show` keeps them. With `keep_null` (the
    base side) a null is kept as None, so that a key the base writes as null is unreadable
    there, not new; `compare.diff` shows it as DVC does, as no value."""
    raw: dict[str, Any] = {}
    _walk(_require_mapping(doc, path), "", raw)
    return {
        k: v
        for k, v in raw.items()
        if isinstance(v, bool | int | float | str) or (keep_null and v is None)
    }


def flatten_params(doc: Any, path: str) -> Flat:
    raw: dict[str, Any] = {}
    _walk(_require_mapping(doc, path), "", raw)
    out: Flat = {}
    for key, value in raw.items():
        if isinstance(value, bool | int | float | str) or value is None:
            out[key] = value
        else:
            out[key] = str(value)
    return out


def load_metrics(text: str | bytes, path: str, *, keep_null: bool = False) -> Flat:
    return flatten_metrics(parse_document(text, path), path, keep_null=keep_null)


def load_base_metrics(text: str | bytes, path: str) -> Flat:
    """A base revision's metrics: nulls kept, to be told from absent keys."""
    return load_metrics(text, path, keep_null=True)


def load_params(text: str | bytes, path: str) -> Flat:
    return flatten_params(parse_document(text, path), path)


def is_number(value: Scalar) -> bool:
    """True for ints and floats (NaN included), False for bools, strings and None."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_value(value: Scalar, digits: int = 6) -> str:
    """A value as a person reads it: `0.9123`, `nan`, `True`, `-` for missing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.{digits}g}"
    return value


def select_params(values: Mapping[str, Any], keys: tuple[str, ...] | None) -> dict[str, Any]:
    """The flattened values DVC shows for a params file tracked by `keys` (None: all)."""
    if keys is None:
        return dict(values)
    out: dict[str, Any] = {}
    for name, value in values.items():
        for key in keys:
            if _key_matches(name, key):
                out[name] = value
                break
    return out


def _key_matches(name: str, key: str) -> bool:
    if name == key or name.startswith(key + "."):
        return True
    if any(c in key for c in "*?["):
        parts, pats = name.split("."), key.split(".")
        return len(parts) >= len(pats) and all(
            fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pats, strict=False)
        )
    return False
