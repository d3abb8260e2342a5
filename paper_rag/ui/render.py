"""Turn questions, answers and sources into safe Markdown/HTML for the chat UI.

Everything that comes from data (abstracts, titles, questions, LLM output) is escaped
here before any markup is added, so HTML or script in it shows as text and never runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from rag.coverage import gap
from rag.metadata import PaperMeta
from rag.types import Answer, SentenceCheck, Source

_CITE = re.compile(r"\[(\d+)\]")
# Markdown punctuation that could turn a question into formatting, links or images.
# not parentheses: with "[" and "!" escaped they make no link, and a URL keeps its ")"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|~])")
_MD_LINE_START = re.compile(r"^(\s*)(\d*)([-+=.)])", re.MULTILINE)
SCORE_HELP = "fused retrieval score (dense + BM25, reciprocal-rank fusion); higher is better"
_BLANK = re.compile(r"\s+")
_MARKERS_BETWEEN = r"(?:\s*\[\d+\])*\s*"
_GROUP_HEADING = re.compile(r"^(\[\d+\] \S.*)$", re.MULTILINE)  # "[2] Paper title" of a quote group


def esc(text: object) -> str:
    """Text content for HTML or Markdown: tags show as text."""
    return html.escape(str(text), quote=False)


def attr(text: object) -> str:
    """A value for a double-quoted HTML attribute."""
    return html.escape(str(text), quote=True)


def literal_md(text: str) -> str:
    """Markdown that displays `text` exactly as typed (no HTML, no formatting)."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return esc(_MD_LINE_START.sub(r"\1\2\\\3", text))


TITLE_CHARS = 300  # a long question heads the sources panel shortened


def _clip(question: str) -> str:
    return question if len(question) <= TITLE_CHARS else question[:TITLE_CHARS].rstrip() + " …"


