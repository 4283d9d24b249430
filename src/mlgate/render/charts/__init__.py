"""Chart kinds: one module per kind in this package, chosen by a plot's DVC `template:`.

The one table from a template name to the module that draws it is `mlgate.charttable` (plain
data in the core: the pipeline parser reads it too). A new chart kind is a module here that
defines `KIND` (a `base.ChartKind`), plus its row in that table.
"""

from __future__ import annotations

from mlgate.charttable import TEMPLATES, unknown_template

__all__ = ["TEMPLATES", "unknown_template"]
