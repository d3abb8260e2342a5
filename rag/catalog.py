"""The paper catalog: records, sentence vectors and term counts in one SQLite file.

Chroma keeps what is searched by vector (chunks). Everything else is only ever looked up
by paper id or by word, so it lives here, compactly: sentence vectors as int8 blobs with a
scale per sentence, and document frequencies and name postings updated as papers are
written and deleted. A reader opens it in constant time and fetches what a question needs.

A paper's row is written in the same transaction as its sentences and counts, after its
chunks are in Chroma: the row is the paper's commit marker.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.bounded_cache import BoundedCache
from rag.catalog_writing import CatalogWriting, in_parts, key_digest
from rag.chunking import sentence_pieces
from rag.filters import Filters
from rag.metadata_words import (
    AUTHOR,
    CATEGORY,
    VENUE,
    category_keys,
    has_surname,
    words_of,
)
from rag.paper_terms import keyword_text
from rag.sentence_codec import dequantize

FILE = "catalog.sqlite3"
CACHE_RECORDS = 4096
CACHE_SELECTIONS = 8  # filters whose selected papers a reader keeps
AUTHOR_PAGE = 500  # papers with a surname's words read at a time to find it as a surname
BUSY_TIMEOUT_S = 30.0
PAGE_BYTES = 16_384
CACHE_KIB = 131_072  # SQLite's own page cache per connection
SHARD_KEY = "bm25_shard_papers"  # the shard size they were numbered with
LINEAGE_KEY = "lineage"  # one id per index built from empty; copies keep it

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS papers (
  doc INTEGER PRIMARY KEY AUTOINCREMENT, paper_id TEXT UNIQUE NOT NULL, title TEXT,
  label TEXT NOT NULL, abstract TEXT NOT NULL, content_hash TEXT NOT NULL, locations TEXT,
  extra TEXT, n_chunks INTEGER, n_sentences INTEGER,
  year INTEGER, authors TEXT, venue TEXT, categories TEXT);
CREATE TABLE IF NOT EXISTS sentences (
  doc INTEGER PRIMARY KEY, scales BLOB NOT NULL, vectors BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS names (
  word TEXT NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (word, doc)) WITHOUT ROWID;
-- covering: a year filter reads the index alone, not each paper's row (abstracts and all)
CREATE INDEX IF NOT EXISTS papers_year_ids ON papers (year, paper_id);
DROP INDEX IF EXISTS papers_year;
CREATE TABLE IF NOT EXISTS keys (
  key TEXT NOT NULL, paper_id TEXT NOT NULL, PRIMARY KEY (key, paper_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
-- the words of authors (slot: the author's place), venues and categories (rag.metadata_words)
CREATE TABLE IF NOT EXISTS meta_words (
  field TEXT NOT NULL, word TEXT NOT NULL, doc INTEGER NOT NULL, slot INTEGER NOT NULL,
  PRIMARY KEY (field, word, doc, slot)) WITHOUT ROWID;
-- where each paper was read: file (its resolved path) and line, one row per record; the
-- writer's bookkeeping, to take papers out of a file that no longer has them
CREATE TABLE IF NOT EXISTS source_files (file INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
  paper_id TEXT NOT NULL, file INTEGER NOT NULL, line INTEGER NOT NULL,
  PRIMARY KEY (paper_id, file, line)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sources_by_file ON sources (file, paper_id);
"""


@dataclass
class PaperRecord:
    """A paper as read back from the index (for BM25, the UI and citations)."""

    paper_id: str
    title: str | None
    label: str
    abstract: str
    content_hash: str
    locations: list[str]
    extra: dict[str, Any]


_RECORD_COLS = "paper_id, title, label, abstract, content_hash, locations, extra"


def _record(row: tuple) -> PaperRecord:
    pid, title, label, abstract, chash, locations, extra = row
    return PaperRecord(
        pid, title or None, label, abstract, chash, json.loads(locations), json.loads(extra)
    )


