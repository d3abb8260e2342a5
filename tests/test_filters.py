"""Metadata as typed fields, and filters applied alike in dense, BM25 and hybrid retrieval."""

from __future__ import annotations

import json

import pytest

from rag.errors import QuestionError
from rag.filters import Filters
from rag.metadata import from_extra
from tests.support.processes import rag


def test_metadata_from_the_shapes_exporters_use() -> None:
    meta = from_extra(
        {"authors": "A. Smith, B. Lee and C. Wu", "update_date": "2023-05-01", "id": "2305.01234",
         "categories": "cs.CL cs.LG"}
    )  # fmt: skip
    assert meta.authors == ["A. Smith", "B. Lee", "C. Wu"] and meta.year == 2023
    assert meta.categories == ["cs.CL", "cs.LG"] and meta.arxiv_id == "2305.01234"
    assert meta.link == "https://arxiv.org/abs/2305.01234"
    assert meta.byline() == "Smith, Lee et al. (2023)"
    bib = from_extra({"author": "Smith, John and Lee, Anna", "year": "2021", "journal": "Nature",
                      "doi": "https://doi.org/10.1038/xyz.1"})  # fmt: skip
    assert bib.authors == ["Smith, John", "Lee, Anna"] and bib.venue == "Nature"
    assert bib.link == "https://doi.org/10.1038/xyz.1"
    assert from_extra({"authors": ["Wu, C", "Ng, A"], "pmid": "123"}).link.endswith("/123/")
    assert from_extra({}).byline() == "" and from_extra({}).link is None


def test_filters_are_checked() -> None:
    with pytest.raises(QuestionError, match="since 2024 > until 2023"):
        Filters.of({"since": 2024, "until": 2023})
    with pytest.raises(QuestionError, match="must be a year"):
        Filters.of({"since": "last year"})
    with pytest.raises(QuestionError, match="Unknown filter"):
        Filters.of({"author": "Smith"})
    assert not Filters.of({"since": None, "authors": []}).active
    assert Filters.of({"authors": "Smith"}).authors == ("Smith",)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_filter_holds_in_every_retrieval_mode(meta_engine, mode) -> None:
    engine, _ = meta_engine
    question = "How can models be trained more efficiently?"
    cases = {
        "since": ({"since": 2023}, lambda s: s.year >= 2023),
        "until": ({"until": 2022}, lambda s: s.year <= 2022),
        "author": ({"authors": ["okafor"]}, lambda s: any("Okafor" in a for a in s.authors)),
        "category": ({"categories": ["q-bio"]}, lambda s: "q-bio.BM" in s.categories),
        "venue": ({"venues": ["nature methods"]}, lambda s: s.venue and "Nature" in s.venue),
    }
    survey = "Which papers study efficient training?"  # searched twice (survey feedback)
    for name, (filters, holds) in cases.items():
        answer = engine.ask(question, mode=mode, top_k=10, filters=filters)
        listed = engine.ask(survey, mode=mode, top_k=10, filters=filters).sources
        assert listed and all(holds(s) for s in listed), (name, "survey")
        allowed = engine._view.catalog.select(Filters.of(filters))
        assert allowed, name
        got = [s for s in answer.sources]
        assert all(holds(s) for s in got), (name, [(s.year, s.authors) for s in got])
        if mode == "dense":  # dense always ranks every allowed paper it can
            assert {s.paper_id for s in got} == set(list(allowed)[:10]) or len(got) == 10


def test_a_reading_list_and_a_filter_that_matches_nothing(meta_engine) -> None:
    engine, _ = meta_engine
    ids = sorted(engine.papers)[:2]
    answer = engine.ask("What do these papers propose?", filters={"paper_ids": ids})
    assert {s.paper_id for s in answer.sources} <= set(ids)
    none = engine.ask("What do these papers propose?", filters={"since": 2030})
    assert none.refused and none.sources == []
    assert none.text.startswith("No paper in this collection matches the filters (years 2030-…)")


