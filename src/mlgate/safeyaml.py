"""YAML with a budget: PyYAML's safe loader, refusing alias expansion beyond mlgate's limits.

Aliases are cheap to parse (a node is shared) but each use counts again when the document is
walked or flattened: nine levels of ten aliases ("billion laughs") took 49 s and then a
MemoryError. The composed node graph is measured, aliases expanded, before anything is built.
"""

from __future__ import annotations

from typing import Any

import yaml

from mlgate import limits


class LimitError(ValueError):
    """The document is over one of mlgate's limits; the message says which."""


class _Loader(yaml.SafeLoader):
    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > limits.MAX_YAML_ALIASES:
                raise LimitError(
                    f"more than {limits.MAX_YAML_ALIASES:,} YAML aliases (`*name`), above "
                    "mlgate's limit; write the values out"
                )
        return super().compose_node(parent, index)


def expanded_size(root: yaml.Node) -> int:
    """Nodes in the document with every alias expanded, counted without recursion."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > limits.MAX_DOCUMENT_VALUES:
                raise LimitError(
                    f"expands to more than {limits.MAX_DOCUMENT_VALUES:,} values through YAML "
                    "aliases (`&name`/`*name`), above mlgate's limit; write the values out"
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise LimitError("a YAML alias refers to itself (a recursive structure)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load(text: str) -> Any:
    """The first document of `text`, like `yaml.safe_load`, within mlgate's limits."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
