"""Prompt templates are files (`rag/prompts/*.md`, shipped as package data); this loads and
fills them, from a checkout or an installed wheel alike."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


def names() -> list[str]:
    """Every prompt this package holds (the file names without `.md`)."""
    return sorted(p.name[:-3] for p in files(__package__).iterdir() if p.name.endswith(".md"))


@cache
def template(name: str) -> str:
    return files(__package__).joinpath(f"{name}.md").read_text(encoding="utf-8").strip()


def render(name: str, **values: object) -> str:
    return template(name).format(**values)
