"""Writing the catalog: papers with their sentences, counts, postings and keys, committed
in one transaction per batch (the commit marker of a batch's chunks in Chroma).

Counts and postings are summed over the batch and written in key order: one row update per
distinct word rather than per paper, and B-tree pages touched in order.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator

import numpy as np

from rag.metadata import from_extra
from rag.metadata_words import postings
from rag.paper_terms import content_terms, known_words, name_keys
from rag.papers import Paper, paper_keys
from rag.sentence_codec import quantize

IN_BATCH = 900  # ids per `IN (...)`: under SQLite's variable limit
DIRTY_KEY = "bm25_dirty"  # shards written since their keyword index was last built


def in_parts(values: list) -> Iterator[tuple[list, str]]:
    """`values` in slices of IN_BATCH, each with its `?,?,…` placeholders."""
    for start in range(0, len(values), IN_BATCH):
        part = values[start : start + IN_BATCH]
        yield part, ",".join("?" * len(part))


class CatalogWriting:
    """The writing half of `rag.catalog.Catalog` (which supplies `_db`, `_lock`, `_cache`
    and `shard_of`)."""

    def write(self, items: list[tuple[Paper, int, list[str], np.ndarray]]) -> None:
        """Commit papers (with their chunk count, sentences and sentence vectors) at once."""
        with self._lock, self._db:
            unknown = [paper.paper_id for paper, *_ in items if paper.sources is None]
            kept = self._source_rows(unknown)  # rewritten without sources: keep what was known
            touched = self._forget([paper.paper_id for paper, *_ in items])
            counts = _Counts()
            sentences, keys, meta_words = [], set(), set()
            for paper, n_chunks, texts, vectors in items:
                meta = from_extra(paper.extra)
                cur = self._db.execute(
                    "INSERT INTO papers (paper_id, title, label, abstract, content_hash, "
                    "locations, extra, n_chunks, n_sentences, year, authors, venue, categories) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        paper.paper_id,
                        paper.title or "",
                        paper.label,
                        paper.abstract,
                        paper.content_hash,
                        json.dumps(paper.locations),
                        json.dumps(paper.extra, ensure_ascii=False),
                        n_chunks,
                        len(texts),
                        meta.year,
                        json.dumps([a.lower() for a in meta.authors], ensure_ascii=False),
                        (meta.venue or "").lower(),
                        json.dumps([c.lower() for c in meta.categories]),
                    ),
                )
                doc = cur.lastrowid
                touched.add(self.shard_of(doc))
                scales, blob = quantize(vectors) if len(texts) else (b"", b"")
                sentences.append((doc, scales, blob))
                counts.add(doc, paper.title, paper.abstract, paper.extra)
                meta_words.update((field, word, doc, slot) for field, word, slot in postings(meta))
                keys.update(
                    (key_digest(k), paper.paper_id)
                    for k in paper_keys(paper.title, paper.abstract, paper.extra)
                )
            self._db.executemany("INSERT INTO sentences VALUES (?,?,?)", sentences)
            self._apply(counts, +1)
            self._db.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?)", sorted(keys))
            self._db.executemany("INSERT INTO meta_words VALUES (?,?,?,?)", sorted(meta_words))
            self._db.executemany("INSERT OR IGNORE INTO sources VALUES (?,?,?)", kept)
            self._put_sources([paper for paper, *_ in items if paper.sources is not None])
            self._mark_dirty(touched)
            self._cache.clear()

    def _source_rows(self, ids: list[str]) -> list[tuple[str, int, int]]:
        rows: list[tuple[str, int, int]] = []
        for part, marks in in_parts(ids):  # under the caller's lock
            sql = f"SELECT paper_id, file, line FROM sources WHERE paper_id IN ({marks})"
            rows += self._db.execute(sql, part).fetchall()
        return rows

    def _put_sources(self, papers: list[Paper]) -> None:
        """Record where these papers were read (inside the caller's transaction), replacing
        what was recorded."""
        files: dict[str, int] = {}
        rows = []
        for paper in papers:
            for path, line in paper.sources or ():
                if path not in files:
                    self._db.execute(
                        "INSERT OR IGNORE INTO source_files (path) VALUES (?)", (path,)
                    )
                    found = self._db.execute(
                        "SELECT file FROM source_files WHERE path = ?", (path,)
                    ).fetchone()
                    files[path] = found[0]
                rows.append((paper.paper_id, files[path], line))
        self._db.executemany(
            "DELETE FROM sources WHERE paper_id = ?", [(p.paper_id,) for p in papers]
        )
        self._db.executemany("INSERT OR IGNORE INTO sources VALUES (?,?,?)", sorted(rows))

    def forget_files(self) -> None:
        """Drop the files no paper was read from any more."""
        with self._lock, self._db:
            self._db.execute(
                "DELETE FROM source_files WHERE NOT EXISTS "
                "(SELECT 1 FROM sources s WHERE s.file = source_files.file)"
            )

    def delete(self, ids: list[str]) -> None:
        with self._lock, self._db:
            self._mark_dirty(self._forget(ids))
            self._cache.clear()

    def update_locations(self, papers: list[Paper]) -> None:
        """Same content found in other places: record where."""
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE papers SET locations = ? WHERE paper_id = ?",
                [(json.dumps(p.locations), p.paper_id) for p in papers],
            )
            self._put_sources([p for p in papers if p.sources is not None])
            self._cache.clear()

    def set_info(self, key: str, value: str) -> None:
        with self._lock, self._db:
            self._put_info(key, value)

    def _put_info(self, key: str, value: str) -> None:
        """Inside the caller's transaction."""
        self._db.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (key, value))

    def _mark_dirty(self, shards: set[int]) -> None:
        rows = self._db.execute("SELECT value FROM info WHERE key = ?", (DIRTY_KEY,)).fetchall()
        dirty = set(json.loads(rows[0][0])) if rows else set()
        if not shards <= dirty:
            self._put_info(DIRTY_KEY, json.dumps(sorted(dirty | shards)))

    def _forget(self, ids: list[str]) -> set[int]:
        """Delete papers with their sentences and counts (inside the caller's transaction);
        return the keyword shards they were in."""
        touched: set[int] = set()
        counts = _Counts()
        keys: list[tuple[str, str]] = []
        meta_words: list[tuple[str, str, int, int]] = []
        docs: list[tuple[int]] = []
        for part, marks in in_parts(ids):  # not `_in`: this runs under the caller's lock
            rows = self._db.execute(
                "SELECT doc, paper_id, title, abstract, extra FROM papers "
                f"WHERE paper_id IN ({marks})",
                part,
            ).fetchall()
            for doc, pid, title, abstract, extra_json in rows:
                extra = json.loads(extra_json)
                touched.add(self.shard_of(doc))
                counts.add(doc, title or None, abstract, extra)
                docs.append((doc,))
                written = paper_keys(title or None, abstract, extra)  # no index by paper
                keys.extend((key_digest(k), pid) for k in written)
                meta_words.extend((f, w, doc, i) for f, w, i in postings(from_extra(extra)))
        if docs:
            self._db.executemany("DELETE FROM sources WHERE paper_id = ?", [(k,) for k in ids])
            self._db.executemany("DELETE FROM sentences WHERE doc = ?", docs)
            self._db.executemany("DELETE FROM keys WHERE key = ? AND paper_id = ?", keys)
            posted = "DELETE FROM meta_words WHERE field = ? AND word = ? AND doc = ? AND slot = ?"
            self._db.executemany(posted, meta_words)
            self._db.executemany("DELETE FROM papers WHERE doc = ?", docs)
            self._apply(counts, -1)
        return touched

    def _apply(self, counts: _Counts, step: int) -> None:
        """Add (`step` +1) or take away (-1) a batch's document frequencies and name postings;
        a word no paper has any more is dropped (only the words this batch touched)."""
        for table, column, df in (("words", "word", counts.words), ("terms", "term", counts.terms)):
            self._db.executemany(
                f"INSERT INTO {table} ({column}, df) VALUES (?, ?) "
                f"ON CONFLICT({column}) DO UPDATE SET df = df + excluded.df",
                [(k, step * n) for k, n in sorted(df.items())],
            )
            if step < 0:
                gone = f"DELETE FROM {table} WHERE {column} = ? AND df <= 0"
                self._db.executemany(gone, [(k,) for k in sorted(df)])
        names = sorted(counts.names)
        if step > 0:
            self._db.executemany("INSERT OR IGNORE INTO names VALUES (?, ?)", names)
        else:
            self._db.executemany("DELETE FROM names WHERE word = ? AND doc = ?", names)


class _Counts:
    """A batch's document frequencies (word -> papers) and name postings (word, doc)."""

    def __init__(self) -> None:
        self.words: Counter[str] = Counter()
        self.terms: Counter[str] = Counter()
        self.names: set[tuple[str, int]] = set()

    def add(self, doc: int, title: str | None, abstract: str, extra: dict) -> None:
        self.words.update(known_words(title, abstract, extra))
        self.terms.update(content_terms(title, abstract))
        self.names.update((k, doc) for k in name_keys(title, abstract))


def key_digest(key: str) -> str:
    """Keys are stored as their kind and a digest: titles and abstracts would take kilobytes."""
    kind, _, value = key.partition(":")
    return f"{kind}:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:16]}"
