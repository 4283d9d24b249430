"""Gate kinds: the table of kinds, and each rule judged by its kind. Pure.

A kind is one module here that declares its `.mlgate.yml` keys, the evidence it wants
(`base.Request`), and turns a rule, a metric's change and that evidence into a verdict; the
adapters (`mlgate.evidence`) serve the requests by type before evaluation. A new kind is one
module and one entry in `KINDS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlgate.compare import Diff
from mlgate.gatekinds import history, paired, scalar
from mlgate.gatekinds.base import NO_EVIDENCE, Evidence, Fail, GateKind, Request, Trend
from mlgate.rules import GateResult, GateRule, matches

# scalar first: the kind of a rule that uses no other kind's keys
KINDS: tuple[GateKind, ...] = (scalar.KIND, paired.KIND, history.KIND)


def option_keys() -> tuple[str, ...]:
    return tuple(k for kind in KINDS for k in kind.keys)


def parse_options(raw: Mapping[str, Any], fail: Fail, where: str) -> tuple[str, Any]:
    """The rule's kind and options: the kind whose keys it uses, or the scalar kind."""
    found = [(kind, kind.parse(raw, fail, where)) for kind in KINDS]
    used = [(kind.name, opts) for kind, opts in found if opts is not None]
    if len(used) > 1:
        names = " and ".join(f"`{n}`" for n, _ in used)
        raise fail(where, f"one gate cannot be both {names}: write two gates on the metric")
    return used[0] if used else (scalar.KIND.name, None)


def kind_of(rule: GateRule) -> GateKind:
    return next((kind for kind in KINDS if kind.name == rule.kind), scalar.KIND)


def wants(rules: Sequence[GateRule]) -> dict[int, tuple[Request, ...]]:
    """What each rule (by its index) needs beyond two scalars; rules that need nothing left out."""
    out = {i: kind_of(rule).wants(rule) for i, rule in enumerate(rules)}
    return {i: requests for i, requests in out.items() if requests}


def evaluate(
    rules: Sequence[GateRule], result: Diff, evidence: Mapping[int, Evidence] | None = None
) -> tuple[GateResult, ...]:
    """Each rule (by its index in `rules`) judged by its kind, with its evidence; a rule that
    matches no metric is `on_missing`, unless its kind judges it alone."""
    evidence = evidence or {}
    out: list[GateResult] = []
    for i, rule in enumerate(rules):
        kind, ev = kind_of(rule), evidence.get(i, NO_EVIDENCE)
        matched = [c for c in result.changes if matches(rule.metric, c.path, c.key)]
        if not matched:
            out.append(kind.evaluate_unmatched(rule, ev) or scalar.unmatched(rule, result))
            continue
        out.extend(kind.evaluate(rule, c, result.base_error(c), ev) for c in matched)
    return tuple(out)


def trends(
    rules: Sequence[GateRule], result: Diff, evidence: Mapping[int, Evidence]
) -> list[Trend]:
    """The charts the rules' evidence makes, one per metric (the first rule's)."""
    out: dict[str, Trend] = {}
    for i, rule in enumerate(rules):
        ev = evidence.get(i, NO_EVIDENCE)
        for trend in kind_of(rule).trends(rule, result.changes, ev):
            out.setdefault(trend.name, trend)
    return list(out.values())
