"""Replay: rebuild an episode's history from its trace and ask another policy what it would have
sent at each step, with no LLM call. (The model's replies stay those of the recorded run: this
measures context size, not what the model would have done with that context.)"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from context_policies import ContextBuilder, policy_from_config
from context_policies.base import PolicyConfig
from ctxbench.context_figures import client_reused_tokens, flat_text, shared_prefix
from ctxbench.episode import clarification_note
from ctxbench.errors import HarnessError
from ctxbench.events import Event
from ctxbench.llm.tokens import TokenCounter
from ctxbench.tracing.reader import EpisodeTrace, load_episode


@dataclass
class RecordedCall:
    """What the episode's policy was given at one model call: the first `seen` history events and
    the clarification notes pinned by then."""

    seen: int
    notes: list[str]


def recorded_history(trace: EpisodeTrace) -> tuple[list[Event], list[RecordedCall]]:
    """The history events, and what each model call was built from."""
    events: list[Event] = []
    calls: list[RecordedCall] = []
    notes: list[str] = []
    for record in trace.events:
        if record["type"] == "event":
            events.append(Event(record["kind"], record["content"], record["step"], record.get("meta") or {}))
        elif record["type"] == "clarification" and not record.get("reused"):
            notes.append(clarification_note(record["question"], record["answer"]))
        elif record["type"] == "llm_call":
            calls.append(RecordedCall(len(events), list(notes)))
    if not events:
        raise HarnessError(f"{trace.path} has no `event` records (recorded before replay support); cannot replay")
    return events, calls


def replay(path: Path, policy: PolicyConfig, counter: TokenCounter, summarize: Any = None) -> list[dict[str, Any]]:
    """Per model call: the tokens originally sent and the tokens `policy` would have sent."""
    return replay_trace(load_episode(path), policy, counter, summarize)


def replay_trace(
    trace: EpisodeTrace, policy: PolicyConfig, counter: TokenCounter, summarize: Any = None
) -> list[dict[str, Any]]:
    """replay, on a trace already read (a sweep's replays read each trace once)."""
    events, calls = recorded_history(trace)
    original = trace.context_tokens_per_step()
    builder = ContextBuilder(policy_from_config(policy), policy, counter, summarize)
    rows, previous = [], ""
    for step, (call, before) in enumerate(zip(calls, original, strict=True), start=1):
        view = builder.build(events[: call.seen], call.notes)
        text, tokens = flat_text(view.messages), view.record["tokens_after"]
        # The client-side prefix-cache estimate, as for live runs (ctxbench/context_figures.py).
        reused = round(tokens * shared_prefix(previous, text) / len(text)) if previous and text else 0
        rows.append({"step": step, "original_tokens": before, "replayed_tokens": tokens, "reused_tokens": reused,
                     "kept": view.record["kept"], "over_budget": view.record.get("over_budget")})  # fmt: skip
        previous = text
    return rows


def replay_experiment(experiment: Path, policies: dict[str, PolicyConfig], counter_of: Any) -> list[dict[str, Any]]:
    """Counterfactual replay at sweep scale: every recorded trajectory of an experiment under each
    given (non-LLM) policy, one row per trajectory and policy: the context tokens it sent, those the
    policy would have sent, and the prefix-cache estimate of each. counter_of(trace) gives the
    tokenizer of the recorded run's model."""
    table = []
    for path in sorted(experiment.glob("*/*/*/trace.jsonl")):
        trace = load_episode(path)
        start = trace.start
        recorded = {"task": start.get("task"), "recorded_policy": start.get("policy"),
                    "mode": start.get("reasoning_mode"), "model": start.get("model"),
                    "repeat": start.get("repeat")}  # fmt: skip
        live_reused = client_reused_tokens(trace, policy_counts=True)  # on the basis replay counts on
        counter = counter_of(trace)
        for name, policy in policies.items():
            rows = replay_trace(trace, policy, counter)
            original, replayed = totals(rows)
            table.append({**recorded, "replayed_policy": name, "steps": len(rows), "original_tokens": original,
                          "original_reused_tokens": live_reused, "replayed_tokens": replayed,
                          "replayed_reused_tokens": sum(r["reused_tokens"] for r in rows),
                          "over_budget_steps": sum(bool(r["over_budget"]) for r in rows)})  # fmt: skip
    return table


def totals(rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    return sum(r["original_tokens"] for r in rows), sum(r["replayed_tokens"] for r in rows)
