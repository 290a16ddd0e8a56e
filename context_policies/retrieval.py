"""retrieval: BM25 (bm25s) over the agent's past turns. The newest turns are shown raw; of the older
ones, only the top-k matches for the newest turn are injected, under a budget. (Task documents are
not in its corpus: every policy reaches them alike, through the `retrieve` tool.)"""

from typing import Literal

from pydantic import Field

from context_policies.base import POLICIES, BuildContext, Item, PolicyConfig, flatten, shrink_text, split_turns
from context_policies.summarization import turns_as_text
from ctxbench.search import BM25Index


class RetrievalConfig(PolicyConfig):
    type: Literal["retrieval"] = "retrieval"
    keep_last: int = Field(2, ge=1, description="Newest turns always shown raw")
    top_k: int = Field(3, ge=1, description="Retrieved items injected at most")
    retrieved_tokens: int = Field(600, ge=16, description="Token budget shared by the retrieved items")


def retrieved_item(texts: list[str], budget: int, ctx: BuildContext) -> Item:
    share = max(16, budget // max(1, len(texts)))
    body = "\n---\n".join(shrink_text(t, share, ctx.counter) for t in texts)
    return Item("retrieved", f"Relevant earlier steps (retrieved):\n{body}", 0)


def retrieve_texts(
    index: BM25Index, older: list[list[Item]], recent: list[list[Item]], k: int, ctx: BuildContext
) -> list[str]:
    """The top-k older turns for the newest turn; the hits go into the record."""
    corpus = [turns_as_text([t]) for t in older]
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
