"""`rag check [--repair]`: papers missing chunks or sentence vectors, orphans; ingest repairs."""

from __future__ import annotations

import pytest

from rag.index_access import open_store
from rag.ingest import ingest
from tests.support.index_fixtures import CORPUS, make_settings
from tests.support.processes import check_json, corpus_of, rag

SMALL = CORPUS / "000_3196bafc52f3dd54.txt"


@pytest.fixture
def damaged(tmp_path):
    """A 10-paper index where one paper lost its chunks and a stray chunk appeared
    (what two unlocked writers used to leave behind)."""
    corpus = corpus_of(tmp_path / "corpus", SMALL)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)

    def damage() -> str:
        store = open_store(settings)
        victim = sorted(p.paper_id for p in store.catalog.iter_records())[3]
        store.chunks.delete(where={"paper_id": victim})
        store.chunks.add(
            ids=["ghost-000"],
            embeddings=[[0.1] * 384],
            metadatas=[{"paper_id": "ghost", "position": 0}],
        )
        store.close()
        return victim

    return settings, corpus, damage


def test_check_finds_the_damage_and_repair_fixes_it(damaged) -> None:
    from rag.engine import Engine

    settings, _, damage = damaged
    victim = damage()
    report = check_json(settings)
    assert not report["ok"]
    assert report["incomplete"] == [victim]
    assert report["orphan_chunks"] == 1

    done = rag(settings, "check", "--repair")
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "repaired 1 papers" in done.stdout
    assert check_json(settings)["ok"]

    engine = Engine(settings)
    abstract = engine.papers[victim].abstract
    sources, _, _ = engine.retrieve(abstract[:300], mode="dense")
    assert sources[0].paper_id == victim, "the repaired paper is found by dense search again"


def test_a_plain_ingest_repairs_what_its_closing_check_finds(damaged) -> None:
    settings, corpus, damage = damaged
    damage()
    summary = ingest([corpus], settings, progress=False)
    assert summary.embedded_papers == 0
    assert summary.repaired_papers == 1
    assert check_json(settings)["ok"]


def test_check_of_a_sound_index_says_ok_and_exits_0(damaged) -> None:
    settings, _, _ = damaged
    done = rag(settings, "check")
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stdout
