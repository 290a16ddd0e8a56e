"""retrieval: BM25 (bm25s) over past turns and the task's documents. The newest turns are shown
raw; of everything older, only the top-k matches for the newest turn are injected, under a budget."""

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from context_policies.base import POLICIES, BuildContext, Item, PolicyConfig, flatten, shrink_text, split_turns
from context_policies.summarization import turns_as_text


class RetrievalConfig(PolicyConfig):
    type: Literal["retrieval"] = "retrieval"
    keep_last: int = Field(2, ge=1, description="Newest turns always shown raw")
    top_k: int = Field(3, ge=1, description="Retrieved items injected at most")
    retrieved_tokens: int = Field(600, ge=16, description="Token budget shared by the retrieved items")


WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern


class BM25Index:
    """A bm25s index over a growing corpus: each document is tokenized once (ids from a vocabulary
    that only grows); the index is rebuilt only when the corpus changed."""

    def __init__(self) -> None:
        self._docs: list[str] = []
        self._retriever: Any = None
        self._vocab: dict[str, int] = {}
        self._ids: dict[str, list[int]] = {}

    def _tokenize(self, text: str) -> list[int]:
        from bm25s.stopwords import STOPWORDS_EN

        if text not in self._ids:
            words = [w for w in WORD.findall(text.lower()) if w not in STOPWORDS_EN]
            self._ids[text] = [self._vocab.setdefault(w, len(self._vocab)) for w in words]
        return self._ids[text]

    def search(self, docs: Sequence[str], query: str, k: int) -> list[int]:
        import bm25s  # deferred: only this policy needs it
        from bm25s.tokenization import Tokenized

        if not docs or not query.strip():
            return []
        if list(docs) != self._docs:
            self._docs = list(docs)
            self._retriever = bm25s.BM25()
            tokenized = Tokenized(ids=[self._tokenize(d) for d in docs], vocab=self._vocab)
            self._retriever.index(tokenized, show_progress=False)
        query_words = [w for w in WORD.findall(query.lower()) if w in self._vocab]
        if not query_words:
            return []
        results, scores = self._retriever.retrieve([query_words], k=min(k, len(docs)), show_progress=False)
        # Ties broken by position keep the result deterministic; zero scores are not matches.
        ranked = sorted(zip(results[0], scores[0], strict=True), key=lambda rs: (-float(rs[1]), int(rs[0])))
        return [int(r) for r, s in ranked if s > 0]


def retrieved_item(texts: list[str], budget: int, ctx: BuildContext) -> Item:
    share = max(16, budget // max(1, len(texts)))
    body = "\n---\n".join(shrink_text(t, share, ctx.counter) for t in texts)
    return Item("retrieved", f"Relevant earlier steps and documents (retrieved):\n{body}", 0)


def retrieve_texts(
    index: BM25Index, older: list[list[Item]], recent: list[list[Item]], k: int, ctx: BuildContext
) -> list[str]:
    """The top-k older turns and task documents for the newest turn; the hits go into the record."""
    corpus = [turns_as_text([t]) for t in older] + [f"[task document]\n{d}" for d in ctx.documents]
    query = turns_as_text(recent[-1:]) if recent else ""
    hits = index.search(corpus, query, k)
    ctx.record["retrieved"] = hits
    return [corpus[h] for h in hits]


@POLICIES.register("retrieval")
class Retrieval:
    config_class = RetrievalConfig

    def __init__(self, config: RetrievalConfig) -> None:
        self.config = config
        self.index = BM25Index()

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]:
        head, turns = split_turns(items)
        older, recent = turns[: -self.config.keep_last], turns[-self.config.keep_last :]
        ctx.note("dropped", sum(len(t) for t in older))
        texts = retrieve_texts(self.index, older, recent, self.config.top_k, ctx)
        return flatten(head + ([retrieved_item(texts, self.config.retrieved_tokens, ctx)] if texts else []), recent)
