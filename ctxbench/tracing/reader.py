"""Reads episode traces (JSONL, schema v1) for results tables, plots, replay and show_trace.

A trace from a newer schema is refused with a clear error rather than misread; a torn last line
(an episode killed mid-write) is skipped; an episode without `run_end` is reported as unfinished.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctxbench.errors import HarnessError
from ctxbench.tracing.jsonl import SCHEMA_VERSION, read_trace


@dataclass
class EpisodeTrace:
    path: Path
    start: dict[str, Any]
    llm_calls: list[dict[str, Any]] = field(default_factory=list)
    execs: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    score: dict[str, Any] | None = None
    end: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.end is not None

    def context_tokens_per_step(self) -> list[int]:
        """Prompt tokens the policy sent at each step (its own count; equal to the server's locally)."""
        return [int(c["context"].get("tokens_after", c["reply"]["usage"]["prompt_tokens"])) for c in self.llm_calls]

    def by_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]


def load_episode(path: Path) -> EpisodeTrace:
    events = read_trace(path)
    if not events or events[0].get("type") != "run_start":
        raise HarnessError(f"{path} is not an episode trace (no run_start)")
    newer = {str(e.get("v")) for e in events} - {str(SCHEMA_VERSION)}
    if newer:
        raise HarnessError(f"{path} uses trace schema {sorted(newer)}; this reader knows v{SCHEMA_VERSION}")
    trace = EpisodeTrace(path=path, start=events[0], events=events)
    for event in events:
        kind = event["type"]
        if kind == "llm_call":
            trace.llm_calls.append(event)
        elif kind == "exec":
            trace.execs.append(event)
        elif kind == "score":
            trace.score = event
        elif kind == "run_end":
            trace.end = event
    return trace
