"""Researchers' shorthand ("1T param model", "w/o warmup") spelled out as abstracts write it."""

from __future__ import annotations

from rag.shorthand import written_in_full
from tests.support.small_corpus import engine_over, quote_groups

WRITTEN = {"parameter": 40, "param": 1, "with": 90, "without": 50, "7b": 3}


def _df(word: str) -> int:
    return WRITTEN.get(word, 0)


def test_shorthand_is_written_in_full_only_where_the_collection_writes_the_full_word() -> None:
    assert written_in_full("fit a 1T param model w/o offload", _df) == (
        "fit a 1 trillion parameter model without offload"
    )
    assert written_in_full("mem of a 7B model", _df) == "mem of a 7B model", "'memory' unwritten"
    assert written_in_full("peak mem of the 7B model", {"memory": 3, "mem": 5}.get) == (
        "peak mem of the 7B model"
    ), "written short more often than in full: left as typed"
    assert written_in_full("a 65B or 1B model", _df) == "a 65B or 1 billion model"
    assert written_in_full("Param-efficient tuning, hparams.json", _df) == (
        "Param-efficient tuning, hparams.json"
    ), "a capital, a hyphenated part or a file name is not shorthand"


def test_a_terse_question_in_shorthand_is_answered(tmp_path) -> None:
    rows = [
        {
            "title": "Breaking the GPU Memory Wall",
            "abstract": "GPU memory has grown far slower than model size. It requires 800 "
            "NVIDIA V100 GPUs just to fit a trillion parameter model for training. We present "
            "a system that offloads states to CPU and NVMe memory so that one node can "
            "fine-tune such models.",
        },
        {
            "title": "Heat Pumps in Winter",
            "abstract": "We measure heat pump efficiency in cold climates across 40 homes.",
        },
    ]
    engine = engine_over(tmp_path, rows)
    answer = engine.ask("how many v100s needed just to fit 1T param model")
    assert not answer.refused
    groups = quote_groups(answer)
    assert groups[0][0] == 1 and any("800 NVIDIA V100 GPUs" in q for q in groups[0][1])
