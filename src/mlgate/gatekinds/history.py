"""The `max_drop_sigma` gate: the base branch's last N values of the metric give a noise band
(their standard deviation σ); the gate fails when head is worse than base by more than
`max_drop_sigma`·σ and, where set, by more than `max_drop`/`max_drop_pct`. Bounds apply as ever."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlgate import lazy
from mlgate.compare import Change
from mlgate.gatekinds import _common, scalar
from mlgate.gatekinds.base import Evidence, Fail, MetricHistory, Request, Trend
from mlgate.metrics import is_number
from mlgate.rules import GateResult, GateRule
from mlgate.schema import shown

if TYPE_CHECKING:  # the modules, typed; at run time loaded at first use (numpy: start-up)
    from mlgate import stats
else:
    stats = lazy.module("mlgate.stats")


KEYS = ("max_drop_sigma", "history", "on_no_history")
MIN_VALUES = 3  # fewer values on the base branch give no usable spread
DEFAULT_COMMITS = 20
NO_HISTORY_FIX = "keep the metrics file in git on the base branch, or set `on_no_history: plain`"


@dataclass(frozen=True)
class Options:
    sigma: float
    commits: int = DEFAULT_COMMITS
    on_no_history: Literal["plain", "fail"] = "fail"


class HistoryKind:
    name: str = "max_drop_sigma"
    keys: tuple[str, ...] = KEYS

    def parse(self, raw: Mapping[str, Any], fail: Fail, where: str) -> Options | None:
        if not any(k in raw for k in KEYS):
            return None
        sigma = _common.number(raw, "max_drop_sigma", fail, where, lo=0.0, hi=100.0)
        if sigma is None:
            raise fail(f"{where}.max_drop_sigma", "required with `history:`/`on_no_history:`")
        commits = raw.get("history", DEFAULT_COMMITS)
        if isinstance(commits, bool) or not isinstance(commits, int) or not 3 <= commits <= 1000:
            raise fail(
                f"{where}.history",
                f"expected a number of base-branch commits from 3 to 1000, got {shown(commits)}",
            )
        on_no = _common.choice(raw, "on_no_history", ("plain", "fail"), fail, where)
        return Options(sigma, commits, on_no)  # type: ignore[arg-type]

    def wants(self, rule: GateRule) -> tuple[Request, ...]:
        return (MetricHistory(rule.metric, rule.options.commits),)

    def evaluate(
        self, rule: GateRule, change: Change, base_error: str | None, evidence: Evidence
    ) -> GateResult:
        opts: Options = rule.options
        plain = scalar.evaluate_one(rule, change, base_error)
        if not _common.comparable(change):
            return plain
        values = evidence.history.get(change.name, ())
        if len(values) < MIN_VALUES:
            return self._no_history(opts, change, plain, values, evidence)
        mean, sd = stats.history_band(values)
        base, head = float(change.old), float(change.new)  # type: ignore[arg-type]
        worsening = base - head if rule.direction == "higher" else head - base
        band = opts.sigma * sd
        beyond_noise = worsening > band + 1e-12
        movement = plain.message.split(";")[0]
        sig_text = f"{worsening / sd:.1f}σ" if sd > 0 else "any change (σ = 0)"
        text = (
            f"{movement}; base branch's last {len(values)} values: mean {scalar.fmt(mean)}, "
            f"σ {scalar.fmt(sd)}"
        )
        ok, bound = scalar.bound_check(rule, change.key, head)
        has_tol = _common.has_tolerance(rule)
        beyond_tol = _common.tolerance_exceeded(rule, change)
        if worsening <= 0:
            text += ": not worse"
        elif beyond_noise:
            text += f"; drop {sig_text}, beyond {scalar.fmt(opts.sigma)}σ"
            if has_tol:
                text += "; beyond the allowed drop" if beyond_tol else "; within the allowed drop"
        else:
            text += f"; drop {sig_text}, within {scalar.fmt(opts.sigma)}σ: within noise"
        failed = (beyond_noise and (beyond_tol or not has_tol)) or not ok
        if not ok:
            text += f"; {bound}"
        detail = {
            "kind": self.name,
            "values": list(values),
            "mean": mean,
            "sigma": sd,
            "max_drop_sigma": opts.sigma,
            "beyond_noise": beyond_noise,
        }
        return dataclasses.replace(
            plain, outcome="fail" if failed else "pass", message=text, detail=detail
        )

    def _no_history(
        self,
        opts: Options,
        change: Change,
        plain: GateResult,
        values: tuple[float, ...],
        evidence: Evidence,
    ) -> GateResult:
        """Too few values for a noise band: the plain comparison, or a failure, as the rule says."""
        why = evidence.history_problem.get(change.name) or (
            f"{len(values)} value(s) on the base branch's last {opts.commits} commits; "
            f"a noise band needs {MIN_VALUES}"
        )
        detail: dict[str, Any] = {"kind": self.name, "problem": why, "values": list(values)}
        if opts.on_no_history == "plain":
            return dataclasses.replace(
                plain,
                message=f"{plain.message} (plain comparison: no history: {why})",
                detail=detail,
            )
        return dataclasses.replace(
            plain,
            outcome="fail",
            message=f"{change.key}: no history: {why}; {NO_HISTORY_FIX}",
            detail=detail,
        )

    def evaluate_unmatched(self, rule: GateRule, evidence: Evidence) -> GateResult | None:
        return None

    def trends(self, rule: GateRule, changes: Iterable[Change], evidence: Evidence) -> list[Trend]:
        """The history chart of each metric with two values or more on the base branch."""
        out = []
        for c in changes:
            values = evidence.history.get(c.name, ())
            if len(values) < 2:
                continue
            head = float(c.new) if is_number(c.new) else None  # type: ignore[arg-type]
            shas = evidence.history_shas.get(c.name, ())[-len(values) :]
            out.append(Trend(c.name, values, shas, head, rule.options.sigma, rule.direction))
        return out


KIND = HistoryKind()
