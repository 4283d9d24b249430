"""Several DVC projects in one report, one comment and one status (issue 23): `plan` decides
whether the run covers several projects, `produce_all` produces each project's report in its
own directory (`mlgate report` on that directory, its gates routed by `mlgate.projects`) and
combines them into one.

Each project is gathered exactly as a single run in that directory would be: DVC opened at the
project's root at both revisions, its own base, its own on_missing_base. Its DVC views are
closed before the next project is opened. The one `.mlgate.yml` is the working directory's.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import Field, dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from mlgate import projects
from mlgate import redact as redact_mod
from mlgate import report as report_mod
from mlgate.config import Config
from mlgate.errors import GitError
from mlgate.gather import Gathered
from mlgate.governing import choose_config
from mlgate.log import Log
from mlgate.render import markdown, metrictables
from mlgate.render.header import WebLinks
from mlgate.report import Report
from mlgate.rules import GateResult, GateRule
from mlgate.settings import Settings
from mlgate.sources.git import Git


class Produced(Protocol):
    """`commands.report.Produced` as far as this module reads it (that module calls here)."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def report(self) -> Report: ...

    @property
    def gathered(self) -> Gathered: ...


P = TypeVar("P", bound=Produced)
Chosen = tuple[Config, str, str, list[str]]
TEMPLATE = "projects.md.j2"


@dataclass(frozen=True)
class Plan:
    """The config in force, and the project directories (None: the working directory alone)."""

    chosen: Chosen
    dirs: list[str] | None = None
    gates: dict[str, list[GateRule]] = dataclasses.field(default_factory=dict)

    def for_project(self, d: str) -> Chosen:
        """The config in force for one project: its own gates (its notes are the report's)."""
        config, base_ref, base_sha, _notes = self.chosen
        own = dataclasses.replace(config, gates=tuple(self.gates[d]), projects=(), template=None)
        return own, base_ref, base_sha, []


def plan(settings: Settings, git: Git, *, root: Path, log: Log, local: bool) -> Plan:
    """The config in force (chosen once, as `gather` chooses it) and the projects it names."""
    chosen = choose_config(settings, git, root, log, local=local)
    config, _ref, base_sha, _notes = chosen
    if not settings.projects and not config.projects:
        return Plan(chosen)
    dirs = projects.choose(
        settings.projects, config.projects, listing(git, base_sha), config.source
    )
    if dirs is None:
        return Plan(chosen)
    return Plan(chosen, dirs, projects.route(config.gates, dirs, config.source))


def listing(git: Git, base_sha: str) -> list[str]:
    """Every file below the working directory at base and in the workspace (not ignored)."""
    names = list(git.tree(base_sha))
    try:
        head = git.run("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except GitError:
        head = ""
    return [*names, *filter(None, head.split("\0"))]


def slug(d: str) -> str:
    """A project's subdirectory of the report directory."""
    return "top" if d == projects.TOP else re.sub(r"[^A-Za-z0-9._-]+", "_", d)


def close(g: Gathered) -> None:
    """The project's DVC views (a `Repo` holds a git repository and a state database)."""
    for rev in (g.base_commit, g.head):
        if rev.dvc is not None:
            rev.dvc.close()


def missing(d: str, rules: Sequence[GateRule], base: Report) -> Report:
    """A project the workspace does not have (the pull request removed it): each of its gates
    fails, never passes for want of metrics."""
    why = f"the project directory {d} is missing in the workspace"
    gates = tuple(GateResult(r, r.metric, "fail", why) for r in rules) or (
        GateResult(GateRule(metric=f"{d}:*"), d, "fail", why),
    )
    passed, verdict = report_mod.verdict_line(gates, False)
    return dataclasses.replace(
        base, passed=passed, verdict=verdict, gates=gates, metrics=(), params=(), plots=(), notes=()
    )


def produce_all(
    the_plan: Plan,
    one: Callable[..., P],
    *,
    settings: Settings,
    root: Path,
    out_dir: Path,
    comment_id: str | None,
    redact_doc: Callable[[Any, Callable[[str], str]], Any],
) -> P:
    """Each project's report (`one`: `commands.report.produce` for a directory), combined."""
    assert the_plan.dirs is not None
    done = produce_each(the_plan, one, root=root, out_dir=out_dir)
    first = next((p for _d, p in done if p is not None), None)
    if first is None:
        raise GitError(f"none of the projects {', '.join(the_plan.dirs)} is in the workspace")
    parts = [
        projects.Part(d, p.report if p else missing(d, the_plan.gates[d], first.report))
        for d, p in done
    ]
    combined = combine_reports(the_plan, parts)
    secrets = redact_mod.secret_values(os.environ, extra=[settings.github_token])
    redact = redact_mod.redactor(secrets)
    tables = metrictables.prepare(combined)
    cid = comment_id or settings.comment_id
    text = markdown.render(
        combined,
        comment_id=cid,
        template=TEMPLATE,
        tables=tables,
        web=WebLinks.from_environ(os.environ),  # commits and this run linked in CI (issue 25)
        projects=sections(parts),
    )
    result = report_mod.result_json(
        combined,
        comment_id=cid,
        projects=[
            {"dir": x.dir, "passed": x.report.passed, "verdict": x.report.verdict} for x in parts
        ],
    )
    return dataclasses.replace(
        first,
        report=combined,
        markdown=redact(text),
        result=redact_doc(result, redact),
        out_dir=out_dir,
        mermaid_markdown=None,
        inline_later=None,  # no inline-chart variant of the combined report
        full_table=redact(metrictables.full_tables(tables)),
        hidden_rows=tables.hidden,
    )


def produce_each(
    the_plan: Plan, one: Callable[..., P], *, root: Path, out_dir: Path
) -> list[tuple[str, P | None]]:
    """Each project's own report, its plots moved under its subdirectory; None: not in the
    workspace."""
    assert the_plan.dirs is not None
    done: list[tuple[str, P | None]] = []
    for d in the_plan.dirs:
        where = root if d == projects.TOP else root / d
        if not where.is_dir():
            done.append((d, None))
            continue
        sub = f"plots/{slug(d)}"  # a bundle publishes images under plots/ only
        p = one(root=where, out_dir=out_dir / sub, chosen=the_plan.for_project(d))
        close(p.gathered)
        rep = dataclasses.replace(
            p.report, plots=tuple(projects.moved(e, sub) for e in p.report.plots)
        )
        done.append((d, dataclasses.replace(p, report=rep)))
    return done


def combine_reports(the_plan: Plan, parts: Sequence[projects.Part]) -> Report:
    """The projects' reports as one, with the notes that hold for all of them."""
    config = the_plan.chosen[0]
    combined = projects.combine(config.title, parts)
    notes = list(the_plan.chosen[3])  # which .mlgate.yml is in force: once, for every project
    if config.template:  # nothing silent: the user's template is for one project's report
        notes.append(f"{config.template} (`template:`) is not used for several projects")
    return dataclasses.replace(combined, notes=(*notes, *combined.notes))


def sections(parts: Sequence[projects.Part]) -> list[dict[str, Any]]:
    """What the template shows per project: its directory, its own report, and whether its
    tables need a path column."""
    return [
        {
            "dir": p.dir,
            "report": p.report,
            "show_path": len({r.change.path for r in p.report.metrics}) > 1,
            "show_param_path": len({c.path for c in p.report.params}) > 1,
        }
        for p in parts
    ]
