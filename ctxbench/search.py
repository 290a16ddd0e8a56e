"""BM25 search (bm25s) over a growing list of texts: the retrieval policies' index (over the agent's
past turns) and the agent's `retrieve` tool (its past turns and the task's documents) use the same one."""

import re
from collections.abc import Sequence
from typing import Any

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
        import bm25s  # deferred: only retrieval needs it
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


def document_entries(documents: Sequence[str]) -> list[str]:
    """The task's documents as search entries, marked as such."""
    return [f"[task document]\n{d}" for d in documents]