class Catalog(CatalogWriting):
    def __init__(self, path: Path, *, create: bool = False, shard_docs: int = 100_000) -> None:
        """`shard_docs`: papers per keyword-index shard (a writer's setting; see
        rag/keyword_index.py). A catalog numbered with another size has every shard rebuilt."""
        self.path = path
        self.shard_docs = shard_docs
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            # A paper's sentence vectors (~3.5 KB) overflow a 4 KB page; 16 KB pages hold
            # several: 11% less disk for the catalog (takes effect when the file is new).
            self._db.execute(f"PRAGMA page_size = {PAGE_BYTES}")
            self._db.executescript(SCHEMA_SQL)
        else:  # a reader never creates or changes the file
            uri = f"{path.resolve().as_uri()}?mode=ro"
            self._db = sqlite3.connect(
                uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
        # Keep the B-tree's inner pages cached, within a fixed budget. The file is read, not
        # memory-mapped: mapped pages count in the process's memory (772 MB of a 1M-paper
        # catalog after 216 questions), read ones stay in the kernel's page cache.
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._lock = threading.Lock()
        self._cache: BoundedCache[str, PaperRecord] = BoundedCache(CACHE_RECORDS)
        self._writable = create
        self._selections: BoundedCache[Filters, Selection] = BoundedCache(CACHE_SELECTIONS)
        self._undated: int | None = None  # a reader's count of papers with no year
        if create and self.info(LINEAGE_KEY) is None:  # a new index, not a copy of one
            self.set_info(LINEAGE_KEY, uuid.uuid4().hex)
        if create and self.renumbered():
            renumbered = set(self.shards())
            with self._lock, self._db:
                self._put_info(SHARD_KEY, str(shard_docs))
                self._mark_dirty(renumbered)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _all(self, sql: str, args: Iterable = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def _in(self, sql: str, values: list, more: Iterable = ()) -> Iterator[tuple]:
        """Rows of `sql` (with one `{}` for the placeholders, then those of `more`) for any
        number of values."""
        for part, marks in in_parts(values):
            yield from self._all(sql.format(marks), [*part, *more])

    # -- reading ---------------------------------------------------------------------------
    def count(self) -> int:
        return self._all("SELECT count(*) FROM papers")[0][0]

    def info(self, key: str) -> str | None:
        rows = self._all("SELECT value FROM info WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def indexed_as(self, keys: list[str]) -> dict[str, set[str]]:
        """Identity key -> ids of the indexed papers with that key (see `papers.paper_keys`)."""
        out: dict[str, set[str]] = {}
        digests = {key_digest(k): k for k in keys}
        for digest, pid in self._in(
            "SELECT key, paper_id FROM keys WHERE key IN ({})", list(digests)
        ):
            out.setdefault(digests[digest], set()).add(pid)
        return out

    def present(self, ids: list[str]) -> list[str]:
        """Those of `ids` that are indexed."""
        return [r[0] for r in self._in("SELECT paper_id FROM papers WHERE paper_id IN ({})", ids)]

    def sources_of(self, ids: list[str]) -> dict[str, list[tuple[str, int]]]:
        """paper_id -> where its records were read, (file path, line), for those of `ids`
        the index knows the sources of."""
        sql = (
            "SELECT s.paper_id, f.path, s.line FROM sources s JOIN source_files f "
            "ON f.file = s.file WHERE s.paper_id IN ({})"
        )
        out: dict[str, list[tuple[str, int]]] = {}
        for pid, path, line in self._in(sql, list(ids)):
            out.setdefault(pid, []).append((path, line))
        return out

    def papers_from(self, path: str) -> list[str]:
        """The papers read from this file (by its resolved path)."""
        sql = (
            "SELECT DISTINCT s.paper_id FROM source_files f JOIN sources s ON s.file = f.file "
            "WHERE f.path = ?"
        )
        return [r[0] for r in self._all(sql, (path,))]

    def source_paths(self) -> list[str]:
        """Every file the index holds papers from (resolved paths)."""
        return [r[0] for r in self._all("SELECT path FROM source_files ORDER BY path")]

    def parts(self) -> dict[str, tuple[int, int]]:
        """paper_id -> (chunks, sentences) each finished paper committed."""
        rows = self._all("SELECT paper_id, n_chunks, n_sentences FROM papers")
        return {pid: (c, s) for pid, c, s in rows}

    def empty_records(self) -> list[str]:
        """Papers with no abstract: nothing to search or quote."""
        return [r[0] for r in self._all("SELECT paper_id FROM papers WHERE abstract = ''")]

    def titles(self, limit: int) -> list[str]:
        """Titles of the first `limit` papers written (a sample that does not change)."""
        rows = self._all(
            "SELECT title FROM papers WHERE title != '' ORDER BY doc LIMIT ?", (limit,)
        )
        return [r[0] for r in rows]

    def ids(self) -> list[str]:
        return [r[0] for r in self._all("SELECT paper_id FROM papers ORDER BY doc")]

    def records(self, ids: list[str]) -> list[PaperRecord]:
        """The records of these papers (unknown ids are left out), from a small cache."""
        cached = self._cache.get_many(ids)
        wanted = [pid for pid in dict.fromkeys(ids) if pid not in cached]
        sql = f"SELECT {_RECORD_COLS} FROM papers WHERE paper_id IN ({{}})"
        fetched = {r.paper_id: r for r in map(_record, self._in(sql, wanted))}
        self._cache.put_many(fetched)
        found = cached | fetched
        return [found[pid] for pid in ids if pid in found]

    def iter_records(self, batch: int = 2000) -> Iterator[PaperRecord]:
        """Every record in index order, read in pages (bounded memory)."""
        last = 0
        while True:
            rows = self._all(
                f"SELECT doc, {_RECORD_COLS} FROM papers WHERE doc > ? ORDER BY doc LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield from (_record(row[1:]) for row in rows)

    def keyword_texts_in(self, first: int, last: int) -> tuple[list[int], list[str]]:
        """(docs, texts BM25 indexes) of the papers numbered first..last, in doc order."""
        rows = self._all(
            "SELECT doc, title, abstract, extra FROM papers WHERE doc BETWEEN ? AND ? ORDER BY doc",
            (first, last),
        )
        return [r[0] for r in rows], [keyword_text(t, a, json.loads(e)) for _, t, a, e in rows]

    def renumbered(self) -> bool:
        """The keyword shards were numbered with another size than the writer's setting."""
        return self.info(SHARD_KEY) != str(self.shard_docs)

    def shard_of(self, doc: int) -> int:
        return (doc - 1) // self.shard_docs

    def shards(self) -> list[int]:
        """Keyword-index shards that hold at least one paper."""
        rows = self._all(f"SELECT DISTINCT (doc - 1) / {int(self.shard_docs)} FROM papers")
        return sorted(r[0] for r in rows)

    def ids_of(self, docs: list[int]) -> dict[int, str]:
        return dict(self._in("SELECT doc, paper_id FROM papers WHERE doc IN ({})", docs))

    def word_df(self, word: str) -> int:
        rows = self._all("SELECT df FROM words WHERE word = ?", (word,))
        return rows[0][0] if rows else 0

    def words_from(self, prefix: str, limit: int) -> list[str]:
        """Indexed words that start with `prefix` (a key range: cheap at any size)."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        sql = "SELECT word FROM words WHERE word >= ? AND word < ? LIMIT ?"
        return [r[0] for r in self._all(sql, (prefix, end, limit))]

    def term_df(self, term: str) -> int:
        rows = self._all("SELECT df FROM terms WHERE term = ?", (term,))
        return rows[0][0] if rows else 0

    def naming(self, words: list[str], limit: int) -> set[str]:
        """Papers whose title or abstract has every one of `words` written like a name (at
        most `limit` of them: a caller treats more as "too common to be a name")."""
        if not words:
            return set()
        docs = " INTERSECT ".join("SELECT doc FROM names WHERE word = ?" for _ in words)
        sql = f"SELECT paper_id FROM papers WHERE doc IN ({docs} LIMIT ?)"
        return {r[0] for r in self._all(sql, (*words, limit))}

    def sentences(self, ids: list[str], max_tokens: int) -> dict[str, tuple[list[str], np.ndarray]]:
        """Stored sentence vectors with their sentences, in abstract order. The sentences are
        cut again from the abstract (as chunking cut them), not stored twice."""
        sql = (
            "SELECT p.paper_id, p.label, p.abstract, s.scales, s.vectors FROM sentences s "
            "JOIN papers p ON p.doc = s.doc WHERE p.paper_id IN ({})"
        )
        out = {}
        for pid, label, abstract, scales, vectors in self._in(sql, list(ids)):
            texts = sentence_pieces(label, abstract, max_tokens)
            found = dequantize(scales, vectors)
            if len(found) == len(texts):  # else embedded again by the caller
                out[pid] = (texts, found)
        return out

    def has_years(self) -> bool:
        return bool(self._all("SELECT 1 FROM papers WHERE year IS NOT NULL LIMIT 1"))

    def without_year(self) -> int:
        """Papers with no year: a year filter leaves them out (counted on the year index, once
        per reader: its catalog does not change, and the count reads every undated entry)."""
        if self._writable or self._undated is None:
            self._undated = self._all("SELECT count(*) FROM papers WHERE year IS NULL")[0][0]
        return self._undated

    def has_author(self, surname: str) -> bool:
        """Some paper has an author of this surname (case-insensitive, accents optional):
        the papers with its words are looked up and read a page at a time until one has it
        as a surname, not as a given name."""
        docs, args = _docs_with(AUTHOR, [surname])
        sql = f"SELECT doc, authors FROM papers WHERE doc IN ({docs}) AND doc > ? ORDER BY doc"
        last = 0
        while rows := self._all(sql + " LIMIT ?", (*args, last, AUTHOR_PAGE)):
            if any(has_surname(a, surname) for _, a_json in rows for a in json.loads(a_json)):
                return True
            last = rows[-1][0]
        return False

    def select(self, filters: Filters) -> Selection:
        """The papers that pass the filters. A reader's catalog does not change, so it keeps
        the last few selections: a researcher keeps a filter for a run of questions, and a
        year filter over a million papers selects 200,000 of them (about 100 ms)."""
        if self._writable:
            return self._select(filters)
        return self._selections.get_or_compute(filters, lambda: self._select(filters))

    def _select(self, filters: Filters) -> Selection:
        """SQL alone: years by their index, names and categories by their words' postings."""
        where, args = [], []
        if filters.since:
            where.append("year >= ?")
            args.append(filters.since)
        if filters.until:
            where.append("year <= ?")
            args.append(filters.until)
        for field, values in (
            (AUTHOR, filters.authors),
            (VENUE, filters.venues),
            (CATEGORY, filters.categories),
        ):
            if values:
                docs, found = _docs_with(field, values)
                where.append(f"doc IN ({docs})")
                args.extend(found)
        sql = "SELECT paper_id, doc FROM papers WHERE "
        if filters.paper_ids:  # a reading list is short: look each of its papers up
            listed = " AND ".join(["paper_id IN ({})", *where])
            rows = list(self._in(sql + listed, list(filters.paper_ids), args))
        else:
            rows = self._all(sql + (" AND ".join(where) or "1"), args)
        return Selection((r[0] for r in rows), np.fromiter((r[1] for r in rows), dtype=np.int64))


_POSTED = "SELECT doc, slot FROM meta_words WHERE field = ?"


def _docs_with(field: str, values: Iterable[str]) -> tuple[str, list[str]]:
    """SQL for the docs with any of `values` in `field` (each value: all of its words in one
    author, venue or category; a one-letter word is an initial, any word it begins), and its
    arguments."""
    selects, args = [], []
    for value in values:
        words = category_keys(value)[-1:] if field == CATEGORY else words_of(value)
        if not words:
            continue
        parts = []
        for word in words:
            if len(word) == 1 and field != CATEGORY:
                parts.append(f"{_POSTED} AND word >= ? AND word < ?")
                args += [field, word, chr(ord(word) + 1)]
            else:
                parts.append(f"{_POSTED} AND word = ?")
                args += [field, word]
        selects.append(f"SELECT doc FROM ({' INTERSECT '.join(parts)})")
    return " UNION ".join(selects) or "SELECT NULL WHERE 0", args


class Selection(frozenset):
    """Paper ids that passed filters, with their doc numbers (the keyword index masks by
    doc, so it need not look thousands of ids up again)."""

    docs: np.ndarray

    def __new__(cls, ids: Iterable[str], docs: np.ndarray) -> Selection:
        made = super().__new__(cls, ids)
        made.docs = docs
        return made
