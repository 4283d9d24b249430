"""mlgate's limits on what it reads and renders, in one place (docs/limits.md lists them).

A pull request's files are hostile input: without these, a 44 MB metrics file with two million
keys took minutes and gigabytes, and a YAML alias bomb or a template with nested loops never ended.
Each limit has its own message naming the file and the limit.
"""

from __future__ import annotations

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # a metrics, params, dvc.yaml/lock or .mlgate.yml file
# Any one file read whole from the workspace (metrics, params, plot data, images): a training can
# leave a sparse 20 GB file that reads as zeros for minutes (issue 21)
MAX_READ_BYTES = 100 * 1024 * 1024
MAX_DOCUMENT_VALUES = 100_000  # values (leaves and containers) in one document, aliases expanded
MAX_DEPTH = 100  # nesting of mappings and lists in one document
MAX_YAML_ALIASES = 1_000  # alias (`*name`) uses in one YAML document
# The largest magnitude a number may have: beyond it a value cannot be compared as a float.
MAX_NUMBER = 1.7976931348623157e308

# Rows of the comment's metrics and params tables: gated metrics, then the largest relative
# changes; a line counts the rest, which are in the job summary and the report's all-metrics.md.
COMMENT_TABLE_ROWS = 50
CHART_BARS = 30  # bars of the metric-change summary chart: the largest relative changes
SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary over 1 MiB

MAX_TEMPLATE_BYTES = 1024 * 1024  # a user template file
MAX_RENDER_SECONDS = 10.0  # rendering the report from a user template
MAX_RENDER_BYTES = 5 * 1024 * 1024  # the Markdown a template renders (a comment holds 65,536)
MAX_RENDER_MEMORY = 256 * 1024 * 1024  # growth of the process while rendering a user template


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} MB"
