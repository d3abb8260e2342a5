"""Prompt templates live as files in `prompts/`; this loads and fills them."""

from __future__ import annotations

from functools import cache

from rag.settings import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"


@cache
def template(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8").strip()


def render(name: str, **values: object) -> str:
    return template(name).format(**values)