def test_sources_carry_metadata_and_authors_are_searchable(meta_engine) -> None:
    engine, _ = meta_engine
    sources, _, _ = engine.retrieve("Which papers did Tanaka write?", mode="bm25")
    assert "Tanaka, Yui" in sources[0].authors
    assert engine.retriever.unknown_terms("Which papers did Tanaka write?") == []
    answer = engine.ask("How can models be trained more efficiently?", filters={"authors": "yui"})
    data = answer.to_json()["sources"][0]
    assert data["year"] in (2021, 2022, 2023, 2024) and data["authors"][0] == "Tanaka, Yui"
    assert data["url"].startswith(("https://doi.org/10.1234/", "https://arxiv.org/abs/2"))
    assert "stat.ML" in data["categories"]


def test_cli_filters_and_metadata_in_the_output(meta_engine) -> None:
    _, settings = meta_engine
    done = rag(settings, "ask", "--since", "2023", "--category", "cs.CL", "--json",
               "How can models be trained more efficiently?")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    sources = json.loads(done.stdout)["sources"]
    assert sources and all(s["year"] >= 2023 and "cs.CL" in s["categories"] for s in sources)
    text = rag(settings, "ask", "--author", "Novak", "Which methods are proposed?")
    assert text.returncode == 0, text.stderr[-2000:]
    assert "— Novak, Min (202" in text.stdout and "https://" in text.stdout


def test_ui_filter_boxes_apply_and_sources_show_the_byline_and_link(meta_engine) -> None:
    from gradio_client import Client

    from tests.support.ui_app import running

    engine, settings = meta_engine
    with running(engine, settings) as url:
        client = Client(url, verbose=False)
        _, html, data, _ = client.predict(
            "How can models be trained more efficiently?", 5, "extractive", "2023", "", "",
            "cs", "", api_name="/ask",
        )  # fmt: skip
        assert data["sources"] and all(s["year"] >= 2023 for s in data["sources"])
        assert all(any(c.startswith("cs.") for c in s["categories"]) for s in data["sources"])
        assert 'class="src-biblio"' in html and 'href="https://' in html
        _, html, data, _ = client.predict(
            "How can models be trained?", 5, "extractive", "2030", "", "", "", "", api_name="/ask"
        )
        assert data["refused"] and not data["sources"]
        assert "No sources were retrieved" in html and "closest papers" not in html
        _, _, error, _ = client.predict(
            "How can models be trained?", 5, "extractive", "soon", "", "", "", "", api_name="/ask"
        )
        assert error["kind"] == "QuestionError" and "must be a year" in error["error"]


def test_filters_stated_in_the_question(tmp_path) -> None:
    import numpy as np

    from rag.catalog import Catalog
    from rag.papers import Paper
    from rag.question_filters import filters_from_question

    def catalog_of(name: str, *extras: dict) -> Catalog:
        catalog = Catalog(tmp_path / name, create=True)
        papers = [Paper(f"p{i}", f"T{i}", "Text.", [], extra) for i, extra in enumerate(extras)]
        catalog.write([(p, 1, [], np.zeros((0, 4), dtype=np.float32)) for p in papers])
        return catalog

    papers = catalog_of("a.sqlite3", {"authors": ["Alice Smith"], "year": 2021}, {"year": 2024})
    got, rest = filters_from_question("Which papers by Smith since 2020 study pruning?", papers)
    assert (got.since, got.until, got.authors) == (2020, None, ("Smith",))
    assert rest == "Which papers study pruning?"
    got, _ = filters_from_question("What was published between 2024 and 2022 on LLMs?", papers)
    assert (got.since, got.until) == (2022, 2024)
    got, _ = filters_from_question("Work after 2023 on speech", papers)
    assert got.since == 2024
    # Unknown surnames, numbers that are not years, and collections without years: no filter.
    assert not filters_from_question("papers by Jones on parsing", papers)[0].active
    assert not filters_from_question("Is 2048 tokens enough since 5090 GPUs?", papers)[0].active
    assert not filters_from_question("since 2023?", catalog_of("b.sqlite3", {}))[0].active
    assert papers.select(got) == {"p1"}


