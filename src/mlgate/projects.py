"""Several DVC projects of one repository in one report (issue 23): which projects, which gates
each gets, and the one verdict over all of them. Pure: the listing of the repository is given.

Projects are directories relative to the top of the git repository (`.` is the top). They come
from `--project DIR` / the `projects` input, else from `.mlgate.yml` `projects:` (a list, or
`auto`: every directory holding a `.dvc/` at base or head). None given: one project, the
working directory, as before.

A gate's `metric:` names a project by the directory its path part starts with:
`a:acc` is `acc` in any metrics file of project `a`, `a/eval/metrics.json:acc` is that file
(`eval/metrics.json` in `a`, as `dvc metrics diff` names it there), and a metric with no path
part (`acc`, `*.f1`) applies to every project on its own. A path part that starts with no
project's directory is a configuration error, with the closest directory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from mlgate.errors import ConfigError
from mlgate.report import MetricRow, PlotEntry, Report, verdict_line
from mlgate.rules import GateRule
from mlgate.schema import did_you_mean
from mlgate.sources.project import DVC_DIR, subrepos

TOP = "."


def clean_dir(raw: str, source: str) -> str:
    """A project directory as a plain relative POSIX path (`.` for the top of the repository);
    an absolute path or one leading out of the repository is refused."""
    path = PurePosixPath(raw.strip().replace("\\", "/"))
    parts = [p for p in path.parts if p not in (".", "")]
    if path.is_absolute() or ".." in parts:
        raise ConfigError(
            f"{source}: project {raw!r}: expected a directory inside the repository, relative "
            "to its top (like `projects/a`, or `.` for the top)"
        )
    return "/".join(parts) or TOP


def discover(listing: Iterable[str]) -> list[str]:
    """Every DVC project in a repository listing: the top when it holds `.dvc/`, and each
    directory below with a `.dvc/` of its own (`sources.project.subrepos`)."""
    names = list(listing)
    top = [TOP] if any(n.startswith(f"{DVC_DIR}/") for n in names) else []
    return top + subrepos(names)


def choose(
    given: Sequence[str],
    configured: Sequence[str] | Literal["auto"],
    listing: Iterable[str],
    source: str,
) -> list[str] | None:
    """The project directories to report on, or None for the one working directory. `given`
    (flag or input) wins over `configured` (`.mlgate.yml`); a named directory the repository
    has not at base or head is an error naming the closest project."""
    names = set(listing)
    found = discover(names)
    if given:
        wanted, where = [clean_dir(d, "--project / input `projects`") for d in given], "--project"
    elif configured == "auto":
        if not found:
            raise ConfigError(f"{source}: projects: auto: no directory holds a .dvc/ directory")
        return found
    elif configured:
        wanted, where = [clean_dir(d, source) for d in configured], f"{source}: projects"
    else:
        return None
    dirs = {d.rsplit("/", 1)[0] for n in names for d in _parents(n)}
    for d in wanted:
        if d != TOP and d not in dirs:
            raise ConfigError(
                f"{where}: {d!r} is not a directory of the repository at base or head"
                f"{did_you_mean(d, found or sorted(dirs))}"
            )
    return list(dict.fromkeys(wanted))


def _parents(name: str) -> list[str]:
    parts = name.split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)]


def owner(path: str, dirs: Sequence[str]) -> str | None:
    """The project a repository path belongs to: the longest directory it starts with (the top,
    `.`, owns what no other project does)."""
    inside = [d for d in dirs if d != TOP and (path == d or path.startswith(d + "/"))]
    if inside:
        return max(inside, key=len)
    return TOP if TOP in dirs else None


def route(rules: Sequence[GateRule], dirs: Sequence[str], source: str) -> dict[str, list[GateRule]]:
    """Each project's gates, their `metric:` as DVC names it in the project's directory. A rule
    whose path part names no project is a ConfigError (exit 2) with the closest project."""
    out: dict[str, list[GateRule]] = {d: [] for d in dirs}
    for i, rule in enumerate(rules):
        if ":" not in rule.metric:
            for d in dirs:
                out[d].append(rule)
            continue
        path, key = rule.metric.rsplit(":", 1)
        mine = owner(path, dirs)
        if mine is None:
            first = path.split("/", 1)[0]
            raise ConfigError(
                f"{source}: gates[{i}].metric: {rule.metric!r} names no project of this report"
                f"{did_you_mean(path, dirs) or did_you_mean(first, dirs)}; projects: "
                f"{', '.join(dirs)} (write `<project>:<metric>` or `<project>/<file>:<metric>`)"
            )
        inner = path if mine == TOP else path[len(mine) + 1 :] or "*"
        out[mine].append(dataclasses.replace(rule, metric=f"{inner}:{key}"))
    return out


def shown(d: str, path: str) -> str:
    """A project's path as the repository names it."""
    return path if d == TOP else f"{d}/{path}"


