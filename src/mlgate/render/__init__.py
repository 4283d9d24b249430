"""Rendering: Markdown (Jinja2 + tabulate), plots (matplotlib), HTML preview, size fitting."""
