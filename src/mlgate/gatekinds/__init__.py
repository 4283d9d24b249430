"""Gate kinds: each kind is one module that declares its `.mlgate.yml` keys, what evidence it
needs (two scalars, per-example rows, the base branch's history) and turns a rule, a metric's
change and that evidence into a verdict. Pure: `mlgate.evidence` gathers what the kinds need
before evaluation, so a new kind is one module here (added to KINDS) plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mlgate.slices import Column
from mlgate.stats import Paired

if TYPE_CHECKING:
    from mlgate.compare import Change, Diff
    from mlgate.config import GateRule
    from mlgate.gates import GateResult

Need = Literal["scalars", "paired", "history"]
Fail = Callable[[str, str], Exception]  # (key path, problem) -> the config error to raise


@dataclass(frozen=True)
class Evidence:
    """What the adapters found for one rule: per-example rows at both revisions (or why there
    are none) and, per metric, the base branch's recent values (or why there are none)."""

    paired: Paired | None = None
    paired_source: str = ""
    paired_problem: str | None = None
    history: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # by `path:key`
    history_problem: Mapping[str, str] = field(default_factory=dict)
    history_commits: int = 0
    slices: Mapping[str, Column] = field(default_factory=dict)  # slice columns by name (issue 26)
    slices_problem: str | None = None


NO_EVIDENCE = Evidence()


class GateKind(Protocol):
    """One kind of gate. `parse` returns its options when the rule uses one of its keys (else
    None); `evaluate` judges one metric; `evaluate_unmatched` may judge a rule whose metric
    no metrics file has (a metric the kind computes itself), else returns None."""

    name: str
    keys: tuple[str, ...]
    needs: frozenset[Need]

    def parse(self, raw: Mapping[str, Any], fail: Fail, where: str) -> Any | None: ...

    def evaluate(
        self, rule: GateRule, change: Change, base_error: str | None, evidence: Evidence
    ) -> GateResult: ...

    def evaluate_unmatched(self, rule: GateRule, evidence: Evidence) -> GateResult | None: ...


def kinds() -> tuple[GateKind, ...]:
    from mlgate.gatekinds import history, paired

    return (paired.KIND, history.KIND)


def option_keys() -> tuple[str, ...]:
    return tuple(k for kind in kinds() for k in kind.keys)


def parse_options(raw: Mapping[str, Any], fail: Fail, where: str) -> tuple[str, Any]:
    """The rule's kind and options: the kind whose keys it uses, or "scalar"."""
    found = [(kind, kind.parse(raw, fail, where)) for kind in kinds()]
    used = [(kind.name, opts) for kind, opts in found if opts is not None]
    if len(used) > 1:
        names = " and ".join(f"`{n}`" for n, _ in used)
        raise fail(where, f"one gate cannot be both {names}: write two gates on the metric")
    return used[0] if used else ("scalar", None)


def kind_of(rule: GateRule) -> GateKind | None:
    for kind in kinds():
        if kind.name == rule.kind:
            return kind
    return None  # the scalar kind: `mlgate.gates` itself


def needs(rules: Iterable[GateRule]) -> set[Need]:
    out: set[Need] = set()
    for rule in rules:
        kind = kind_of(rule)
        out |= set(kind.needs) if kind else {"scalars"}
    return out


def evaluate(
    rules: Sequence[GateRule], result: Diff, evidence: Mapping[int, Evidence] | None = None
) -> tuple[GateResult, ...]:
    """Each rule (by its index in `rules`) with its kind and evidence; scalar rules exactly as
    `gates.evaluate`."""
    from mlgate import gates

    evidence = evidence or {}
    out: list[GateResult] = []
    for i, rule in enumerate(rules):
        kind = kind_of(rule)
        if kind is None:
            out.extend(gates.evaluate([rule], result))
            continue
        ev = evidence.get(i, NO_EVIDENCE)
        matched = [c for c in result.changes if gates.matches(rule.metric, c.path, c.key)]
        if not matched:
            own = kind.evaluate_unmatched(rule, ev)
            out.extend([own] if own else gates.evaluate([rule], result))
            continue
        out.extend(kind.evaluate(rule, c, result.base_error(c), ev) for c in matched)
    return tuple(out)
