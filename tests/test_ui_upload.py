"""Adding papers from the browser: upload, ingest in the running app, ask about them at once."""

from __future__ import annotations

import json

from rag.ingest import ingest
from rag.readers import read_file
from tests.support.index_fixtures import CORPUS, make_settings
from tests.support.processes import corpus_of
from tests.support.ui_app import running

NEW = [r for r in read_file(CORPUS / "004_6a1ff8404f9e97b3.txt") if r.title][20:23]


def test_uploaded_papers_are_answered_without_a_restart(tmp_path) -> None:
    from gradio_client import Client, handle_file

    from rag.engine import Engine

    corpus = corpus_of(tmp_path / "corpus", CORPUS / "000_3196bafc52f3dd54.txt")
    settings = make_settings(tmp_path, corpus_dir=corpus)
    ingest([corpus], settings, progress=False)
    engine = Engine(settings)
    upload = tmp_path / "my export.jsonl"
    upload.write_text("".join(json.dumps({"title": r.title, "abstract": r.abstract}) + "\n"
                              for r in NEW))  # fmt: skip
    bad = tmp_path / "notes.json"
    bad.write_text("{not json")
    with running(engine, settings) as url:
        client = Client(url, verbose=False)
        report, header = client.predict([handle_file(str(upload))], api_name="/add_papers")
        assert report.startswith("**Added 3 new papers**"), report
        assert "13 research-paper abstracts" in header
        assert (corpus / "uploads" / "my_export.jsonl").is_file()
        _, _, data, _ = client.predict(NEW[1].title, 5, "extractive", "", "", "", "", "",
                                       api_name="/ask")  # fmt: skip
        assert data["sources"][0]["label"] == NEW[1].title

        report, _ = client.predict([handle_file(str(bad))], api_name="/add_papers")
        assert report.startswith("**Not added:**") and "notes.json" in report, report
        assert str(corpus) not in report, "the file's name, not the server's folders"
        assert not (corpus / "uploads" / "notes.json").exists(), "a bad upload is not kept"
    assert len(engine.papers) == 13


def test_an_upload_over_the_size_limit_is_refused_and_nothing_is_kept(tmp_path) -> None:
    from gradio_client import Client, handle_file

    from rag.engine import Engine

    corpus = corpus_of(tmp_path / "corpus", CORPUS / "000_3196bafc52f3dd54.txt")
    settings = make_settings(tmp_path, corpus_dir=corpus, max_file_mb=1)
    ingest([corpus], settings, progress=False)
    engine = Engine(settings)
    big = tmp_path / "big.jsonl"
    row = json.dumps({"title": NEW[0].title, "abstract": NEW[0].abstract}) + "\n"
    big.write_text(row * (2 * 2**20 // len(row) + 1))
    with running(engine, settings) as url:
        client = Client(url, verbose=False)
        try:
            report, _ = client.predict([handle_file(str(big))], api_name="/add_papers")
        except Exception as exc:  # noqa: BLE001 - the server refused the upload itself
            report = str(exc)
        assert "Added" not in report, report
    assert not (corpus / "uploads" / "big.jsonl").exists()
    assert len(engine.papers) == 10
