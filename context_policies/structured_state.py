"""structured_state: a JSON scratchpad (plan, facts learned, results so far, open questions),
updated from every new event, shown instead of the raw history (plus the newest turns raw).

The update is deterministic (no LLM): the plan is the newest numbered/bulleted list the model
wrote, facts are short output lines of successful cells, results one line per executed step, and
open questions the latest unresolved error or rejected answer."""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from context_policies.base import POLICIES, BuildContext, Item, PolicyConfig, flatten, split_turns
from ctxbench.events import Event

PLAN_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+(.{3,160})$")


@dataclass
class Scratchpad:
    plan: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)

    def update(self, event: Event, max_facts: int, max_results: int) -> None:
        if event.kind == "assistant":
            plan = [m.group(1).strip() for m in map(PLAN_LINE.match, event.content.splitlines()) if m]
            if len(plan) >= 2:
                self.plan = plan[:8]
        elif event.kind == "observation":
            outcome = event.meta.get("outcome", "ok")
            lines = [line.strip() for line in str(event.meta.get("stdout", "")).splitlines() if line.strip()]
            error = [line.strip() for line in str(event.meta.get("error") or "").splitlines() if line.strip()]
            summary = (error or lines or ["no output"])[-1][:160]
            self.results = [*self.results, f"step {event.step}: {outcome}: {summary}"][-max_results:]
            if outcome == "ok":
                new = [ln[:160] for ln in lines if len(ln) <= 160 and not ln.startswith("[") and ln not in self.facts]
                self.facts = [*self.facts, *new][-max_facts:]
                self.open_questions = []
            else:
                self.open_questions = [f"step {event.step} failed: {summary}"]
        elif event.kind == "feedback":
            self.open_questions = [*self.open_questions, event.content[:200]][-3:]

    def is_empty(self) -> bool:
        return not (self.plan or self.facts or self.results or self.open_questions)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1, ensure_ascii=False)


class StructuredStateConfig(PolicyConfig):
    type: Literal["structured_state"] = "structured_state"
    keep_last: int = Field(1, ge=1, description="Newest turns shown raw next to the state")
    max_facts: int = Field(12, ge=1)
    max_results: int = Field(10, ge=1)


class StateTracker:
    """Folds events into a Scratchpad incrementally: each event is read once per episode."""

    def __init__(self, max_facts: int, max_results: int) -> None:
        self.max_facts, self.max_results = max_facts, max_results
        self.pad, self._seen = Scratchpad(), 0
        self._last_seen: Event | None = None

    def state(self, history: Sequence[Event]) -> Scratchpad:
        if self._seen and (len(history) < self._seen or history[self._seen - 1] is not self._last_seen):
            self.pad, self._seen = Scratchpad(), 0  # not the history we followed: start over
        for event in history[self._seen :]:
            self.pad.update(event, self.max_facts, self.max_results)
        self._seen = len(history)
        self._last_seen = history[-1] if history else None
        return self.pad


def state_items(pad: Scratchpad) -> list[Item]:
    """The state as one item, or none while it is empty: an empty state shown last at step 1 was
    read by the 0.5B as a form to fill in, and it answered with an invented number (issue 20's
    pilot, 8 of 8 smoke_sum episodes), so before anything has happened the view is full_history's."""
    if pad.is_empty():
        return []
    return [Item("state", f"Your working state (kept by the harness, JSON):\n{pad.to_json()}", 0)]


@POLICIES.register("structured_state")
class StructuredState:
    config_class = StructuredStateConfig

    def __init__(self, config: StructuredStateConfig) -> None:
        self.config = config
        self.tracker = StateTracker(config.max_facts, config.max_results)

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]:
        head, turns = split_turns(items)
        older, recent = turns[: -self.config.keep_last], turns[-self.config.keep_last :]
        ctx.note("dropped", sum(len(t) for t in older))
        return flatten([*head, *state_items(self.tracker.state(ctx.history))], recent)