def anchor(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def _safe_answer_md(text: str) -> str:
    """Answer text as Markdown: lists and emphasis render, HTML shows as text, no images."""
    return esc(text).replace("![", "!\\[")


def _link_citations(md: str, turn: int, labels: dict[int, str]) -> str:
    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in labels:
            return match.group(0)
        title = re.sub(r'["()\[\]\\]', "", labels[n])[:120]
        return f'[[{n}]](#{anchor(turn, n)} "{title}")'

    return _CITE.sub(link, md)


def streaming_md(text: str, turn: int, sources: Iterable[Source] = ()) -> str:
    """What the chat shows while the answer is still arriving."""
    labels = {s.n: esc(s.label) for s in sources}
    return _link_citations(_safe_answer_md(text), turn, labels) + " ▍"


def _mark_unsupported(md: str, checks: list[SentenceCheck]) -> tuple[str, int]:
    """Put a warning after each unsupported answer sentence found in the text."""
    marked = 0
    for check in checks:
        words = [re.escape(esc(w)) for w in _BLANK.split(check.text.strip()) if w]
        if not words:
            continue
        pattern = re.compile(_MARKERS_BETWEEN.join(words) + r"(?:\s*\[\d+\])*")
        reason = _reason(check)
        new, count = pattern.subn(
            lambda m, r=reason: f'{m.group(0)} <sup title="{attr(r)}">⚠ unsupported</sup>', md, 1
        )
        if count:
            md, marked = new, marked + 1
    return md, marked


def _reason(check: SentenceCheck) -> str:
    if not check.cites:
        return "cites no source"
    parts = [f"best support {check.support:.2f}"]
    if check.missing_numbers:
        parts.append("numbers not in the cited abstracts: " + ", ".join(check.missing_numbers))
    return "; ".join(parts)


def answer_md(answer: Answer, turn: int) -> str:
    """The final chat message of one answer."""
    labels = {s.n: esc(s.label) for s in answer.sources}
    md = _GROUP_HEADING.sub(r"\n\1", _safe_answer_md(answer.text))  # each paper its paragraph
    unsupported = [] if answer.refused else answer.unsupported
    md, _ = _mark_unsupported(md, unsupported)
    md = _link_citations(md, turn, labels)
    parts = []
    if answer.refused:
        parts.append("**Not answered: the abstracts do not cover this.**")
    parts.append(md)
    for notice in answer.notices:
        parts.append(f"> **Note:** {literal_md(notice)}")
    if answer.invalid_citations:
        parts.append(
            "> **Note:** Removed citations to sources that do not exist: "
            + ", ".join(f"\\[{n}\\]" for n in answer.invalid_citations)
        )
    footer = [f"answered by `{esc(answer.backend)}`"]
    if answer.sentences and not answer.refused:
        ok = len(answer.sentences) - len(answer.unsupported)
        footer.append(f"{ok}/{len(answer.sentences)} sentences supported")
    if coverage_gap(answer):
        footer.append("⚠ may not cover the question")
    if answer.standalone_question:
        understood = answer.standalone_question
        understood = understood if len(understood) <= 160 else understood[:160] + "…"
        footer.append(f"understood as: {literal_md(understood)}")
    parts.append("<sub>" + " · ".join(footer) + "</sub>")
    return "\n\n".join(parts)


def error_md(message: str) -> str:
    return f"**⚠ {literal_md(message)}**"


# -- sources panel ---------------------------------------------------------------------------
def highlighted_abstract(abstract: str, supporting: list[str]) -> str:
    """The abstract as escaped HTML with the supporting sentences in <mark>."""
    spans: list[tuple[int, int]] = []
    for sentence in supporting:
        start = abstract.find(sentence)
        if start >= 0:
            spans.append((start, start + len(sentence)))
    spans.sort()
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(esc(abstract[pos:start]))
        out.append(f'<mark class="support">{esc(abstract[start:end])}</mark>')
        pos = end
    out.append(esc(abstract[pos:]))
    return "".join(out)


def _card(source: Source, turn: int, cited: set[int], *, open_: bool) -> str:
    classes = "src-card" + (" cited" if source.n in cited else "")
    badge = '<span class="src-badge">cited</span>' if source.n in cited else ""
    n_support = len(source.supporting)
    support = (
        f'<span class="src-support">{n_support} supporting sentence'
        f"{'s' if n_support != 1 else ''} highlighted</span>"
        if n_support
        else ""
    )
    where = ", ".join(source.locations[:3])
    return (
        f'<div class="{classes}" id="{anchor(turn, source.n)}">'
        f'<div class="src-head"><span class="src-n">[{source.n}]</span> '
        f'<span class="src-label">{esc(source.label)}</span></div>'
        f"{_biblio(source)}"
        f'<div class="src-meta"><span title="{SCORE_HELP}">score {source.score:.3f}</span>'
        f" {badge} {support}"
        f'<span class="src-where" title="{attr(where)}">{esc(where)}</span></div>'
        f"<details{' open' if open_ else ''}><summary>Abstract</summary>"
        f'<p class="src-abstract">{highlighted_abstract(source.abstract, source.supporting)}</p>'
        "</details></div>"
    )


def _biblio(source: Source) -> str:
    """Authors, year and venue, and a link to the paper (doi.org, arxiv.org, PubMed)."""
    byline = PaperMeta(authors=source.authors, year=source.year).byline()
    text = " · ".join(x for x in (byline, source.venue or "") if x)
    link = ""
    if source.url and source.url.startswith(("https://", "http://")):
        link = (
            f' <a class="src-link" href="{attr(source.url)}" target="_blank" '
            f'rel="noopener noreferrer">{esc(_link_label(source))}</a>'
        )
    if not text and not link:
        return ""
    return f'<div class="src-biblio">{esc(text)}{link}</div>'


def _link_label(source: Source) -> str:
    if source.doi:
        return f"doi:{source.doi}"
    if source.arxiv_id:
        return f"arXiv:{source.arxiv_id}"
    return f"PMID {source.pmid}" if source.pmid else "link"


def _check_box(answer: Answer) -> str:
    if answer.refused:
        closest = "; these are the closest papers" if answer.sources else ""
        return f'<div class="src-refused">The abstracts do not answer this question{closest}.</div>'
    items = []
    for check in answer.unsupported:
        items.append(f"<li>{esc(check.text)} <em>({esc(_reason(check))})</em></li>")
    gap = coverage_gap(answer)
    if not items and not gap:
        if not answer.sentences:
            return ""
        return '<div class="src-ok">✓ Every answer sentence is backed by a cited abstract.</div>'
    parts = ['<div class="src-warn">']
    if gap:
        parts.append(f"<strong>⚠ The answer may not answer the question:</strong> {esc(gap)}")
    if items:
        parts.append("<strong>⚠ Not clearly supported by the cited abstracts:</strong>")
        parts.append(f"<ul>{''.join(items)}</ul>")
    return "".join(parts) + "</div>"


def coverage_gap(answer: Answer) -> str:
    """What the answer leaves out of the question ("" when it covers it or was refused)."""
    return "" if answer.refused else gap(answer.coverage)


def unanswered_html() -> str:
    """The panel after a question that got an error: no sources, not the previous answer's."""
    return (
        '<div class="src-panel"><div class="src-empty">The last question was not answered '
        "(see the message in the chat), so it has no sources.</div></div>"
    )


def sources_html(answers: list[tuple[int, Answer]]) -> str:
    """The panel: the current answer's sources in full, earlier answers' sources folded."""
    if not answers:
        return (
            '<div class="src-panel"><div class="src-empty">Sources of the answer appear here: '
            "each cited paper with its score and abstract, supporting sentences "
            "highlighted.</div></div>"
        )
    turn, current = answers[-1]
    cited = {c.n for c in current.citations}
    parts = [
        '<div class="src-panel">',
        f'<div class="src-title">Sources for: <q>{esc(_clip(current.question))}</q></div>',
        f'<div class="src-backend">backend: <code>{esc(current.backend)}</code></div>',
    ]
    parts += [
        f'<div class="src-notice"><strong>Note:</strong> {esc(n)}</div>' for n in current.notices
    ]
    parts.append(_check_box(current))
    parts += [_card(s, turn, cited, open_=s.n in cited) for s in current.sources]
    if not current.sources:
        parts.append('<div class="src-empty">No sources were retrieved.</div>')
    earlier = answers[:-1]
    if earlier:
        parts.append(
            f"<details class='src-earlier'><summary>Earlier answers ({len(earlier)})</summary>"
        )
        for t, answer in reversed(earlier):
            parts.append(f'<div class="src-title">{esc(_clip(answer.question))}</div>')
            done = {c.n for c in answer.citations}
            parts += [_card(s, t, done, open_=False) for s in answer.sources]
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


# -- example questions -----------------------------------------------------------------------
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*$")
_TEMPLATES = (
    "What does {name} propose, and how well does it work?",
    "How is {name} evaluated?",
    "What problem does {name} address?",
)


def example_questions(titles: Iterable[str | None], limit: int = 4) -> list[str]:
    """A few fixed questions about papers whose title starts with a short system name.

    "QDET: Query-Driven Event Timeline..." gives "What does QDET propose, ...?"; names are
    picked evenly from the sorted list, so the examples are stable for a given corpus.
    """
    names = sorted(
        {
            head
            for title in titles
            if title and ":" in title
            for head in [title.split(":", 1)[0].strip()]
            if _NAME.match(head) and sum(c.isupper() for c in head) >= 2 and 3 <= len(head) <= 16
        }
    )
    if not names:
        return []
    step = max(1, len(names) // limit)
    picked = names[step // 2 :: step][:limit]
    return [_TEMPLATES[i % len(_TEMPLATES)].format(name=name) for i, name in enumerate(picked)]
