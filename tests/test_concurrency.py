"""Things happening at once, as real processes: two ingests, readers during writes and rebuilds.

Each test builds its own small index (000: 10 untitled papers; 004: 176 titled ones).
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from rag.ingest import ingest
from rag.readers import read_file
from tests.support.index_fixtures import CORPUS, make_settings
from tests.support.processes import Rag, check_json, corpus_of, rag

SMALL = CORPUS / "000_3196bafc52f3dd54.txt"
BIG = CORPUS / "004_6a1ff8404f9e97b3.txt"
N_SMALL, N_BIG = 10, 176
CRASHES = (-11, 139, -6, 134)  # segmentation fault, abort


@pytest.fixture
def two_corpora(tmp_path):
    """An index of the 10 small papers, and a folder that adds the 176 of 004 to them."""
    small = corpus_of(tmp_path / "small", SMALL)
    both = corpus_of(tmp_path / "both", SMALL, BIG)
    settings = make_settings(tmp_path, corpus_dir=small)
    ingest([small], settings, progress=False)
    return settings, small, both


def _assert_complete(settings, papers: int) -> None:
    report = check_json(settings)
    assert report["ok"], report
    assert report["papers"] == papers
    assert report["incomplete"] == [] and report["unsearchable"] == []


def test_a_second_ingest_waits_for_the_first_and_nothing_is_lost(two_corpora) -> None:
    """The `make run` case: a no-op ingest starts while another one is adding papers."""
    settings, _, both = two_corpora
    first = Rag(settings, "ingest", str(both))
    try:
        first.wait_for(f"32/{N_BIG}")  # the first batch is committed, more are being written
        second = Rag(settings, "ingest", str(both))
        second.wait_for("waiting for it to finish")
        assert first.finish() == 0, first.stderr[-2000:]
        assert second.finish() == 0, second.stderr[-2000:]
    finally:
        first.stop()
    assert f"({N_BIG} embedded" in first.stdout
    assert "(0 embedded" in second.stdout, "the second run found everything already done"
    _assert_complete(settings, N_SMALL + N_BIG)


def test_no_op_ingests_in_a_loop_while_another_adds_papers(two_corpora) -> None:
    """Impatient no-op runs give up with a clear message; none crashes, nothing is lost."""
    settings, small, both = two_corpora
    adder = Rag(settings, "ingest", str(both))
    codes, messages = [], []
    try:
        adder.wait_for("Embedding")
        while adder.proc.poll() is None:
            done = rag(settings, "ingest", "--quiet", str(small), RAG_INGEST_LOCK_WAIT_S="0.5")
            codes.append(done.returncode)
            messages.append(done.stderr)
        assert adder.finish() == 0, adder.stderr[-2000:]
    finally:
        adder.stop()
    assert codes and not set(codes) & set(CRASHES), codes
    assert set(codes) <= {0, 2}, codes
    refused = [m for code, m in zip(codes, messages, strict=True) if code == 2]
    assert refused, "at least one no-op run overlapped the adding run"
    last_lines = [m.strip().splitlines()[-1] for m in refused]
    assert all(line.startswith("error: Another `rag ingest`") for line in last_lines), refused[0]
    assert all("Traceback" not in m for m in messages)
    _assert_complete(settings, N_SMALL + N_BIG)


def test_an_open_engine_answers_through_ingest_and_rebuild_then_sees_the_new_papers(
    two_corpora,
) -> None:
    """A reader keeps its snapshot while another process writes, then reloads by itself."""
    from rag.engine import Engine

    settings, _, both = two_corpora
    engine = Engine(settings)
    title = next(r.title for r in read_file(BIG) if r.title)
    errors: list[BaseException] = []
    answered = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                answered.append(engine.ask("How do events evolve over time in news search?"))
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
            time.sleep(0.05)

    asker = threading.Thread(target=keep_asking, daemon=True)
    asker.start()
    try:
        added = rag(settings, "ingest", "--quiet", str(both))
        assert added.returncode == 0, added.stderr[-2000:]
        during = Rag(settings, "ingest", "--quiet", "--rebuild", str(both))
        time.sleep(3)  # the rebuild has emptied nothing readers can see
        asked = rag(settings, "ask", "--json", title)
        assert during.finish() == 0, during.stderr[-2000:]
    finally:
        stop.set()
        asker.join(timeout=60)
    assert errors == [], errors[:3]
    assert len(answered) > 10
    assert asked.returncode == 0 and "Traceback" not in asked.stderr, asked.stderr[-2000:]

    answer = engine.ask(title)
    assert answer.sources[0].title == title, "the new papers are visible after the reload"
    assert len(engine.papers) == N_SMALL + N_BIG
    updates = [n for a in [*answered, answer] for n in a.notices if "index was updated" in n]
    assert updates, "the reload is announced"
    _assert_complete(settings, N_SMALL + N_BIG)


def test_a_changed_paper_is_answered_from_its_new_text_by_an_open_engine(tmp_path) -> None:
    """Re-ingesting an edited paper used to break every question that hit it (KeyError)."""
    from rag.engine import Engine

    folder = corpus_of(tmp_path / "corpus", SMALL)
    paper = next(r for r in read_file(BIG) if r.title)
    path = folder / "one.jsonl"
    path.write_text(json.dumps({"title": paper.title, "abstract": paper.abstract}) + "\n")
    settings = make_settings(tmp_path, corpus_dir=folder)
    ingest([folder], settings, progress=False)
    engine = Engine(settings)
    assert engine.ask(paper.title).sources[0].title == paper.title

    edited = paper.abstract + " We also release a zebra-crossing benchmark called ZEBRAQ."
    path.write_text(json.dumps({"title": paper.title, "abstract": edited}) + "\n")
    done = rag(settings, "ingest", "--quiet", str(folder))
    assert done.returncode == 0, done.stderr[-2000:]
    time.sleep(1.1)  # the engine looks for a new index at most once a second
    answer = engine.ask(f"{paper.title} ZEBRAQ benchmark")
    assert answer.sources and answer.sources[0].title == paper.title
    assert "ZEBRAQ" in answer.sources[0].abstract


def test_a_ui_process_serves_through_ingest_and_rebuild_then_shows_the_new_papers(
    two_corpora,
) -> None:
    """`rag ui` in its own process; another process adds 176 papers, then rebuilds."""
    from gradio_client import Client

    from tests.support.llama_server import free_port

    settings, _, both = two_corpora
    port = free_port()
    ui = Rag(settings, "ui", "--port", str(port))
    title = next(r.title for r in read_file(BIG) if r.title)
    results: list[dict] = []
    stop = threading.Event()
    try:
        ui.wait_for(f"127.0.0.1:{port}", timeout=120)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)

        def keep_asking() -> None:
            while not stop.is_set():
                _, _, data, _ = client.predict(
                    "How do events evolve over time in news search?", 5, "extractive",
                    api_name="/ask",
                )  # fmt: skip
                results.append(data)

        asker = threading.Thread(target=keep_asking, daemon=True)
        asker.start()
        added = rag(settings, "ingest", "--quiet", str(both))
        assert added.returncode == 0, added.stderr[-2000:]
        rebuilt = rag(settings, "ingest", "--quiet", "--rebuild", str(both))
        assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
        stop.set()
        asker.join(timeout=60)
        _, _, data, _ = client.predict(title, 5, "extractive", api_name="/ask")
    finally:
        stop.set()
        ui.stop()
    errors = [r for r in results if not r or "error" in r]
    assert len(results) > 10 and errors == [], errors[:3]
    assert data["sources"][0]["label"] == title, "new papers are answered without a restart"
    notices = [n for r in [*results, data] for n in r["notices"]]
    assert any("index was updated" in n for n in notices)


def test_a_newer_index_that_cannot_be_opened_leaves_the_loaded_one_answering(tmp_path) -> None:
    from rag.engine import Engine

    corpus = corpus_of(tmp_path / "corpus", SMALL)
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    engine = Engine(settings)
    broken = settings.index_path / "gen-000009"
    broken.mkdir()
    (broken / "chroma.sqlite3").write_bytes(b"not a database" * 1000)
    (settings.index_path / "CURRENT").write_text("gen-000009")
    time.sleep(1.1)  # the engine looks for a new index at most once a second
    answer = engine.ask("How do events evolve over time in news search?", top_k=3)
    assert len(answer.sources) == 3
    assert any("could not be opened" in n for n in answer.notices), answer.notices
