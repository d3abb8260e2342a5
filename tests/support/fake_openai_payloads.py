"""The JSON bodies the fake OpenAI server answers with: completions, embeddings, usage."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from typing import Any

from tests.support.fake_openai_steps import Step

DEFAULT_MODEL = "fake-model"
EMBEDDING_DIM = 8


def _count_tokens(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


def usage(body: dict[str, Any], text: str) -> dict[str, int]:
    """Rough token counts (words and punctuation), stable across runs."""
    prompt = ""
    for m in body.get("messages") or []:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, str):
            prompt += content + "\n"
        elif isinstance(content, list):
            prompt += " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    p = body.get("prompt")
    if isinstance(p, str):
        prompt += p
    elif isinstance(p, list):
        prompt += " ".join(x for x in p if isinstance(x, str))
    pt, ct = _count_tokens(prompt), _count_tokens(text)
    return {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}


def completion_response(
    step: Step, body: dict[str, Any], chat: bool, cid: str, model: str = DEFAULT_MODEL
) -> dict[str, Any]:
    model = body.get("model") or model
    if chat:
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": step.text},
            "logprobs": None,
            "finish_reason": step.finish_reason,
        }
        obj = "chat.completion"
    else:
        choice = {
            "index": 0,
            "text": step.text,
            "logprobs": None,
            "finish_reason": step.finish_reason,
        }
        obj = "text_completion"
    return {
        "id": cid,
        "object": obj,
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
        "usage": usage(body, step.text),
    }


def fake_embedding(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """A deterministic unit vector derived from the text's hash."""
    digest = hashlib.sha256(text.encode()).digest()
    vec = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(dim)]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def embeddings_response(body: dict[str, Any]) -> dict[str, Any]:
    inputs = body.get("input")
    items = [inputs] if isinstance(inputs, str) else list(inputs or [])
    texts = [x if isinstance(x, str) else json.dumps(x) for x in items]
    dim = int(body.get("dimensions") or EMBEDDING_DIM)
    tokens = sum(_count_tokens(t) for t in texts)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": fake_embedding(t, dim)}
            for i, t in enumerate(texts)
        ],
        "model": body.get("model") or DEFAULT_MODEL,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
