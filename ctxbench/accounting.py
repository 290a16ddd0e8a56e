"""What an episode spends, and the one LLM call made on a policy's behalf (summaries), counted apart
from the agent's own calls. The runner makes both before the episode, so the summarizer is handed
to the context policy when the policy is built."""

from dataclasses import dataclass, field

from ctxbench.errors import ContextOverflow, InfrastructureError
from ctxbench.events import Message
from ctxbench.llm.base import LLMBackend, LLMReply
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
    scaffold_exec_s: float = 0.0  # cells the harness runs for the scaffolding (preload, key_hint), not the agent's
    cells: int = 0
    failed_cells: int = 0
    format_errors: int = 0
    malformed: dict[str, int] = field(default_factory=dict)  # format errors by kind
    repeats: int = 0  # well-formed replies identical to an earlier one, not run (scaffold.repeat_guard)
    invalid_answers: int = 0
    summarizer_calls: int = 0
    summarizer_prompt_tokens: int = 0
    summarizer_completion_tokens: int = 0
    summarizer_cached_tokens: int = 0
    summarizer_latency_s: float = 0.0
    # Replies served by the response cache carry the cost and latency of the call that made them
    # (so a cell run second is not cheaper); they are counted here, and their latency apart.
    response_cache_hits: int = 0
    replayed_latency_s: float = 0.0
    # Failed attempts and the backoff between them: the endpoint's trouble, not the step's latency.
    llm_retries: int = 0
    llm_retry_s: float = 0.0

    @property
    def summarizer_tokens(self) -> int:
        return self.summarizer_prompt_tokens + self.summarizer_completion_tokens

    @property
    def all_tokens(self) -> int:
        """Every token spent, the summarizer's included (budgets count it)."""
        return self.agent_prompt_tokens + self.agent_completion_tokens + self.summarizer_tokens

    def charge_agent(self, reply: LLMReply) -> None:
        self.steps += 1
        self.agent_prompt_tokens += reply.usage.prompt_tokens
        self.agent_completion_tokens += reply.usage.completion_tokens
        self.agent_cached_tokens += reply.usage.cached_tokens or 0
        self.llm_latency_s += reply.latency_s
        self._charge_call(reply)

    def charge_summarizer(self, reply: LLMReply) -> None:
        self.summarizer_calls += 1
        self.summarizer_prompt_tokens += reply.usage.prompt_tokens
        self.summarizer_completion_tokens += reply.usage.completion_tokens
        self.summarizer_cached_tokens += reply.usage.cached_tokens or 0
        self.summarizer_latency_s += reply.latency_s
        self._charge_call(reply)

    def _charge_call(self, reply: LLMReply) -> None:
        self.cost_usd += reply.cost_usd
        self.llm_retries += reply.retries
        self.llm_retry_s += reply.retry_s
        if reply.from_cache:
            self.response_cache_hits += 1
            self.replayed_latency_s += reply.latency_s


class Summarizer:
    """The LLM call summarizing policies make: (messages, max completion tokens) -> text."""

    def __init__(self, llm: LLMBackend, totals: Totals, trace: TraceWriter, seed: int) -> None:
        self.llm, self.totals, self.trace, self.seed = llm, totals, trace, seed

    def __call__(self, messages: list[Message], reply_tokens: int) -> str:
        try:
            reply = self.llm.generate(messages, seed=self.seed, reply_tokens=reply_tokens)
        except (InfrastructureError, ContextOverflow) as exc:
            exc.args = (f"summarizer call: {exc}",)  # same stop reason, said where it happened
            raise
        self.totals.charge_summarizer(reply)
        self.trace.emit("summarizer_call", step=self.totals.steps, messages=messages, reply=reply.to_record())
        return reply.text
