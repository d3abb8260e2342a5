"""PubMed XML (`PubmedArticleSet`, from PubMed "Send to: File, XML" or E-utilities efetch)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from rag.errors import CorpusError
from rag.formats.base import Record, Skip, make_record
from rag.formats.meta import normalize

_ARTICLE_START = re.compile(r"<PubmedArticle[\s>]")


def is_pubmed_xml(head: str) -> bool:
    return "<PubmedArticleSet" in head or "<PubmedArticle>" in head


def read_pubmed_xml(path: str, text: str) -> Iterator[Record | Skip]:
    # Articles come in document order; their start tags give each one's line.
    lines = [text.count("\n", 0, m.start()) + 1 for m in _ARTICLE_START.finditer(text)]
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise CorpusError(path, exc.position[0], f"invalid XML ({exc}).") from exc
    articles = root.iter("PubmedArticle")
    for index, article in enumerate(articles):
        line = lines[index] if index < len(lines) else 1
        yield _record(path, line, article)


def _text(node: ET.Element | None) -> str | None:
    return " ".join("".join(node.itertext()).split()) if node is not None else None


def _record(path: str, line: int, article: ET.Element) -> Record | Skip:
    citation = article.find("MedlineCitation")
    art = citation.find("Article") if citation is not None else None
    if art is None:
        return Skip(path, line, "PubmedArticle without an Article element.")
    parts = []
    for node in art.findall("Abstract/AbstractText"):
        label, body = node.get("Label"), _text(node)
        if body:
            parts.append(f"{label.capitalize()}: {body}" if label else body)
    ids = {n.get("IdType"): _text(n) for n in article.findall("PubmedData/ArticleIdList/ArticleId")}
    doi = ids.get("doi") or next(
        (_text(n) for n in art.findall("ELocationID") if n.get("EIdType") == "doi"), None
    )
    pmid = _text(citation.find("PMID"))
    fields: dict[str, Any] = {
        "authors": [name for a in art.findall("AuthorList/Author") if (name := _author(a))],
        "date": _pub_date(art),
        "venue": _text(art.find("Journal/Title")),
        "keywords": [_text(k) for k in citation.findall("KeywordList/Keyword")],
        "categories": [
            _text(d) for d in citation.findall("MeshHeadingList/MeshHeading/DescriptorName")
        ],
        "doi": doi,
        "pmid": pmid,
        "pmcid": ids.get("pmc"),
        "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
    }
    title = _text(art.find("ArticleTitle"))
    return make_record(path, line, title, " ".join(parts), normalize(fields))


def _author(node: ET.Element) -> str | None:
    last, first = _text(node.find("LastName")), _text(node.find("ForeName"))
    if last:
        return f"{last}, {first}" if first else last
    return _text(node.find("CollectiveName"))


def _pub_date(art: ET.Element) -> str | None:
    date = art.find("Journal/JournalIssue/PubDate")
    if date is None:
        return None
    if date.find("MedlineDate") is not None:
        return _text(date.find("MedlineDate"))
    return " ".join(t for tag in ("Year", "Month", "Day") if (t := _text(date.find(tag))))