def test_a_stated_filter_is_applied_and_announced(meta_engine) -> None:
    engine, _ = meta_engine
    answer = engine.ask("How can models be trained more efficiently, in papers since 2024?")
    assert answer.sources and all(s.year >= 2024 for s in answer.sources)
    assert "Filtered from the question: years 2024-…." in answer.notices
    plain = engine.ask("How can models be trained more efficiently?")
    assert not any("Filtered" in n for n in plain.notices)


def test_a_question_citing_authors_asks_about_their_papers(meta_engine) -> None:
    """Authors are in the metadata, never in an abstract: "What did Okafor et al. find ...?"
    is answered, Okafor's retrieved papers lead and the first is quoted first, and the
    citation is not a term the answer must cover. An author the collection lacks is still a
    word no abstract writes."""
    engine, _ = meta_engine
    answer = engine.ask("What did Okafor et al. find about training efficiency?")
    assert not answer.refused, answer.text
    okafor = [s.n for s in answer.sources if any("Okafor" in a for a in s.authors)]
    assert okafor and okafor == list(range(1, len(okafor) + 1)), answer.sources
    assert answer.text.splitlines()[1].startswith("[1] ")
    assert answer.coverage and "okafor" not in answer.coverage.terms_missing
    missing = engine.ask("What did Zhang et al. find about training efficiency?")
    assert missing.refused and "Zhang" in missing.text
    # a surname alone, as typed or without its accents, is the same citation
    bare = engine.ask("What did Okafor find about training efficiency?")
    assert not bare.refused and any("Okafor" in a for a in bare.sources[0].authors)
    assert engine.ask("What did Novák find about training efficiency?").sources[0].authors[0] == (
        "Novak, Petra"
    )


def test_cited_authors_need_the_metadata_and_a_citation_form(tmp_path) -> None:
    from rag.question_filters import cited_authors, without_citations

    class Papers:
        def has_author(self, surname: str) -> bool:
            return surname.lower() in {"smith", "lee", "adam"}

    papers = Papers()
    assert cited_authors("What did Smith et al. report?", papers) == ["Smith"]
    assert cited_authors("In Smith and Lee's paper, what is X?", papers) == ["Smith"]
    assert cited_authors("Smith and Lee (2021): how fast is it?", papers) == ["Smith"]
    assert cited_authors("How do Adam and AdamW differ?", papers) == []  # not both authors
    assert cited_authors("How do Adam and Lee differ?", papers) == []  # not a citation's form
    assert cited_authors("What did Zhang et al. report?", papers) == []
    assert without_citations(
        "textual inversion (Smith et al., 2022): how many images?", ["Smith"]
    ) == ("textual inversion : how many images?")


def test_a_reader_keeps_selections_and_a_writer_sees_each_write(tmp_path) -> None:
    """A reader's catalog does not change, so it keeps a filter's selection; a writer's does,
    so it selects afresh after every write."""
    import numpy as np

    from rag.catalog import Catalog
    from rag.papers import Paper

    def write(catalog: Catalog, *years: int) -> None:
        start = catalog.count()
        papers = [Paper(f"p{start + i}", f"T{start + i}", "Text.", [], {"year": y})
                  for i, y in enumerate(years)]  # fmt: skip
        catalog.write([(p, 1, [], np.zeros((0, 4), dtype=np.float32)) for p in papers])

    since = Filters(since=2022)
    writer = Catalog(tmp_path / "c.sqlite3", create=True)
    write(writer, 2021, 2023)
    assert set(writer.select(since)) == {"p1"}
    write(writer, 2024)
    assert set(writer.select(since)) == {"p1", "p2"}, "the writer sees its own writes"

    reader = Catalog(tmp_path / "c.sqlite3")
    first = reader.select(since)
    assert set(first) == {"p1", "p2"} and reader.select(since) is first, "kept"
    assert set(reader.select(Filters(until=2021))) == {"p0"}
    writer.close()
    reader.close()


def _catalog_with(path, *extras: dict):
    import numpy as np

    from rag.catalog import Catalog
    from rag.papers import Paper

    catalog = Catalog(path, create=True)
    papers = [Paper(f"p{i}", f"T{i}", "Text.", [], extra) for i, extra in enumerate(extras)]
    catalog.write([(p, 1, [], np.zeros((0, 4), dtype=np.float32)) for p in papers])
    return catalog


