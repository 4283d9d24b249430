"""`.mlgate.yml`: the repository's gate rules and file lists. Parsed from a mapping, strictly.

Unknown keys are rejected with the list of accepted ones, so a typo (`max_dorp`) cannot silently
turn a gate off.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mlgate.datarules import DataRule, parse_data_rules
from mlgate.errors import ConfigError, InputError
from mlgate.metrics import parse_document

Direction = Literal["higher", "lower"]
OnMissing = Literal["fail", "warn", "ignore"]

TOP_KEYS = (
    "base",
    "metrics",
    "params",
    "plots",
    "gates",
    "title",
    "template",
    "data",
    "base_run",
)
GATE_KEYS = (
    "metric",
    "direction",
    "max_drop",
    "max_drop_pct",
    "min",
    "max",
    "on_missing",
    "on_missing_base",
)
ON_MISSING = ("fail", "warn", "ignore")


@dataclass(frozen=True, kw_only=True)
class GateRule:
    metric: str
    direction: Direction = "higher"
    max_drop: float | None = None
    max_drop_pct: float | None = None
    min: float | None = None
    max: float | None = None
    on_missing: OnMissing = "fail"
    # when the base value cannot be read (file missing or corrupt at base, DVC object missing):
    # fail closed by default, since "unknown" must never pass as "new"
    on_missing_base: OnMissing = "fail"
    # which gate kind judges this rule (`mlgate.gatekinds`) and its own options; "scalar" is
    # the plain two-number comparison above
    kind: str = "scalar"
    options: Any = None

    @property
    def strict(self) -> bool:
        """No tolerance and no bound given: any worsening fails."""
        return self.max_drop is None and self.max_drop_pct is None and self.bound is None

    @property
    def bound(self) -> float | None:
        return self.min if self.direction == "higher" else self.max


@dataclass(frozen=True, kw_only=True)
class Config:
    base: str | None = None
    metrics: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()
    gates: tuple[GateRule, ...] = ()
    title: str = "mlgate report"
    template: str | None = None  # a Jinja2 file that may extend "report.md.j2"
    data: tuple[DataRule, ...] = ()  # tabular files to check (datarules)
    source: str = ".mlgate.yml"
    present: bool = field(default=False)
    base_run: str | None = None  # auto | always | never (issue 14); the input overrides it


def _fail(source: str, where: str, problem: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {problem}")


def _check_keys(raw: Mapping[str, Any], allowed: tuple[str, ...], source: str, where: str) -> None:
    unknown = [str(k) for k in raw if k not in allowed]
    if unknown:
        raise _fail(
            source,
            where,
            f"unknown key {unknown[0]!r}; accepted keys: {', '.join(allowed)}",
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


def _str_list(value: Any, source: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        for i, v in enumerate(value):
            if not isinstance(v, str) or not v.strip():
                raise _fail(source, f"{where}[{i}]", f"expected a file path, got {shown(v)}")
        return tuple(value)
    raise _fail(source, where, f"expected a file path or a list of file paths, got {shown(value)}")


def _number(value: Any, source: str, where: str, *, non_negative: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(source, where, f"expected a number, got {shown(value)}")
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise _fail(source, where, "expected a number within ±1.8e308, got a larger integer")
    if not math.isfinite(value):
        raise _fail(source, where, f"expected a finite number, got {shown(value)}")
    if non_negative and value < 0:
        raise _fail(source, where, f"expected a number >= 0, got {shown(value)}")
    return float(value)


def _choice(value: Any, choices: tuple[str, ...], default: str, source: str, where: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or value not in choices:
        raise _fail(source, where, f"expected one of {', '.join(choices)}, got {shown(value)}")
    return value


def parse_gate(raw: Any, source: str, index: int) -> GateRule:
    where = f"gates[{index}]"
    if not isinstance(raw, Mapping):
        raise _fail(source, where, f"expected a mapping with at least `metric:`, got {shown(raw)}")
    from mlgate import gatekinds  # the kinds import this module for GateRule

    _check_keys(raw, GATE_KEYS + gatekinds.option_keys(), source, where)
    kind, options = gatekinds.parse_options(raw, lambda key, why: _fail(source, key, why), where)
    metric = raw.get("metric")
    if not isinstance(metric, str) or not metric.strip():
        got = "" if metric is None else f", got {shown(metric)}"
        raise _fail(source, f"{where}.metric", f"required: a metric name, glob or path:name{got}")
    direction = _choice(
        raw.get("direction"), ("higher", "lower"), "higher", source, f"{where}.direction"
    )
    min_ = _number(raw.get("min"), source, f"{where}.min")
    max_ = _number(raw.get("max"), source, f"{where}.max")
    if direction == "higher" and max_ is not None:
        raise _fail(source, f"{where}.max", "`max:` goes with `direction: lower`; use `min:`")
    if direction == "lower" and min_ is not None:
        raise _fail(source, f"{where}.min", "`min:` goes with `direction: higher`; use `max:`")
    return GateRule(
        metric=metric.strip(),
        direction=direction,  # type: ignore[arg-type]
        max_drop=_number(raw.get("max_drop"), source, f"{where}.max_drop", non_negative=True),
        max_drop_pct=_number(
            raw.get("max_drop_pct"), source, f"{where}.max_drop_pct", non_negative=True
        ),
        min=min_,
        max=max_,
        on_missing=_choice(  # type: ignore[arg-type]
            raw.get("on_missing"), ON_MISSING, "fail", source, f"{where}.on_missing"
        ),
        on_missing_base=_choice(  # type: ignore[arg-type]
            raw.get("on_missing_base"), ON_MISSING, "fail", source, f"{where}.on_missing_base"
        ),
        kind=kind,
        options=options,
    )


def parse_config(raw: Any, source: str = ".mlgate.yml") -> Config:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise _fail(
            source,
            "top level",
            f"expected a mapping (keys: {', '.join(TOP_KEYS)}), got {shown(raw)}",
        )
    _check_keys(raw, TOP_KEYS, source, "top level")
    base = raw.get("base")
    if base is not None and (not isinstance(base, str) or not base.strip()):
        raise _fail(source, "base", f"expected a branch or git ref name, got {shown(base)}")
    gates_raw = raw.get("gates")
    if gates_raw is None:  # `gates:` left empty, or absent: no gates
        gates_raw = []
    if not isinstance(gates_raw, list):
        # `gates: {}` or `gates: 0` is a mistake, never "no gates": fail closed
        raise _fail(
            source,
            "gates",
            f"expected a list of gate rules (`- metric: ...`), got {shown(gates_raw)}",
        )
    title = raw.get("title", "mlgate report")
    if not isinstance(title, str):
        raise _fail(source, "title", f"expected text, got {shown(title)}")
    template = raw.get("template")
    if template is not None and (not isinstance(template, str) or not template.strip()):
        raise _fail(
            source,
            "template",
            f"expected the path of a Jinja2 template file, got {shown(template)}",
        )
    base_run = raw.get("base_run")
    if base_run is not None:
        base_run = _choice(base_run, ("auto", "always", "never"), "auto", source, "base_run")
    return Config(
        base_run=base_run,
        template=template,
        base=base.strip() if isinstance(base, str) else None,
        metrics=_str_list(raw.get("metrics"), source, "metrics"),
        params=_str_list(raw.get("params"), source, "params"),
        plots=_str_list(raw.get("plots"), source, "plots"),
        gates=tuple(parse_gate(g, source, i) for i, g in enumerate(gates_raw)),
        title=title,
        data=parse_data_rules(raw.get("data"), source),
        source=source,
        present=True,
    )


def load_config(text: str | bytes | None, source: str) -> Config:
    """Config from a file's text; None (no file) gives the defaults."""
    if text is None:
        return Config(source=source)
    try:
        doc = parse_document(text, source)
    except InputError as exc:
        raise ConfigError(str(exc)) from exc
    return parse_config(doc, source)
