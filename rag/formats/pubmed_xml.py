"""PubMed XML (`PubmedArticleSet`, from PubMed "Send to: File, XML" or E-utilities efetch)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from rag.formats.base import Record, Skip, make_record
from rag.formats.meta import normalize
from rag.formats.xml_records import elements, node_text

_ARTICLE_START = re.compile(r"<PubmedArticle[\s>]")


def is_pubmed_xml(head: str) -> bool:
    return "<PubmedArticleSet" in head or "<PubmedArticle>" in head


def read_pubmed_xml(path: str, text: str) -> Iterator[Record | Skip]:
    for line, article in elements(path, text, _ARTICLE_START, "PubmedArticle"):
        yield _record(path, line, article)


def _record(path: str, line: int, article: ET.Element) -> Record | Skip:
    citation = article.find("MedlineCitation")
    art = citation.find("Article") if citation is not None else None
    if art is None:
        return Skip(path, line, "PubmedArticle without an Article element.")
    parts = []
    for node in art.findall("Abstract/AbstractText"):
        label, body = node.get("Label"), node_text(node)
        if body:
            parts.append(f"{label.capitalize()}: {body}" if label else body)
    listed = article.findall("PubmedData/ArticleIdList/ArticleId")
    ids = {n.get("IdType"): node_text(n) for n in listed}
    doi = ids.get("doi") or next(
        (node_text(n) for n in art.findall("ELocationID") if n.get("EIdType") == "doi"), None
    )
    pmid = node_text(citation.find("PMID"))
    fields: dict[str, Any] = {
        "authors": [name for a in art.findall("AuthorList/Author") if (name := _author(a))],
        "date": _pub_date(art),
        "venue": node_text(art.find("Journal/Title")),
        "keywords": [node_text(k) for k in citation.findall("KeywordList/Keyword")],
        "categories": [
            node_text(d) for d in citation.findall("MeshHeadingList/MeshHeading/DescriptorName")
        ],
        "doi": doi,
        "pmid": pmid,
        "pmcid": ids.get("pmc"),
        "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
    }
    title = node_text(art.find("ArticleTitle"))
    return make_record(path, line, title, " ".join(parts), normalize(fields))


def _author(node: ET.Element) -> str | None:
    last, first = node_text(node.find("LastName")), node_text(node.find("ForeName"))
    if last:
        return f"{last}, {first}" if first else last
    return node_text(node.find("CollectiveName"))


def _pub_date(art: ET.Element) -> str | None:
    date = art.find("Journal/JournalIssue/PubDate")
    if date is None:
        return None
    if date.find("MedlineDate") is not None:
        return node_text(date.find("MedlineDate"))
    return " ".join(t for tag in ("Year", "Month", "Day") if (t := node_text(date.find(tag))))
