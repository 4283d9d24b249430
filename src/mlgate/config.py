"""`.mlgate.yml`: the repository's gate rules and file lists. Parsed from a mapping, strictly.

Unknown keys are rejected with the list of accepted ones, so a typo (`max_dorp`) cannot silently
turn a gate off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mlgate import direction as direction_table
from mlgate import gatekinds
from mlgate.datarules import DataRule, parse_data_rules
from mlgate.errors import ConfigError, InputError
from mlgate.metrics import parse_document
from mlgate.rules import GateRule
from mlgate.schema import check_keys, choice, fail, number, shown

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
    "links",
    "projects",
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
_URL_PREFIX = re.compile(r"https://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s<>()\[\]\\]*)?")


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
    # URL prefixes a user template may link to, besides the repository (read from the base)
    links: tuple[str, ...] = ()
    # lines to print: a given `direction:` that contradicts the metric's name
    warnings: tuple[str, ...] = ()
    # in CI, why the base branch's own file, which governs the gates, cannot be read: the
    # verdict then fails closed (mlgate.governing)
    base_problem: str | None = None
    # several DVC projects in one report (mlgate.projects): their directories, or "auto"
    projects: tuple[str, ...] | Literal["auto"] = ()


def _str_list(value: Any, source: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        for i, v in enumerate(value):
            if not isinstance(v, str) or not v.strip():
                raise fail(source, f"{where}[{i}]", f"expected a file path, got {shown(v)}")
        return tuple(value)
    raise fail(source, where, f"expected a file path or a list of file paths, got {shown(value)}")


def _links(value: Any, source: str) -> tuple[str, ...]:
    """`links:`: https URL prefixes (`https://wandb.ai/my-team/`), whole hosts or paths."""
    items = [value] if isinstance(value, str) else value
    if value is None:
        return ()
    if not isinstance(items, list):
        raise fail(source, "links", f"expected a list of URL prefixes, got {shown(value)}")
    for i, item in enumerate(items):
        if not isinstance(item, str) or not _URL_PREFIX.fullmatch(item):
            raise fail(
                source,
                f"links[{i}]",
                f"expected an https URL prefix like https://wandb.ai/my-team/, got {shown(item)}",
            )
    return tuple(items)


def _projects(value: Any, source: str) -> tuple[str, ...] | Literal["auto"]:
    """`projects:`: `auto` (every DVC project of the repository) or a list of directories."""
    if value == "auto":
        return "auto"
    if isinstance(value, str):
        raise fail(source, "projects", f"expected `auto` or a list of directories, got {value!r}")
    return _str_list(value, source, "projects")


def _direction(given: Any, metric: str, source: str, where: str) -> tuple[str, str | None]:
    """The rule's direction: as given, else inferred from the metric's name by the one table
    (`mlgate.direction`); a name the table does not know needs `direction:`. A given direction
    the name contradicts is kept, with a warning."""
    key = metric.rsplit(":", 1)[-1]  # never the path: `loss/eval.json:acc` is an accuracy
    named = direction_table.infer(key)
    if given is None:
        if named is None:
            why = (
                direction_table.qualifier(key)
                or "no word of mlgate's table such as loss, error, rmse, acc, f1, auc"
            )
            raise fail(
                source,
                f"{where}.direction",
                f"required: {metric!r} does not say which way is better ({why}); add "
                "`direction: higher` or `direction: lower`",
            )
        return named, None
    chosen = choice(given, ("higher", "lower"), "higher", source, f"{where}.direction")
    if named is not None and named != chosen:
        return chosen, (
            f"{source}: {where}: `direction: {chosen}` on {metric!r}, whose name reads as "
            f"{named}-is-better; check that the rule gates the way you mean"
        )
    return chosen, None


def parse_gate(raw: Any, source: str, index: int) -> GateRule:
    where = f"gates[{index}]"
    if not isinstance(raw, Mapping):
        raise fail(source, where, f"expected a mapping with at least `metric:`, got {shown(raw)}")
    check_keys(raw, GATE_KEYS + gatekinds.option_keys(), source, where)
    kind, options = gatekinds.parse_options(raw, lambda key, why: fail(source, key, why), where)
    metric = raw.get("metric")
    if not isinstance(metric, str) or not metric.strip():
        got = "" if metric is None else f", got {shown(metric)}"
        raise fail(source, f"{where}.metric", f"required: a metric name, glob or path:name{got}")
    direction, warning = _direction(raw.get("direction"), metric.strip(), source, where)
    min_ = number(raw.get("min"), source, f"{where}.min")
    max_ = number(raw.get("max"), source, f"{where}.max")
    if direction == "higher" and max_ is not None:
        raise fail(source, f"{where}.max", "`max:` goes with `direction: lower`; use `min:`")
    if direction == "lower" and min_ is not None:
        raise fail(source, f"{where}.min", "`min:` goes with `direction: higher`; use `max:`")
    return GateRule(
        warning=warning,
        metric=metric.strip(),
        direction=direction,  # type: ignore[arg-type]
        max_drop=number(raw.get("max_drop"), source, f"{where}.max_drop", non_negative=True),
        max_drop_pct=number(
            raw.get("max_drop_pct"), source, f"{where}.max_drop_pct", non_negative=True
        ),
        min=min_,
        max=max_,
        on_missing=choice(  # type: ignore[arg-type]
            raw.get("on_missing"), ON_MISSING, "fail", source, f"{where}.on_missing"
        ),
        on_missing_base=choice(  # type: ignore[arg-type]
            raw.get("on_missing_base"), ON_MISSING, "fail", source, f"{where}.on_missing_base"
        ),
        kind=kind,
        options=options,
    )


def parse_config(raw: Any, source: str = ".mlgate.yml") -> Config:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise fail(
            source,
            "top level",
            f"expected a mapping (keys: {', '.join(TOP_KEYS)}), got {shown(raw)}",
        )
    check_keys(raw, TOP_KEYS, source, "top level")
    base = raw.get("base")
    if base is not None and (not isinstance(base, str) or not base.strip()):
        raise fail(source, "base", f"expected a branch or git ref name, got {shown(base)}")
    gates_raw = raw.get("gates")
    if gates_raw is None:  # `gates:` left empty, or absent: no gates
        gates_raw = []
    if not isinstance(gates_raw, list):
        # `gates: {}` or `gates: 0` is a mistake, never "no gates": fail closed
        raise fail(
            source,
            "gates",
            f"expected a list of gate rules (`- metric: ...`), got {shown(gates_raw)}",
        )
    title = raw.get("title", "mlgate report")
    if not isinstance(title, str):
        raise fail(source, "title", f"expected text, got {shown(title)}")
    template = raw.get("template")
    if template is not None and (not isinstance(template, str) or not template.strip()):
        raise fail(
            source,
            "template",
            f"expected the path of a Jinja2 template file, got {shown(template)}",
        )
    base_run = raw.get("base_run")
    if base_run is not None:
        base_run = choice(base_run, ("auto", "always", "never"), "auto", source, "base_run")
    gates = tuple(parse_gate(g, source, i) for i, g in enumerate(gates_raw))
    return Config(
        warnings=tuple(g.warning for g in gates if g.warning),
        base_run=base_run,
        template=template,
        base=base.strip() if isinstance(base, str) else None,
        metrics=_str_list(raw.get("metrics"), source, "metrics"),
        params=_str_list(raw.get("params"), source, "params"),
        plots=_str_list(raw.get("plots"), source, "plots"),
        gates=gates,
        title=title,
        data=parse_data_rules(raw.get("data"), source),
        links=_links(raw.get("links"), source),
        projects=_projects(raw.get("projects"), source),
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