BYLINES = (
    {"authors": ["William Smith", "Jane Doe"], "venue": "NAACL", "categories": ["cs.CL"]},
    {"authors": ["Li, Wei"], "year": 2022, "venue": "ACL 2022", "categories": ["cs.LG", "stat.ML"]},
    {"authors": ["Anna Müller", "John Smith"], "year": 2023,
     "venue": "Advances in Neural Information Processing Systems"},
    {"authors": ["Jo Lin"], "year": 2024, "venue": "Proc. EACL"},
)  # fmt: skip


def test_names_in_filters_match_whole_words(tmp_path) -> None:
    """An author "Li" is not part of "William" or "Lin", a venue "ACL" not of "NAACL";
    "J. Smith" finds John Smith by his initial and "Muller" finds Müller (as a substring,
    "Li" selected all three and "J. Smith" none)."""
    catalog = _catalog_with(tmp_path / "c.sqlite3", *BYLINES)

    def selected(**wanted) -> list[str]:
        return sorted(catalog.select(Filters.of(wanted)))

    assert selected(authors="Li") == ["p1"]
    assert selected(authors="smith") == ["p0", "p2"]
    assert selected(authors="J. Smith") == ["p2"]
    assert selected(authors="Muller") == ["p2"]
    assert selected(authors="John Doe") == [], "one author's given name, another's surname"
    assert selected(authors="smith", paper_ids=["p1", "p2", "p9"]) == ["p2"], "a reading list"
    assert selected(authors=["Lin", "Doe"]) == ["p0", "p3"]
    assert selected(authors="Smith", since=2023) == ["p2"]
    assert selected(venues="ACL") == ["p1"]
    assert selected(venues="neural information processing") == ["p2"]
    assert selected(categories="cs") == ["p0", "p1"]
    assert selected(categories="stat.ml") == ["p1"]
    assert selected(categories="cs.C") == []
    assert [catalog.has_author(s) for s in ("Smith", "Muller", "Li", "William", "Wei")] == [
        True, True, True, False, False,
    ]  # fmt: skip
    catalog.delete(["p0"])
    assert selected(authors="smith") == ["p2"] and selected(venues="NAACL") == []
    assert not catalog.has_author("Doe"), "a deleted paper's names are gone"
    catalog.close()


def test_the_ui_author_box_takes_bibliographic_names(tmp_path) -> None:
    """ "Smith, John; Li" is two authors in the UI's box (commas split only when there is no
    semicolon), and "Smith, John" is John Smith, not every Smith and every John."""
    from paper_rag.ui.app import ui_filters

    catalog = _catalog_with(tmp_path / "c.sqlite3", *BYLINES)
    wanted = ui_filters("", "", "Smith, John; Li", "", "")
    assert wanted["authors"] == ["Smith, John", "Li"]
    assert sorted(catalog.select(Filters.of(wanted))) == ["p1", "p2"]
    assert ui_filters("", "", "Smith, Lee", "cs, stat", "")["authors"] == ["Smith", "Lee"]
    catalog.close()


def test_a_year_filter_says_how_many_papers_it_leaves_out_for_having_no_year(tmp_path) -> None:
    from tests.support.small_corpus import engine_over

    text = "We measure drought effects on wheat yields across {} farms in dry summers."
    rows = [
        {"title": "Drought A", "abstract": text.format(40), "update_date": "2021-05-01"},
        {"title": "Drought B", "abstract": text.format(50), "update_date": "2024-05-01"},
        {"title": "Drought C", "abstract": text.format(60)},
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("How does drought affect wheat yields?", filters={"since": 2023})
    assert "1 paper with no year is left out by the year filter." in answer.notices
    assert "Filtered: years 2023-…." in answer.notices, "the filter as it was read"
    assert [s.label for s in answer.sources] == ["Drought B"]
    plain = engine.ask("How does drought affect wheat yields?")
    assert not any("no year" in n for n in plain.notices)
