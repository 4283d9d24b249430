"""Short labels for charts: what tells apart things of the same name from different files. Pure.

Three `f1` bars from `eval/a/metrics.json`, `eval/b/metrics.json` and `eval/c/metrics.json`
read `f1 (a)`, `f1 (b)`, `f1 (c)`: the part of each path the others do not share.
"""

from __future__ import annotations

from collections.abc import Sequence


def distinct_parts(paths: Sequence[str]) -> dict[str, str]:
    """Each path's segments that differ from the others' (the common leading and trailing
    segments cut off); the whole path where that leaves nothing or two alike."""
    unique = list(dict.fromkeys(paths))
    if len(unique) <= 1:
        return dict.fromkeys(unique, "")
    split = [p.split("/") for p in unique]
    lead = 0
    while all(len(s) > lead for s in split) and len({s[lead] for s in split}) == 1:
        lead += 1
    trail = 0
    while (
        all(len(s) > lead + trail for s in split)
        and len({s[len(s) - 1 - trail] for s in split}) == 1
    ):
        trail += 1
    parts = ["/".join(s[lead : len(s) - trail]) for s in split]
    if "" in parts or len(set(parts)) < len(parts):
        return {p: p for p in unique}
    return dict(zip(unique, parts, strict=True))


def metric_labels(names: Sequence[tuple[str, str]]) -> list[str]:
    """Each (path, key) as its key; where the key repeats across files, `key (part)` with the
    part of the path that tells those files apart."""
    files: dict[str, list[str]] = {}
    for path, key in names:
        files.setdefault(key, []).append(path)
    parts = {key: distinct_parts(paths) for key, paths in files.items() if len(set(paths)) > 1}
    return [f"{key} ({parts[key][path]})" if key in parts else key for path, key in names]
