"""The context-policy protocol and the machinery every policy shares.

A policy is a stage: it turns a view (a list of Items, first derived from the episode's append-only
history) into a new view, and notes what it did. `ContextBuilder` runs the configured policy,
enforces its token budget with the model's real tokenizer, renders messages and records
tokens before/after. The history itself is never modified.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ctxbench.events import Event, Message
from ctxbench.llm.tokens import REPLY_PRIMER, TokenCounter
from ctxbench.registry import Registry
from ctxbench.renamed import reject_renamed

PINNED_KINDS = frozenset({"system", "task", "clarification"})  # never dropped by a policy or a budget


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str
    context_tokens: int | None = Field(
        None, ge=1, description="Token budget of the messages this policy returns (None: no budget)"
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        return reject_renamed(data, {"max_tokens": "context_tokens"})


@dataclass(frozen=True)
class Item:
    """One message-to-be. `step` ties it to the turn it came from (0: before any model turn)."""

    kind: str  # system | task | clarification | assistant | observation | feedback | summary | retrieved | state
    content: str
    step: int
    role: str = "user"
    extra: dict[str, Any] = field(default_factory=dict)  # tool_calls / tool_call_id (native tool protocol)

    @property
    def pinned(self) -> bool:
        return self.kind in PINNED_KINDS

    @classmethod
    def of(cls, event: Event) -> "Item":
        message = event.to_message()
        extra = {k: v for k, v in message.items() if k not in ("role", "content")}
        return cls(event.kind, event.content, event.step, message["role"], extra)


# An LLM call for policies that summarize: (messages, max completion tokens) -> text.
Summarizer = Callable[[list[Message], int], str]


@dataclass
class BuildContext:
    """What a stage may use besides the view: the full history, the tokenizer, an LLM for
    summaries, and the record of this build (for the trace). Nothing else: a policy decides what of
    the agent's own past it shows, never which facts the agent gets (task documents are reachable
    by every policy alike, through the `retrieve` tool)."""

    history: Sequence[Event]
    counter: TokenCounter
    summarize: Summarizer | None = None
    record: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, amount: int = 1) -> None:
        self.record[key] = self.record.get(key, 0) + amount

    def tokens(self, items: Sequence[Item]) -> int:
        """Exactly counter.count_messages of the rendered items, without rendering them."""
        return REPLY_PRIMER + sum(
            self.counter.count_message(i.role, i.content, i.extra.get("tool_calls", ())) for i in items
        )


class ContextPolicy(Protocol):
    config_class: ClassVar[type[PolicyConfig]]

    def apply(self, items: list[Item], ctx: BuildContext) -> list[Item]: ...


@dataclass
class ContextView:
    """What the model is shown this step, and a record of how the policy got there (for the trace)."""

    messages: list[Message]
    record: dict[str, Any] = field(default_factory=dict)


POLICIES: Registry[Any] = Registry("context policy")  # type name -> policy class (its config: .config_class)


def render(item: Item) -> Message:
    return {"role": item.role, "content": item.content, **item.extra}


def split_turns(items: Sequence[Item]) -> tuple[list[Item], list[list[Item]]]:
    """(head, turns): the head is everything before the first assistant item (system, task and
    anything a policy put there); each turn starts with an assistant item."""
    head: list[Item] = []
    turns: list[list[Item]] = []
    for item in items:
        if item.kind == "assistant":
            turns.append([item])
        elif turns:
            turns[-1].append(item)
        else:
            head.append(item)
    return head, turns


def flatten(head: list[Item], turns: Sequence[list[Item]]) -> list[Item]:
    return head + [item for turn in turns for item in turn]


def shrink_text(text: str, max_tokens: int, counter: TokenCounter) -> str:
    """The longest head+tail of `text` within max_tokens, with a marker saying what was cut."""
    if counter.count(text) <= max_tokens:
        return text
    low, high = 0, len(text)
    best = f"[{len(text)} characters omitted to fit the token budget]"
    while low <= high:  # binary search on the kept length, measured with the real tokenizer
        keep = (low + high) // 2
        head, tail = text[: keep // 2], text[len(text) - (keep - keep // 2) :]
        candidate = f"{head}\n[... {len(text) - keep} characters omitted to fit the token budget ...]\n{tail}"
        if counter.count(candidate) <= max_tokens:
            best, low = candidate, keep + 1
        else:
            high = keep - 1
    return best


def fit_to_budget(items: list[Item], budget: int, ctx: BuildContext) -> list[Item]:
    """Makes the view fit `budget`, giving up in this order: the oldest whole turns; what policies
    added to the head (retrieved items, summaries, state); the size of the newest turn; the newest
    turn. The system prompt and task are never dropped: if they alone exceed the budget, the record
    says so (`over_budget`)."""
    total = ctx.tokens(items)
    if total <= budget:
        return items
    head, turns = split_turns(items)
    # Each dropped part is counted once, not the whole view again per drop (this runs every step).
    turn_tokens = [ctx.tokens(t) - REPLY_PRIMER for t in turns]
    while len(turns) > 1 and total > budget:
        total -= turn_tokens.pop(0)
        ctx.note("dropped", len(turns.pop(0)))
    while total > budget and any(not i.pinned for i in head):
        dropped = next(i for i in head if not i.pinned)
        head.remove(dropped)
        total -= ctx.tokens([dropped]) - REPLY_PRIMER
        ctx.note("dropped")
    if turns and ctx.tokens(flatten(head, turns)) > budget:
        turns[-1] = _shrink_turn(head, turns[-1], budget, ctx)
        if ctx.tokens(flatten(head, turns)) > budget:
            ctx.note("dropped", len(turns.pop()))
    items = flatten(head, turns)
    if ctx.tokens(items) > budget:
        ctx.record["over_budget"] = (
            f"the system prompt and task alone need {ctx.tokens(items)} tokens, more than the budget of {budget}"
        )
    return items


def _shrink_turn(head: list[Item], turn: list[Item], budget: int, ctx: BuildContext) -> list[Item]:
    spare = budget - ctx.tokens(head + [replace(i, content="") for i in turn])
    if spare <= 0:
        return turn
    # Share what is left between the turn's items in proportion to their size.
    sizes = [max(1, ctx.counter.count(i.content)) for i in turn]
    total = sum(sizes)
    shrunk = [
        replace(i, content=shrink_text(i.content, spare * s // total, ctx.counter))
        for i, s in zip(turn, sizes, strict=True)
    ]
    ctx.note("shrunk", sum(a.content != b.content for a, b in zip(turn, shrunk, strict=True)))
    return shrunk


class ContextBuilder:
    """Runs a policy on the history and records what it did; what episodes call each step."""

    def __init__(
        self, policy: ContextPolicy, config: PolicyConfig, counter: TokenCounter, summarize: Summarizer | None = None
    ) -> None:
        self.policy, self.config, self.counter, self.summarize = policy, config, counter, summarize

    def build(self, history: Sequence[Event], notes: Sequence[str] = ()) -> ContextView:
        """notes: pinned texts shown right after the task (e.g. answers to clarifying questions)."""
        ctx = BuildContext(history, self.counter, self.summarize)
        items = [Item.of(e) for e in history]
        if notes:
            fixed = sum(1 for i in items if i.pinned and i.step == 0)
            items[fixed:fixed] = [Item("clarification", note, 0) for note in notes]
        before = ctx.tokens(items)
        items = apply_with_budget(self.policy, self.config, items, ctx)
        messages = [render(i) for i in items]
        after = self.counter.count_messages(messages)
        ctx.record.update(
            policy=self.config.type, tokenizer=self.counter.name, tokens_before=before, tokens_after=after,
            budget=self.config.context_tokens, events=len(history), kept=len(items),
        )  # fmt: skip
        return ContextView(messages, ctx.record)


def apply_with_budget(policy: ContextPolicy, config: PolicyConfig, items: list[Item], ctx: BuildContext) -> list[Item]:
    items = policy.apply(items, ctx)
    if config.context_tokens is not None:
        items = fit_to_budget(items, config.context_tokens, ctx)
    return items


def policy_from_config(config: PolicyConfig) -> ContextPolicy:
    cls = POLICIES.get(config.type)
    policy: ContextPolicy = cls(config)
    return policy
