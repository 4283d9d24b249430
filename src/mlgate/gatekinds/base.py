"""What a gate kind is: the protocol each kind implements, the evidence it may ask for beyond two
scalars, and the evidence the adapters answer with (`mlgate.evidence` serves each request by its
type, never by a kind's name). Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from mlgate.compare import Change
from mlgate.rules import GateResult, GateRule

if TYPE_CHECKING:  # annotations only: numpy loads when a gate kind first uses them (start-up)
    from mlgate.slices import Column
    from mlgate.slices import Options as SliceOptions
    from mlgate.stats import Paired

Fail = Callable[[str, str], Exception]  # (key path, problem) -> the config error to raise


# --- requests: what a kind asks the adapters for, besides the two scalars -------------------
@dataclass(frozen=True)
class PairedRows:
    """Per-example rows at base and head, aligned: from `predictions` (else the one confusion
    plot of dvc.yaml), with the slice columns when `slices` is set."""

    predictions: str | None
    slices: SliceOptions | None = None


@dataclass(frozen=True)
class MetricHistory:
    """The base branch's last `commits` values of every metric `metric` (a rule's pattern)
    matches."""

    metric: str
    commits: int


Request = PairedRows | MetricHistory


# --- evidence: what the adapters found --------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """What the adapters found for one rule: per-example rows at both revisions (or why there
    are none) and, per metric, the base branch's recent values (or why there are none)."""

    paired: Paired | None = None
    paired_source: str = ""
    paired_problem: str | None = None
    history: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # by `path:key`
    history_problem: Mapping[str, str] = field(default_factory=dict)
    # the short shas of the commits each history value came from, oldest first
    history_shas: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    slices: Mapping[str, Column] = field(default_factory=dict)  # slice columns by name (issue 26)
    slices_problem: str | None = None


NO_EVIDENCE = Evidence()


@dataclass(frozen=True)
class Trend:
    """One metric's values on the base branch (oldest first) and the PR's, for the chart."""

    name: str
    values: tuple[float, ...]
    commits: tuple[str, ...]
    head: float | None
    sigma: float
    better: str  # "higher" | "lower"


class GateKind(Protocol):
    """One kind of gate. `parse` returns its options when the rule uses one of its keys (else
    None); `wants` says what evidence it needs beyond two scalars; `evaluate` judges one
    metric; `evaluate_unmatched` may judge a rule whose metric no metrics file has (a metric
    the kind computes itself), else returns None; `trends` are the charts its evidence makes."""

    name: str
    keys: tuple[str, ...]

    def parse(self, raw: Mapping[str, Any], fail: Fail, where: str) -> Any | None: ...

    def wants(self, rule: GateRule) -> tuple[Request, ...]: ...

    def evaluate(
        self, rule: GateRule, change: Change, base_error: str | None, evidence: Evidence
    ) -> GateResult: ...

    def evaluate_unmatched(self, rule: GateRule, evidence: Evidence) -> GateResult | None: ...

    def trends(
        self, rule: GateRule, changes: Iterable[Change], evidence: Evidence
    ) -> list[Trend]: ...
