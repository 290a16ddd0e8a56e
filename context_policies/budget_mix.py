"""budget_mix: fits a mix into one token budget: the fixed parts, the structured state, the last K
raw turns, retrieved items and a summary of the rest. When the mix is over budget the summary goes
first, then the retrieved items, then the state, then older raw turns (see base.fit_to_budget)."""

from typing import Literal

from pydantic import Field

from context_policies.base import POLICIES, BuildContext, Item, PolicyConfig, flatten, split_turns
from context_policies.retrieval import retrieve_texts, retrieved_item
from context_policies.structured_state import StateTracker, state_items
from context_policies.summarization import Summarization, SummarizationConfig, digest
from ctxbench.search import BM25Index


class BudgetMixConfig(PolicyConfig):
    type: Literal["budget_mix"] = "budget_mix"
    context_tokens: int | None = Field(3000, ge=1, description="The budget the mix is fitted to")
    keep_last: int = Field(2, ge=1, description="Newest turns shown raw")
    top_k: int = Field(2, ge=0, description="Retrieved older turns (0: none)")
    retrieved_tokens: int = Field(500, ge=16)
    state: bool = Field(True, description="Include the structured-state scratchpad")
    summary: Literal["digest", "llm", "none"] = Field(
        "digest", description="How the rest is summarized: one line per turn, an LLM summary, or not at all"
    )
    summary_trigger_tokens: int = Field(1500, ge=1, description="For summary=llm: when to fold turns in")
    digest_lines: int = Field(30, ge=1, description="For summary=digest: newest older turns listed")


@POLICIES.register("budget_mix")
class BudgetMix:
    config_class = BudgetMixConfig

    def __init__(self, config: BudgetMixConfig) -> None:
        self.config = config
        self.index = BM25Index()
        self.tracker = StateTracker(max_facts=12, max_results=10)
        self.summarizer = Summarization(
            SummarizationConfig(keep_last=config.keep_last, trigger_tokens=config.summary_trigger_tokens)
        )

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]:
        c = self.config
        head, turns = split_turns(items)
        older, recent = turns[: -c.keep_last], turns[-c.keep_last :]
        ctx.note("dropped", sum(len(t) for t in older))
        extra = self._summary(items, older, ctx)  # order = what goes first when over budget
        if c.top_k and older:
            texts = retrieve_texts(self.index, older, recent, c.top_k, ctx)
            if texts:
                extra.append(retrieved_item(texts, c.retrieved_tokens, ctx))
        if c.state:
            extra.extend(state_items(self.tracker.state(ctx.history)))
        return flatten(head + extra, recent)

    def _summary(self, items: list[Item], older: list[list[Item]], ctx: BuildContext) -> list[Item]:
        if self.config.summary == "none" or not older:
            return []
        if self.config.summary == "digest":
            return [Item("summary", digest(older, self.config.digest_lines), 0)]
        head, _ = split_turns(self.summarizer.apply(items, ctx))
        return [i for i in head if i.kind == "summary"]
