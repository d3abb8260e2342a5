"""Lower-case names in questions, restored to the collection's spelling (a real catalog)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.catalog import Catalog
from rag.name_casing import NameCasing
from rag.papers import Paper

PAPERS = [
    Paper("a", "GraNet: Graph Networks for Routing", "We propose GraNet, a router.", []),
    Paper("b", "Routers Compared", "We compare GraNet and QLoRA-tuned routers.", []),
    Paper("c", "SWARM Training", "We propose SWARM, a training scheme for weak devices.", []),
    Paper("d", "Particle Swarm Search", "A swarm of particles searches the space.", []),
    Paper("e", "Echo: Rollouts Elsewhere", "Echo runs rollouts on spare machines.", []),
    Paper("f", "Skill-it! A Skills Framework", "We propose Skill-It, a data ordering.", []),
    Paper("g", "Fusion", "Cross-attention models (e.g., Flamingo) are slow to train.", []),
    Paper("h", "Sharding", "Our solution, Zero Redundancy Optimizer, shards states.", []),
    Paper("i", "Brain Scores", "The model fits areas V4, IT and Behaviour best.", []),
    Paper("j", "Speech", "We beat Tacotron2 and use 2 speakers.", []),
    Paper("k", "Diffusion LMs", "We test LLaDA-8B and Dream-7B on code.", []),
]


@pytest.fixture
def casing(tmp_path) -> NameCasing:
    catalog = Catalog(tmp_path / "catalog.sqlite3", create=True)
    catalog.write([(p, 1, [], np.zeros((0, 384), dtype=np.float32)) for p in PAPERS])
    return NameCasing(catalog, common=30)


def test_a_name_the_collection_always_writes_as_a_name_is_restored(casing) -> None:
    assert casing.cased("what is granet and who wrote it") == "what is GraNet and who wrote it"
    assert casing.cased("how much memory does qlora-tuned routing save?") == (
        "how much memory does QLoRA-tuned routing save?"
    )


def test_a_title_that_capitalizes_every_word_does_not_hide_the_abstracts_spelling(
    casing,
) -> None:
    """The title writes "Skill-it!" as title case does; the abstract writes the name."""
    assert casing.cased("what does skill-it do") == "what does Skill-It do"


def test_a_word_capitalized_alone_inside_sentences_is_a_proper_name(casing) -> None:
    """ "(e.g., Flamingo)" is a name; "Zero" inside "Zero Redundancy Optimizer" is a word of
    a capitalized phrase, so "zero" stays a number word."""
    assert casing.cased("how big is the largest flamingo model") == (
        "how big is the largest Flamingo model"
    )
    assert casing.cased("a scalar that starts at zero") == "a scalar that starts at zero"
    # last in a list of names, a capital says nothing: "areas V4, IT and Behaviour"
    assert casing.cased("can it hurt safety behaviour") == "can it hurt safety behaviour"


def test_ordinary_words_stay_as_typed(casing) -> None:
    """ "swarm" is also written as a plain word (paper d), "echo" only as a capitalized word,
    "routers" in lower case: none becomes a name; words already cased are left alone."""
    assert casing.cased("how does swarm training handle weak devices") == (
        "how does swarm training handle weak devices"
    )
    assert casing.cased("what does echo do with routers") == "what does echo do with routers"
    assert casing.cased("What is GraNet?") == "What is GraNet?"


def test_a_word_in_more_papers_than_common_is_a_topic(tmp_path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3", create=True)
    catalog.write([(p, 1, [], np.zeros((0, 384), dtype=np.float32)) for p in PAPERS])
    assert NameCasing(catalog, common=1).cased("what is granet") == "what is granet"


def test_a_name_typed_with_its_version_apart_takes_the_joined_spelling(casing) -> None:
    """ "tacotron 2" where the abstract writes "Tacotron2"; "speakers 2" stays a word."""
    assert casing.cased("what did tacotron 2 report?") == "what did Tacotron 2 report?"
    assert casing.cased("how many speakers 2 use") == "how many speakers 2 use"


def test_a_name_typed_with_its_size_apart_takes_the_hyphenated_spelling(casing) -> None:
    """ "dream 7b" where the abstract writes "Dream-7B"."""
    assert casing.cased("dream 7b - how many tokens?") == "Dream 7b - how many tokens?"


def test_a_word_mostly_written_in_a_hyphenated_phrase_is_ordinary(tmp_path) -> None:
    """ "Feed" (a product) stands alone only capitalized, but more papers write
    "feed-forward": "feed visual features into ..." keeps its plain verb."""
    rows = [Paper("p", "Feeds", "We grew the Feed ranking.", [])]
    rows += [
        Paper(f"f{k}", "Layers", f"A feed-forward layer {k} is used widely.", []) for k in range(3)
    ]
    rows += [Paper(f"w{k}", "Widely", f"Forward passes {k} are cheap.", []) for k in range(3)]
    catalog = Catalog(tmp_path / "catalog.sqlite3", create=True)
    catalog.write([(p, 1, [], np.zeros((0, 384), dtype=np.float32)) for p in rows])
    casing = NameCasing(catalog, common=30)
    assert casing.cased("we feed visual features in") == "we feed visual features in"
    lone = Catalog(tmp_path / "lone.sqlite3", create=True)
    lone.write([(p, 1, [], np.zeros((0, 384), dtype=np.float32)) for p in rows[:1]])
    assert NameCasing(lone, common=30).cased("we feed visual features in") == (
        "we Feed visual features in"
    )
