"""Researchers' shorthand spelled out the way abstracts write it.

People type "how many v100s to fit 1T param model"; the abstract says "800 NVIDIA V100 GPUs
just to fit a trillion parameter model". The embedding model and the term statistics only
see the words, so "param" and "1T" are noise to both (the question above was refused). A
shorthand word is spelled out only when the collection writes the full word more often than
the short one; "1T" (or 1B, 1M, 1K) becomes "1 trillion" when no abstract writes it as typed.
Other sizes stay as typed: "176B" that no abstract writes is a sign of a paper not in the
collection, and "176 billion" would match "175 Billion" elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.question_type import one_of

SHORTHAND = {
    "approx": "approximately",
    "arch": "architecture",
    "avg": "average",
    "bs": "batch size",
    "config": "configuration",
    "configs": "configurations",
    "ctx": "context",
    "dim": "dimension",
    "dims": "dimensions",
    "e2e": "end-to-end",
    "emb": "embedding",
    "embs": "embeddings",
    "env": "environment",
    "envs": "environments",
    "expts": "experiments",
    "finetune": "fine-tune",
    "finetuned": "fine-tuned",
    "finetuning": "fine-tuning",
    "hparams": "hyperparameters",
    "hyperparams": "hyperparameters",
    "impl": "implementation",
    "img": "image",
    "imgs": "images",
    "info": "information",
    "lr": "learning rate",
    "mem": "memory",
    "num": "number",
    "param": "parameter",
    "params": "parameters",
    "perf": "performance",
    "repr": "representation",
    "seq": "sequence",
    "seqs": "sequences",
    "sota": "state-of-the-art",
    "tok": "token",
    "toks": "tokens",
    "vid": "video",
    "vids": "videos",
    "w/": "with",
    "w/o": "without",
}

_WORD = re.compile(r"(?<![\w/.-])(w/o|w/|[A-Za-z0-9]+)(?![\w/-])")


def written_in_full(question: str, df: Callable[[str], int]) -> str:
    """The question with shorthand words and an unwritten "1T" spelled out; `df` gives how
    many abstracts contain a (lower-case) word."""

    def full(match: re.Match[str]) -> str:
        word = match.group(1)
        if magnitude := one_of(word):
            return word if df(word.lower()) else f"1 {magnitude}"
        long = SHORTHAND.get(word)
        if long and df(re.split(r"[\s-]", long)[0]) > df(word.rstrip("/")):
            return long
        return word

    return _WORD.sub(full, question)
