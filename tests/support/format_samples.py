"""The exporter samples in tests/samples/ and what each should give."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).parent.parent / "samples"
RAG_PAPER = (
    "Retrieval-augmented generation for clinical question answering: A systematic evaluation"
)
RAG_DOI = "10.1016/j.jbi.2023.104338"

# file: (detected format, records kept, lines of the records skipped)
EXPECTED = {
    "zotero.bib": ("bibtex", 4, [44, 50]),
    "scopus.ris": ("ris", 2, [26]),
    "zotero.ris": ("ris", 3, []),
    "pubmed.nbib": ("medline", 2, [42]),
    "pubmed.xml": ("pubmed-xml", 1, [48]),
    "wos_savedrecs.txt": ("wos", 2, [35]),
    "wos_tab.txt": ("wos tab-delimited", 1, [3]),
    "scopus.csv": ("csv", 1, [3]),
    "ieee.csv": ("csv", 2, []),
    "acm.csv": ("csv", 46, [8, 21, 35, 49]),
    "openalex.json": ("json", 1, [22]),
    "semantic_scholar.jsonl": ("json lines", 1, [2]),
}
