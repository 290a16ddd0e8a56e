"""Shared by the policy tests: the real tokenizer of the default model, and history builders."""

from functools import cache

from ctxbench.events import Event
from ctxbench.llm.catalog import DEFAULT as DEFAULT_MODEL
from ctxbench.llm.tokens import GGUFTokenCounter

SYSTEM = "You are a data analyst. Reply with one python block, or FINAL_ANSWER: <answer>."
TASK = "Task: annotate the held-out cells of /data/pbmc68k_heldout.h5ad and write predictions.csv."


@cache
def counter() -> GGUFTokenCounter:
    return GGUFTokenCounter(DEFAULT_MODEL.path)


def history(turns: list[tuple[str, str]], system: str = SYSTEM, task: str = TASK) -> list[Event]:
    """(model reply, observation) pairs after the system prompt and task."""
    events = [Event("system", system, 0), Event("task", task, 0)]
    for step, (reply, observation) in enumerate(turns, start=1):
        events.append(Event("assistant", reply, step))
        events.append(Event("observation", observation, step, {"outcome": "ok", "stdout": observation}))
    return events


def fake_summarizer(calls: list):
    """A deterministic stand-in LLM for summaries; records what it was asked."""

    def summarize(messages, reply_tokens):
        calls.append(messages)
        return f"summary #{len(calls)} of {len(messages[-1]['content'])} chars"

    return summarize
