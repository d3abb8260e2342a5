"""paper-rag as LlamaIndex objects: a `BaseRetriever` and a `CustomQueryEngine`.

They wrap the engine rather than re-implement it, so LlamaIndex code (tools, agents,
evaluators) gets the same hybrid retrieval, filters, refusals and citation checks as the
CLI and the UI. One node per paper: its title and abstract, with its metadata.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.filters import Filters
from rag.types import Answer, Source

if TYPE_CHECKING:
    from rag.engine import Engine

NODE_METADATA = ("paper_id", "label", "authors", "year", "venue", "categories", "doi", "url")


def source_node(source: Source) -> NodeWithScore:
    """A retrieved paper as a LlamaIndex node (id = paper id, text = title + abstract)."""
    metadata: dict[str, Any] = {k: getattr(source, k) for k in NODE_METADATA}
    metadata["n"] = source.n
    text = f"{source.title}\n{source.abstract}" if source.title else source.abstract
    node = TextNode(
        id_=source.paper_id,
        text=text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(metadata),
        excluded_llm_metadata_keys=["paper_id", "n", "url"],
    )
    return NodeWithScore(node=node, score=source.score)


class PaperRetriever(BaseRetriever):
    """Hybrid (dense + BM25, fused per paper) retrieval, with optional filters."""

    def __init__(
        self,
        engine: Engine,
        top_k: int | None = None,
        mode: str | None = None,
        filters: Filters | dict | None = None,
    ) -> None:
        super().__init__()
        self._engine, self._top_k, self._mode = engine, top_k, mode
        self._filters = Filters.of(filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        sources, _, _ = self._engine.retrieve(
            query_bundle.query_str, self._top_k, self._mode, filters=self._filters
        )
        return [source_node(s) for s in sources]


class PaperQueryEngine(CustomQueryEngine):
    """The checked, cited answer as a LlamaIndex `Response`.

    `source_nodes` are the cited papers (all retrieved ones when nothing is cited, so a
    refusal still shows what was closest); `metadata` carries refused, unsupported
    sentences, backend, notices and the full answer as JSON.
    """

    engine: Any
    top_k: int | None = None
    backend: str | None = None
    filters: Any = None

    def custom_query(self, query_str: str) -> Response:
        answer = self.engine.ask(
            query_str, top_k=self.top_k, backend=self.backend, filters=self.filters
        )
        return to_response(answer)


def to_response(answer: Answer) -> Response:
    cited = {c.n for c in answer.citations}
    nodes = [source_node(s) for s in answer.sources if s.n in cited or not cited]
    return Response(
        response=answer.text,
        source_nodes=nodes,
        metadata={
            "refused": answer.refused,
            "unsupported": [s.text for s in answer.unsupported],
            "backend": answer.backend,
            "notices": answer.notices,
            "answer": answer.to_json(),
        },
    )
