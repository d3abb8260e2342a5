"""Taking an answer away: Markdown with numbered references, and BibTeX of the cited papers."""

from __future__ import annotations

import re

from rag.metadata import PaperMeta
from rag.text import fold
from rag.types import Answer, Source

_BIB_SPECIAL = re.compile(r"([&%$#_{}])")
_KEY_WORD = re.compile(r"[A-Za-z0-9]+")


def cited_sources(answer: Answer) -> list[Source]:
    """The papers the answer cites, in source order (the closest ones for a refusal)."""
    cited = {c.n for c in answer.citations}
    return [s for s in answer.sources if s.n in cited] or answer.sources


def reference(source: Source) -> str:
    """'Smith, A.; Lee, B. (2023). Title. Venue. https://doi.org/…' from what is known."""
    parts = []
    if source.authors:
        names = source.authors[:6] + (["et al."] if len(source.authors) > 6 else [])
        parts.append("; ".join(names) + (f" ({source.year})." if source.year else "."))
    elif source.year:
        parts.append(f"({source.year}).")
    parts.append(f"*{source.label}*.")
    if source.venue:
        parts.append(f"{source.venue}.")
    if source.url:
        parts.append(f"<{source.url}>")
    return " ".join(parts)


def to_markdown(answer: Answer) -> str:
    lines = [f"**Question:** {answer.question}", "", answer.text.strip(), ""]
    for notice in answer.notices:
        lines.append(f"> Note: {notice}")
    for check in answer.unsupported:
        lines.append(f"> Not clearly supported by the cited abstracts: {check.text}")
    if answer.notices or answer.unsupported:
        lines.append("")
    lines.append("**References**" if not answer.refused else "**Closest papers**")
    lines.append("")
    lines += [f"[{s.n}] {reference(s)}" for s in cited_sources(answer)]
    return "\n".join(lines) + "\n"


def to_bibtex(answer: Answer) -> str:
    entries, keys = [], set()
    for source in cited_sources(answer):
        key = _key(source)
        while key in keys:
            key += "a"
        keys.add(key)
        entries.append(_entry(key, source))
    return "\n\n".join(entries) + ("\n" if entries else "")


def _entry(key: str, source: Source) -> str:
    fields = {
        "title": source.title or source.label,
        "author": " and ".join(source.authors),
        "year": str(source.year or ""),
        "journal": source.venue or "",
        "doi": source.doi or "",
        "eprint": source.arxiv_id or "",
        "archiveprefix": "arXiv" if source.arxiv_id else "",
        "pmid": source.pmid or "",
        "url": source.url or "",
        "abstract": source.abstract,
    }
    kind = "article" if source.venue else "misc"
    body = ",\n".join(f"  {name} = {{{_escape(value)}}}" for name, value in fields.items() if value)
    return f"@{kind}{{{key},\n{body}\n}}"


def _key(source: Source) -> str:
    last = PaperMeta(authors=source.authors).byline().split(",")[0].split(" ")[0]
    word = next(iter(_KEY_WORD.findall(fold(source.title or ""))), "untitled")
    # accents folded, not dropped: Müller -> muller, not mller
    return re.sub(r"[^a-z0-9]", "", fold(f"{last or 'paper'}{source.year or ''}{word}"))


def _escape(value: str) -> str:
    return _BIB_SPECIAL.sub(r"\\\1", " ".join(value.split()))
