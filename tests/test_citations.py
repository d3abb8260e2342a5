"""Citation clean-up and sentence support checks against real abstracts and the real model."""

from __future__ import annotations

from rag.citations import answer_sentences, check_sentences, cited_numbers, clean_markers


def test_out_of_range_citations_are_removed_and_reported():
    text, invalid = clean_markers("A holds [1]. B holds [7]. C holds [2, 9] and [0].", k=5)
    assert invalid == [7, 9, 0]
    assert "[7]" not in text and "[9]" not in text and "[0]" not in text
    assert "[2]" in text and "[1]" in text
    assert cited_numbers(text) == [1, 2]


def test_grouped_citations_are_split():
    text, invalid = clean_markers("Both do it [1, 3].", k=3)
    assert text == "Both do it [1][3]." and invalid == []


def test_trailing_citation_after_full_stop_stays_with_its_sentence():
    sentences = answer_sentences("First claim. [1] Second claim [2].\n- Third claim. [3]")
    assert sentences == ["First claim. [1]", "Second claim [2].", "Third claim. [3]"]


def test_support_check_flags_invented_numbers_and_uncited_sentences(engine):
    sources, _, _ = engine.retrieve("What does NUPES propose for post-training quantization?")
    nupes = sources[0]
    verbatim = "NUPES leverages automorphisms to preserve the scalar multiplications."
    assert verbatim in nupes.abstract
    checks = check_sentences(
        [
            f"{verbatim} [1]",
            "NUPES reaches 99.7% accuracy on ImageNet with 3 bits [1].",
            "Quantization is widely used to shrink networks.",
        ],
        sources,
        engine.evidence,
        engine.settings.support_threshold,
    )
    assert checks[0].supported and checks[0].support > 0.9
    assert not checks[1].supported and "99.7" in checks[1].missing_numbers
    assert not checks[2].supported and checks[2].cites == []
    assert verbatim in nupes.supporting


def test_an_abstracts_own_reference_numbers_are_not_citations(engine):
    """An abstract's "as shown in [2]" is quoted as "(ref. 2)": every bracketed number in an
    answer is a citation of a source, and the quote still counts as verbatim."""
    from rag.backends.extractive import extractive_answer, quoted_lines
    from rag.types import Source

    abstract = (
        "We segment solar panels in aerial images with a new mask decoder. As shown in [2], "
        "masks from a decoder help small panels. Our decoder reaches 91% IoU on solar panels."
    )
    sources = [
        Source(n=1, paper_id="own-refs", title="Solar", label="Solar", abstract=abstract, score=1),
        Source(
            n=2, paper_id="other", title="Grass", label="Grass", abstract="Grass grows.", score=0
        ),
    ]
    query = engine.evidence.embed(["How accurate is solar panel segmentation with masks?"])[0]
    text = extractive_answer(query, sources, engine.evidence, 4)
    assert "As shown in (ref. 2), masks" in text and "[2]" not in text
    assert cited_numbers(text) == [1]
    sentences = answer_sentences(quoted_lines(text))
    checks = check_sentences(sentences, sources, engine.evidence, engine.settings.support_threshold)
    shown = [c for c in checks if "(ref. 2)" in c.text]
    assert shown and all(c.supported and c.support == 1.0 for c in shown), "quoted verbatim"
