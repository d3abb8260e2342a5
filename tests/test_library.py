"""paper-rag inside other code: LlamaIndex retriever and query engine, and exports."""

from __future__ import annotations

import re

from rag.types import Answer
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_openai_steps import ok
from tests.support.processes import rag

QUESTION = "How can models be trained more efficiently?"


def _cited(answer: Answer):
    cited = {c.n for c in answer.citations}
    return [s for s in answer.sources if s.n in cited]


def test_markdown_export_has_numbered_references_with_metadata(meta_engine) -> None:
    engine, _ = meta_engine
    answer = engine.ask(QUESTION)
    md = answer.to_markdown()
    assert md.startswith(f"**Question:** {answer.question}\n\n{answer.text.strip()}")
    references = md.split("**References**", 1)[1].splitlines()
    for source in _cited(answer):
        line = next(x for x in references if x.startswith(f"[{source.n}] "))
        assert source.authors[0] in line and f"({source.year})" in line and source.url in line


def test_bibtex_export_has_one_entry_per_cited_paper(meta_engine) -> None:
    engine, _ = meta_engine
    answer = engine.ask(QUESTION)
    bib = answer.to_bibtex()
    keys = re.findall(r"^@(?:article|misc)\{([a-z0-9]+),$", bib, flags=re.MULTILINE)
    cited = _cited(answer)
    assert len(keys) == len(cited) == len(set(keys)) > 0
    assert bib.count("{") == bib.count("}") + bib.count("\\}") - bib.count("\\{")
    for source in cited:
        assert f"title = {{{source.title}" in bib or source.title[:30] in bib
        assert ("doi = {" + (source.doi or "")) in bib or ("eprint = {" + source.arxiv_id) in bib


def test_cli_formats_md_and_bib(meta_engine) -> None:
    _, settings = meta_engine
    md = rag(settings, "ask", "--format", "md", QUESTION)
    assert md.returncode == 0 and "**References**" in md.stdout, md.stderr[-2000:]
    bib = rag(settings, "ask", "--format", "bib", QUESTION)
    assert bib.returncode == 0 and bib.stdout.lstrip().startswith("@"), bib.stdout[:300]


def test_as_retriever_is_a_llamaindex_retriever_with_filters(meta_engine) -> None:
    from llama_index.core.base.base_retriever import BaseRetriever

    engine, _ = meta_engine
    paper = next(iter(engine.papers.values()))
    retriever = engine.as_retriever(top_k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(paper.title)
    assert len(nodes) == 3 and nodes[0].node.node_id == paper.paper_id
    assert nodes[0].node.metadata["paper_id"] == paper.paper_id and nodes[0].score > 0
    recent = engine.as_retriever(filters={"since": 2024}).retrieve(QUESTION)
    assert recent and all(n.node.metadata["year"] >= 2024 for n in recent)


def test_retriever_under_llamaindex_retriever_evaluator(meta_engine) -> None:
    from llama_index.core.evaluation import RetrieverEvaluator

    engine, _ = meta_engine
    evaluator = RetrieverEvaluator.from_metric_names(
        ["hit_rate", "mrr"], retriever=engine.as_retriever(top_k=5)
    )
    for paper in list(engine.papers.values())[:4]:
        result = evaluator.evaluate(query=paper.title, expected_ids=[paper.paper_id])
        scores = dict(result.metric_vals_dict)
        assert scores == {"hit_rate": 1.0, "mrr": 1.0}, (paper.title, scores)


def test_query_engine_response_carries_the_checked_answer(meta_engine) -> None:
    from llama_index.core.base.base_query_engine import BaseQueryEngine
    from llama_index.core.tools import QueryEngineTool

    engine, _ = meta_engine
    query_engine = engine.as_query_engine()
    assert isinstance(query_engine, BaseQueryEngine)
    response = query_engine.query(QUESTION)
    answer = engine.ask(QUESTION)
    assert response.response == answer.text
    assert [n.node.node_id for n in response.source_nodes] == [s.paper_id for s in _cited(answer)]
    assert response.metadata["refused"] is False and response.metadata["backend"] == "extractive"

    refusal = query_engine.query("What is the boiling point of liquid nitrogen in Kelvin?")
    assert refusal.metadata["refused"] is True

    tool = QueryEngineTool.from_defaults(
        query_engine=query_engine, name="papers", description="Cited answers from abstracts."
    )
    output = tool.call(QUESTION)
    assert output.content == answer.text and output.raw_output.metadata["answer"]["citations"]


def test_faithfulness_evaluator_reads_the_cited_abstracts(meta_engine) -> None:
    from llama_index.core.evaluation import FaithfulnessEvaluator
    from llama_index.llms.openai_like import OpenAILike

    engine, _ = meta_engine
    response = engine.as_query_engine().query(QUESTION)
    with FakeOpenAI([ok("YES")]) as server:
        llm = OpenAILike(model="fake-model", api_base=server.base_url, api_key="sk-test",
                         is_chat_model=True, context_window=16000)  # fmt: skip
        result = FaithfulnessEvaluator(llm=llm).evaluate_response(response=response)
        assert result.passing is True
        sent = " ".join(str(r.body) for r in server.posts())
        first = response.source_nodes[0].node.get_content()
        assert first[-60:].replace('"', "") in sent.replace('\\"', "").replace('"', "")
        server.set_steps([ok("NO")])
        assert FaithfulnessEvaluator(llm=llm).evaluate_response(response=response).passing is False


def test_rag_open_two_engines_in_one_process(meta_engine, corpus_settings) -> None:
    import rag

    _, settings = meta_engine
    small = rag.open(settings.data_dir, backend="extractive", top_k=3)
    default = rag.open(corpus_settings)
    by_index = rag.open(settings.index_path)
    assert len(small.papers) == len(by_index.papers) == 12 and len(default.papers) == 683
    assert len(small.ask(QUESTION).sources) == 3
    assert default.ask("What does NUPES propose?").sources[0].label.startswith("NUPES")


def test_with_settings_changes_retrieval_too(meta_engine) -> None:
    engine, _ = meta_engine
    narrow = engine.with_settings(candidates=3)
    wide, _, _ = engine.retrieve(QUESTION, top_k=10, mode="dense")
    few, _, _ = narrow.retrieve(QUESTION, top_k=10, mode="dense")
    assert len(wide) == 10 and len(few) == 3
    assert [s.paper_id for s in few] == [s.paper_id for s in wide[:3]]