def gate_name(d: str, metric: str) -> str:
    """A gate's `path:key` (or, when it matched nothing, its pattern) as the repository names
    it: the path part under the project's directory, else `<project>:<pattern>`."""
    if d == TOP:
        return metric
    return shown(d, metric) if ":" in metric else f"{d}:{metric}"


@dataclass(frozen=True)
class Part:
    """One project's own report, with its directory and report files' place."""

    dir: str
    report: Report


def _rows(d: str, rows: Iterable[MetricRow]) -> tuple[MetricRow, ...]:
    return tuple(
        dataclasses.replace(r, change=dataclasses.replace(r.change, path=shown(d, r.change.path)))
        for r in rows
    )


def combine(title: str, parts: Sequence[Part]) -> Report:
    """One report over every project: each gate, metric, param, note and chart named by its
    project's directory, and one verdict over all the gates (the first project's base and head)."""
    gates = tuple(
        dataclasses.replace(g, metric=gate_name(p.dir, g.metric), message=f"{p.dir}: {g.message}")
        for p in parts
        for g in p.report.gates
    )
    metrics = tuple(r for p in parts for r in _rows(p.dir, p.report.metrics))
    passed, verdict = verdict_line(gates, bool(metrics))
    broken = [p for p in parts if p.report.training and p.report.training.exit_code != 0]
    if broken:
        passed, verdict = False, f"{broken[0].dir}: {broken[0].report.verdict}"
    first = parts[0].report
    return dataclasses.replace(
        first,
        title=title,
        passed=passed,
        verdict=verdict,
        gates=gates,
        metrics=metrics,
        params=tuple(
            dataclasses.replace(c, path=shown(p.dir, c.path))
            for p in parts
            for c in p.report.params
        ),
        base_errors=_errors(parts, "base_errors"),
        head_errors=_errors(parts, "head_errors"),
        notes=tuple(f"{p.dir}: {n}" for p in parts for n in p.report.notes),
        plots=tuple(
            dataclasses.replace(e, id=f"{p.dir}:{e.id}", title=f"{p.dir}: {e.title}")
            for p in parts
            for e in p.report.plots
        ),
        data_changes=tuple(
            dataclasses.replace(c, path=shown(p.dir, c.path))
            for p in parts
            for c in p.report.data_changes
        ),
        data_changes_more=sum(p.report.data_changes_more for p in parts),
        tables=tuple(
            dataclasses.replace(t, path=shown(p.dir, t.path))
            for p in parts
            for t in p.report.tables
        ),
    )


def _errors(
    parts: Sequence[Part], side: Literal["base_errors", "head_errors"]
) -> tuple[tuple[str, str], ...]:
    return tuple((shown(p.dir, path), why) for p in parts for path, why in getattr(p.report, side))


def moved(entry: PlotEntry, sub: str) -> PlotEntry:
    """A project's chart, its image drawn in the project's own subdirectory of the report."""
    return dataclasses.replace(entry, image=f"{sub}/{entry.image}") if entry.image else entry
