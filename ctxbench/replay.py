"""Replay: rebuild an episode's history from its trace and ask another policy what it would have
sent at each step, with no LLM call. (The model's replies stay those of the recorded run: this
measures context size, not what the model would have done with that context.)"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from context_policies import ContextBuilder, policy_from_config
from context_policies.base import PolicyConfig
from ctxbench.errors import HarnessError
from ctxbench.events import Event
from ctxbench.llm.tokens import TokenCounter
from ctxbench.tracing.reader import load_episode


def recorded_history(path: Path) -> tuple[list[Event], list[int]]:
    """The history events and, for each model call, how many events it saw."""
    trace = load_episode(path)
    events, seen_at_call = [], []
    for record in trace.events:
        if record["type"] == "event":
            events.append(Event(record["kind"], record["content"], record["step"], record.get("meta") or {}))
        elif record["type"] == "llm_call":
            seen_at_call.append(len(events))
    if not events:
        raise HarnessError(f"{path} has no `event` records (recorded before replay support); cannot replay")
    return events, seen_at_call


def replay(path: Path, policy: PolicyConfig, counter: TokenCounter, summarize: Any = None) -> list[dict[str, Any]]:
    """Per model call: the tokens originally sent and the tokens `policy` would have sent."""
    trace = load_episode(path)
    events, seen_at_call = recorded_history(path)
    original = trace.context_tokens_per_step()
    builder = ContextBuilder(policy_from_config(policy), policy, counter, summarize, documents=())
    rows = []
    for step, (seen, before) in enumerate(zip(seen_at_call, original, strict=True), start=1):
        view = builder.build(events[:seen])
        rows.append({"step": step, "original_tokens": before, "replayed_tokens": view.record["tokens_after"],
                     "kept": view.record["kept"], "over_budget": view.record.get("over_budget")})  # fmt: skip
    return rows


def totals(rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    return sum(r["original_tokens"] for r in rows), sum(r["replayed_tokens"] for r in rows)
