"""summarization: an LLM rolls older turns into a running summary, incrementally (the old summary
plus the newly folded turns), fired when the unsummarized older turns pass a token threshold.
The summarizer's own tokens are counted separately by the episode and traced."""

from typing import Any, Literal

from pydantic import Field, model_validator

from context_policies.base import POLICIES, BuildContext, Item, PolicyConfig, flatten, render, split_turns
from ctxbench.errors import HarnessError
from ctxbench.renamed import reject_renamed

SUMMARIZER_SYSTEM = (
    "You keep a running summary of a data-analysis agent's work. Keep what the agent will need: "
    "facts about the data (paths, shapes, column names), what was tried, results and numbers, errors "
    "and their causes, and what remains to do. Be concise and concrete."
)


def turns_as_text(turns: list[list[Item]]) -> str:
    return "\n\n".join(f"[{i.kind} at step {i.step}]\n{i.content}" for turn in turns for i in turn)


def digest(turns: list[list[Item]], max_lines: int = 30) -> str:
    """A deterministic one-line-per-turn account of the newest `max_lines` turns (no LLM)."""
    lines = [f"- ({len(turns) - max_lines} earlier steps not listed)"] if len(turns) > max_lines else []
    for turn in turns[-max_lines:]:
        said = next((line.strip() for line in turn[0].content.splitlines() if line.strip()), "(empty reply)")
        outcome = next((i.content.splitlines()[-1][:100] for i in turn[1:] if i.content), "no output")
        lines.append(f"- step {turn[0].step}: {said[:100]} -> {outcome}")
    return "Earlier steps, one line each:\n" + "\n".join(lines)


def _key(turns: list[list[Item]]) -> int:
    return hash(tuple(item.content for turn in turns for item in turn))


class SummarizationConfig(PolicyConfig):
    type: Literal["summarization"] = "summarization"
    keep_last: int = Field(2, ge=1, description="Newest turns always shown raw")
    trigger_tokens: int = Field(1500, ge=1, description="Summarize when unsummarized older turns exceed this")
    summary_reply_tokens: int = Field(400, ge=16, description="Completion limit of one summarizer call")

    @model_validator(mode="before")
    @classmethod
    def _renamed_summary(cls, data: Any) -> Any:
        return reject_renamed(data, {"summary_max_tokens": "summary_reply_tokens"})


@POLICIES.register("summarization")
class Summarization:
    config_class = SummarizationConfig

    def __init__(self, config: SummarizationConfig) -> None:
        self.config = config
        self._summary = ""
        self._folded = 0  # turns already inside the summary
        self._folded_key = hash(())  # what those turns said: another history means start over

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]:
        head, turns = split_turns(items)
        older = turns[: max(0, len(turns) - self.config.keep_last)]
        if _key(older[: self._folded]) != self._folded_key:  # not the history we summarized: start over
            self._summary, self._folded, self._folded_key = "", 0, hash(())
        pending = older[self._folded :]
        if pending and ctx.tokens([i for t in pending for i in t]) > self.config.trigger_tokens:
            self._summary = self._summarize(pending, ctx)
            self._folded, self._folded_key = len(older), _key(older)
            ctx.note("summarized", sum(len(t) for t in pending))
        ctx.note("dropped", sum(len(t) for t in older[: self._folded]))
        summary = [Item("summary", f"Summary of steps so far:\n{self._summary}", 0)] if self._summary else []
        return flatten(head + summary, turns[self._folded :])

    def _summarize(self, pending: list[list[Item]], ctx: BuildContext) -> str:
        if ctx.summarize is None:
            raise HarnessError("the summarization policy needs an LLM summarizer; none was given")
        previous = f"Current summary:\n{self._summary}\n\n" if self._summary else ""
        prompt = (
            f"{previous}New steps to fold in:\n{turns_as_text(pending)}\n\n"
            f"Write the updated summary (at most {self.config.summary_reply_tokens * 3 // 4} words)."
        )
        messages = [render(Item("system", SUMMARIZER_SYSTEM, 0, "system")), {"role": "user", "content": prompt}]
        ctx.note("summarizer_calls")
        return ctx.summarize(messages, self.config.summary_reply_tokens).strip()
