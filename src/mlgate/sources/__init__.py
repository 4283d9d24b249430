"""Adapters that read revisions: git (fast path for git-tracked files) and DVC."""
