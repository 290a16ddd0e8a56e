"""What an episode spends, and the one LLM call made on a policy's behalf (summaries), counted apart
from the agent's own calls. The runner makes both before the episode, so the summarizer is handed
to the context policy when the policy is built."""

from dataclasses import dataclass, field

from ctxbench.events import Message
from ctxbench.llm.base import LLMBackend
from ctxbench.tracing.jsonl import TraceWriter


@dataclass
class Totals:
    steps: int = 0
    agent_prompt_tokens: int = 0  # the agent's own model calls; the summarizer's are counted below
    agent_completion_tokens: int = 0
    agent_cached_tokens: int = 0
    cost_usd: float = 0.0
    llm_latency_s: float = 0.0
    exec_s: float = 0.0
    cells: int = 0
    failed_cells: int = 0
    format_errors: int = 0
    malformed: dict[str, int] = field(default_factory=dict)  # format errors by kind
    invalid_answers: int = 0
    summarizer_calls: int = 0
    summarizer_prompt_tokens: int = 0
    summarizer_completion_tokens: int = 0

    @property
    def all_tokens(self) -> int:
        """Every token spent, the summarizer's included (budgets count it)."""
        return (
            self.agent_prompt_tokens
            + self.agent_completion_tokens
            + self.summarizer_prompt_tokens
            + self.summarizer_completion_tokens
        )


class Summarizer:
    """The LLM call summarizing policies make: (messages, max completion tokens) -> text."""

    def __init__(self, llm: LLMBackend, totals: Totals, trace: TraceWriter, seed: int) -> None:
        self.llm, self.totals, self.trace, self.seed = llm, totals, trace, seed

    def __call__(self, messages: list[Message], reply_tokens: int) -> str:
        reply = self.llm.generate(messages, seed=self.seed, reply_tokens=reply_tokens)
        t = self.totals
        t.summarizer_calls += 1
        t.summarizer_prompt_tokens += reply.usage.prompt_tokens
        t.summarizer_completion_tokens += reply.usage.completion_tokens
        t.cost_usd += reply.cost_usd
        self.trace.emit("summarizer_call", step=t.steps, messages=messages, reply=reply.to_record())
        return reply.text
